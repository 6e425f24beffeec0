/**
 * Checks a whole plan the way the cluster and `istioctl analyze` would, before
 * anything is applied: every Kubernetes object against its upstream schema
 * (`kubernetes-models` for core kinds, Istio's CRD schemas for Istio kinds), and
 * the mesh checks over all Services, Deployments, DestinationRules,
 * VirtualServices and Gateways in the plan, whichever component made them.
 * Each problem names the check, the object and the plan resource.
 */
import { schemaViolations, type IstioKind } from "../../components/istioObjects";
import { evaluate } from "../../policy/rules";
import { CHECKS, PORT_NAME, hostServed } from "../../components/scenarios/analyze";
import { selects } from "../../components/scenarios/model";
import { SECRET, UNKNOWN, type Plan, type PlannedResource } from "./recorder";

const ISTIO_KINDS = new Set<string>(["Gateway", "VirtualService", "DestinationRule", "PeerAuthentication", "Telemetry"]);
const SKIPPED = /^kubernetes:(helm\.sh|yaml\/v2|apiextensions\.k8s\.io)/;

/** Drops values only the cloud knows, and masked secrets: the schema cannot judge them. */
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

type Model = new (data: unknown) => { validate(): void };

function coreModel(apiVersion: string, kind: string): Model | undefined {
    const dir = apiVersion.includes("/") ? apiVersion : `${apiVersion}`;
    try {
        return require(`kubernetes-models/${dir}/${kind}`)[kind] as Model;
    } catch {
        return undefined; // a kind kubernetes-models does not know: nothing to check it against
    }
}

function objectName(o: any): string {
    return `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name ?? "(unnamed)"}`;
}

/**
 * The object with its namespace written as one fixed DNS label: attendees' objects
 * differ only there, so one schema check covers them all (a namespace is a DNS label
 * wherever it appears, in names, hosts and path prefixes alike).
 */
function shapeKey(o: any): string {
    const ns = o.metadata?.namespace;
    const text = JSON.stringify(o);
    return typeof ns === "string" && ns.length > 0 ? text.split(ns).join("ns") : text;
}

