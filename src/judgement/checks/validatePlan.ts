/**
 * Checks a whole plan the way the cluster, Helm and `istioctl analyze` would,
 * before anything is applied, over the stack's own objects and every object
 * its Helm releases render (when they were rendered):
 *  - every object against its schema: `kubernetes-models` for Kubernetes' own
 *    kinds, the CRDs of the version being deployed for custom resources (Istio's
 *    come from the base chart; see `crdSchemas.ts`);
 *  - no two objects share kind, namespace and name;
 *  - every in-cluster address the configuration names resolves to a Service and port;
 *  - Prometheus' scrape annotations name a port the pod declares; every Istio gateway has a Service;
 *  - every values key the stack sets is one the chart declares and reads (`valuesCheck.ts`);
 *  - the mesh checks over all Services, workloads, DestinationRules, VirtualServices and Gateways;
 *  - istioctl analyze's unreachable-route and EnvoyFilter-order analyzers (`istioAnalyzers.ts`);
 *  - the policy pack's rules over the stack's own resources.
 * Each problem names the check, the object and its origin. What could not be
 * checked (no CRDs, releases not rendered) is reported as such, never as passed.
 */
import { planManifestUrls } from "../plan/manifests";
import { manifestProblems } from "../../workshop/charts";
import { CONFIG_SCHEMAS } from "../../workshop/charts";
import { CHECKS, PORT_NAME, hostServed } from "../../lessons/analyze";
import { selects } from "../../lessons/model";
import { evaluate } from "./policyRules";
import {
    addressProblems,
    admissionProblems,
    duplicateProblems,
    gatewayServiceProblems,
    objectLabel,
    originOf,
    planObjects,
    podSecurityProblems,
    podTemplates,
    scrapePortProblems,
    serviceOfHost,
    type PlanObject,
} from "./clusterChecks";
import { CrdValidator } from "./crdSchemas";
import { isGatewayApi } from "../../model/gatewayApiObjects";
import type { Plan } from "../plan/plan";
import { isLessonsRelease, stackMade } from "../plan/planEntries";
import { releaseInputs, type ReleaseReport } from "../plan/render";
import { isolationReport, type IsolationReport } from "../attacks/attackSuite";
import { visibilityProblems } from "./meshVisibility";
import { analyzerProblems } from "./istioAnalyzers";
import { declarationProblems } from "./valuesCheck";
import { type ChartValueChecks } from "./valuesCheck";

type Model = new (data: unknown) => { validate(): void };

