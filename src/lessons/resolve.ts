/**
 * The lessons a stack runs, from its settings: each enabled lesson at the stage
 * the class (or one attendee) is at, with the routes and subsets stack config
 * gives it; and where a namespace's gateway routes sit on the shared gateway.
 */
import { type Settings } from "../settings/schema";
import { bookinfo } from "./catalog/bookinfo";
import { ambient } from "./catalog/ambient";
import { egress } from "./catalog/egress";
import { grpc } from "./catalog/grpc";
import { helloworld } from "./catalog/helloworld";
import { mtls } from "./catalog/mtls";
import { myApp } from "./catalog/myApp";
import { tcp } from "./catalog/tcp";
import { type CatalogContext } from "./catalog/common";
import { ambientForm } from "./ambientForm";
import { OUT_OF_MESH_LABELS, STAGE_STATE_KEYS, type RoutingDef, type ScenarioDef, type StageState } from "./model";

export type Apps = Settings["apps"];

/** The scenario keys of `apps`, and the lesson each one builds. */
export const SCENARIOS = {
    helloworld: (ctx: CatalogContext) => helloworld(ctx),
    bookinfo: () => bookinfo(),
    myApp: () => myApp(),
    grpc: (ctx: CatalogContext) => grpc(ctx),
    mtls: (ctx: CatalogContext) => mtls(ctx),
    tcp: () => tcp(),
    egress: (ctx: CatalogContext) => egress(ctx),
    ambient: (ctx: CatalogContext) => ambient(ctx),
} as const;

export type ScenarioKey = keyof typeof SCENARIOS;

/** The lessons written for a data plane (`ScenarioDef.dataplane`): those one stack can run together. */
export function lessonKeys(dataplane: "sidecar" | "ambient"): ScenarioKey[] {
    return (Object.keys(SCENARIOS) as ScenarioKey[]).filter((key) => (SCENARIOS[key]({}).dataplane ?? "sidecar") === dataplane);
}

/** Requests per second of each traffic generator; undefined when traffic is off. */
export function trafficRate(apps: Pick<Apps, "traffic">): number | undefined {
    return apps.traffic.enabled ? apps.traffic.requestsPerSecond : undefined;
}

/** A lesson at one of its stages: that stage's routes, and its workloads without sidecars where the stage says so. */
export function atStage(base: ScenarioDef, stage: string | undefined): ScenarioDef {
    const at = base.stages?.find((x) => x.name === stage);
    if (!at) return base;
    // A stage's workload replaces the lesson's of the same name (e.g. ratings v1 failing half its answers).
    const own = new Map((at.workloads ?? []).map((w) => [w.name, w]));
    const all = [...base.workloads.map((w) => own.get(w.name) ?? w), ...(at.workloads ?? []).filter((w) => !base.workloads.some((b) => b.name === w.name))];
    const workloads = at.withoutSidecars ? all.map((w) => ({ ...w, labels: { ...w.labels, ...OUT_OF_MESH_LABELS } })) : all;
    const subsets = { ...base.subsets };
    for (const [host, extra] of Object.entries(at.subsets ?? {})) subsets[host] = { ...(subsets[host] ?? {}), ...extra };
    return {
        ...base,
        stage: at.name,
        routing: at.routing,
        withoutSidecars: at.withoutSidecars,
        workloads,
        subsets,
        ...(Object.fromEntries(STAGE_STATE_KEYS.map((k) => [k, at[k]])) as StageState),
    };
}

/**
 * The enabled scenarios, each at the stage the settings give it, with routes and
 * subsets from stack config replacing the stage's host by host.
 */
export function resolveScenarios(apps: Apps, dataplane: "sidecar" | "ambient" = "sidecar"): ScenarioDef[] {
    const ctx: CatalogContext = { rate: trafficRate(apps) };
    return (Object.keys(SCENARIOS) as ScenarioKey[])
        .filter((key) => apps[key].enabled)
        .map((key) => {
            // In ambient mode a sidecar lesson runs in its ambient form (the settings refuse what has none).
            const lesson = dataplane === "ambient" ? ambientForm(key, SCENARIOS[key](ctx))! : SCENARIOS[key](ctx);
            const base = atStage(lesson, apps[key].stage);
            const { routes = {}, subsets = {} } = apps[key];
            const configured: RoutingDef[] = Object.entries(routes).map(([host, rules]) => ({ host, rules, origin: `apps.${key}.routes.${host}` }));
            return {
                ...base,
                subsets: { ...base.subsets, ...subsets },
                routing: [...base.routing.filter((r) => !(r.host in routes)), ...configured],
            };
        });
}

/** The apps of one attendee: the class's, with the stages the classroom sets for them. */
export function appsAt(apps: Apps, stages: Partial<Record<ScenarioKey, string>> | undefined): Apps {
    if (!stages) return apps;
    const out: Record<string, unknown> = { ...apps };
    for (const [key, stage] of Object.entries(stages)) if (stage !== undefined) out[key] = { ...apps[key as ScenarioKey], stage };
    return out as Apps;
}

/**
 * Where an attendee's gateway routes live on the shared gateway, so attendees never
 * collide: under the path prefix `/<id>` (rewritten away before the app sees it),
 * or on the host `<id>.<domain>` when a domain is set.
 */
export interface GatewayPlacement {
    readonly prefix?: string;
    readonly host?: string;
    /**
     * The namespace's gateway routes are delegates of a root VirtualService the
     * platform owns (`rootRoutes`): they bind to no gateway and claim no host, so
     * an attendee can change their own routes and nobody else's.
     */
    readonly delegated?: boolean;
    /** How the gateway routes are written: VirtualServices on Istio's Gateway (default), or HTTPRoutes on the Gateway API's. */
    readonly api?: "istio" | "gateway-api";
}

export function gatewayPlacement(id: string | undefined, domain: string | undefined, api: "istio" | "gateway-api" = "istio"): GatewayPlacement {
    const how = api === "gateway-api" ? { api } : {};
    if (id === undefined) return how;
    // Gateway API routes attach to the Gateway themselves: no root route to delegate from.
    const delegated = api === "istio" ? { delegated: true } : {};
    return domain !== undefined ? { host: `${id}.${domain}`, ...delegated, ...how } : { prefix: `/${id}`, ...delegated, ...how };
}

export const gatewayRouteName = (s: Pick<ScenarioDef, "name">) => `${s.name}-gateway`;

/** Hosts of the gateway-bound VirtualServices the scenarios create, for every attendee. */
export function gatewayRouteHosts(ids: readonly string[], domain: string | undefined): string[] {
    return domain !== undefined && ids.length > 0 ? ids.map((id) => `${id}.${domain}`) : ["*"];
}
