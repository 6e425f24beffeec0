/**
 * The Kubernetes Gateway API at a gateway pod, as a model of what istiod 1.30.3 makes of it (a model, not istiod:
 * every rule below is one read in istio/istio at tag 1.30.3, `pilot/pkg/config/kube/gateway/`):
 *  - a `Gateway` whose address is a Hostname is served by the pods of that Service (manual deployment,
 *    `gatewaycommon.IsManaged`, `extractGatewayServices`); each listener serves its port, HTTPS with its
 *    certificate's Secret;
 *  - an HTTPRoute attaches to a listener its parentRef names (the Gateway, and the listener by `sectionName`, or
 *    all of them without one) when the listener's `allowedRoutes` admits the route's namespace (Same by default,
 *    All, or a Selector on the namespace's labels), for its `hostnames` (none: any host);
 *  - the routes of one host are merged across HTTPRoutes, oldest HTTPRoute first (then namespace, then name:
 *    `sortRoutesByCreationTime`), each rule's match a route of its own, then sorted by the Gateway API's precedence
 *    (`sortHTTPRoutes`: exact path over prefix, longer path first, a method match, more headers, more query
 *    parameters); Envoy takes the most specific host, then the first route whose match holds; a path prefix matches
 *    whole path elements (`PathSeparatedPrefix`, `route.go`);
 *  - filters: RequestRedirect (302 unless a status is set), URLRewrite (a prefix or the full path); backends:
 *    Services of the route's namespace, by weight (1 unless set); none: 404; only zero weights: 500
 *    (`convertHTTPRoute`); a backend in another namespace without a ReferenceGrant is invalid: 500.
 * The CRDs' defaults are applied first (a rule without matches matches the prefix `/`). What it does not model it
 * refuses with NotModelled, naming it.
 */
import { selectorMatches } from "../kubernetes/network";
import { isGatewayApi } from "../../model/gatewayApiObjects";
import { NotModelled, type ModelPod } from "./apps";

/** What the model reads of a request. */
export interface ApiRequest {
    readonly port: number;
    readonly scheme: string;
    readonly host: string;
    readonly path: string;
    readonly method: string;
    readonly headers: Readonly<Record<string, string>>;
}

/** How the model looks objects up (the mesh's own index). */
export interface ApiLookup {
    readonly objects: (kind: string, ns?: string) => any[];
}

/** What the gateway does with a request: nothing (no listener: the connection fails), an answer, or a route (VirtualService-shaped) to carry out. */
export type ApiOutcome = { readonly kind: "none" } | { readonly kind: "answer"; readonly status: number } | { readonly kind: "route"; readonly route: any; readonly namespace: string; readonly path: string };

/**
 * The Services a Gateway's Hostname addresses name (manual deployment; `extractGatewayServices`): a short name is of
 * the Gateway's namespace, `name.namespace[.svc[.cluster.local]]` of that namespace.
 */
export function addressedServices(gateway: any, services: readonly any[]): any[] {
    return (gateway.spec?.addresses ?? [])
        .filter((a: any) => a.type === undefined || a.type === "Hostname")
        .flatMap((a: any) => {
            const [name, namespace = gateway.metadata.namespace] = String(a.value).split(".");
            return services.filter((svc) => svc.metadata?.name === name && svc.metadata?.namespace === namespace);
        });
}

/** The Gateway API Gateways a pod serves (their Hostname address is a Service selecting it). */
export function apiGatewaysOf(lookup: ApiLookup, pod: ModelPod): any[] {
    return lookup
        .objects("Gateway")
        .filter((g) => isGatewayApi(g) && addressedServices(g, lookup.objects("Service")).some((svc) => svc.metadata.namespace === pod.namespace && selectorMatches({ matchLabels: svc.spec?.selector ?? { "": "none" } }, pod.labels)));
}

const hostMatches = (pattern: string, host: string) => pattern === host || (pattern.startsWith("*.") && host.endsWith(pattern.slice(1)));
/** How specific a host pattern is (Envoy picks the most specific virtual host): exact, then the longest wildcard, then any. */
const specificity = (pattern: string) => (pattern === "*" ? 0 : pattern.startsWith("*.") ? pattern.length : 10_000 + pattern.length);

