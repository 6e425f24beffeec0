/**
 * What each proxy sees, as istiod decides it: a Service, VirtualService or
 * DestinationRule is visible in the namespaces its `exportTo` names (for a
 * Service, the `networking.istio.io/exportTo` annotation), or else in those
 * of the mesh config's `default*ExportTo` (Istio's own default: everywhere).
 * And how istiod merges a root VirtualService with its delegates
 * (pilot/pkg/model/virtualservice*.go): a delegate is used only if it exists,
 * has no hosts, and is exported to the root's namespace; each of its routes is
 * kept only where its match lies within the root route's match.
 *
 * A route the gateway cannot see, or a delegate route Istio drops, fails only
 * at request time (404 or 503): here it fails the plan.
 */
import YAML from "yaml";
import { EXPORT_TO_ANNOTATION } from "../../model/platform";
import { HAND_OUT_LABELS } from "../../lessons/handOut";
import { objectLabel, originOf, serviceOfHost, type PlanObject } from "./clusterChecks";
import type { Plan } from "../plan/plan";
import { injectionEnabled } from "../kubernetes/injection";

export const VISIBILITY_CHECKS = {
    notVisible: "NotVisible",
    delegate: "DelegateRouteDropped",
} as const;

type Kind = "Service" | "VirtualService" | "DestinationRule";
const MESH_DEFAULT_KEYS: Record<Kind, string> = {
    Service: "defaultServiceExportTo",
    VirtualService: "defaultVirtualServiceExportTo",
    DestinationRule: "defaultDestinationRuleExportTo",
};

/** The values of the plan's istiod release (none: the chart's defaults). */
function istiodValuesOf(plan: Plan): Record<string, any> {
    const istiod = plan.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any).chart === "istiod");
    return ((istiod?.inputs as any)?.values ?? {}) as Record<string, any>;
}

/** The mesh config of the plan's istiod release (none: Istio's defaults). */
export function meshConfigOf(plan: Plan): Record<string, any> {
    return istiodValuesOf(plan).meshConfig ?? {};
}

/** The environment of the plan's istiod (`pilot.env`; none: the chart's). */
export function istiodEnvOf(plan: Plan): Readonly<Record<string, string>> {
    return istiodValuesOf(plan).pilot?.env ?? {};
}

/** The resources of the sidecar the plan's istiod injects (`global.proxy.resources`; none: the chart's). */
export function proxyResourcesOf(plan: Plan): { readonly limits?: Record<string, string>; readonly requests?: Record<string, string> } | undefined {
    return istiodValuesOf(plan).global?.proxy?.resources;
}

/** The namespaces an object is visible in: a set of names, or "*" for all. */
export function visibleIn(o: any, meshConfig: Record<string, any>): ReadonlySet<string> | "*" {
    const ns = o.metadata?.namespace ?? "default";
    const own: string[] | undefined =
        o.kind === "Service"
            ? o.metadata?.annotations?.[EXPORT_TO_ANNOTATION]
                  ?.split(",")
                  .map((x: string) => x.trim())
                  .filter((x: string) => x !== "")
            : o.spec?.exportTo;
    const list: string[] = own && own.length > 0 ? own : (meshConfig[MESH_DEFAULT_KEYS[o.kind as Kind]] ?? ["*"]);
    if (list.includes("*")) return "*";
    return new Set(list.map((x) => (x === "." ? ns : x)));
}

const seenBy = (visible: ReadonlySet<string> | "*", namespace: string) => visible === "*" || visible.has(namespace);

/** Does a delegate's match lie within the root's? (Istio's `stringMatchConflict`, for URIs.) */
export function uriWithin(root: any, leaf: any): boolean {
    if (!root || !leaf) return true;
    if (root.regex !== undefined || leaf.regex !== undefined) return false;
    if (root.exact !== undefined) return leaf.exact === root.exact;
    if (root.prefix !== undefined) return (leaf.prefix ?? leaf.exact ?? "").startsWith(root.prefix);
    return false;
}

/**
 * The routing objects of the plan's hand-outs (hands-on mode), each under the
 * ConfigMap that carries it, as the attendee would apply them.
 */
export function handOutObjects(objs: readonly PlanObject[]): PlanObject[] {
    return objs
        .filter(({ o }) => o.kind === "ConfigMap" && Object.entries(HAND_OUT_LABELS).every(([k, v]) => o.metadata?.labels?.[k] === v))
        .flatMap((cm) =>
            Object.entries<string>(cm.o.data ?? {})
                .filter(([file]) => file.endsWith(".yaml"))
                .flatMap(([file, text]) =>
                    YAML.parseAllDocuments(text)
                        .map((d) => d.toJS())
                        .filter((o) => o && typeof o === "object")
                        .map((o) => ({ r: { ...cm.r, name: `${cm.r.name} ${file}` }, o })),
                ),
        );
}

