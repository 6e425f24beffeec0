/**
 * Checks over the whole cluster a plan describes: the stack's own objects and,
 * where the releases were rendered, every object the Helm charts create.
 * Each finding names both sides: the object or value that makes a claim, and
 * what the plan has (or lacks) on the other side.
 */
import { CLUSTER_SCOPED_KINDS, isLessonsRelease, stackMade } from "../plan/planEntries";
import { releaseInputs } from "../plan/render";
import { SECRET, UNKNOWN, type Plan, type PlannedResource } from "../plan/plan";
import { selects } from "../../lessons/model";
import { DEPLOYER_USERNAME, admissionRefusals } from "../kubernetes/admission";
import { enforcedLevel, podOf, podSecurityFailures } from "../kubernetes/podSecurityStandards";

export interface PlanObject {
    readonly r: PlannedResource;
    readonly o: any;
}

/** Drops values only the cloud knows, and masked secrets: no check can judge them. */
export function withoutMarkers(value: unknown): unknown {
    if (Array.isArray(value)) return value.filter((v) => v !== UNKNOWN && v !== SECRET).map(withoutMarkers);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(
            Object.entries(value)
                .filter(([, v]) => v !== UNKNOWN && v !== SECRET)
                .map(([k, v]) => [k, withoutMarkers(v)]),
        );
    }
    return value;
}

/** Every Kubernetes object of the plan: the stack's own and the releases' rendered ones. */
export function planObjects(plan: Plan): PlanObject[] {
    return plan.resources
        .filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh") && !r.type.startsWith("kubernetes:yaml/"))
        .map((r) => ({ r, o: withoutMarkers(r.inputs) as any }))
        .filter(({ o }) => typeof o.kind === "string" && typeof o.apiVersion === "string");
}

/** Who created an object, for messages: the Pulumi resource, or the release and chart that render it. */
export function originOf(plan: Plan, r: PlannedResource): string {
    if (!r.renderedBy) return r.name;
    const release = plan.resources.find((x) => x.urn === r.renderedBy);
    if (!release) return `a Helm release (${r.renderedBy})`;
    if (isLessonsRelease(release)) return r.name; // the stack's own object, carried by its lessons release
    const i = releaseInputs(release);
    return `release ${i.namespace}/${i.name} (chart ${i.chart} ${i.version})`;
}

export function objectLabel(o: any): string {
    return `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name ?? "(unnamed)"}`;
}

/** Kinds the plan's CRDs declare cluster-scoped. */
function crdClusterKinds(objs: readonly PlanObject[]): Set<string> {
    return new Set(objs.filter(({ o }) => o.kind === "CustomResourceDefinition" && o.spec?.scope === "Cluster").map(({ o }) => o.spec.names.kind));
}

/** No two objects share group, kind, namespace and name: whichever came second would fail to apply. */
export function duplicateProblems(plan: Plan, objs: readonly PlanObject[] = planObjects(plan)): string[] {
    const clusterKinds = new Set([...CLUSTER_SCOPED_KINDS, ...crdClusterKinds(objs)]);
    const seen = new Map<string, PlanObject>();
    const problems: string[] = [];
    for (const x of objs) {
        const group = x.o.apiVersion.includes("/") ? x.o.apiVersion.split("/")[0] : "";
        const ns = clusterKinds.has(x.o.kind) ? "" : (x.o.metadata?.namespace ?? "default");
        const key = `${group}/${x.o.kind}/${ns}/${x.o.metadata?.name}`;
        const first = seen.get(key);
        if (first) {
            problems.push(
                `DuplicateObject: ${objectLabel(x.o)} is created twice, by ${originOf(plan, first.r)} and by ${originOf(plan, x.r)}: the second apply would fail (Helm: invalid ownership metadata; Kubernetes: AlreadyExists)`,
            );
        } else {
            seen.set(key, x);
        }
    }
    return problems;
}

const POD_OWNERS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]);

export interface PodTemplate {
    readonly x: PlanObject;
    readonly namespace: string;
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
    readonly containers: any[];
    readonly replicas: number;
}

export function podTemplates(objs: readonly PlanObject[]): PodTemplate[] {
    return objs
        .filter(({ o }) => POD_OWNERS.has(o.kind) && o.spec?.template)
        .map((x) => ({
            x,
            namespace: x.o.metadata?.namespace ?? "default",
            labels: x.o.spec.template.metadata?.labels ?? {},
            annotations: x.o.spec.template.metadata?.annotations ?? {},
            containers: x.o.spec.template.spec?.containers ?? [],
            replicas: x.o.kind === "Deployment" || x.o.kind === "StatefulSet" ? (x.o.spec.replicas ?? 1) : 1,
        }));
}