function coreModel(apiVersion: string, kind: string): Model | undefined {
    try {
        return require(`kubernetes-models/${apiVersion}/${kind}`)[kind] as Model;
    } catch {
        return undefined; // a kind kubernetes-models does not know: nothing to check it against
    }
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

const modelViolations = (err: unknown) =>
    String((err as Error).message)
        .split(/,\s*(?=data\/)/)
        .map((m) => m.replace(/^data\//, ""));

export interface SchemaCheck {
    readonly problems: string[];
    /** Custom resources no CRD of the plan (or given) defines: not checked. */
    readonly unchecked: string[];
}

/** Schema problems of every Kubernetes object in the plan. */
export function schemaProblems(plan: Plan, crds: CrdValidator, objs: readonly PlanObject[] = planObjects(plan)): SchemaCheck {
    const problems: string[] = [];
    const unchecked = new Set<string>();
    const checked = new Map<string, string[]>();
    for (const { r, o } of objs) {
        const key = shapeKey(o);
        let violations = checked.get(key);
        if (violations === undefined) {
            if (crds.defines(o)) {
                violations = crds.violations(o);
            } else {
                const M = coreModel(o.apiVersion, o.kind);
                violations = [];
                if (!M) {
                    if (o.apiVersion.includes(".")) unchecked.add(`${o.apiVersion} ${o.kind}`);
                } else {
                    try {
                        new M(o).validate();
                    } catch (err) {
                        violations = modelViolations(err);
                    }
                }
            }
            checked.set(key, violations);
        }
        const code = o.apiVersion.includes("istio.io") ? "IST0106 SchemaValidationError" : "SchemaValidationError";
        for (const v of violations) problems.push(`${code}: ${objectLabel(o)} (${originOf(plan, r)}): ${v}`);
    }
    return { problems, unchecked: [...unchecked].sort() };
}

/** `reviews`, `reviews.demo`, `reviews.demo.svc.cluster.local` in namespace demo → `demo/reviews`; an external host as it is. */
function hostKey(host: string, namespace: string): string {
    const target = serviceOfHost(host, namespace);
    return target ? `${target.namespace}/${target.service}` : host;
}

/** Pods the plan does not show (a gateway release that was not rendered), as its values label them. */
function unrenderedGatewayPods(plan: Plan, rendered: ReadonlySet<string>) {
    return plan.resources
        .filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any).chart === "gateway" && !rendered.has(r.urn))
        .map((r) => ({
            namespace: String((r.inputs as any).namespace),
            labels: ((r.inputs as any).values?.labels ?? {}) as Record<string, string>,
            source: `release ${String((r.inputs as any).namespace)}/${String((r.inputs as any).name)} (not rendered: labels from its values)`,
        }));
}

/** The mesh checks over every object of the plan. */
export function meshProblems(plan: Plan, objs: readonly PlanObject[] = planObjects(plan), rendered: ReadonlySet<string> = new Set()): string[] {
    const of = (kind: string) => objs.filter(({ o }) => o.kind === kind);
    const ns = (o: any) => o.metadata?.namespace ?? "default";
    const pods = [...podTemplates(objs).filter((p) => p.replicas > 0), ...unrenderedGatewayPods(plan, rendered)];
    const podsIn = new Map<string, Record<string, string>[]>();
    for (const p of pods) podsIn.set(p.namespace, [...(podsIn.get(p.namespace) ?? []), p.labels]);
    const anyPod = (namespace: string, selector: Record<string, string>) => (podsIn.get(namespace) ?? []).some((labels) => selects(selector, labels));
    const services = new Map(of("Service").map(({ o }) => [`${ns(o)}/${o.metadata?.name}`, o]));
    const subsets = new Map<string, Set<string>>();
    const problems: string[] = [];
    const name = (x: PlanObject) => `${objectLabel(x.o)} (${originOf(plan, x.r)})`;
    const ours = stackMade(plan);
    const unrenderedIn = new Set(plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && !rendered.has(r.urn)).map((r) => String((r.inputs as any).namespace)));

    for (const x of of("Service")) {
        for (const p of x.o.spec?.ports ?? []) {
            if (p.name !== undefined && !PORT_NAME.test(p.name) && ours(x.r)) {
                problems.push(`${CHECKS.portName}: ${name(x)} port ${p.port} is named "${p.name}"`);
            }
        }
        const selector = x.o.spec?.selector;
        if (selector && !anyPod(ns(x.o), selector)) {
            problems.push(`${CHECKS.serviceNoPods}: ${name(x)} selects ${JSON.stringify(selector)}, which no workload's pods carry`);
        }
    }
    for (const x of of("DestinationRule")) {
        const key = hostKey(x.o.spec?.host ?? "", ns(x.o));
        const svc = services.get(key);
        const set = subsets.get(key) ?? new Set<string>();
        for (const s of x.o.spec?.subsets ?? []) {
            set.add(s.name);
            const wanted = { ...(svc?.spec?.selector ?? {}), ...(s.labels ?? {}) };
            if (!anyPod(key.split("/")[0], wanted)) {
                problems.push(`${CHECKS.subsetNoPods}: subset "${s.name}" of ${name(x)} selects ${JSON.stringify(s.labels ?? {})}, which no running workload's pods carry`);
            }
        }
        subsets.set(key, set);
    }
    const gateways = new Map(of("Gateway").filter(({ o }) => !isGatewayApi(o)).map(({ o }) => [`${ns(o)}/${o.metadata?.name}`, o]));
    // HTTPRoutes: the Gateway (and listener) each attaches to, and the Services and ports it sends to, are the plan's.
    const apiGateways = new Map(of("Gateway").filter(({ o }) => isGatewayApi(o)).map(({ o }) => [`${ns(o)}/${o.metadata?.name}`, o]));
    for (const x of of("HTTPRoute")) {
        for (const p of x.o.spec?.parentRefs ?? []) {
            if (p.kind === "Service") {
                // A mesh route (its Service's waypoint carries it out): the Service and the port must be the plan's.
                const svc = services.get(`${p.namespace ?? ns(x.o)}/${p.name}`);
                if (!svc || (p.port !== undefined && !(svc.spec?.ports ?? []).some((sp: any) => sp.port === p.port))) problems.push(`${CHECKS.missingReference}: ${name(x)} attaches to Service ${p.namespace ?? ns(x.o)}/${p.name}${p.port ? ` port ${p.port}` : ""}, which the plan does not create`);
                continue;
            }
            const gw = apiGateways.get(`${p.namespace ?? ns(x.o)}/${p.name}`);
            if (!gw || (p.sectionName !== undefined && !(gw.spec?.listeners ?? []).some((l: any) => l.name === p.sectionName))) {
                problems.push(`${CHECKS.missingReference}: ${name(x)} attaches to Gateway ${p.namespace ?? ns(x.o)}/${p.name}${p.sectionName ? ` listener ${p.sectionName}` : ""}, which the plan does not create`);
            }
        }
        (x.o.spec?.rules ?? []).forEach((r: any, i: number) => {
            for (const b of r.backendRefs ?? []) {
                const svc = services.get(`${b.namespace ?? ns(x.o)}/${b.name}`);
                // A Service a chart release makes (Kiali's, Grafana's) is known only once the release is rendered.
                if (!svc && unrenderedIn.has(b.namespace ?? ns(x.o))) continue;
                if (!svc || !(svc.spec?.ports ?? []).some((sp: any) => sp.port === b.port)) problems.push(`${CHECKS.missingReference}: ${name(x)} rules[${i}] sends to Service ${b.name} port ${b.port}, which the plan does not create`);
            }
        });
    }
    for (const x of of("VirtualService")) {
        const o = x.o;
        (o.spec?.http ?? []).forEach((h: any, i: number) => {
            const route = h.route ?? [];
            if (route.some((d: any) => d.weight !== undefined)) {
                const total = route.reduce((sum: number, d: any) => sum + (d.weight ?? 0), 0);
                if (total !== 100) problems.push(`${CHECKS.weights}: ${name(x)} http[${i}]: weights add up to ${total}, not 100`);
            }
            for (const d of route) {
                const subset = d.destination?.subset;
                const key = hostKey(d.destination?.host ?? "", ns(o));
                if (subset !== undefined && !subsets.get(key)?.has(subset)) {
                    problems.push(`${CHECKS.missingReference}: ${name(x)} http[${i}]: subset "${subset}" of host ${d.destination.host} is not defined by a DestinationRule; Istio would answer 503`);
                }
            }
        });
        for (const g of o.spec?.gateways ?? []) {
            if (g === "mesh") continue;
            const gw = gateways.get(g.includes("/") ? g : `${ns(o)}/${g}`);
            if (!gw) {
                problems.push(`${CHECKS.missingReference}: ${name(x)} is bound to gateway "${g}", which the plan does not create`);
                continue;
            }
            const served = (gw.spec?.servers ?? []).flatMap((s: any) => s.hosts ?? []);
            for (const h of o.spec?.hosts ?? []) {
                if (!hostServed(h, served)) problems.push(`${CHECKS.gatewayHost}: ${name(x)} host "${h}" is not served by gateway ${g}`);
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
    return policyViolations(plan, levels)[level];
}

/** Every policy violation of the plan, by the enforcement level its policy has. */
export function policyViolations(plan: Plan, levels: Record<string, EnforcementLevel> = {}): Record<EnforcementLevel, string[]> {
    // The policy pack sees what Pulumi registers, not what the charts render: the same subjects here.
    // What the stack writes: its resources and its lessons releases' objects (the pack sees those inside the releases' values).
    const ours = stackMade(plan);
    const subjects = plan.resources.filter((r) => r.custom && ours(r) && !isLessonsRelease(r)).map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
    const out: Record<EnforcementLevel, string[]> = { mandatory: [], advisory: [], disabled: [] };
    for (const v of evaluate(subjects)) out[levels[v.policy] ?? "mandatory"].push(`policy ${v.policy}: ${v.resource}: ${v.message}`);
    return out;
}

export interface ValidationOptions extends ChartValueChecks {
    /** Policy enforcement levels (default: every policy mandatory). */
    readonly levels?: Record<string, EnforcementLevel>;
    /** CRDs besides those the plan's releases render (the tests give Istio's upstream CRDs). */
    readonly crds?: readonly any[];
    /** What became of each release's render; absent: none was rendered. */
    readonly releases?: readonly ReleaseReport[];
    /** The objects of the plan's URL manifests found in the chart cache, by URL; absent: none found. */
    readonly manifests?: ReadonlyMap<string, readonly any[]>;
}

export interface ValidationReport {
    /** What fails the plan. */
    readonly problems: string[];
    /** What could not be checked, and why: never counted as passed. */
    readonly notChecked: string[];
    /** The attack suite over the plan's first two attendees (nothing without attendees). */
    readonly isolation: IsolationReport;
    /** Violations of policies made advisory: reported, not failing. */
    readonly advisory: string[];
}

/** Every check over the plan: what fails it, and what could not be checked. */
export function checkPlan(plan: Plan, options: ValidationOptions = {}): ValidationReport {
    const objs = planObjects(plan);
    const rendered = new Set((options.releases ?? []).filter((r) => r.result.status === "rendered").map((r) => r.urn));
    // Upstream charts' releases (a lessons release's objects are in the plan already).
    const releases = plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && !isLessonsRelease(r));
    const allRendered = releases.every((r) => rendered.has(r.urn));
    // The CRDs the plan installs: its charts' (rendered) and its manifests' (the Gateway API's, from the chart cache).
    const manifestCrds = [...(options.manifests?.values() ?? [])].flat().filter((o) => o?.kind === "CustomResourceDefinition");
    const crds = new CrdValidator([...(options.crds ?? []), ...objs.filter(({ o }) => o.kind === "CustomResourceDefinition").map(({ o }) => o), ...manifestCrds]);
    const schemas = schemaProblems(plan, crds, objs);
    const isolation = isolationReport(plan, objs);
    const policies = policyViolations(plan, options.levels);
    const addresses = addressProblems(plan, allRendered, objs);
    const values = releases.flatMap((r) => {
        const rel = releaseInputs(r);
        const defaults = options.chartDefaults?.get(r.urn);
        const declared = defaults === undefined ? [] : declarationProblems(rel.chart, rel.values, defaults);
        const unread = (options.unreadKeys?.get(r.urn) ?? []).map(
            (k) => `chart ${rel.chart}: values key ${k} of release ${rel.namespace}/${rel.name} changes nothing the chart renders: the chart does not read it`,
        );
        const config = options.configSchemaProblems?.get(r.urn) ?? [];
        return [...declared, ...unread, ...config].map((p) => `ValuesKeyIgnored: ${p}`);
    });
    const notChecked = [
        ...releases
            .filter((r) => !rendered.has(r.urn))
            .map((r) => {
                const rel = releaseInputs(r);
                const why = options.releases?.find((x) => x.urn === r.urn)?.result;
                return `release ${rel.namespace}/${rel.name} (chart ${rel.chart} ${rel.version}): not rendered, so its objects and whether the chart reads every values key are not checked${why?.status === "not rendered" ? ` (${why.reason})` : ""}`;
            }),
        ...releases
            .filter((r) => rendered.has(r.urn) && (!options.chartDefaults?.has(r.urn) || !options.unreadKeys?.has(r.urn)))
            .map((r) => `values keys of release ${releaseInputs(r).namespace}/${releaseInputs(r).name}: not checked against its chart`),
        ...releases
            .filter((r) => rendered.has(r.urn) && CONFIG_SCHEMAS[releaseInputs(r).chart] && !options.configSchemaProblems?.has(r.urn))
            .map((r) => {
                const rel = releaseInputs(r);
                return `values of release ${rel.namespace}/${rel.name} against ${CONFIG_SCHEMAS[rel.chart].kind}'s configuration schema: chart ${CONFIG_SCHEMAS[rel.chart].chart} ${rel.version} is not in the chart cache`;
            }),
        ...schemas.unchecked.map((k) => `schema of ${k}: no CustomResourceDefinition for it in the plan (${k.includes("gateway.networking.k8s.io") ? "the Gateway API's manifest is not in the chart cache" : "its chart was not rendered"})`),
        ...addresses.unverified.map((a) => `address ${a}: some releases were not rendered, so it may be one of theirs`),
        ...[...crds.cel.notEvaluated].map(([rule, why]) => `CEL rule ${rule}: could not be evaluated (${why})`),
        ...planManifestUrls(plan)
            .filter((url) => !options.manifests?.has(url))
            .map((url) => `manifest ${url}: the provider reads it at deploy time and it is not in the chart cache (run \`npm run charts\`), so its objects are not checked`),
    ];
    const problems = [
        ...[...(options.manifests ?? [])].flatMap(([url, objects]) => manifestProblems(url, objects)),
        ...schemas.problems,
        ...duplicateProblems(plan, objs),
        ...addresses.problems,
        ...scrapePortProblems(plan, objs),
        ...podSecurityProblems(plan, objs),
        ...admissionProblems(plan, objs),
        ...gatewayServiceProblems(plan, objs, unrenderedGatewayPods(plan, rendered)),
        ...values,
        ...meshProblems(plan, objs, rendered),
        ...visibilityProblems(plan, objs),
        ...analyzerProblems(plan, objs),
        ...isolation.problems,
        ...policies.mandatory,
    ];
    return { problems, notChecked, isolation, advisory: policies.advisory };
}

/** Every problem that fails the plan. */
export function validatePlan(plan: Plan, options: ValidationOptions = {}): string[] {
    return checkPlan(plan, options).problems;
}

/** What the validation covered, in one line. */
export function validationSummary(report: ValidationReport): string {
    return report.notChecked.length === 0
        ? "schemas, duplicates, addresses, scrape ports, Pod Security, admission policies, gateway Services, chart values, mesh checks, visibility and delegation, route and filter-order analyzers, attendee isolation, and policies: everything checked."
        : `schemas, duplicates, addresses, scrape ports, Pod Security, admission policies, gateway Services, chart values, mesh checks, visibility and delegation, route and filter-order analyzers, attendee isolation, and policies, except the ${report.notChecked.length} items listed under "Not checked".`;
}
