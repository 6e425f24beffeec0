/**
 * The stack's security promises as pure rules. The policy pack (`policy/index.ts`)
 * enforces them on `pulumi preview`/`up`; the offline plan evaluates the same rules
 * over its recorded resources, so every pull request sees violations without
 * credentials. Rules tolerate values only the cloud knows (`[unknown]` in a plan).
 */
import { LESSONS_CHART, lessonsObjects } from "../../lessons/delivery";
import { podOf, podSecurityFailures } from "../kubernetes/podSecurityStandards";

export interface Subject {
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, any>;
}

export interface Rule {
    readonly name: string;
    readonly description: string;
    /** The violations of one resource (empty when it complies). */
    check(s: Subject): string[];
}

/** Istio's own ports (proxies, istiod, gateways' status and admin) and the addons' ports. */
export const PROTECTED_PORTS: readonly (readonly [number, number])[] = [
    [15000, 15090], // Envoy admin, xDS, webhooks, status, telemetry
    [9090, 9090], // Prometheus
    [3000, 3000], // Grafana
    [20001, 20001], // Kiali
    [16685, 16686], // Jaeger query
    [4317, 4318], // OTLP
    [14250, 14268], // Jaeger collector
    [9411, 9411], // Zipkin
];

const overlaps = (from: number, to: number) => PROTECTED_PORTS.filter(([a, b]) => from <= b && to >= a);
const WORLD = new Set(["0.0.0.0/0", "::/0"]);
const portText = (from: number, to: number) => (from === to ? `port ${from}` : `ports ${from}-${to}`);

const noPublicMeshPorts: Rule = {
    name: "no-public-mesh-ports",
    description: "No Istio or addon port is reachable from the whole internet.",
    check({ type, props }) {
        const violations: string[] = [];
        const open = (from: number, to: number, cidrs: unknown[]) => {
            const world = cidrs.filter((c) => typeof c === "string" && WORLD.has(c));
            if (world.length > 0 && overlaps(from, to).length > 0) {
                violations.push(`${portText(from, to)} open to ${world.join(", ")}: Istio and addon ports must only be reachable from inside the cluster`);
            }
        };
        if (type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
            open(Number(props.fromPort ?? 0), Number(props.toPort ?? 65535), [props.cidrIpv4, props.cidrIpv6]);
        }
        if (type === "aws:ec2/securityGroupRule:SecurityGroupRule" && props.type === "ingress") {
            open(Number(props.fromPort ?? 0), Number(props.toPort ?? 65535), [...(props.cidrBlocks ?? []), ...(props.ipv6CidrBlocks ?? [])]);
        }
        if (type === "kubernetes:core/v1:Service" && ["LoadBalancer", "NodePort"].includes(props.spec?.type)) {
            const ranges: unknown[] = props.spec?.loadBalancerSourceRanges ?? ["0.0.0.0/0"];
            for (const p of props.spec?.ports ?? []) open(Number(p.port), Number(p.port), ranges);
        }
        return violations;
    },
};

const mtlsStrict: Rule = {
    name: "mtls-strict",
    description: "Mutual TLS is STRICT mesh-wide (override for a lesson with the policy pack config).",
    check({ type, props }) {
        if (type !== "kubernetes:security.istio.io/v1:PeerAuthentication" || props.metadata?.namespace !== "istio-system" || props.spec?.selector) return [];
        const mode = props.spec?.mtls?.mode;
        return mode === "STRICT" ? [] : [`mesh-wide mutual TLS is ${JSON.stringify(mode ?? "unset")}, not "STRICT": traffic between workloads may be plaintext`];
    },
};

const noAnonymousUi: Rule = {
    name: "no-anonymous-ui",
    description: "No admin UI is anonymous, and Prometheus is never routed from the gateway.",
    check({ type, props }) {
        const violations: string[] = [];
        if (type === "kubernetes:helm.sh/v3:Release" && props.chart === "kiali-server") {
            const strategy = props.values?.auth?.strategy;
            if (strategy === undefined || strategy === "anonymous") {
                violations.push(`Kiali's auth.strategy is ${JSON.stringify(strategy ?? "unset")}: use "token" (or "openid")`);
            }
        }
        if (type === "kubernetes:helm.sh/v3:Release" && props.chart === "grafana") {
            if (props.values?.["grafana.ini"]?.["auth.anonymous"]?.enabled !== false) violations.push("Grafana's anonymous access is not disabled (grafana.ini auth.anonymous.enabled: false)");
        }
        if (type === "kubernetes:networking.istio.io/v1:VirtualService" && (props.spec?.gateways ?? []).some((g: string) => g !== "mesh")) {
            for (const h of props.spec?.http ?? []) {
                for (const r of h.route ?? []) {
                    if (String(r.destination?.host ?? "").startsWith("prometheus.")) violations.push("routes Prometheus through a gateway: Prometheus has no login and is never exposed");
                }
            }
        }
        return violations;
    },
};