/** The port where Istio's injected agent serves merged metrics, and the label/annotation that marks a pod injected. */
const ISTIO_AGENT_METRICS_PORT = "15020";

/**
 * A pod annotated for Prometheus names a port one of its containers declares
 * (or, on a pod Istio injects, the agent's 15020): otherwise Prometheus scrapes
 * a port nothing serves.
 */
export function scrapePortProblems(plan: Plan, objs: readonly PlanObject[] = planObjects(plan)): string[] {
    const problems: string[] = [];
    for (const p of podTemplates(objs)) {
        if (p.annotations["prometheus.io/scrape"] !== "true" || p.annotations["prometheus.io/port"] === undefined) continue;
        const port = p.annotations["prometheus.io/port"];
        const declared = p.containers.flatMap((c: any) => (c.ports ?? []).map((cp: any) => String(cp.containerPort)));
        const injected = p.labels["sidecar.istio.io/inject"] === "true" || p.annotations["inject.istio.io/templates"] !== undefined;
        if (declared.includes(port) || (injected && port === ISTIO_AGENT_METRICS_PORT)) continue;
        problems.push(
            `ScrapePortNotServed: ${objectLabel(p.x.o)} (${originOf(plan, p.x.r)}) is annotated prometheus.io/port "${port}", which none of its containers declares (${declared.join(", ") || "no ports"})`,
        );
    }
    return problems;
}

// ---------------------------------------------------------------------------
// Addresses: every in-cluster address the configuration names resolves to a Service and port of the plan.

export interface Address {
    /** What names it: object or release, and where inside. */
    readonly source: string;
    readonly text: string;
    /** Service name and namespace it points at. */
    readonly service: string;
    readonly namespace: string;
    /** Port it uses; undefined: the Service's only port (Istio routes without a port). */
    readonly port?: number;
}

/**
 * A host as Kubernetes DNS and Istio read it, relative to a namespace:
 * `svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`. Anything else
 * (IP addresses, external names) is not a Service of the cluster.
 */
export function serviceOfHost(host: string, namespace: string): { service: string; namespace: string } | undefined {
    if (/^\d+\.\d+\.\d+\.\d+$/.test(host) || host === "localhost") return undefined;
    const parts = host.split(".");
    if (parts.length === 1) return { service: host, namespace };
    if (parts.length === 2 || (parts.length === 3 && parts[2] === "svc") || (parts.length === 5 && parts.slice(2).join(".") === "svc.cluster.local")) {
        return { service: parts[0], namespace: parts[1] };
    }
    return undefined;
}

const URL = /\b(https?|grpc):\/\/([A-Za-z0-9.-]+)(?::(\d+))?/g;
const DEFAULT_PORT: Record<string, number> = { http: 80, https: 443 };

/** The in-cluster URLs in a text, relative to a namespace. */
function urlsIn(text: string, namespace: string, source: string, shortNames: boolean): Address[] {
    const out: Address[] = [];
    for (const m of text.matchAll(URL)) {
        const [whole, scheme, host, port] = m;
        if (!shortNames && !host.includes(".")) continue;
        const target = serviceOfHost(host, namespace);
        if (!target) continue;
        out.push({ source, text: whole, ...target, port: port !== undefined ? Number(port) : DEFAULT_PORT[scheme] });
    }
    return out;
}

/** Every string in a values tree, with its dotted key path. */
function stringsIn(value: unknown, path = ""): [string, string][] {
    if (typeof value === "string") return [[path, value]];
    if (Array.isArray(value)) return value.flatMap((v, i) => stringsIn(v, `${path}[${i}]`));
    if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => stringsIn(v, path ? `${path}.${k}` : k));
    return [];
}

