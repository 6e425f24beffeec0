/**
 * What an attendee's credentials can do in the planned cluster, judged offline
 * the way the API server and istiod would, layer by layer: RBAC (a static
 * can-i over the plan's Roles and bindings), Pod Security admission (the
 * namespace's enforced level), the ValidatingAdmissionPolicies bound to the
 * namespace (their CEL, evaluated), then Istio itself (whether a route an
 * attendee writes is ever merged into the gateway's routes).
 *
 * `ATTACKS` (`./attacks.ts`) are what a hostile attendee would try; the tests require every one
 * refused, and every manifest of the attendee's own lessons admitted. The
 * table "What an attendee can and cannot do" of docs/security.md is printed from here
 * (`npm run attacks`).
 */
import { ATTENDEE_ACCOUNT } from "../../classroom/attendeeSpec";
import { AMBIENT_LABELS, INGRESS_NAMESPACE, PLATFORM_PART_LABELS } from "../../model/platform";
import { ATTACKS, CAPABILITIES, forIngress, type Attack, type Attempt, type Verdict } from "./attacks";
import { isGatewayApi } from "../../model/gatewayApiObjects";
import { rootRouteName } from "../../lessons/routing";
import { admissionRefusals, resourceOf } from "../kubernetes/admission";
import { meshRefusal, networkRefusal, type Pod } from "../kubernetes/network";
import { enforcedLevel, podOf, podSecurityFailures } from "../kubernetes/podSecurityStandards";
import { grants } from "../kubernetes/rbac";
import { attendeeNamespaces, isPlatformAttempt, istioVerdict, istioViewOf, platformVerdict } from "./platformJudges";
import { limitRangeRefusal, quotaRefusal, workloadPodRefusals } from "../kubernetes/quota";
import { objectLabel, planObjects, type PlanObject } from "../checks/clusterChecks";
import { handOutObjects, proxyResourcesOf } from "../checks/meshVisibility";
import type { Plan } from "../plan/plan";
import { CrdValidator } from "../checks/crdSchemas";

export interface Judge {
    (attempt: Attempt): Verdict;
}

/**
 * Judges attempts with the credentials of the attendee of namespace `own`, in the planned cluster. A custom object is
 * judged with its CRD's defaults filled in, as the API server's admission sees it: the plan's CRDs, and `crds` (those
 * the plan does not hold, such as the Gateway API's, read by the provider at deploy time).
 */
