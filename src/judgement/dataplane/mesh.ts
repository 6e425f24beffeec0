/**
 * The data plane, as a model: what one request meets on its way through the
 * mesh, evaluated over the objects a cluster holds at that moment. It is a
 * model of Envoy as istiod configures it (Istio 1.30.3), not Envoy; every
 * behaviour it claims is one the Istio API reference states:
 *  - the caller's sidecar: the VirtualServices it sees (exportTo, the mesh's
 *    default visibility, its Sidecar's imported namespaces), the first HTTP or
 *    TCP route whose match holds (uri, headers, sourceLabels, port, method),
 *    faults, weights to DestinationRule subsets, retries, the route timeout,
 *    mirrors (counted on the caller's proxy, as its statistics count them), a
 *    connection pool's overflow under concurrent requests; a host it does not
 *    know goes by its outbound policy (ALLOW_ANY passes through, REGISTRY_ONLY
 *    answers 502) unless a ServiceEntry names it;
 *  - gateways: Gateway servers by port and host (HTTPS needs its certificate's
 *    Secret; `httpsRedirect` answers 301), the VirtualServices bound to them in
 *    creation order, delegates (a root route whose delegate does not exist is
 *    dropped), 404 where nothing matches; the Gateway API's Gateways and
 *    HTTPRoutes as istiod converts them (`gatewayApi.ts`);
 *  - ambient pods (no sidecar, the node's ztunnel): the receiving ztunnel's L4
 *    checks (`ztunnel.ts`); HTTP routing and L7 policy only at a waypoint (`waypoint.ts`);
 *  - the server's pod: NetworkPolicy, PeerAuthentication (STRICT resets a
 *    caller without a sidecar), RequestAuthentication (RS256 against the inline
 *    JWKS; an invalid token 401), AuthorizationPolicy (DENY, then ALLOW),
 *    a local rate limit EnvoyFilter's token bucket, then the app (`apps.ts`).
 * What it does not model it refuses with NotModelled, naming it.
 */
import { createHash } from "crypto";
import { tokenVerdict } from "./jwt";
import { authorizationRefusal, networkRefusal, selectorMatches } from "../kubernetes/network";
import { EXPORT_TO_ANNOTATION, HBONE_PORT } from "../../model/platform";
import { NotModelled, appAnswer, requestMetric, type Answer, type AppRequest, type ModelPod, type Replies } from "./apps";
import { apiGatewayOutcome, apiGatewaysOf, apiServiceOutcome, type ApiLookup } from "./gatewayApi";
import { waypointOf, waypointPods, waypointRefusal } from "./waypoint";
import { isGatewayApi } from "../../model/gatewayApiObjects";
import { ztunnelRefusal } from "./ztunnel";

export interface MeshConfig {
    readonly rootNamespace: string;
    readonly defaultServiceExportTo: readonly string[];
    readonly defaultVirtualServiceExportTo: readonly string[];
    readonly defaultDestinationRuleExportTo: readonly string[];
    readonly outboundMode: "ALLOW_ANY" | "REGISTRY_ONLY";
    /** The SPIFFE trust domain of the workloads' identities. */
    readonly trustDomain: string;
}

export const ISTIO_DEFAULTS: MeshConfig = {
    rootNamespace: "istio-system",
    defaultServiceExportTo: ["*"],
    defaultVirtualServiceExportTo: ["*"],
    defaultDestinationRuleExportTo: ["*"],
    outboundMode: "ALLOW_ANY",
    trustDomain: "cluster.local",
};

/** The cluster as the mesh sees it: its objects, its running pods, the apps' recorded replies, the mesh's configuration. */
export interface World {
    readonly objects: readonly any[];
    readonly pods: readonly ModelPod[];
    readonly replies: Replies;
    readonly mesh: MeshConfig;
}

