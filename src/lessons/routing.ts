/**
 * A lesson's routing and policy as Istio objects: DestinationRules with subsets
 * and traffic policies, VirtualServices (HTTP and TCP, the gateway's delegates),
 * and each stage's policies (authorization, authentication, mTLS, egress, rate limit).
 */
import { GATEWAY_HOST, type Labels, type PolicyDef, type RouteRuleDef, type RoutingDef, type ScenarioDef, type ServiceDef, type TrafficPolicyDef } from "./model";
import { istioObject, type IstioObject, type TrafficPolicy } from "../model/istioObjects";
import { type GatewayPlacement } from "./resolve";
import { PLATFORM_PART_LABELS, WORKSHOP_GATEWAY } from "../model/platform";
import { atStage, gatewayRouteName } from "./resolve";

const fqdn = (service: string, namespace: string) => `${service}.${namespace}.svc.cluster.local`;

export function destinationRule(host: string, subsets: Readonly<Record<string, Labels>>, namespace: string, policy?: TrafficPolicyDef): IstioObject<"DestinationRule"> {
    return istioObject(
        "DestinationRule",
        { name: host, namespace },
        {
            host,
            ...(policy ? { trafficPolicy: trafficPolicy(policy) } : {}),
            ...(Object.keys(subsets).length > 0 ? { subsets: Object.entries(subsets).map(([name, labels]) => ({ name, labels: { ...labels } })) } : {}),
        },
    );
}

/** Istio's circuit breaker as its circuit-breaking task writes it: connection pool limits and outlier detection. */
function trafficPolicy(p: TrafficPolicyDef): TrafficPolicy {
    const tcp = p.maxConnections !== undefined ? { tcp: { maxConnections: p.maxConnections } } : {};
    const http =
        p.maxPendingRequests !== undefined || p.maxRequestsPerConnection !== undefined
            ? {
                  http: {
                      ...(p.maxPendingRequests !== undefined ? { http1MaxPendingRequests: p.maxPendingRequests } : {}),
                      ...(p.maxRequestsPerConnection !== undefined ? { maxRequestsPerConnection: p.maxRequestsPerConnection } : {}),
                  },
              }
            : {};
    const pool = Object.keys(tcp).length + Object.keys(http).length > 0 ? { connectionPool: { ...tcp, ...http } } : {};
    const outlier =
        p.consecutive5xxErrors !== undefined
            ? { outlierDetection: { consecutive5xxErrors: p.consecutive5xxErrors, interval: "1s", baseEjectionTime: `${p.ejectSeconds ?? 180}s`, maxEjectionPercent: 100 } }
            : {};
    return { ...pool, ...outlier };
}

/** The DestinationRules of a lesson: one per host with subsets or a traffic policy. */
export function destinationRules(s: ScenarioDef, namespace: string): IstioObject<"DestinationRule">[] {
    const hosts = [...new Set([...Object.keys(s.subsets), ...Object.keys(s.trafficPolicies ?? {})])];
    return hosts.map((host) => destinationRule(host, s.subsets[host] ?? {}, namespace, s.trafficPolicies?.[host]));
}

/** The path a route matches: an attendee's gateway routes live under their prefix (`outer`), rewritten away before the app sees the path. */
export function uriMatch(m: RouteRuleDef["match"], outer: string): { exact: string } | { prefix: string } | undefined {
    if (m?.exact !== undefined) return { exact: `${outer}${m.exact}` };
    return outer !== "" || m?.prefix !== undefined ? { prefix: `${outer}${m?.prefix ?? "/"}` } : undefined;
}