export function attendeeJudge(plan: Plan, own: string, planned: readonly PlanObject[] = planObjects(plan), crds: readonly any[] = []): Judge {
    const objs = planned.map(({ o }) => o);
    const schemas = new CrdValidator([...objs.filter((o) => o.kind === "CustomResourceDefinition"), ...crds]);
    const rbac = objs.filter((o) => ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"].includes(o.kind));
    const network = objs.filter((o) => o.kind === "NetworkPolicy" || o.kind === "AuthorizationPolicy" || o.kind === "Namespace");
    const subject = { kind: "ServiceAccount" as const, name: ATTENDEE_ACCOUNT, namespace: own };
    const policies = objs.filter((o) => o.kind === "ValidatingAdmissionPolicy");
    const bindings = objs.filter((o) => o.kind === "ValidatingAdmissionPolicyBinding");
    const inNamespace = (kind: string, ns: string) => objs.filter((o) => o.kind === kind && o.metadata?.namespace === ns);
    const nsLabels = (ns: string) => (objs.find((o) => o.kind === "Namespace" && o.metadata?.name === ns)?.metadata?.labels ?? {}) as Record<string, string>;
    const istioView = istioViewOf(plan, objs);
    const attacker: Pod = { namespace: own, labels: { app: "attacker" } };
    return (attempt) => {
        if (isPlatformAttempt(attempt)) return platformVerdict(plan, own, planned, attempt);
        if ("connect" in attempt) {
            const net = networkRefusal(network, attacker, attempt.connect, attempt.port);
            if (net) return { layer: "NetworkPolicy", reason: net };
            const mesh = meshRefusal(network, attacker, attempt.connect);
            if (mesh) return { layer: "AuthorizationPolicy", reason: mesh };
            return { layer: "admitted", reason: `connection to ${attempt.connect.namespace} port ${attempt.port} admitted` };
        }
        const object = "object" in attempt ? attempt.object : undefined;
        const q = object
            ? { verb: attempt.verb, ...resourceOf(object), namespace: object.metadata?.namespace, name: object.metadata?.name }
            : (attempt as Extract<Attempt, { group: string }>);
        const granted = grants(rbac, subject, { verb: q.verb, group: q.group, resource: q.resource, namespace: q.namespace, name: q.name });
        if (granted.length === 0) return { layer: "RBAC", reason: `no Role or binding grants ${q.verb} on ${q.group ? `${q.group}/` : ""}${q.resource}${q.namespace ? ` in ${q.namespace}` : " cluster-wide"}` };
        if (!object) return { layer: "admitted", reason: `granted by ${granted.map((g) => `${g.binding} (${g.role})`).join(", ")}` };
        // In the API server's order of validation: LimitRanger, PodSecurity, ValidatingAdmissionPolicy, ResourceQuota.
        const ns = object.metadata?.namespace;
        const limitRanges = inNamespace("LimitRange", ns);
        const limits = limitRangeRefusal(limitRanges, object);
        if (limits) return { layer: "LimitRange", reason: limits };
        const labels = nsLabels(ns);
        const level = enforcedLevel(labels);
        const p = podOf(object);
        const failures = p ? podSecurityFailures(p, level.level, level.minor) : [];
        if (failures.length > 0) return { layer: "Pod Security", reason: `${level.level}: ${failures.map((f) => f.check).join(", ")}` };
        const refusals = admissionRefusals(policies, bindings, { object: schemas.defaulted(object), operation: attempt.verb === "update" ? "UPDATE" : "CREATE", namespaceLabels: labels, username: `system:serviceaccount:${own}:${ATTENDEE_ACCOUNT}` });
        if (refusals.length > 0) return { layer: "admission policy", reason: refusals.map((r) => r.message).join("; ") };
        // The namespace's objects count as used (Helm's hooks, the verification Jobs, are gone once they pass).
        const held = objs.filter((o) => o.metadata?.namespace === ns && o.metadata?.annotations?.["helm.sh/hook"] === undefined);
        const quota = attempt.verb === "create" ? quotaRefusal(inNamespace("ResourceQuota", ns), object, q.resource, q.group, "count" in attempt ? (attempt.count ?? 1) : 1, limitRanges, held) : undefined;
        if (quota) return { layer: "ResourceQuota", reason: quota };
        const istio = istioVerdict(istioView, object, p);
        if (istio) return istio;
        return { layer: "admitted", reason: `${objectLabel(object)} admitted` };
    };
}

/** Where an attendee's gateway paths start: `/<id>`, or nothing on their own host (`classroom.domain`). */
export function attendeePathBase(planned: readonly PlanObject[], own: string): string {
    const root = planned.find(({ o }) => o.kind === "VirtualService" && o.metadata?.name === rootRouteName(own))?.o;
    // With Gateway API ingress there is no root route: the attendee's own HTTPRoutes name their host, or none.
    const route = planned.find(({ o }) => o.kind === "HTTPRoute" && o.metadata?.namespace === own)?.o;
    const host = root ? root.spec?.hosts?.[0] : route?.spec?.hostnames?.[0];
    return (host ?? "*") === "*" ? `/${own}` : "";
}

/**
 * The attacks and capabilities for a plan: those of its ingress API (a Gateway API Gateway of the platform in the plan,
 * or Istio's) and its data plane (attendee namespaces enrolled in ambient mode, or sidecars).
 */
export function suiteOf(planned: readonly PlanObject[]): { readonly attacks: readonly Attack[]; readonly capabilities: readonly Attack[] } {
    const api = planned.some(({ o }) => o.kind === "Gateway" && isGatewayApi(o) && o.metadata?.namespace === INGRESS_NAMESPACE) ? "gateway-api" : "istio";
    const [mode, ambient] = Object.entries(AMBIENT_LABELS)[0];
    const dataplane = attendeeNamespaces(planned).some((ns) => planned.some(({ o }) => o.kind === "Namespace" && o.metadata?.name === ns && o.metadata?.labels?.[mode] === ambient)) ? "ambient" : "sidecar";
    return { attacks: forIngress(ATTACKS, api, dataplane), capabilities: forIngress(CAPABILITIES, api, dataplane) };
}

/** The objects of an attendee's namespace the attendee owns (the lessons), not the platform's. */
export function lessonObjects(plan: Plan, own: string, planned: readonly PlanObject[] = planObjects(plan)): any[] {
    const [key, value] = Object.entries(PLATFORM_PART_LABELS)[0];
    return planned
        .map(({ o }) => o)
        .filter((o) => o.metadata?.namespace === own && o.metadata?.labels?.[key] !== value);
}

/** The table of docs/security.md: what an attendee may do, then every attack and the layer that refuses it. */
export function attackTable(plan: Plan, own: string, victim: string): string {
    const planned = planObjects(plan);
    const judge = attendeeJudge(plan, own, planned);
    const base = attendeePathBase(planned, own);
    const { attacks, capabilities } = suiteOf(planned);
    const rows = [...capabilities, ...attacks].map((a) => {
        const v = judge(a.attempt(own, victim, base));
        return `| ${a.what} | ${v.layer === "admitted" ? "allowed" : `**refused** by ${v.layer}`} |`;
    });
    return ["| an attendee tries to… | outcome |", "|---|---|", ...rows].join("\n");
}

/** The first two attendee namespaces of a plan (attacker, victim), by the attendee label; undefined with fewer. */
export function attendeePair(plan: Plan, planned: readonly PlanObject[] = planObjects(plan)): [string, string] | undefined {
    const names = attendeeNamespaces(planned);
    return names.length >= 2 ? [names[0], names[1]] : undefined;
}

export interface IsolationReport {
    readonly pair?: [string, string];
    readonly problems: string[];
    /** On an existing cluster (no NetworkPolicies): the connections left open, reported, not failing. */
    readonly warnings: string[];
    readonly refused: Readonly<Record<string, number>>;
    readonly allowed: number;
    /** The attacks tried (those of the plan's ingress API). */
    readonly attacks: number;
    readonly lessons: number;
}

/**
 * Every attack refused and everything an attendee needs admitted, for the
 * plan's first attendee against its second (every attendee namespace is built
 * by the same code; judging all would only repeat this).
 */
export function isolationReport(plan: Plan, planned: readonly PlanObject[] = planObjects(plan), crds: readonly any[] = []): IsolationReport {
    const pair = attendeePair(plan, planned);
    if (!pair) return { problems: [], warnings: [], refused: {}, allowed: 0, attacks: 0, lessons: 0 };
    const existing = plan.outputs.mode === "existing";
    const [own, victim] = pair;
    const judge = attendeeJudge(plan, own, planned, crds);
    const base = attendeePathBase(planned, own);
    const problems: string[] = [];
    const warnings: string[] = [];
    const refused: Record<string, number> = {};
    const { attacks, capabilities } = suiteOf(planned);
    for (const a of attacks) {
        const attempt = a.attempt(own, victim, base);
        const v = judge(attempt);
        if (v.layer !== "admitted") refused[v.layer] = (refused[v.layer] ?? 0) + 1;
        else if (existing && "connect" in attempt) warnings.push(`on this existing cluster (no NetworkPolicies) an attendee can ${a.what}`);
        else if (existing && "pullImage" in attempt) warnings.push(`on this existing cluster the nodes' registry credentials are the cluster's own (the stack gives its nodes none): whether an attendee can ${a.what} is not known`);
        else problems.push(`AttendeeEscape: an attendee can ${a.what}: ${v.reason}`);
    }
    for (const a of capabilities) {
        const v = judge(a.attempt(own, victim, base));
        if (v.layer !== "admitted") problems.push(`AttendeeBlocked: an attendee cannot ${a.what}: refused by ${v.layer} (${v.reason})`);
    }
    // Hands-on: what the attendee applies from the hand-out must be admitted too.
    // The stack's own lesson objects exist (the attendee changes them: an update); a hand-out's the attendee creates.
    const handedOut = handOutObjects(planned).filter(({ o }) => o.metadata?.namespace === own).map(({ o }) => o);
    const held = lessonObjects(plan, own, planned);
    const lessons = [...held, ...handedOut];
    for (const o of lessons) {
        const v = judge({ verb: held.includes(o) ? "update" : "create", object: o });
        if (v.layer !== "admitted") problems.push(`AttendeeBlocked: ${objectLabel(o)} of the lessons would be refused to its attendee by ${v.layer} (${v.reason})`);
    }
    // The pods of the namespace's workloads, sidecars included, under its LimitRange.
    for (const { object, reason } of workloadPodRefusals(planned.map(({ o }) => o), own, proxyResourcesOf(plan))) {
        problems.push(`AttendeeBlocked: the pods of ${objectLabel(object)} would be refused by LimitRange (${reason}): its rollout would never start`);
    }
    return { pair, problems, warnings, refused, allowed: capabilities.length, attacks: attacks.length, lessons: lessons.length };
}

/** One line for the plan's output. */
export function isolationSummary(r: IsolationReport): string | undefined {
    if (!r.pair) return undefined;
    const total = Object.values(r.refused).reduce((a, b) => a + b, 0);
    const by = Object.entries(r.refused)
        .map(([layer, n]) => `${layer} ${n}`)
        .join(", ");
    const open = r.warnings.length > 0 ? `\n${r.warnings.map((w) => `  ! ${w}`).join("\n")}` : "";
    return `Attendee isolation (${r.pair[0]}'s credentials against ${r.pair[1]}): ${total} of ${r.attacks} attacks refused (${by}); ${r.allowed} capabilities and ${r.lessons} lesson objects admitted${open}`;
}