/** Schema problems of every Kubernetes object in the plan. */
export function schemaProblems(plan: Plan): string[] {
    const problems: string[] = [];
    const checked = new Map<string, string[]>();
    for (const r of plan.resources) {
        if (!r.custom || !r.type.startsWith("kubernetes:") || r.type.startsWith("pulumi:") || SKIPPED.test(r.type)) continue;
        const o = withoutMarkers(r.inputs) as any;
        if (typeof o.kind !== "string" || typeof o.apiVersion !== "string") continue;
        const key = shapeKey(o);
        let violations: string[] = checked.get(key) ?? [];
        if (checked.has(key)) {
            // same shape as an object already checked
        } else if (ISTIO_KINDS.has(o.kind) && o.apiVersion.includes("istio.io")) {
            violations = schemaViolations(o.kind as IstioKind, o.metadata ?? {}, o.spec);
        } else {
            const M = coreModel(o.apiVersion, o.kind);
            if (!M) continue;
            try {
                new M(o).validate();
            } catch (err) {
                violations = String((err as Error).message)
                    .split(/,\s*(?=data\/)/)
                    .map((m) => m.replace(/^data\//, ""));
            }
        }
        checked.set(key, violations);
        const code = o.apiVersion.includes("istio.io") ? "IST0106 SchemaValidationError" : "SchemaValidationError";
        for (const v of violations) problems.push(`${code}: ${objectName(o)} (${r.name}): ${v}`);
    }
    return problems;
}

interface Obj {
    readonly r: PlannedResource;
    readonly o: any;
}


/** `reviews`, `reviews.demo`, `reviews.demo.svc.cluster.local` in namespace demo → `demo/reviews`. */
function hostKey(host: string, namespace: string): string {
    const parts = host.split(".");
    return parts.length === 1 ? `${namespace}/${host}` : `${parts[1]}/${parts[0]}`;
}

/** The mesh checks over every object of the plan. */
export function meshProblems(plan: Plan): string[] {
    const objs: Obj[] = plan.resources
        .filter((r) => r.custom && r.type.startsWith("kubernetes:"))
        .map((r) => ({ r, o: withoutMarkers(r.inputs) as any }))
        .filter(({ o }) => typeof o.kind === "string");
    const of = (kind: string) => objs.filter(({ o }) => o.kind === kind);
    const ns = (o: any) => o.metadata?.namespace ?? "default";
    const pods: { namespace: string; labels: Record<string, string> }[] = of("Deployment")
        .filter(({ o }) => (o.spec?.replicas ?? 1) > 0)
        .map(({ o }) => ({ namespace: ns(o), labels: o.spec?.template?.metadata?.labels ?? {} }));
    // Pods a Helm release runs are not objects of the plan; Istio's gateway chart labels them from its values.
    for (const r of plan.resources.filter((x) => x.type === "kubernetes:helm.sh/v3:Release" && x.inputs.chart === "gateway")) {
        pods.push({ namespace: String(r.inputs.namespace), labels: ((r.inputs.values as any)?.labels ?? {}) as Record<string, string> });
    }
    const podsIn = new Map<string, Record<string, string>[]>();
    const services = new Map(of("Service").map(({ o }) => [`${ns(o)}/${o.metadata?.name}`, o]));
    const subsets = new Map<string, Set<string>>();
    const problems: string[] = [];

    for (const p of pods) podsIn.set(p.namespace, [...(podsIn.get(p.namespace) ?? []), p.labels]);
    const anyPod = (namespace: string, selector: Record<string, string>) => (podsIn.get(namespace) ?? []).some((labels) => selects(selector, labels));
    for (const { r, o } of of("Service")) {
        for (const p of o.spec?.ports ?? []) {
            if (p.name !== undefined && !PORT_NAME.test(p.name)) {
                problems.push(`${CHECKS.portName}: ${objectName(o)} (${r.name}) port ${p.port} is named "${p.name}"`);
            }
        }
        const selector = o.spec?.selector;
        if (selector && !anyPod(ns(o), selector)) {
            problems.push(`${CHECKS.serviceNoPods}: ${objectName(o)} (${r.name}) selects ${JSON.stringify(selector)}, which no Deployment's pods carry`);
        }
    }
    for (const { r, o } of of("DestinationRule")) {
        const key = hostKey(o.spec?.host ?? "", ns(o));
        const svc = services.get(key);
        const set = subsets.get(key) ?? new Set<string>();
        for (const s of o.spec?.subsets ?? []) {
            set.add(s.name);
            const wanted = { ...(svc?.spec?.selector ?? {}), ...(s.labels ?? {}) };
            if (!anyPod(key.split("/")[0], wanted)) {
                problems.push(`${CHECKS.subsetNoPods}: subset "${s.name}" of ${objectName(o)} (${r.name}) selects ${JSON.stringify(s.labels ?? {})}, which no running Deployment's pods carry`);
            }
        }
        subsets.set(key, set);
    }
    const gateways = new Map(of("Gateway").map(({ o }) => [`${ns(o)}/${o.metadata?.name}`, o]));
    for (const { r, o } of of("VirtualService")) {
        (o.spec?.http ?? []).forEach((h: any, i: number) => {
            const route = h.route ?? [];
            if (route.some((d: any) => d.weight !== undefined)) {
                const total = route.reduce((sum: number, d: any) => sum + (d.weight ?? 0), 0);
                if (total !== 100) problems.push(`${CHECKS.weights}: ${objectName(o)} (${r.name}) http[${i}]: weights add up to ${total}, not 100`);
            }
            for (const d of route) {
                const subset = d.destination?.subset;
                const key = hostKey(d.destination?.host ?? "", ns(o));
                if (subset !== undefined && !subsets.get(key)?.has(subset)) {
                    problems.push(`${CHECKS.missingReference}: ${objectName(o)} (${r.name}) http[${i}]: subset "${subset}" of host ${d.destination.host} is not defined by a DestinationRule; Istio would answer 503`);
                }
            }
        });
        for (const g of o.spec?.gateways ?? []) {
            if (g === "mesh") continue;
            const gw = gateways.get(g.includes("/") ? g : `${ns(o)}/${g}`);
            if (!gw) {
                problems.push(`${CHECKS.missingReference}: ${objectName(o)} (${r.name}) is bound to gateway "${g}", which the plan does not create`);
                continue;
            }
            const served = (gw.spec?.servers ?? []).flatMap((s: any) => s.hosts ?? []);
            for (const h of o.spec?.hosts ?? []) {
                if (!hostServed(h, served)) problems.push(`${CHECKS.gatewayHost}: ${objectName(o)} (${r.name}) host "${h}" is not served by gateway ${g}`);
            }
        }
    }
    return problems;
}

export type EnforcementLevel = "mandatory" | "advisory" | "disabled";

/**
 * Enforcement levels from a policy pack config file (`--policy-pack-config` format:
 * `{ "<policy>": "advisory" }` or `{ "<policy>": { "enforcementLevel": "advisory" } }`).
 */
export function policyLevels(config: Record<string, unknown>): Record<string, EnforcementLevel> {
    const levels: Record<string, EnforcementLevel> = {};
    for (const [policy, v] of Object.entries(config)) {
        const level = typeof v === "string" ? v : (v as { enforcementLevel?: unknown })?.enforcementLevel;
        if (level !== "mandatory" && level !== "advisory" && level !== "disabled") {
            throw new Error(`policy config: ${policy} must be "mandatory", "advisory" or "disabled", got ${JSON.stringify(level)}`);
        }
        levels[policy] = level;
    }
    return levels;
}

/** The policy pack's rules over the plan's resources, at one enforcement level (default: every rule mandatory). */
export function policyProblems(plan: Plan, levels: Record<string, EnforcementLevel> = {}, level: EnforcementLevel = "mandatory"): string[] {
    const subjects = plan.resources.filter((r) => r.custom).map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
    return evaluate(subjects)
        .filter((v) => (levels[v.policy] ?? "mandatory") === level)
        .map((v) => `policy ${v.policy}: ${v.resource}: ${v.message}`);
}

/** Every problem that fails the plan: schemas, the mesh checks, then the mandatory policies. */
export function validatePlan(plan: Plan, levels: Record<string, EnforcementLevel> = {}): string[] {
    return [...schemaProblems(plan), ...meshProblems(plan), ...policyProblems(plan, levels)];
}