/** Every in-cluster address the plan's configuration names. */
export function addressesOf(plan: Plan, objs: readonly PlanObject[] = planObjects(plan)): Address[] {
    const out: Address[] = [];
    for (const r of plan.resources.filter((x) => x.type === "kubernetes:helm.sh/v3:Release" && !isLessonsRelease(x))) {
        const rel = releaseInputs(r);
        const where = (key: string) => `release ${rel.namespace}/${rel.name} value ${key}`;
        // URLs a chart hands to the app it runs (Kiali's, Grafana's data sources); browser-facing ones are not in-cluster.
        for (const [key, text] of stringsIn(rel.values)) {
            if (/external_url$/.test(key)) continue;
            out.push(...urlsIn(text, rel.namespace, where(key), false));
        }
        // Istio's extension providers name a service and a port.
        const providers = (rel.values as any)?.meshConfig?.extensionProviders;
        for (const [i, p] of (Array.isArray(providers) ? providers : []).entries()) {
            for (const [type, cfg] of Object.entries(p as object)) {
                if (typeof (cfg as any)?.service !== "string") continue;
                const target = serviceOfHost((cfg as any).service, rel.namespace);
                if (target) out.push({ source: where(`meshConfig.extensionProviders[${i}].${type}`), text: `${(cfg as any).service}:${(cfg as any).port}`, ...target, port: Number((cfg as any).port) });
            }
        }
    }
    const ours = stackMade(plan);
    for (const { r, o } of objs) {
        if (!ours(r)) continue; // what the charts write is theirs; what the stack configures is checked above
        const ns = o.metadata?.namespace ?? "default";
        const label = `${objectLabel(o)} (${r.name})`;
        if (o.kind === "ConfigMap") {
            for (const [key, text] of Object.entries(o.data ?? {})) {
                for (const m of String(text).matchAll(/proxy_pass\s+(https?:\/\/[^;\s]+)/g)) out.push(...urlsIn(m[1], ns, `${label} ${key} proxy_pass`, true));
            }
        }
        if (POD_OWNERS.has(o.kind)) {
            for (const c of o.spec?.template?.spec?.containers ?? []) {
                const texts = [...(c.command ?? []), ...(c.args ?? []), ...(c.env ?? []).map((e: any) => e.value ?? "")].map(String);
                for (const t of texts) out.push(...urlsIn(t, ns, `${label} container ${c.name}`, true));
            }
        }
        if (o.kind === "VirtualService") {
            (o.spec?.http ?? []).forEach((h: any, i: number) =>
                (h.route ?? []).forEach((d: any) => {
                    const target = serviceOfHost(String(d.destination?.host ?? ""), ns);
                    if (target) out.push({ source: `${label} http[${i}]`, text: `${d.destination.host}${d.destination.port ? `:${d.destination.port.number}` : ""}`, ...target, port: d.destination.port?.number });
                }),
            );
        }
    }
    // Prometheus' own static scrape targets, in the config its chart renders.
    for (const { r, o } of objs) {
        if (o.kind !== "ConfigMap" || typeof o.data?.["prometheus.yml"] !== "string") continue;
        for (const m of o.data["prometheus.yml"].matchAll(/^\s*-\s*['"]?([A-Za-z0-9.-]+):(\d+)['"]?\s*$/gm)) {
            const target = serviceOfHost(m[1], o.metadata?.namespace ?? "default");
            if (target) out.push({ source: `${objectLabel(o)} (${originOf(plan, r)}) scrape target`, text: `${m[1]}:${m[2]}`, ...target, port: Number(m[2]) });
        }
    }
    return out;
}

export interface AddressCheck {
    readonly problems: string[];
    /** Addresses that could not be checked: their Service would come from a release that was not rendered. */
    readonly unverified: string[];
}

/**
 * Every address resolves to a Service of the plan and one of its ports. When
 * some releases were not rendered, a Service that is not in the plan may be
 * one of theirs: such an address is reported as unverified, not as a problem.
 */
export function addressProblems(plan: Plan, allRendered: boolean, objs: readonly PlanObject[] = planObjects(plan)): AddressCheck {
    const services = new Map(objs.filter(({ o }) => o.kind === "Service").map((x) => [`${x.o.metadata?.namespace ?? "default"}/${x.o.metadata?.name}`, x]));
    const problems: string[] = [];
    const unverified: string[] = [];
    for (const a of addressesOf(plan, objs)) {
        const svc = services.get(`${a.namespace}/${a.service}`);
        if (!svc) {
            const message = `${a.text} (${a.source}): no Service ${a.namespace}/${a.service} in the plan`;
            (allRendered ? problems : unverified).push(allRendered ? `UnresolvedAddress: ${message}` : message);
            continue;
        }
        const ports: number[] = (svc.o.spec?.ports ?? []).map((p: any) => p.port);
        if (a.port === undefined ? ports.length !== 1 : !ports.includes(a.port)) {
            problems.push(
                `UnresolvedAddress: ${a.text} (${a.source}): Service ${a.namespace}/${a.service} (${originOf(plan, svc.r)}) ${a.port === undefined ? "has several ports; name one" : `has no port ${a.port}`} (ports: ${ports.join(", ") || "none"})`,
            );
        }
    }
    return { problems, unverified };
}

/**
 * Every Istio gateway (a rendered gateway workload, or the pods a release that
 * was not rendered would run, as its values label them) has a Service in its
 * namespace selecting its pods: nothing else sends traffic to a gateway.
 */
export function gatewayServiceProblems(plan: Plan, objs: readonly PlanObject[] = planObjects(plan), gatewayPods: readonly { namespace: string; labels: Record<string, string>; source: string }[] = []): string[] {
    const services = objs.filter(({ o }) => o.kind === "Service" && o.spec?.selector);
    const pods = [
        ...podTemplates(objs)
            .filter((p) => p.labels["istio.io/gateway-name"] !== undefined || ["ingressgateway", "egressgateway"].includes(p.labels.istio))
            .map((p) => ({ namespace: p.namespace, labels: p.labels, source: `${objectLabel(p.x.o)} (${originOf(plan, p.x.r)})` })),
        ...gatewayPods,
    ];
    return pods
        .filter((p) => !services.some(({ o }) => (o.metadata?.namespace ?? "default") === p.namespace && selects(o.spec.selector, p.labels)))
        .map((p) => `GatewayWithoutService: ${p.source}: no Service in namespace ${p.namespace} selects its pods ${JSON.stringify(p.labels)}, so nothing can send traffic to the gateway`);
}

/**
 * Every pod the plan's workloads would create in a namespace that enforces a
 * Pod Security level passes that level, at the namespace's enforced version:
 * otherwise the API server refuses the pods and the workload never starts.
 * (Istio's injected containers are added by the cluster; with the CNI plugin
 * they need no privilege, which the e2e run proves on a real cluster.)
 */
export function podSecurityProblems(plan: Plan, objs: readonly PlanObject[] = planObjects(plan)): string[] {
    const enforced = new Map(objs.filter(({ o }) => o.kind === "Namespace").map(({ o }) => [String(o.metadata?.name), enforcedLevel(o.metadata?.labels)] as const));
    return objs.flatMap((x) => {
        const pod = podOf(x.o);
        const ns = enforced.get(x.o.metadata?.namespace ?? "default");
        if (pod === undefined || ns === undefined || ns.level === "privileged") return [];
        return podSecurityFailures(pod, ns.level, ns.minor).map(
            (f) => `PodSecurity: ${objectLabel(x.o)} (${originOf(plan, x.r)}) would be refused by Pod Security "${ns.level}:v1.${ns.minor}" of its namespace (${f.check}): ${f.message}`,
        );
    });
}

/**
 * Every object the plan puts in a namespace is admitted by the plan's own
 * ValidatingAdmissionPolicies (as bound to that namespace's labels): the
 * lessons in attendee namespaces pass the guard rails attendees face (the
 * attack suite also judges each lesson object as its attendee creating it).
 */
export function admissionProblems(plan: Plan, objs: readonly PlanObject[] = planObjects(plan)): string[] {
    const policies = objs.filter(({ o }) => o.kind === "ValidatingAdmissionPolicy").map(({ o }) => o);
    const bindings = objs.filter(({ o }) => o.kind === "ValidatingAdmissionPolicyBinding").map(({ o }) => o);
    if (bindings.length === 0) return [];
    const labels = new Map(objs.filter(({ o }) => o.kind === "Namespace").map(({ o }) => [String(o.metadata?.name), (o.metadata?.labels ?? {}) as Record<string, string>] as const));
    return objs.flatMap((x) => {
        const ns = x.o.metadata?.namespace;
        if (ns === undefined || !labels.has(ns)) return [];
        return admissionRefusals(policies, bindings, { object: x.o, namespaceLabels: labels.get(ns)!, username: DEPLOYER_USERNAME }).map(
            (r) => `AdmissionRefused: ${objectLabel(x.o)} (${originOf(plan, x.r)}) would be refused by ValidatingAdmissionPolicy ${r.policy}: ${r.message}`,
        );
    });
}