function httpRoute(host: string, rule: RouteRuleDef, index: number, s: ScenarioDef, namespace: string, placement: GatewayPlacement) {
    const m = rule.match;
    const outer = host === GATEWAY_HOST ? (placement.prefix ?? "") : "";
    const uri = uriMatch(m, outer);
    const match =
        m || uri
            ? [
                  {
                      ...(m?.sourceLabels ? { sourceLabels: { ...m.sourceLabels } } : {}),
                      ...(m?.port !== undefined ? { port: m.port } : {}),
                      ...(uri ? { uri } : {}),
                      ...(m?.headers ? { headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, { exact: v }])) } : {}),
                  },
              ]
            : undefined;
    // A redirect answers the client itself (301 to the same path at the new scheme and port): no route.
    if (rule.redirect) return { name: `rule-${index + 1}`, ...(match ? { match } : {}), redirect: { scheme: rule.redirect.scheme, port: rule.redirect.port, redirectCode: REDIRECT_STATUS } };
    const dest = rule.to ?? host;
    const port = s.services.find((svc) => svc.name === dest)?.ports[0]?.port;
    const destination = (subset?: string) => ({
        host: rule.to ? fqdn(rule.to, namespace) : host,
        ...(subset ? { subset } : {}),
        ...(rule.to && port !== undefined ? { port: { number: port } } : {}),
    });
    const route = rule.weights
        ? Object.entries(rule.weights).map(([subset, weight]) => ({ destination: destination(subset), weight }))
        : [{ destination: destination() }];
    const rewrite = outer !== "" ? { rewrite: { uri: m?.exact ?? m?.prefix ?? "/" } } : {};
    const f = rule.fault;
    const fault = f
        ? {
              fault: {
                  ...(f.delaySeconds !== undefined ? { delay: { fixedDelay: `${f.delaySeconds}s`, percentage: { value: f.percent } } } : {}),
                  ...(f.abortStatus !== undefined ? { abort: { httpStatus: f.abortStatus, percentage: { value: f.percent } } } : {}),
              },
          }
        : {};
    const timeout = rule.timeout ? { timeout: `${rule.timeout.seconds}s` } : {};
    const rt = rule.retries;
    const retries = rt
        ? { retries: { attempts: rt.attempts, retryOn: rt.retryOn, ...(rt.perTryTimeoutSeconds !== undefined ? { perTryTimeout: `${rt.perTryTimeoutSeconds}s` } : {}) } }
        : {};
    const mirror = rule.mirror ? { mirror: { host, subset: rule.mirror.subset }, mirrorPercentage: { value: rule.mirror.percent } } : {};
    return { name: `rule-${index + 1}`, ...(match ? { match } : {}), ...rewrite, ...fault, ...timeout, ...retries, ...mirror, route };
}

/** Is a service's traffic TCP (its first port named `tcp`/`tcp-*`), routed by Istio's `tcp` routes? */
export function isTcp(svc: ServiceDef | undefined): boolean {
    return svc !== undefined && /^tcp(-|$)/.test(svc.ports[0]?.name ?? "");
}

/** A TCP service's routes (Istio's tcp-echo samples): weighted subsets per connection, on the service's port. */
function tcpRoutes(r: RoutingDef, svc: ServiceDef) {
    const port = svc.ports[0].port;
    return r.rules.map((rule) => ({
        match: [{ port, ...(rule.match?.sourceLabels ? { sourceLabels: { ...rule.match.sourceLabels } } : {}) }],
        // One destination takes everything: no weight, as tcp-echo-all-v1.yaml writes it.
        route: Object.entries(rule.weights ?? { "": 100 }).map(([subset, weight], _, all) => ({
            destination: { host: r.host, port: { number: port }, ...(subset ? { subset } : {}) },
            ...(all.length > 1 ? { weight } : {}),
        })),
    }));
}

export function virtualService(r: RoutingDef, s: ScenarioDef, namespace: string, placement: GatewayPlacement = {}): IstioObject<"VirtualService"> {
    const svc = s.services.find((x) => x.name === r.host);
    if (isTcp(svc)) return istioObject("VirtualService", { name: r.host, namespace }, { hosts: [r.host], tcp: tcpRoutes(r, svc!) });
    const http = r.rules.map((rule, i) => httpRoute(r.host, rule, i, s, namespace, placement));
    if (r.host !== GATEWAY_HOST) return istioObject("VirtualService", { name: r.host, namespace }, { hosts: [r.host], http });
    // Gateway routes are read by the gateway's proxies in their own namespace: exported there, and only there.
    const gateway = placement.delegated ? {} : { hosts: [placement.host ?? "*"], gateways: [WORKSHOP_GATEWAY.ref] };
    return istioObject("VirtualService", { name: gatewayRouteName(s), namespace }, { ...gateway, exportTo: [WORKSHOP_GATEWAY.namespace], http });
}

/** A ServiceAccount of the namespace as the mesh names its identity. */
export function principalOf(namespace: string, serviceAccount: string): string {
    return `cluster.local/ns/${namespace}/sa/${serviceAccount}`;
}