function admits(lookup: ApiLookup, gw: any, listener: any, route: any): boolean {
    const from = listener.allowedRoutes?.namespaces?.from ?? "Same";
    if (from === "All") return true;
    if (from === "Same") return route.metadata.namespace === gw.metadata.namespace;
    const selector = listener.allowedRoutes?.namespaces?.selector ?? {};
    if (selector.matchExpressions) throw new NotModelled("an allowedRoutes selector with matchExpressions");
    const ns = lookup.objects("Namespace").find((n) => n.metadata?.name === route.metadata.namespace);
    return ns !== undefined && selectorMatches({ matchLabels: selector.matchLabels ?? {} }, { "kubernetes.io/metadata.name": ns.metadata.name, ...(ns.metadata.labels ?? {}) });
}

const attachesTo = (route: any, gw: any, listener: any) =>
    (route.spec?.parentRefs ?? []).some(
        (p: any) =>
            (p.kind ?? "Gateway") === "Gateway" &&
            p.name === gw.metadata.name &&
            (p.namespace ?? route.metadata.namespace) === gw.metadata.namespace &&
            (p.sectionName === undefined || p.sectionName === listener.name) &&
            (p.port === undefined || p.port === listener.port),
    );

interface Entry {
    readonly route: any;
    readonly rule: any;
    readonly match: any;
}

const pathOf = (m: any) => m.path ?? { type: "PathPrefix", value: "/" };
const rank = (m: any) => ({ Exact: 3, PathPrefix: 2, RegularExpression: 1 })[pathOf(m).type as string] ?? -1;
const trimmed = (prefix: string) => (prefix === "/" ? "/" : prefix.replace(/\/$/, ""));
const pathLength = (m: any) => (pathOf(m).type === "PathPrefix" ? trimmed(pathOf(m).value) : String(pathOf(m).value)).length;

/** sortHTTPRoutes: the Gateway API's precedence, stable over the creation order. */
function precedence(a: Entry, b: Entry): number {
    return rank(b.match) - rank(a.match) || pathLength(b.match) - pathLength(a.match) || Number(b.match.method !== undefined) - Number(a.match.method !== undefined) || (b.match.headers?.length ?? 0) - (a.match.headers?.length ?? 0) || (b.match.queryParams?.length ?? 0) - (a.match.queryParams?.length ?? 0);
}

function matches(m: any, req: ApiRequest): boolean {
    for (const k of Object.keys(m)) if (!["path", "headers", "method"].includes(k)) throw new NotModelled(`the HTTPRoute match field ${k}`);
    const p = pathOf(m);
    if (p.type !== "Exact" && p.type !== "PathPrefix") throw new NotModelled(`the path match ${p.type}`);
    const path = req.path.split("?")[0];
    const prefix = trimmed(p.value);
    const pathOk = p.type === "Exact" ? path === p.value : prefix === "/" || path === prefix || path.startsWith(`${prefix}/`);
    const headersOk = (m.headers ?? []).every((h: any) => {
        if ((h.type ?? "Exact") !== "Exact") throw new NotModelled(`the header match ${h.type}`);
        return req.headers[String(h.name).toLowerCase()] === h.value;
    });
    return pathOk && headersOk && (m.method === undefined || m.method === req.method);
}