const CONNECT_TIMEOUT = 10;
const NO_ANSWER = (seconds: number): Answer => ({ status: 0, body: "", seconds });
const UPSTREAM_RESET: Answer = { status: 503, body: "upstream connect error or disconnect/reset before headers. reset reason: connection termination", seconds: 0.01 };
/** A host as the mesh completes it in a namespace: `name`, `name.ns`, `name.ns.svc` to the cluster's full name. */
function expand(host: string, ns: string): string {
    const n = host.split(".").length;
    return n === 1 ? `${host}.${ns}.svc.cluster.local` : n === 2 ? `${host}.svc.cluster.local` : n === 3 && host.endsWith(".svc") ? `${host}.cluster.local` : host;
}
const seconds = (d: string | undefined): number | undefined => (d === undefined ? undefined : d.endsWith("ms") ? Number(d.slice(0, -2)) / 1000 : Number(d.replace(/s$/, "")));
const byCreation = (a: any, b: any) => String(a.metadata?.creationTimestamp ?? "").localeCompare(String(b.metadata?.creationTimestamp ?? "")) || String(a.metadata?.name).localeCompare(String(b.metadata?.name));

interface Url {
    readonly scheme: string;
    readonly host: string;
    readonly port: number;
    readonly path: string;
}
function parseUrl(url: string): Url {
    const m = /^([a-z]+):\/\/([^/:]+)(?::(\d+))?(\/.*)?$/.exec(url);
    if (!m) throw new NotModelled(`the address ${url}`);
    return { scheme: m[1], host: m[2], port: m[3] ? Number(m[3]) : m[1] === "https" ? 443 : 80, path: m[4] ?? "/" };
}

/** One request's context as routes match it. */
interface Req extends AppRequest {
    readonly method: string;
    readonly port: number;
    readonly scheme: string;
    readonly host: string;
}