/**
 * A stage's policies as Istio objects of the namespace. `sidecarHosts` are the
 * namespaces the namespace's default Sidecar imports: an outbound policy's own
 * Sidecar (for the pods it selects) imports the same, so only its mode differs.
 */
export function policyObjects(policies: readonly PolicyDef[] | undefined, namespace: string, sidecarHosts: readonly string[]): IstioObject[] {
    return (policies ?? []).map((p): IstioObject => {
        switch (p.kind) {
            case "AuthorizationPolicy": {
                // Attached to a Service (its waypoint enforces it), or to the pods a selector picks (their proxy or ztunnel).
                const selector = p.targetService
                    ? { targetRefs: [{ group: "", kind: "Service", name: p.targetService }] }
                    : p.selector
                      ? { selector: { matchLabels: { ...p.selector } } }
                      : {};
                const principal = (sa: string) => (sa.includes("/") ? principalOf(sa.split("/")[0], sa.split("/")[1]) : principalOf(namespace, sa));
                const rules = p.rules.map((r) => ({
                    ...(r.fromServiceAccounts ? { from: [{ source: { principals: r.fromServiceAccounts.map(principal) } }] } : {}),
                    ...(r.requestPrincipals ? { from: [{ source: { requestPrincipals: [...r.requestPrincipals] } }] } : {}),
                    ...(r.methods ? { to: [{ operation: { methods: [...r.methods] } }] } : {}),
                }));
                // No rule at all: Istio's `allow-nothing` (an ALLOW policy that matches nothing).
                return istioObject("AuthorizationPolicy", { name: p.name, namespace }, { ...selector, ...(p.action ? { action: p.action } : {}), ...(rules.length > 0 ? { rules } : {}) });
            }
            case "RequestAuthentication":
                return istioObject("RequestAuthentication", { name: p.name, namespace }, { selector: { matchLabels: { ...p.selector } }, jwtRules: [{ issuer: p.issuer, jwks: p.jwks }] });
            case "PeerAuthentication":
                return istioObject("PeerAuthentication", { name: p.name, namespace }, { ...(p.selector ? { selector: { matchLabels: { ...p.selector } } } : {}), mtls: { mode: p.mode } });
            case "OutboundPolicy":
                return istioObject(
                    "Sidecar",
                    { name: p.name, namespace },
                    { workloadSelector: { labels: { ...p.selector } }, egress: [{ hosts: [...sidecarHosts] }], outboundTrafficPolicy: { mode: p.mode } },
                );
            case "ServiceEntry":
                return istioObject(
                    "ServiceEntry",
                    { name: p.name, namespace },
                    { hosts: [p.host], exportTo: ["."], location: "MESH_EXTERNAL", resolution: "DNS", ports: [{ ...p.port }] },
                );
            case "LocalRateLimit":
                return localRateLimit(p, namespace);
            case "EgressRoute":
                return istioObject(
                    "VirtualService",
                    { name: p.name, namespace },
                    {
                        hosts: [p.host],
                        exportTo: ["."],
                        gateways: ["mesh"],
                        http: [{ match: [{ port: p.port }], route: [{ destination: { host: p.via.host, port: { number: p.via.port } } }] }],
                    },
                );
        }
    });
}

/** The rate-limit filter's priority: after any filter left at the default 0. */
export const RATE_LIMIT_FILTER_PRIORITY = 10;

/**
 * Envoy's local rate limit filter on the inbound side of the selected pods, as
 * Istio's rate-limit task patches it in: before the router of the inbound HTTP
 * connection manager, enabled and enforced for every request, 429 when the
 * bucket is empty, with the `x-local-rate-limit` header telling why.
 */