/** The matched rule carried out as the VirtualService route istiod converts it to, on the path after its rewrite. */
function converted(lookup: ApiLookup, { route, rule, match }: Entry, req: ApiRequest): ApiOutcome {
    let path = req.path;
    let redirect: any;
    for (const f of rule.filters ?? []) {
        if (f.type === "RequestRedirect") redirect = { redirectCode: f.requestRedirect?.statusCode ?? 302 };
        else if (f.type === "URLRewrite" && f.urlRewrite?.path?.type === "ReplacePrefixMatch") {
            const prefix = trimmed(pathOf(match).value);
            path = `${trimmed(f.urlRewrite.path.replacePrefixMatch)}${path.slice(prefix === "/" ? 0 : prefix.length)}`.replace(/^\/\//, "/") || "/";
        } else if (f.type === "URLRewrite" && f.urlRewrite?.path?.type === "ReplaceFullPath") path = f.urlRewrite.path.replaceFullPath;
        else throw new NotModelled(`the HTTPRoute filter ${JSON.stringify(f)}`);
    }
    const ns = route.metadata.namespace;
    if (redirect) return { kind: "route", route: { redirect }, namespace: ns, path };
    const refs = rule.backendRefs ?? [];
    if (refs.length === 0) return { kind: "answer", status: 404 };
    const weight = (r: any) => r.weight ?? 1;
    if (refs.every((r: any) => weight(r) === 0)) return { kind: "answer", status: 500 };
    const granted = (r: any) => (r.namespace ?? ns) === ns || lookup.objects("ReferenceGrant", r.namespace).some((g) => (g.spec?.from ?? []).some((f: any) => f.kind === "HTTPRoute" && f.namespace === ns));
    if (refs.some((r: any) => (r.kind ?? "Service") !== "Service")) throw new NotModelled("an HTTPRoute backend that is not a Service");
    if (!refs.every(granted)) return { kind: "answer", status: 500 };
    const timeout = rule.timeouts?.request !== undefined ? { timeout: rule.timeouts.request } : {};
    return {
        kind: "route",
        route: { ...timeout, route: refs.map((r: any) => ({ destination: { host: `${r.name}.${r.namespace ?? ns}.svc.cluster.local`, port: { number: r.port } }, weight: weight(r) })) },
        namespace: ns,
        path,
    };
}

/** A request at a gateway pod that serves Gateway API Gateways: its listener, the host's routes, the first that matches. */
export function apiGatewayOutcome(lookup: ApiLookup, gw: ModelPod, req: ApiRequest): ApiOutcome {
    for (const g of apiGatewaysOf(lookup, gw)) {
        const listener = (g.spec?.listeners ?? []).find((l: any) => l.port === req.port && (l.hostname === undefined || hostMatches(l.hostname, req.host)));
        if (!listener) continue;
        const tls = listener.protocol === "HTTPS";
        if (tls !== (req.scheme === "https")) return { kind: "none" };
        if (tls && !(listener.tls?.certificateRefs ?? []).some((c: any) => lookup.objects("Secret", g.metadata.namespace).some((s) => s.metadata.name === c.name))) return { kind: "none" };
        return routesOutcome(lookup, lookup.objects("HTTPRoute").filter((r) => attachesTo(r, g, listener) && admits(lookup, g, listener, r)), req, (r) => (r.spec?.hostnames?.length ? r.spec.hostnames : ["*"]));
    }
    return { kind: "none" };
}

/** The routes of the request's host, merged oldest first and by precedence, the first that matches carried out (none matches: 404). */
function routesOutcome(lookup: ApiLookup, attached: readonly any[], req: ApiRequest, hostsOf: (r: any) => string[]): ApiOutcome {
    const routes = [...attached].sort(
        (a, b) => String(a.metadata?.creationTimestamp ?? "").localeCompare(String(b.metadata?.creationTimestamp ?? "")) || a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name),
    );
    // Envoy's virtual host: the most specific of the hosts the routes name (none: any) that the request's matches.
    const candidates = [...new Set(routes.flatMap(hostsOf))].filter((h) => h === "*" || hostMatches(h, req.host)).sort((a, b) => specificity(b) - specificity(a));
    if (candidates.length === 0) return { kind: "answer", status: 404 };
    const entries: Entry[] = routes
        .filter((r) => hostsOf(r).includes(candidates[0]))
        .flatMap((route) => (route.spec?.rules ?? [{}]).flatMap((rule: any) => (rule.matches?.length ? rule.matches : [{ path: { type: "PathPrefix", value: "/" } }]).map((match: any) => ({ route, rule, match }))));
    const chosen = [...entries].sort(precedence).find((e) => matches(e.match, req));
    return chosen ? converted(lookup, chosen, req) : { kind: "answer", status: 404 };
}

/**
 * A request to a Service at its waypoint: the HTTPRoutes of the Service's namespace whose parent is the Service
 * (the Gateway API's mesh routes; a parentRef's port, when set, the request's), or none (the Service itself).
 */
export function apiServiceOutcome(lookup: ApiLookup, svc: any, req: ApiRequest): ApiOutcome {
    const ns = svc.metadata.namespace;
    const attached = lookup
        .objects("HTTPRoute", ns)
        .filter((r) => (r.spec?.parentRefs ?? []).some((p: any) => p.kind === "Service" && (p.group ?? "") === "" && p.name === svc.metadata.name && (p.namespace ?? ns) === ns && (p.port === undefined || p.port === req.port)));
    return attached.length === 0 ? { kind: "none" } : routesOutcome(lookup, attached, req, () => ["*"]);
}