/** Deterministic draws (mulberry32), seeded by the check: a run is repeatable. */
export function drawsFrom(seed: string): () => number {
    let a = [...seed].reduce((h, c) => (Math.imul(h ^ c.charCodeAt(0), 2654435761) >>> 0), 1779033703);
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

function stringMatch(m: any, value: string | undefined): boolean {
    if (value === undefined) return false;
    if (m.exact !== undefined) return value === m.exact;
    if (m.prefix !== undefined) return value.startsWith(m.prefix);
    if (m.regex !== undefined) return new RegExp(`^(?:${m.regex})$`).test(value);
    throw new NotModelled(`the string match ${JSON.stringify(m)}`);
}

const KNOWN_MATCH = new Set(["uri", "headers", "sourceLabels", "port", "method", "name", "withoutHeaders", "sourceNamespace"]);
/** The first of a route's matches that holds for a request (`{}` for a route without match), or undefined. */
function httpMatch(match: readonly any[] | undefined, req: Req, from: ModelPod): any | undefined {
    if (!match || match.length === 0) return {};
    return match.find((m) => {
        for (const k of Object.keys(m)) if (!KNOWN_MATCH.has(k)) throw new NotModelled(`the route match field ${k}`);
        return (
            (m.uri === undefined || stringMatch(m.uri, req.path.split("?")[0])) &&
            (m.method === undefined || stringMatch(m.method, req.method)) &&
            (m.port === undefined || m.port === req.port) &&
            (m.sourceNamespace === undefined || m.sourceNamespace === from.namespace) &&
            Object.entries(m.sourceLabels ?? {}).every(([k, v]) => from.labels[k] === v) &&
            Object.entries(m.headers ?? {}).every(([k, v]) => stringMatch(v, req.headers[k.toLowerCase()])) &&
            Object.entries(m.withoutHeaders ?? {}).every(([k, v]) => !stringMatch(v, req.headers[k.toLowerCase()]))
        );
    });
}

export class Mesh {
    private readonly buckets = new Map<string, number>();
    constructor(
        private readonly world: World,
        private readonly draw: () => number,
    ) {}

    /** A client's request (curl with `--max-time`): what it gets back, and what its own proxy counted. */
    request(from: ModelPod, url: string, headers: Readonly<Record<string, string>>, maxTime: number, o: { readonly concurrent?: number; readonly line?: string } = {}): Answer {
        const u = parseUrl(url);
        const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
        const req: Req = { method: "GET", port: u.port, scheme: u.scheme, host: (h.host ?? u.host).split(":")[0], path: u.path, headers: h, ...(u.scheme === "tcp" ? { line: o.line ?? "" } : {}) };
        const a = this.outbound(from, u.host, req, o.concurrent ?? 1);
        return a.seconds > maxTime ? { ...NO_ANSWER(maxTime), counted: a.counted } : a;
    }

    /** A call an app makes while answering: through its own pod's sidecar, cut at its client timeout. */
    private call = (pod: ModelPod, url: string, headers: Readonly<Record<string, string>>, timeout: number): Answer => this.request(pod, url, headers, timeout);

    /** The world's objects by kind, indexed once per run: a check asks for them on every request. */
    private readonly byKind = new Map<string, any[]>();

    private objects(kind: string, ns?: string): any[] {
        let all = this.byKind.get(kind);
        if (all === undefined) {
            all = this.world.objects.filter((o) => o.kind === kind);
            this.byKind.set(kind, all);
        }
        return ns === undefined ? all : all.filter((o) => o.metadata?.namespace === ns);
    }

    private service(host: string, ns: string): any | undefined {
        const full = expand(host, ns);
        const m = /^([^.]+)\.([^.]+)\.svc\.cluster\.local$/.exec(full);
        return m ? this.objects("Service", m[2]).find((s) => s.metadata.name === m[1]) : undefined;
    }

    private fqdn(svc: any): string {
        return `${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`;
    }

    private exported(o: any, to: string, defaults: readonly string[], list?: readonly string[]): boolean {
        const e = list ?? defaults;
        return e.includes("*") || e.includes(to) || (e.includes(".") && o.metadata.namespace === to);
    }

    /** The Sidecar that configures a pod's proxy: its own by selector, else its namespace's, else the root namespace's. */
    private sidecarOf(pod: ModelPod): any | undefined {
        const own = this.objects("Sidecar", pod.namespace);
        return (
            own.find((s) => s.spec?.workloadSelector && selectorMatches({ matchLabels: s.spec.workloadSelector.labels }, pod.labels)) ??
            own.find((s) => !s.spec?.workloadSelector) ??
            this.objects("Sidecar", this.world.mesh.rootNamespace).find((s) => !s.spec?.workloadSelector)
        );
    }

    private imports(pod: ModelPod, ns: string): boolean {
        // A gateway's scope is every Service exported to its namespace; no Sidecar applies (istiod's getSidecarScope, pilot/pkg/model/push_context.go).
        const sidecar = this.isGateway(pod) ? undefined : this.sidecarOf(pod);
        if (!sidecar?.spec?.egress) return true;
        return sidecar.spec.egress.some((e: any) => (e.hosts ?? []).some((h: string) => {
            const [n] = h.split("/");
            return n === "*" || n === ns || (n === "." && ns === pod.namespace);
        }));
    }

    /** Whether a pod's proxy knows a Service: exported to its namespace, and imported by its Sidecar. */
    private knows(pod: ModelPod, svc: any): boolean {
        const list = svc.metadata.annotations?.[EXPORT_TO_ANNOTATION]?.split(",").map((s: string) => s.trim());
        return this.exported(svc, pod.namespace, this.world.mesh.defaultServiceExportTo, list) && this.imports(pod, svc.metadata.namespace);
    }

    private serviceEntry(pod: ModelPod, host: string): any | undefined {
        return this.objects("ServiceEntry").find(
            (o) => (o.spec?.hosts ?? []).includes(host) && this.exported(o, pod.namespace, ["*"], o.spec?.exportTo) && this.imports(pod, o.metadata.namespace),
        );
    }

    private virtualServiceFor(pod: ModelPod, names: readonly string[]): any | undefined {
        const vss = this.objects("VirtualService")
            .filter((v) => !v.spec?.gateways || v.spec.gateways.length === 0 || v.spec.gateways.includes("mesh"))
            .filter((v) => this.exported(v, pod.namespace, this.world.mesh.defaultVirtualServiceExportTo, v.spec?.exportTo) && this.imports(pod, v.metadata.namespace))
            .filter((v) => (v.spec?.hosts ?? []).some((h: string) => names.includes(expand(h, v.metadata.namespace))));
        return vss.sort((a, b) => Number(b.metadata.namespace === pod.namespace) - Number(a.metadata.namespace === pod.namespace) || byCreation(a, b))[0];
    }

    private subsetLabels(pod: ModelPod, fqdn: string, subset: string | undefined): { labels: Record<string, string>; rule?: any } {
        const rule = this.objects("DestinationRule")
            .filter((d) => this.exported(d, pod.namespace, this.world.mesh.defaultDestinationRuleExportTo, d.spec?.exportTo) && expand(String(d.spec?.host), d.metadata.namespace) === fqdn)
            .sort((a, b) => Number(b.metadata.namespace === pod.namespace) - Number(a.metadata.namespace === pod.namespace) || byCreation(a, b))[0];
        if (subset === undefined) return { labels: {}, rule };
        const s = (rule?.spec?.subsets ?? []).find((x: any) => x.name === subset);
        // A subset no rule defines selects no pod: Envoy answers 503 (no healthy upstream).
        return { labels: s ? { ...(s.labels ?? {}) } : { "istio-workshop.model/no-such-subset": subset }, rule };
    }

    /** Where a pod's outbound request goes: its sidecar's routes, or straight to the Service without one. */
    private outbound(from: ModelPod, host: string, req: Req, concurrent: number): Answer {
        const svc = this.service(host, from.namespace);
        if (!from.sidecar) {
            if (!svc) return NO_ANSWER(0); // no such name: curl cannot resolve it
            const waypoint = from.ambient ? waypointOf(this.world.objects, svc) : undefined;
            return waypoint ? this.viaWaypoint(from, waypoint, svc, req, concurrent) : this.toService(from, svc, undefined, req, false, concurrent);
        }
        if (svc && waypointOf(this.world.objects, svc)) throw new NotModelled(`a sidecar's call to ${this.fqdn(svc)}, which sends through a waypoint`);
        const entry = svc && this.knows(from, svc) ? undefined : this.serviceEntry(from, svc ? this.fqdn(svc) : host);
        if (svc && !this.knows(from, svc) && !entry) {
            // Not in the proxy's registry: its outbound policy decides.
            const mode = this.sidecarOf(from)?.spec?.outboundTrafficPolicy?.mode ?? this.world.mesh.outboundMode;
            if (mode === "REGISTRY_ONLY") return { status: 502, body: "", seconds: 0.01 };
            // Passed through as it was addressed, plaintext: Istio's PassthroughCluster, as the caller's proxy counts it.
            return this.toService(from, svc, undefined, req, false, concurrent, ["PassthroughCluster"]);
        }
        if (!svc) {
            if (entry) throw new NotModelled(`the ServiceEntry host ${host} outside the cluster`);
            return NO_ANSWER(0); // no such name: the client cannot resolve it
        }
        const vs = this.virtualServiceFor(from, [this.fqdn(svc)]);
        if (!vs) return this.toService(from, svc, undefined, req, true, concurrent, [`outbound|${req.port}||${this.fqdn(svc)}`]);
        return this.routeBy(vs, from, req, concurrent, vs.metadata.namespace);
    }

    /** An ambient caller's request at the waypoint of the Service it addressed (`waypoint.ts`): its L7 policies, its HTTPRoutes, then on as the waypoint. */
    private viaWaypoint(from: ModelPod, waypoint: any, svc: any, req: Req, concurrent: number): Answer {
        const pod = waypointPods(this.world.pods, waypoint)[0];
        if (!pod || req.line !== undefined) throw new NotModelled(pod ? "TCP through a waypoint" : `the waypoint ${waypoint.metadata.name} without a pod`);
        if (waypointRefusal(this.world.objects, this.world.mesh.trustDomain, waypoint, svc, from, req)) return { status: 403, body: "RBAC: access denied", seconds: 0.01 };
        const api = apiServiceOutcome(this.lookup, svc, req);
        if (api.kind === "route") return this.httpRoute(api.route, pod, { ...req, path: api.path }, concurrent, api.namespace);
        return api.kind === "answer" ? { status: api.status, body: "", seconds: 0.01 } : this.toService(pod, svc, undefined, req, true, concurrent);
    }

    /** The first route of a VirtualService that matches, carried out. */
    private routeBy(vs: any, from: ModelPod, req: Req, concurrent: number, ns: string): Answer {
        if (req.line !== undefined) {
            const route = (vs.spec?.tcp ?? []).find((r: any) => (r.match ?? [{}]).some((m: any) => m.port === undefined || m.port === req.port));
            if (!route) return NO_ANSWER(0);
            return this.destination(route.route, from, req, concurrent, ns);
        }
        const route = (vs.spec?.http ?? []).find((r: any) => httpMatch(r.match, req, from) !== undefined);
        if (!route) return { status: 404, body: "", seconds: 0.01 };
        return this.httpRoute(route, from, req, concurrent, ns);
    }

    private httpRoute(route: any, from: ModelPod, req: Req, concurrent: number, ns: string): Answer {
        for (const k of Object.keys(route)) if (!["name", "match", "route", "fault", "timeout", "retries", "mirror", "mirrorPercentage", "redirect", "headers", "delegate", "rewrite"].includes(k)) throw new NotModelled(`the route field ${k}`);
        if (route.redirect) return { status: route.redirect.redirectCode ?? 301, body: "", seconds: 0.01 };
        if (route.rewrite) {
            // Envoy's prefix_rewrite: the matched prefix replaced (an exact match: the whole path).
            const m = httpMatch(route.match, req, from)?.uri;
            const uri = route.rewrite.uri;
            if (Object.keys(route.rewrite).some((k) => k !== "uri" && k !== "authority")) throw new NotModelled(`the rewrite ${JSON.stringify(route.rewrite)}`);
            const path = uri === undefined ? req.path : m?.prefix !== undefined ? `${uri}${req.path.slice(m.prefix.length)}`.replace(/^\/\//, "/") : m?.exact !== undefined ? uri : undefined;
            if (path === undefined) throw new NotModelled(`a uri rewrite after the match ${JSON.stringify(m)}`);
            req = { ...req, path, host: route.rewrite.authority ?? req.host };
        }
        const pct = (p: any) => (p?.value ?? 100) / 100;
        const abort = route.fault?.abort;
        if (abort && this.draw() < pct(abort.percentage)) return { status: abort.httpStatus, body: "fault filter abort", seconds: 0.01 };
        const delay = route.fault?.delay && this.draw() < pct(route.fault.delay.percentage) ? seconds(route.fault.delay.fixedDelay)! : 0;
        const retryOn = String(route.retries?.retryOn ?? "");
        const retriable = (s: number) => retryOn.split(",").some((x) => (x === "5xx" && s >= 500) || (x === "gateway-error" && [502, 503, 504].includes(s)) || x === String(s) || (x === "connect-failure" && s === 0));
        const perTry = seconds(route.retries?.perTryTimeout);
        let took = delay;
        const counted: string[] = [];
        let answer: Answer = NO_ANSWER(0);
        for (let attempt = 0; attempt <= (route.retries?.attempts ?? 0); attempt++) {
            answer = this.destination(route.route, from, req, concurrent, ns);
            if (perTry !== undefined && answer.seconds > perTry) answer = { status: 504, body: "upstream request timeout", seconds: perTry };
            took += answer.seconds;
            counted.push(...(answer.counted ?? []));
            if (!retriable(answer.status)) break;
        }
        if (route.mirror && this.draw() < pct(route.mirrorPercentage)) {
            const svc = this.service(route.mirror.host, ns);
            if (svc) counted.push(`outbound|${route.mirror.port?.number ?? svc.spec.ports[0].port}|${route.mirror.subset ?? ""}|${this.fqdn(svc)}`);
        }
        const timeout = seconds(route.timeout);
        if (timeout !== undefined && took > timeout) return { status: 504, body: "upstream request timeout", seconds: timeout, counted };
        return { ...answer, seconds: took, counted };
    }

    /** One of a route's weighted destinations, drawn. */
    private destination(routes: readonly any[], from: ModelPod, req: Req, concurrent: number, ns: string): Answer {
        const total = routes.reduce((n, r) => n + (r.weight ?? (routes.length === 1 ? 100 : 0)), 0);
        let x = this.draw() * total;
        const chosen = routes.find((r) => (x -= r.weight ?? (routes.length === 1 ? 100 : 0)) < 0) ?? routes[routes.length - 1];
        const d = chosen.destination;
        const svc = this.service(d.host, ns);
        // A Service the routing proxy does not know (not exported to its namespace): istiod gives it no cluster, Envoy answers 503 (NC).
        if (!svc || (from.sidecar && !this.knows(from, svc))) {
            if (this.serviceEntry(from, d.host)) throw new NotModelled(`the ServiceEntry host ${d.host} outside the cluster`);
            return { status: 503, body: "no healthy upstream", seconds: 0.01 };
        }
        const port = d.port?.number ?? svc.spec.ports[0].port;
        const cluster = `outbound|${port}|${d.subset ?? ""}|${this.fqdn(svc)}`;
        return this.toService(from, svc, d.subset, { ...req, port }, true, concurrent, [cluster]);
    }

    /** To one of a Service's pods (of a subset), drawn: Kubernetes' and Envoy's balancing alike, in proportion to pods. */
    private toService(from: ModelPod, svc: any, subset: string | undefined, req: Req, mtls: boolean, concurrent: number, counted: readonly string[] = []): Answer {
        const { labels, rule } = this.subsetLabels(from, this.fqdn(svc), subset);
        const pods = this.world.pods.filter(
            (p) => p.namespace === svc.metadata.namespace && selectorMatches({ matchLabels: svc.spec?.selector ?? { "": "none" } }, p.labels) && Object.entries(labels).every(([k, v]) => p.labels[k] === v),
        );
        // The caller's proxy reports every HTTP request in Istio's metric, with the identity the server's certificate proved.
        const reported = (p?: ModelPod) => (from.sidecar && req.line === undefined ? [...counted, requestMetric(p && mtls && p.sidecar ? this.spiffe(p) : "unknown")] : counted);
        if (pods.length === 0) return { status: from.sidecar ? 503 : 0, body: "no healthy upstream", seconds: from.sidecar ? 0.01 : CONNECT_TIMEOUT, counted: reported() };
        const pool = mtls ? rule?.spec?.trafficPolicy?.connectionPool : undefined;
        if (pool) {
            const limit = (pool.tcp?.maxConnections ?? 2 ** 32) + (pool.http?.http1MaxPendingRequests ?? 2 ** 32);
            if (concurrent > limit) return { status: 503, body: "upstream connect error or disconnect/reset before headers. reset reason: overflow", seconds: 0.01, counted: reported() };
        }
        const pod = pods[Math.min(pods.length - 1, Math.floor(this.draw() * pods.length))];
        counted = reported(pod);
        const servicePort = (svc.spec.ports ?? []).find((p: any) => p.port === req.port) ?? svc.spec.ports[0];
        const target = typeof servicePort.targetPort === "number" ? servicePort.targetPort : servicePort.port;
        const a = this.serve(from, pod, target, req, mtls && from.sidecar);
        return { ...a, counted: [...counted, ...(a.counted ?? [])] };
    }

    /** How the Gateway API model looks objects up: the mesh's own indexes. */
    private readonly lookup: ApiLookup = { objects: (kind, ns) => this.objects(kind, ns) };

    private isGateway(pod: ModelPod): boolean {
        return this.objects("Gateway").some((g) => !isGatewayApi(g) && g.spec?.selector && selectorMatches({ matchLabels: g.spec.selector }, pod.labels)) || apiGatewaysOf(this.lookup, pod).length > 0;
    }

    /** At the server's pod: network policy, then its proxy's security, then the app. */
    private serve(from: ModelPod, pod: ModelPod, port: number, req: Req, mtls: boolean): Answer {
        // What the evaluator reads of the world: the policies, and the namespaces' labels their selectors match.
        // Ambient: a mesh caller reaches an ambient pod, and an ambient caller reaches a proxy, through an HBONE tunnel on 15008.
        const hbone = (pod.ambient === true && (from.sidecar || from.ambient === true)) || (from.ambient === true && pod.sidecar);
        const refused = networkRefusal([...this.objects("NetworkPolicy"), ...this.objects("Namespace")], from, pod, hbone ? HBONE_PORT : port);
        if (refused) return from.sidecar ? { status: 503, body: "upstream connect error", seconds: CONNECT_TIMEOUT } : NO_ANSWER(CONNECT_TIMEOUT);
        if (this.isGateway(pod)) {
            // What the gateway's own proxy counts is its own statistics, not the caller's.
            const { counted: _gatewayCounts, ...a } = this.gateway(pod, req);
            return a;
        }
        if (pod.ambient) {
            // The receiving ztunnel (`ztunnel.ts`): mesh callers arrive over HBONE; a refusal resets the connection.
            const overHbone = from.sidecar || from.ambient === true;
            // The caller's own Envoy (a sidecar, a gateway, a waypoint) answers a reset upstream with 503.
            if (ztunnelRefusal(this.world.objects, this.world.mesh.rootNamespace, this.world.mesh.trustDomain, pod, from, port, overHbone, this.peerMode(pod))) return from.sidecar ? UPSTREAM_RESET : NO_ANSWER(0);
        }
        if (pod.sidecar) {
            if (!mtls && this.peerMode(pod) === "STRICT") return NO_ANSWER(0);
            // Over mTLS the inbound proxy tells the app who called: Istio's sidecars set Envoy's
            // x-forwarded-client-cert (By: its own identity, URI: the caller's; the hash here stands in for the certificate's).
            if (mtls && req.line === undefined) req = { ...req, headers: { ...req.headers, "x-forwarded-client-cert": this.xfcc(pod, from) } };
            // A TCP connection: the authorization policies on who connects (a denied one is reset).
            if (req.line !== undefined && this.authz(pod, from, req, port, mtls, undefined)) return NO_ANSWER(0);
            if (req.line === undefined) {
                const auth = this.requestAuth(pod, req);
                if (auth.status) return { status: auth.status, body: "Jwt verification fails", seconds: 0.01 };
                const denied = this.authz(pod, from, req, port, mtls, auth.principal);
                if (denied) return { status: 403, body: "RBAC: access denied", seconds: 0.01 };
                if (!this.takeToken(pod)) return { status: 429, body: "local_rate_limited", seconds: 0.01 };
            }
        }
        return appAnswer(pod, req, this.world.replies, this.call, this.draw);
    }

    private spiffe(p: ModelPod): string {
        return `spiffe://${this.world.mesh.trustDomain}/ns/${p.namespace}/sa/${p.serviceAccount}`;
    }

    private xfcc(pod: ModelPod, from: ModelPod): string {
        const hash = createHash("sha256").update(this.spiffe(from)).digest("hex");
        return `By=${this.spiffe(pod)};Hash=${hash};Subject="";URI=${this.spiffe(from)}`;
    }

    private peerMode(pod: ModelPod): string {
        const all = this.objects("PeerAuthentication");
        const own = all.filter((p) => p.metadata.namespace === pod.namespace);
        const p =
            own.find((x) => x.spec?.selector && selectorMatches(x.spec.selector, pod.labels)) ??
            own.find((x) => !x.spec?.selector) ??
            all.find((x) => x.metadata.namespace === this.world.mesh.rootNamespace && !x.spec?.selector);
        return p?.spec?.mtls?.mode ?? "PERMISSIVE";
    }

    private applying(kind: string, pod: ModelPod): any[] {
        return this.objects(kind).filter(
            (o) => (o.metadata.namespace === pod.namespace || o.metadata.namespace === this.world.mesh.rootNamespace) && (!o.spec?.selector || selectorMatches(o.spec.selector, pod.labels)),
        );
    }

    /** RequestAuthentication: a token present must verify (`jwt.ts`). */
    private requestAuth(pod: ModelPod, req: Req): { status?: number; principal?: string } {
        return tokenVerdict(this.applying("RequestAuthentication", pod).flatMap((r) => r.spec?.jwtRules ?? []), req.headers.authorization);
    }

    /** Whether the pod's AuthorizationPolicies refuse the request (the evaluator the offline attack suite uses too). */
    private authz(pod: ModelPod, from: ModelPod, req: Req, port: number, mtls: boolean, requestPrincipal: string | undefined): boolean {
        const request = {
            mtls,
            ...(mtls ? { principal: `${this.world.mesh.trustDomain}/ns/${from.namespace}/sa/${from.serviceAccount}`, namespace: from.namespace } : {}),
            // The model knows whether the request carries a verified token: without one it has no request principal.
            requestPrincipal: requestPrincipal ?? null,
            method: req.method,
            path: req.path,
            // The workload's port, as AuthorizationPolicy's `ports` name it.
            port,
            tcp: req.line !== undefined,
        };
        return authorizationRefusal(this.objects("AuthorizationPolicy"), pod, request, this.world.mesh.rootNamespace) !== undefined;
    }

    /** A local rate limit on the pod's inbound side: its bucket starts full (a model: traffic before the check is not counted). */
    private takeToken(pod: ModelPod): boolean {
        const filters = this.objects("EnvoyFilter", pod.namespace).filter((f) => !f.spec?.workloadSelector || selectorMatches({ matchLabels: f.spec.workloadSelector.labels }, pod.labels));
        for (const f of filters) {
            for (const p of f.spec?.configPatches ?? []) {
                const typed = p.patch?.value?.typed_config;
                const bucket = typed?.value?.token_bucket;
                if (!bucket) throw new NotModelled(`the EnvoyFilter ${f.metadata.name}'s patch (only a local rate limit is modelled)`);
                const key = `${pod.namespace}/${pod.name}/${f.metadata.name}`;
                const left = this.buckets.get(key) ?? bucket.max_tokens;
                if (left <= 0) return false;
                this.buckets.set(key, left - 1);
            }
        }
        return true;
    }

    /** A gateway pod: its Gateway servers, then the VirtualServices bound to them. */
    private gateway(gw: ModelPod, req: Req): Answer {
        const hostOk = (h: string) => {
            const name = h.includes("/") ? h.split("/")[1] : h;
            return name === "*" || name === req.host || (name.startsWith("*.") && req.host.endsWith(name.slice(1)));
        };
        const gateways = this.objects("Gateway").filter((g) => !isGatewayApi(g) && selectorMatches({ matchLabels: g.spec?.selector ?? {} }, gw.labels));
        const servers = gateways.flatMap((g) => (g.spec?.servers ?? []).filter((s: any) => (s.port?.number === req.port || s.port?.targetPort === req.port) && (s.hosts ?? []).some(hostOk)).map((s: any) => ({ g, s })));
        if (servers.length === 0) {
            // No Istio Gateway serves the port: the Gateway API's, if one is on this pod (`gatewayApi.ts`).
            const api = apiGatewayOutcome(this.lookup, gw, req);
            if (api.kind === "route") return this.httpRoute(api.route, gw, { ...req, path: api.path }, 1, api.namespace);
            return api.kind === "answer" ? { status: api.status, body: "", seconds: 0.01 } : NO_ANSWER(0);
        }
        const { g, s } = servers[0];
        if (s.tls?.httpsRedirect && req.scheme === "http") return { status: 301, body: "", seconds: 0.01 };
        if (req.scheme === "https") {
            const secret = this.objects("Secret", gw.namespace).find((x) => x.metadata.name === s.tls?.credentialName);
            if (s.tls?.mode !== "SIMPLE" || !secret) return NO_ANSWER(0);
        }
        const refs = [`${g.metadata.namespace}/${g.metadata.name}`];
        const vss = this.objects("VirtualService")
            .filter((v) => (v.spec?.gateways ?? []).some((x: string) => refs.includes(x.includes("/") ? x : `${v.metadata.namespace}/${x}`)))
            .filter((v) => (v.spec?.hosts ?? []).some(hostOk) && this.exported(v, gw.namespace, this.world.mesh.defaultVirtualServiceExportTo, v.spec?.exportTo))
            .sort(byCreation);
        for (const vs of vss) {
            for (const route of vs.spec?.http ?? []) {
                if (httpMatch(route.match, req, gw) === undefined) continue;
                if (!route.delegate) return this.httpRoute(route, gw, req, 1, vs.metadata.namespace);
                const ns = route.delegate.namespace ?? vs.metadata.namespace;
                const leafVs = this.objects("VirtualService", ns).find((v) => v.metadata.name === route.delegate.name);
                if (!leafVs) continue; // istiod drops a route whose delegate does not exist
                const leaf = (leafVs.spec?.http ?? []).find((r: any) => httpMatch(r.match, req, gw) !== undefined);
                if (leaf) return this.httpRoute(leaf, gw, req, 1, ns);
            }
        }
        return { status: 404, body: "", seconds: 0.01 };
    }
}