function localRateLimit(p: Extract<PolicyDef, { kind: "LocalRateLimit" }>, namespace: string): IstioObject<"EnvoyFilter"> {
    const everyRequest = (key: string) => ({ runtime_key: key, default_value: { numerator: 100, denominator: "HUNDRED" } });
    return istioObject(
        "EnvoyFilter",
        // The platform's part of the namespace: attendees may not create or change it (an admission rail).
        { name: p.name, namespace, labels: { ...PLATFORM_PART_LABELS } },
        {
            workloadSelector: { labels: { ...p.selector } },
            // A relative patch (INSERT_BEFORE) with the default priority applies in creation order among other
            // filters' patches (istioctl analyze's IST0151): an explicit priority makes the order the same on every up.
            priority: RATE_LIMIT_FILTER_PRIORITY,
            configPatches: [
                {
                    applyTo: "HTTP_FILTER",
                    match: { context: "SIDECAR_INBOUND", listener: { filterChain: { filter: { name: "envoy.filters.network.http_connection_manager" } } } },
                    patch: {
                        operation: "INSERT_BEFORE",
                        value: {
                            name: "envoy.filters.http.local_ratelimit",
                            typed_config: {
                                "@type": "type.googleapis.com/udpa.type.v1.TypedStruct",
                                type_url: "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
                                value: {
                                    stat_prefix: "http_local_rate_limiter",
                                    token_bucket: { max_tokens: p.maxTokens, tokens_per_fill: p.tokensPerFill, fill_interval: `${p.fillIntervalSeconds}s` },
                                    filter_enabled: everyRequest("local_rate_limit_enabled"),
                                    filter_enforced: everyRequest("local_rate_limit_enforced"),
                                    response_headers_to_add: [{ append_action: "OVERWRITE_IF_EXISTS_OR_ADD", header: { key: "x-local-rate-limit", value: "true" } }],
                                },
                            },
                        },
                    },
                },
            ],
        },
    );
}

/** Kinds attendees may not create (admission refuses them): a hand-out leaves them to the stack, which installs them at the class's stage. */
export const PLATFORM_ONLY_KINDS: readonly string[] = ["EnvoyFilter"];

export const platformOnly = (o: { kind: string }) => PLATFORM_ONLY_KINDS.includes(o.kind);

/** The status of a redirect the gateway answers (Istio's default `redirectCode`). */
export const REDIRECT_STATUS = 301;

/** The name of an attendee's root route (in the gateway's namespace). */
export const rootRouteName = (namespace: string) => `attendee-${namespace}`;

/** A delegate an attendee's root route hands to: the lesson's gateway VirtualService and the paths its routes may match. */
export interface GatewayDelegate {
    readonly name: string;
    /** Every path the lesson's gateway routes match, at its current stage (with stack config's routes) and at every other (hands-on). */
    readonly uris: readonly ({ exact: string } | { prefix: string } | undefined)[];
}

/** The gateway delegates of an attendee's lessons, each with the paths it serves under the attendee's placement. */
export function gatewayDelegates(scenarios: readonly ScenarioDef[], placement: GatewayPlacement): GatewayDelegate[] {
    // Routes that attach to the gateway themselves (Gateway API ingress) have no root route to hand over from.
    if (!placement.delegated) return [];
    return scenarios.flatMap((s) => {
        const states = [s, ...(s.stages ?? []).map((st) => atStage(s, st.name))];
        const rules = states.flatMap((x) => x.routing.filter((r) => r.host === GATEWAY_HOST).flatMap((r) => r.rules));
        if (!s.routing.some((r) => r.host === GATEWAY_HOST)) return [];
        const uris = new Map(rules.map((rule) => uriMatch(rule.match, placement.prefix ?? "")).map((u) => [JSON.stringify(u ?? null), u] as const));
        return [{ name: gatewayRouteName(s), uris: [...uris.values()] }];
    });
}

/**
 * An attendee's root routes, owned by the platform, in the gateway's namespace:
 * bound to the shared Gateway on the attendee's host (or any host, under their
 * path prefix), one route per delegate VirtualService matching exactly the
 * paths that lesson serves. Istio merges a delegate's routes into the root only
 * where they match within the root's match, so a delegate cannot claim another
 * lesson's paths, another attendee's, the addons' or another host; and no two
 * root routes share a match (istioctl analyze's IST0130 and IST0131).
 */
export function rootRoutes(namespace: string, placement: GatewayPlacement, delegates: readonly GatewayDelegate[]): IstioObject<"VirtualService"> {
    return istioObject(
        "VirtualService",
        { name: rootRouteName(namespace), namespace: WORKSHOP_GATEWAY.namespace },
        {
            hosts: [placement.host ?? "*"],
            gateways: [WORKSHOP_GATEWAY.ref],
            exportTo: ["."],
            http: delegates.map((d) => {
                // A path matching everything (a route without one, on the attendee's own host) needs no match.
                const match = d.uris.some((u) => u === undefined) ? {} : { match: d.uris.map((uri) => ({ uri: uri! })) };
                return { name: d.name, ...match, delegate: { name: d.name, namespace } };
            }),
        },
    );
}