export function visibilityProblems(plan: Plan, objs: readonly PlanObject[]): string[] {
    const mesh = meshConfigOf(plan);
    const ns = (o: any) => o.metadata?.namespace ?? "default";
    const key = (o: any) => `${ns(o)}/${o.metadata?.name}`;
    const services = new Map(objs.filter(({ o }) => o.kind === "Service").map((x) => [key(x.o), x] as const));
    const virtualServices = objs.filter(({ o }) => o.kind === "VirtualService");
    const byName = new Map(virtualServices.map((x) => [key(x.o), x] as const));
    const handedOut = new Map<string, PlanObject[]>();
    for (const h of handOutObjects(objs).filter((h) => h.o.kind === "VirtualService")) handedOut.set(key(h.o), [...(handedOut.get(key(h.o)) ?? []), h]);
    const name = (x: PlanObject) => `${objectLabel(x.o)} (${originOf(plan, x.r)})`;
    const problems: string[] = [];

    /** Every destination of a VirtualService's routes must be a Service the reading proxies see. */
    const destinationsSeen = (x: PlanObject, readers: readonly string[], what: string) => {
        for (const h of x.o.spec?.http ?? []) {
            for (const d of h.route ?? []) {
                const target = serviceOfHost(d.destination?.host ?? "", ns(x.o));
                const svc = target && services.get(`${target.namespace}/${target.service}`);
                if (!svc) continue; // an unknown host is the address check's finding
                for (const reader of readers) {
                    if (!seenBy(visibleIn(svc.o, mesh), reader)) {
                        problems.push(`${VISIBILITY_CHECKS.notVisible}: ${name(x)} routes ${what} to ${objectLabel(svc.o)}, which is not exported to namespace ${reader}: its proxies would answer 503`);
                    }
                }
            }
        }
    };

    // Every injected namespace's proxies send to the mesh's extension providers (tracing): they must see their Services.
    const injected = objs.filter(({ o }) => injectionEnabled(o)).map(({ o }) => String(o.metadata.name));
    for (const p of mesh.extensionProviders ?? []) {
        const config = Object.values(p).find((v: any) => typeof v?.service === "string") as { service: string } | undefined;
        const target = config && serviceOfHost(config.service, "default");
        const svc = target && services.get(`${target.namespace}/${target.service}`);
        if (!svc) continue;
        for (const reader of injected.filter((n) => !seenBy(visibleIn(svc.o, mesh), n))) {
            problems.push(`${VISIBILITY_CHECKS.notVisible}: mesh extension provider "${p.name}" sends to ${objectLabel(svc.o)}, which is not exported to namespace ${reader}: its proxies would drop what they send`);
        }
    }

    for (const x of virtualServices) {
        const gateways: string[] = (x.o.spec?.gateways ?? []).filter((g: string) => g !== "mesh");
        const readers = gateways.map((g) => (g.includes("/") ? g.split("/")[0] : ns(x.o)));
        for (const reader of readers) {
            if (!seenBy(visibleIn(x.o, mesh), reader)) {
                problems.push(`${VISIBILITY_CHECKS.notVisible}: ${name(x)} is bound to a gateway in namespace ${reader} but not exported there: the gateway never sees it`);
            }
        }
        if (readers.length > 0) destinationsSeen(x, readers, "gateway traffic");
        (x.o.spec?.http ?? []).forEach((root: any, i: number) => {
            if (!root.delegate) return;
            const target = `${root.delegate.namespace ?? ns(x.o)}/${root.delegate.name}`;
            const here = `${name(x)} http[${i}] hands over to VirtualService ${target}`;
            const planned = byName.get(target);
            // Hands-on: the attendee applies the delegate, one stage at a time; every stage's must fit the root.
            const candidates = planned ? [planned] : (handedOut.get(target) ?? []);
            if (candidates.length === 0) return void problems.push(`${VISIBILITY_CHECKS.delegate}: ${here}, which neither the plan nor a hand-out creates`);
            for (const d of candidates) checkDelegate(x, root, d, here, readers);
        });
    }
    return [...new Set(problems)];

    function checkDelegate(x: PlanObject, root: any, d: PlanObject, here: string, readers: string[]): void {
        if ((d.o.spec?.hosts ?? []).length > 0) return void problems.push(`${VISIBILITY_CHECKS.delegate}: ${here}, which has hosts: Istio uses only a VirtualService without hosts as a delegate`);
        if (!seenBy(visibleIn(d.o, mesh), ns(x.o))) return void problems.push(`${VISIBILITY_CHECKS.delegate}: ${here}, which is not exported to namespace ${ns(x.o)}: Istio ignores it`);
        (d.o.spec?.http ?? []).forEach((leaf: any, j: number) => {
            const fits = (leaf.match ?? [{}]).every((lm: any) => (root.match ?? [{}]).some((rm: any) => uriWithin(rm.uri, lm.uri)));
            if (!fits) {
                problems.push(`${VISIBILITY_CHECKS.delegate}: ${name(d)} http[${j}] matches ${JSON.stringify(leaf.match)}, outside ${here.split(" hands")[0]}'s match ${JSON.stringify(root.match)}: Istio drops the route`);
            }
        });
        destinationsSeen(d, readers, "gateway traffic");
    }
}