const SECRETISH = /(password|passwd|token|secret|kubeconfig|private[-_]?key)/i;

const secretsStaySecret: Rule = {
    name: "secrets-stay-secret",
    description: "Credentials live in Secrets, never in ConfigMaps.",
    check({ type, props }) {
        if (type !== "kubernetes:core/v1:ConfigMap") return [];
        return Object.keys(props.data ?? {})
            .filter((k) => SECRETISH.test(k))
            .map((k) => `ConfigMap key "${k}" looks like a credential: put it in a Secret`);
    },
};

const ADMIN_ROLES = new Set(["cluster-admin", "admin", "edit"]);

const attendeesConfined: Rule = {
    name: "attendees-confined",
    description: "Attendees act only inside their own namespace: no cluster-wide binding, no RBAC or Secret rights.",
    check({ type, props }) {
        const violations: string[] = [];
        const attendeeSubjects = (props.subjects ?? []).filter((s: any) => s.kind === "ServiceAccount" && s.name === "attendee");
        if (type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding" && attendeeSubjects.length > 0) {
            violations.push(`binds an attendee ServiceAccount cluster-wide (role ${props.roleRef?.name})`);
        }
        if (type === "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding" && attendeeSubjects.length > 0) {
            if (props.roleRef?.kind !== "Role") violations.push(`binds an attendee to ${props.roleRef?.kind} ${props.roleRef?.name}: use the namespace's own Role`);
            for (const s of attendeeSubjects) {
                if (s.namespace !== props.metadata?.namespace) violations.push(`grants a ServiceAccount of namespace ${s.namespace} rights in ${props.metadata?.namespace}`);
            }
            if (ADMIN_ROLES.has(props.roleRef?.name)) violations.push(`grants the built-in role ${props.roleRef.name}`);
        }
        if (type === "kubernetes:rbac.authorization.k8s.io/v1:Role" && props.metadata?.name === "attendee") {
            for (const rule of props.rules ?? []) {
                const resources: string[] = rule.resources ?? [];
                const groups: string[] = rule.apiGroups ?? [];
                if (groups.includes("") && (resources.includes("secrets") || resources.includes("*"))) violations.push("lets an attendee read Secrets (and mount any of the namespace's)");
                if (groups.includes("rbac.authorization.k8s.io") || groups.includes("*")) violations.push("lets an attendee change RBAC");
            }
        }
        return violations;
    },
};

const imdsv2Required: Rule = {
    name: "imdsv2-required",
    description: "Nodes require IMDSv2 (session tokens) for the instance metadata service.",
    check({ type, props }) {
        if (type !== "aws:ec2/launchTemplate:LaunchTemplate") return [];
        const tokens = props.metadataOptions?.httpTokens;
        return tokens === "required" ? [] : [`metadataOptions.httpTokens is ${JSON.stringify(tokens ?? "unset")}, not "required": nodes would answer IMDSv1`];
    },
};

const podSecurityRestricted: Rule = {
    name: "pod-security-restricted",
    description: "Every workload the stack defines passes the Pod Security Standard `restricted`.",
    check({ props }) {
        const pod = podOf(props);
        return pod === undefined ? [] : podSecurityFailures(pod, "restricted").map((f) => `fails Pod Security restricted (${f.check}): ${f.message}`);
    },
};

export const RULES: readonly Rule[] = [noPublicMeshPorts, mtlsStrict, noAnonymousUi, secretsStaySecret, attendeesConfined, imdsv2Required, podSecurityRestricted];

export interface Violation {
    readonly policy: string;
    readonly resource: string;
    readonly message: string;
}

/**
 * A resource and the objects it carries: a release of the lessons chart installs
 * the objects in its values (an attendee's Role and RoleBinding among them), so
 * the rules judge each of those too, as `<release>:<namespace>/<name>`.
 */
export function withCarriedObjects(s: Subject): Subject[] {
    if (s.type !== "kubernetes:helm.sh/v3:Release" || s.props.chart !== LESSONS_CHART || typeof s.props.values?.objectsJson !== "string") return [s];
    const objects = lessonsObjects(s.props.values);
    const type = (o: any) => `kubernetes:${String(o.apiVersion).includes("/") ? o.apiVersion : `core/${o.apiVersion}`}:${o.kind}`;
    return [s, ...objects.map((o: any) => ({ type: type(o), name: `${s.name}:${o.metadata?.namespace ?? s.props.namespace}/${o.metadata?.name}`, props: o }))];
}

/** Every violation of every rule over the given resources (and the objects they carry). */
export function evaluate(subjects: readonly Subject[], rules: readonly Rule[] = RULES): Violation[] {
    return subjects.flatMap(withCarriedObjects).flatMap((s) => rules.flatMap((r) => r.check(s).map((message) => ({ policy: r.name, resource: s.name, message }))));
}
