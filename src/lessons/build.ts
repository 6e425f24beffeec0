/**
 * Scenarios from settings, and scenarios into objects: Deployments, Services,
 * DestinationRules, VirtualServices and the stage's policies (schema-checked by
 * the plan), traffic generators, one verification Job per routing rule and the
 * stage's own checks, and hands-on hand-outs. Pure: `src/classroom/lessonsNamespace.ts`
 * registers them.
 */
import type { types } from "@pulumi/kubernetes";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { istioObject, type IstioObject, type TrafficPolicy } from "../model/istioObjects";
import { VERIFY_HOOK } from "./delivery";
import { EGRESS_GATEWAY, GATEWAY_TLS_PORT, WORKSHOP_GATEWAY, exportedTo } from "../model/platform";
import { RESTRICTED_POD_SECURITY } from "../model/podSecurity";
import type { Settings } from "../settings/settings";
import { IMAGES } from "../model/images";
import { PLATFORM_PART_LABELS } from "../model/platform";
import { GATEWAY_CA_CONFIG_MAP, GATEWAY_CA_FILE } from "./gatewayCa";
import { EGRESS_GATEWAY_PORT, EXTERNAL_HOST, EXTERNAL_PORT, GATEWAY_HTTPS_URL, GATEWAY_URL, bookinfo, curlLoop, egress, externalStandIn, grpc, helloworld, mtls, myApp, tcp, type CatalogContext } from "./catalog";
import { EXTERNAL_NAMESPACE } from "../model/platform";
import { GATEWAY_HOST, NO_INJECTION_LABEL, STAGE_STATE_KEYS, selects, serviceAccountOf, type Labels, type ProbeDef, type PolicyDef, type RouteRuleDef, type RoutingDef, type ScenarioDef, type ServiceDef, type StageCheckDef, type StageState, type TrafficPolicyDef, type WorkloadDef } from "./model";
import { FALSE_ALARM, splitIntervals } from "./stats";

type Apps = Settings["apps"];
type DeploymentArgs = types.input.apps.v1.Deployment;

/** The scenario keys of `apps`, and the lesson each one builds. */
export const SCENARIOS = {
    helloworld: (ctx: CatalogContext) => helloworld(ctx),
    bookinfo: () => bookinfo(),
    myApp: () => myApp(),
    grpc: (ctx: CatalogContext) => grpc(ctx),
    mtls: (ctx: CatalogContext) => mtls(ctx),
    tcp: () => tcp(),
    egress: (ctx: CatalogContext) => egress(ctx),
} as const;
export type ScenarioKey = keyof typeof SCENARIOS;

/** Requests per second of each traffic generator; undefined when traffic is off. */
export function trafficRate(apps: Apps): number | undefined {
    return apps.traffic.enabled ? apps.traffic.requestsPerSecond : undefined;
}

/** A lesson at one of its stages: that stage's routes, and its workloads without sidecars where the stage says so. */
export function atStage(base: ScenarioDef, stage: string | undefined): ScenarioDef {
    const at = base.stages?.find((x) => x.name === stage);
    if (!at) return base;
    // A stage's workload replaces the lesson's of the same name (e.g. ratings v1 failing half its answers).
    const own = new Map((at.workloads ?? []).map((w) => [w.name, w]));
    const all = [...base.workloads.map((w) => own.get(w.name) ?? w), ...(at.workloads ?? []).filter((w) => !base.workloads.some((b) => b.name === w.name))];
    const workloads = at.withoutSidecars ? all.map((w) => ({ ...w, labels: { ...w.labels, [NO_INJECTION_LABEL]: "false" } })) : all;
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
export function resolveScenarios(apps: Apps): ScenarioDef[] {
    const ctx: CatalogContext = { rate: trafficRate(apps) };
    return (Object.keys(SCENARIOS) as ScenarioKey[])
        .filter((key) => apps[key].enabled)
        .map((key) => {
            const base = atStage(SCENARIOS[key](ctx), apps[key].stage);
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
}

export function gatewayPlacement(id: string | undefined, domain: string | undefined): GatewayPlacement {
    if (id === undefined) return {};
    return domain !== undefined ? { host: `${id}.${domain}`, delegated: true } : { prefix: `/${id}`, delegated: true };
}

/** The gateway VirtualServices of a set of scenarios, by name: the delegates an attendee's root route hands to. */
export function gatewayDelegates(scenarios: readonly ScenarioDef[]): string[] {
    return scenarios.filter((s) => s.routing.some((r) => r.host === GATEWAY_HOST)).map((s) => gatewayRouteName(s));
}

const gatewayRouteName = (s: Pick<ScenarioDef, "name">) => `${s.name}-gateway`;

/**
 * An attendee's root routes, owned by the platform, in the gateway's namespace:
 * bound to the shared Gateway on the attendee's host (or any host, under their
 * path prefix), each route handing over to one of the attendee's delegate
 * VirtualServices. Istio merges a delegate's routes into the root only where
 * they match within the root's match (a path under `/<id>/`), so a delegate
 * cannot claim another attendee's paths, the addons' or another host.
 */
export function rootRoutes(namespace: string, placement: GatewayPlacement, delegates: readonly string[]): IstioObject<"VirtualService"> {
    const match = placement.prefix !== undefined ? { match: [{ uri: { prefix: `${placement.prefix}/` } }] } : {};
    return istioObject(
        "VirtualService",
        { name: `attendee-${namespace}`, namespace: WORKSHOP_GATEWAY.namespace },
        {
            hosts: [placement.host ?? "*"],
            gateways: [WORKSHOP_GATEWAY.ref],
            exportTo: ["."],
            http: delegates.map((name) => ({ name, ...match, delegate: { name, namespace } })),
        },
    );
}

/** Hosts of the gateway-bound VirtualServices the scenarios create, for every attendee. */
export function gatewayRouteHosts(ids: readonly string[], domain: string | undefined): string[] {
    return domain !== undefined && ids.length > 0 ? ids.map((id) => `${id}.${domain}`) : ["*"];
}

// ---------------------------------------------------------------------------
// Workloads

const CONTAINER_SECURITY = (w: WorkloadDef): types.input.core.v1.SecurityContext => ({
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem: !w.writableRoot,
    runAsNonRoot: true,
    ...(w.runAsUser !== undefined ? { runAsUser: w.runAsUser } : {}),
});

export function deploymentSpec(w: WorkloadDef, namespace: string): DeploymentArgs {
    const volumes: types.input.core.v1.Volume[] = [];
    const mounts: types.input.core.v1.VolumeMount[] = [];
    if (w.config) {
        volumes.push({ name: "config", configMap: { name: w.config.name } });
        mounts.push({ name: "config", mountPath: w.config.mountPath, readOnly: true });
    }
    if (!w.writableRoot) {
        volumes.push({ name: "tmp", emptyDir: {} });
        mounts.push({ name: "tmp", mountPath: "/tmp" });
    }
    const port = w.containerPort;
    return {
        metadata: { name: w.name, namespace, labels: { ...w.labels } },
        spec: {
            replicas: w.replicas,
            selector: { matchLabels: { app: w.labels.app, version: w.labels.version } },
            template: {
                metadata: { labels: { ...w.labels } },
                spec: {
                    serviceAccountName: serviceAccountOf(w),
                    // The apps never call the Kubernetes API (the sidecar gets its own token from the injector).
                    automountServiceAccountToken: false,
                    securityContext: { ...RESTRICTED_POD_SECURITY },
                    containers: [
                        {
                            name: w.labels.app,
                            image: w.image,
                            ...(w.command ? { command: [...w.command] } : {}),
                            ...(w.args ? { args: [...w.args] } : {}),
                            ...(w.env ? { env: Object.entries(w.env).map(([name, value]) => ({ name, value })) } : {}),
                            ...(port !== undefined ? { ports: [{ containerPort: port }] } : {}),
                            ...(w.readinessPath && port !== undefined ? { readinessProbe: { httpGet: { path: w.readinessPath, port } } } : {}),
                            resources: { requests: { cpu: w.resources.cpu, memory: w.resources.memory }, limits: { memory: w.resources.memoryLimit } },
                            securityContext: CONTAINER_SECURITY(w),
                            ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
                        },
                    ],
                    ...(volumes.length > 0 ? { volumes } : {}),
                },
            },
        },
    };
}

export function serviceSpec(svc: ServiceDef, namespace: string): types.input.core.v1.Service {
    return {
        metadata: {
            name: svc.name,
            namespace,
            labels: { app: svc.selector.app ?? svc.name, service: svc.name },
            // Seen by the namespace's own proxies and by the ingress gateway, which routes to it.
            annotations: exportedTo([".", WORKSHOP_GATEWAY.namespace, ...(svc.exportTo ?? [])]),
        },
        spec: { selector: { ...svc.selector }, ports: svc.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: "TCP" })) },
    };
}

// ---------------------------------------------------------------------------
// Routing

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

function httpRoute(host: string, rule: RouteRuleDef, index: number, s: ScenarioDef, namespace: string, placement: GatewayPlacement) {
    const m = rule.match;
    // An attendee's gateway routes live under their prefix, which is rewritten away before the app sees the path.
    const outer = host === GATEWAY_HOST ? (placement.prefix ?? "") : "";
    const uri =
        m?.exact !== undefined
            ? { exact: `${outer}${m.exact}` }
            : outer !== "" || m?.prefix !== undefined
              ? { prefix: `${outer}${m?.prefix ?? "/"}` }
              : undefined;
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
function isTcp(svc: ServiceDef | undefined): boolean {
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
                const selector = p.selector ? { selector: { matchLabels: { ...p.selector } } } : {};
                const rules = p.rules.map((r) => ({
                    ...(r.fromServiceAccounts ? { from: [{ source: { principals: r.fromServiceAccounts.map((sa) => principalOf(namespace, sa)) } }] } : {}),
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
const platformOnly = (o: { kind: string }) => PLATFORM_ONLY_KINDS.includes(o.kind);

// ---------------------------------------------------------------------------
// Verification

export interface Expectation {
    readonly version: string;
    readonly contains: string;
    /** Share of requests a correct mesh sends here. */
    readonly share: number;
    readonly range: readonly [number, number];
}

export interface CheckPlan {
    readonly name: string;
    readonly url: string;
    readonly podLabels: Labels;
    readonly headers: Readonly<Record<string, string>>;
    readonly requests: number;
    readonly expectations: readonly Expectation[];
    /** What the rule says, for messages. */
    readonly describes: string;
    /** Seconds one request may take (default 5): more where a delay is injected. */
    readonly timeoutSeconds?: number;
    /** The status that tells the route is in place, where it is not 2xx (an injected abort's; `000`: refused). */
    readonly readyStatus?: number | string;
    /** The ServiceAccount the check runs as (default `verify`): the caller's mesh identity. */
    readonly serviceAccount?: string;
    /** Requests sent at once (curl --parallel), to load a connection pool. */
    readonly parallel?: number;
    /** For a TCP check: the line sent on each connection. */
    readonly tcpSend?: string;
    /** Seconds the requests may take, from the end of the wait for the stage (a rate limit's fill interval). */
    readonly withinSeconds?: number;
    /** For an HTTPS check: the CA file (mounted from the namespace's `workshop-gateway-ca` ConfigMap) the server's certificate must chain to. */
    readonly caFile?: string;
    /**
     * Requests the caller's own proxy completes to a cluster (`outbound|<port>|<subset>|<host>.`):
     * those a route mirrors to its mirror target, or those that went through the egress gateway.
     */
    readonly completed?: { readonly name: string; readonly cluster: string; readonly range: readonly [number, number] };
    /** Annotations of the check's pod (the proxy configuration a completed-request count needs). */
    readonly podAnnotations?: Readonly<Record<string, string>>;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** The share of requests each version receives under a rule, as a correct mesh routes it. */
function sharesFor(rule: RouteRuleDef, dest: ServiceDef, s: ScenarioDef): Record<string, number> | undefined {
    if (rule.weights) {
        const shares: Record<string, number> = {};
        for (const [subset, w] of Object.entries(rule.weights)) {
            const version = s.subsets[dest.name]?.[subset]?.version;
            if (version === undefined) return undefined; // a subset not keyed by version cannot be told apart in answers
            shares[version] = (shares[version] ?? 0) + w / 100;
        }
        return shares;
    }
    const pods = s.workloads.filter((w) => w.replicas > 0 && selects(dest.selector, w.labels));
    const total = pods.reduce((n, w) => n + w.replicas, 0);
    const shares: Record<string, number> = {};
    for (const w of pods) shares[w.labels.version] = (shares[w.labels.version] ?? 0) + w.replicas / total;
    return shares;
}

/** What an injected fault answers, as the verification script tells it apart: by status, or by how long it took. */
function faultOutcome(rule: RouteRuleDef): { name: string; contains: string; share: number; delaySeconds?: number; abortStatus?: number } | undefined {
    // A timeout the stage makes every request outlive: Envoy answers 504 once it expires (with a second's margin).
    if (rule.timeout?.outlived) {
        const t = rule.timeout.seconds;
        return { name: `timed-out-${t}s`, contains: `@status=504&time<${t + 1}`, share: 1, abortStatus: 504 };
    }
    const f = rule.fault;
    if (!f) return undefined;
    if (f.abortStatus !== undefined) return { name: `aborted-${f.abortStatus}`, contains: `@status=${f.abortStatus}`, share: f.percent / 100, abortStatus: f.abortStatus };
    if (f.delaySeconds !== undefined) return { name: `delayed-${f.delaySeconds}s`, contains: `@time>=${f.delaySeconds}`, share: f.percent / 100, delaySeconds: f.delaySeconds };
    return undefined;
}

/** Does a route's `retryOn` retry an answer with this status? (`5xx`: any 5xx; `gateway-error`: 502, 503, 504.) */
function retriesStatus(retryOn: string, status: number): boolean {
    return retryOn.split(",").some((x) => (x === "5xx" && status >= 500) || (x === "gateway-error" && [502, 503, 504].includes(status)));
}

/**
 * The answers a destination's own failures leave failed (`WorkloadDef.fails`),
 * after the rule's retries: a version whose pods fail a share f of requests
 * fails f^(1 + attempts) of them when its status is retried, f otherwise. (Istio's
 * default retries do not retry a 503 the app answers: its default `retryOn` names
 * no status code.) Per version, and in total over the rule's shares.
 */
function appFailures(rule: RouteRuleDef, dest: ServiceDef, s: ScenarioDef, shares: Record<string, number>) {
    const pods = s.workloads.filter((w) => w.replicas > 0 && selects(dest.selector, w.labels));
    const status = pods.find((w) => w.fails)?.fails?.status;
    if (status === undefined) return undefined;
    const byVersion: Record<string, number> = {};
    let total = 0;
    for (const [version, share] of Object.entries(shares)) {
        const of = pods.filter((w) => w.labels.version === version);
        const n = of.reduce((a, w) => a + w.replicas, 0);
        if (n === 0) continue;
        const f = of.reduce((a, w) => a + w.replicas * (w.fails?.share ?? 0), 0) / n;
        const tries = 1 + (rule.retries && retriesStatus(rule.retries.retryOn, status) ? rule.retries.attempts : 0);
        byVersion[version] = f ** tries;
        total += share * byVersion[version];
    }
    return { status, total, byVersion };
}

/** The path a probe requests to exercise a rule's path match, if the probe's page is one the rule matches. */
function probePath(probe: ProbeDef, match: RouteRuleDef["match"]): string | undefined {
    const { prefix, exact } = match ?? {};
    if (exact !== undefined) return probe.anyPath || probe.path === exact ? exact : undefined;
    if (prefix !== undefined) return probe.anyPath ? prefix : probe.path.startsWith(prefix) ? probe.path : undefined;
    return probe.path;
}

/** One check per routing rule that a probe can observe: where to send requests, from which pod labels, what to expect. */
export function checkPlans(s: ScenarioDef, requests: number, placement: GatewayPlacement = {}): CheckPlan[] {
    const plans: CheckPlan[] = [];
    for (const r of s.routing) {
        const isGateway = r.host === GATEWAY_HOST;
        r.rules.forEach((rule, i) => {
            const hostName = isGateway ? `${s.name}-gw` : r.host;
            const gatewayHeaders: Record<string, string> = isGateway && placement.host ? { Host: placement.host } : {};
            if (rule.redirect) {
                // The gateway answers a redirect itself, to every request the rule matches.
                if (!isGateway) return;
                plans.push({
                    name: `verify-${hostName}-${i + 1}`,
                    url: `${GATEWAY_URL}${placement.prefix ?? ""}${rule.match?.exact ?? rule.match?.prefix ?? "/"}`,
                    podLabels: { app: `verify-${s.name}`, version: "verify" },
                    headers: { ...gatewayHeaders },
                    requests,
                    expectations: [{ version: `redirected-${REDIRECT_STATUS}`, contains: `@status=${REDIRECT_STATUS}`, share: 1, range: [requests, requests] }],
                    describes: `${r.origin}[${i}]`,
                    readyStatus: REDIRECT_STATUS,
                });
                return;
            }
            const destName = rule.to ?? r.host;
            const dest = s.services.find((svc) => svc.name === destName);
            const probe = s.probes[destName];
            if (!dest || !probe) return;
            const path = probePath(probe, rule.match);
            if (path === undefined) return; // the probe's page is not one this rule matches
            const shares = sharesFor(rule, dest, s);
            if (!shares) return;
            // An injected fault answers its share of the requests itself (listed first, so a delayed answer counts
            // as delayed); where another rule of the host delays, an answer this slow must not come from this one.
            const faulted = faultOutcome(rule);
            const rest = 1 - (faulted?.share ?? 0);
            const slowest = Math.max(0, ...r.rules.map((x) => x.fault?.delaySeconds ?? 0));
            const failing = appFailures(rule, dest, s, shares);
            const answers: [string, string, number][] = [
                ...(faulted ? [[faulted.name, faulted.contains, faulted.share] as [string, string, number]] : []),
                ...(faulted?.delaySeconds === undefined && slowest > 0 ? [[`delayed-${slowest}s`, `@time>=${slowest}`, 0] as [string, string, number]] : []),
                ...(failing ? [[`failed-${failing.status}`, `@status=${failing.status}`, failing.total * rest] as [string, string, number]] : []),
                ...probe.versions.map(([version, contains]) => [version, contains, (shares[version] ?? 0) * rest * (1 - (failing?.byVersion[version] ?? 0))] as [string, string, number]),
            ];
            const positive = Object.fromEntries(answers.filter(([, , p]) => p > 0).map(([v, , p]) => [v, p]));
            const ranges = splitIntervals(requests, positive);
            const expectations = answers.map(([version, contains, share]) => ({ version, contains, share, range: ranges[version] ?? ([0, 0] as const) }));
            // Over HTTPS where the rule matches the gateway's TLS port: the gateway's certificate checked against the workshop's CA.
            const tls = isGateway && rule.match?.port === GATEWAY_TLS_PORT;
            const target = isGateway
                ? { url: `${tls ? GATEWAY_HTTPS_URL : GATEWAY_URL}${placement.prefix ?? ""}${path}`, ...(tls ? { caFile: GATEWAY_CA_FILE } : {}) }
                : serviceTarget(dest, path);
            const source = rule.match?.sourceLabels;
            const checkAs = s.checkAs?.[destName];
            const mirror = rule.mirror && !isGateway ? mirrorCount(rule.mirror, dest, requests) : undefined;
            plans.push({
                ...(checkAs ? { serviceAccount: checkAs } : {}),
                ...(mirror ?? {}),
                name: `verify-${hostName}-${i + 1}`,
                ...target,
                podLabels: source ? { version: "verify", ...source } : { app: `verify-${s.name}`, version: "verify" },
                headers: { ...gatewayHeaders, ...(s.checkHeaders?.[r.host] ?? {}), ...(rule.match?.headers ?? {}) },
                requests,
                expectations,
                describes: `${r.origin}[${i}]`,
                ...(slowest > 0 ? { timeoutSeconds: slowest + 5 } : {}),
                ...(faulted?.abortStatus !== undefined && faulted.share === 1 ? { readyStatus: faulted.abortStatus } : {}),
            });
        });
    }
    // A service of several versions with no routing rule at this stage: Kubernetes' (or the sidecar's own)
    // balancing, each version in proportion to its pods; the "before" of every routing lesson.
    const routed = new Set(s.routing.map((r) => r.host));
    for (const dest of s.services) {
        const probe = s.probes[dest.name];
        if (!probe || routed.has(dest.name)) continue;
        const shares = sharesFor({}, dest, s)!;
        if (Object.keys(shares).length < 2) continue;
        const ranges = splitIntervals(requests, shares);
        plans.push({
            name: `verify-${dest.name}-balanced`,
            ...serviceTarget(dest, probe.path),
            podLabels: { app: `verify-${s.name}`, version: "verify" },
            headers: {},
            requests,
            expectations: probe.versions.map(([version, contains]) => ({ version, contains, share: shares[version] ?? 0, range: ranges[version] ?? ([0, 0] as const) })),
            describes: `${s.name} at stage ${s.stage ?? "(default)"}: no routing rule for ${dest.name}, every version in proportion to its pods`,
            ...(s.checkAs?.[dest.name] ? { serviceAccount: s.checkAs[dest.name] } : {}),
        });
    }
    return [...plans, ...(s.checks ?? []).map((c) => stageCheckPlan(c, s, requests))];
}

/** The status of a redirect the gateway answers (Istio's default `redirectCode`). */
export const REDIRECT_STATUS = 301;

/** The line a TCP check sends on each connection (tcp-echo answers `<prefix> hello`). */
export const TCP_LINE = "hello";

/** Where a check reaches a service of the lesson: its first port, over HTTP at `path`, or a TCP connection that sends one line. */
function serviceTarget(dest: ServiceDef, path: string): Pick<CheckPlan, "url" | "tcpSend"> {
    const port = dest.ports[0].port;
    return isTcp(dest) ? { url: `tcp://${dest.name}:${port}`, tcpSend: TCP_LINE } : { url: `http://${dest.name}:${port}${path}` };
}

/** The mirror count of a check: every request the route matches is mirrored, as its percentage says. */
function mirrorCount(m: NonNullable<RouteRuleDef["mirror"]>, dest: ServiceDef, requests: number): Pick<CheckPlan, "completed" | "podAnnotations"> {
    const share = m.percent / 100;
    const range = share === 1 ? ([requests, requests] as const) : splitIntervals(requests, { mirrored: share, other: 1 - share }).mirrored;
    return proxyCount(`mirrored-to-${m.subset}`, `outbound|${dest.ports[0].port}|${m.subset}|${dest.name}.`, range);
}

/** Requests the caller's own proxy must count as completed to a cluster, and the pod annotation that makes it keep that statistic. */
function proxyCount(name: string, cluster: string, range: readonly [number, number]): Pick<CheckPlan, "completed" | "podAnnotations"> {
    // Istio's proxies keep only some of Envoy's statistics: the cluster's are asked for.
    const annotations = { "proxy.istio.io/config": JSON.stringify({ proxyStatsMatcher: { inclusionPrefixes: [`cluster.${cluster}`] } }) };
    return { completed: { name, cluster, range }, podAnnotations: annotations };
}

/** A stage's own check as a plan: exact shares get the statistical ranges, "at least one" gets [1, requests]. */
function stageCheckPlan(c: StageCheckDef, s: ScenarioDef, requests: number): CheckPlan {
    const exact = Object.fromEntries(c.outcomes.filter((o) => (o.share ?? 0) > 0).map((o) => [o.name, o.share!]));
    const ranges = Object.keys(exact).length > 0 ? splitIntervals(requests, exact) : {};
    const expectations = c.outcomes.map((o) => ({
        version: o.name,
        contains: o.contains,
        share: o.share ?? 0,
        range: o.atLeastOne
            ? ([1, requests] as const)
            : o.atMost !== undefined
              ? ([0, Math.min(o.atMost, requests)] as const)
              : o.allButAtMost !== undefined
                ? ([Math.max(0, requests - o.allButAtMost), requests] as const)
                : (ranges[o.name] ?? ([0, 0] as const)),
    }));
    const tcp = c.url.startsWith("tcp://");
    return {
        name: `verify-${c.name}`,
        url: c.url,
        podLabels: { app: `verify-${s.name}`, version: "verify", ...(c.labels ?? {}), ...(c.withoutSidecar ? { [NO_INJECTION_LABEL]: "false" } : {}) },
        headers: { ...(c.headers ?? {}) },
        requests,
        expectations,
        describes: `${s.name} at stage ${s.stage ?? "(default)"}: ${c.describes}`,
        ...(c.serviceAccount ? { serviceAccount: c.serviceAccount } : {}),
        ...(c.parallel ? { parallel: c.parallel } : {}),
        ...(c.readyStatus !== undefined ? { readyStatus: c.readyStatus } : {}),
        ...(c.withinSeconds !== undefined ? { withinSeconds: c.withinSeconds } : {}),
        ...(c.through ? proxyCount(c.through.name, c.through.cluster, [requests, requests]) : {}),
        ...(tcp ? { tcpSend: TCP_LINE } : {}),
    };
}

/**
 * The verification script (`verify.sh` beside this file), one copy per namespace
 * in a ConfigMap, driven by each Job's environment: wait until the route
 * answers, send VERIFY_REQUESTS requests to VERIFY_URL, count the answers per
 * version (VERIFY_EXPECT lines `version|text the answer contains|lowest|highest|share`)
 * and compare the counts with the ranges. A failure prints what was expected and
 * what was measured, also as the pod's termination message.
 */
export const VERIFY_SCRIPT = fs.readFileSync(path.join(__dirname, "verify.sh"), "utf8");

/** The ServiceAccount every verification Job of a namespace runs as. */
export const VERIFY_ACCOUNT = "verify";

/** The ConfigMap that holds the verification script in a namespace. */
export const VERIFY_CONFIG_MAP = "verify-script";

/** The environment that tells the shared script what one check expects. */
export function verifyEnv(c: CheckPlan): { name: string; value: string }[] {
    for (const e of c.expectations) {
        if (/[|\n]/.test(e.contains)) throw new Error(`${c.name}: the text to look for may not contain "|" or a newline: ${JSON.stringify(e.contains)}`);
    }
    return [
        { name: "VERIFY_NAME", value: c.name },
        { name: "VERIFY_URL", value: c.url },
        { name: "VERIFY_REQUESTS", value: String(c.requests) },
        { name: "VERIFY_HEADERS", value: Object.entries(c.headers).map(([k, v]) => `${k}: ${v}`).join("\n") },
        { name: "VERIFY_EXPECT", value: c.expectations.map((e) => [e.version, e.contains, e.range[0], e.range[1], e.share === 0 && e.range[1] > 0 ? "-" : pct(e.share)].join("|")).join("\n") },
        { name: "VERIFY_DESCRIBES", value: c.describes },
        { name: "VERIFY_ALPHA", value: FALSE_ALARM.toExponential() },
        ...(c.timeoutSeconds !== undefined ? [{ name: "VERIFY_TIMEOUT", value: String(c.timeoutSeconds) }] : []),
        ...(c.readyStatus !== undefined ? [{ name: "VERIFY_READY_STATUS", value: String(c.readyStatus) }] : []),
        ...(c.parallel !== undefined ? [{ name: "VERIFY_PARALLEL", value: String(c.parallel) }] : []),
        ...(c.tcpSend !== undefined ? [{ name: "VERIFY_TCP_SEND", value: c.tcpSend }] : []),
        ...(c.withinSeconds !== undefined ? [{ name: "VERIFY_WITHIN", value: String(c.withinSeconds) }] : []),
        ...(c.caFile !== undefined ? [{ name: "VERIFY_CACERT", value: c.caFile }] : []),
        ...(c.completed
            ? [
                  { name: "VERIFY_COMPLETED", value: c.completed.name },
                  { name: "VERIFY_COMPLETED_CLUSTER", value: c.completed.cluster },
                  { name: "VERIFY_COMPLETED_RANGE", value: `${c.completed.range[0]} ${c.completed.range[1]}` },
              ]
            : []),
    ];
}

export const JOB_RESOURCES = { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } };

export function jobSpec(
    name: string,
    namespace: string,
    podLabels: Labels,
    container: types.input.core.v1.Container,
    pod: { readonly serviceAccount?: string; readonly annotations?: Readonly<Record<string, string>>; readonly gatewayCa?: boolean } = {},
): types.input.batch.v1.Job {
    return {
        // A hook of the namespace's lessons release: runs once everything else is applied and ready.
        metadata: { name, namespace, labels: { app: "verify", check: name }, annotations: { ...VERIFY_HOOK } },
        spec: {
            backoffLimit: 1,
            activeDeadlineSeconds: 900,
            template: {
                metadata: { labels: { ...podLabels }, ...(pod.annotations ? { annotations: { ...pod.annotations } } : {}) },
                spec: {
                    restartPolicy: "Never",
                    serviceAccountName: pod.serviceAccount ?? VERIFY_ACCOUNT,
                    automountServiceAccountToken: false,
                    securityContext: RESTRICTED_POD_SECURITY,
                    ...(container.volumeMounts
                        ? {
                              volumes: [
                                  { name: "verify", configMap: { name: VERIFY_CONFIG_MAP } },
                                  ...(pod.gatewayCa ? [{ name: "gateway-ca", configMap: { name: GATEWAY_CA_CONFIG_MAP } }] : []),
                              ],
                          }
                        : {}),
                    containers: [
                        {
                            ...container,
                            resources: JOB_RESOURCES,
                            terminationMessagePolicy: "FallbackToLogsOnError",
                            securityContext: {
                                allowPrivilegeEscalation: false,
                                readOnlyRootFilesystem: true,
                                runAsNonRoot: true,
                                runAsUser: 100,
                                capabilities: { drop: ["ALL"] },
                            },
                        },
                    ],
                },
            },
        },
    };
}

// ---------------------------------------------------------------------------
// Everything of one scenario in one namespace

export interface BuildOptions {
    readonly namespace: string;
    /** Where the scenario's gateway routes go on the shared gateway (an attendee's prefix or host). */
    readonly placement?: GatewayPlacement;
    readonly verify: boolean;
    readonly requests: number;
    readonly rate?: number;
    /**
     * Hands-on: the attendee applies the routing and policy objects of each
     * stage (`routingParts`) from the hand-out; the verification Jobs
     * wait, as suspended CronJobs, until the attendee runs them.
     */
    readonly handsOn?: boolean;
    /** The namespaces the namespace's default Sidecar imports (`sidecarEgressHosts`). */
    readonly sidecarHosts?: readonly string[];
}

/** What a namespace's proxies import when no mesh settings say otherwise: their own namespace and the control plane's. */
const DEFAULT_SIDECAR_HOSTS = ["./*", "istio-system/*"];

export interface BuiltCheck {
    readonly name: string;
    readonly job: types.input.batch.v1.Job;
    /** Runs the namespace's verification script (mounted from its ConfigMap). */
    readonly usesScript: boolean;
}

export interface Named<T> {
    readonly name: string;
    readonly spec: T;
}

export interface BuiltScenario {
    readonly name: string;
    /** The ServiceAccounts the scenario's Deployments run as. */
    readonly serviceAccounts: string[];
    readonly configMaps: Named<types.input.core.v1.ConfigMap>[];
    /** Deployments, with the ConfigMap each mounts. */
    readonly deployments: (Named<DeploymentArgs> & { readonly configMap?: string })[];
    readonly services: Named<types.input.core.v1.Service>[];
    readonly destinationRules: IstioObject<"DestinationRule">[];
    /** VirtualServices with the routing host they implement (`gateway` for gateway routes). */
    readonly virtualServices: { readonly host: string; readonly object: IstioObject<"VirtualService"> }[];
    /** The stage's policies: AuthorizationPolicies, PeerAuthentications, ServiceEntries, an outbound Sidecar. */
    readonly policies: IstioObject[];
    readonly checks: BuiltCheck[];
    /** Hands-on: the stack installs no routing object; the attendee applies these, stage by stage. */
    readonly handOut?: readonly HandOutStage[];
}

/** One stage of a lesson as the attendee applies it. */
export interface HandOutStage {
    readonly lesson: string;
    readonly stage: string;
    readonly summary: string;
    readonly note?: string;
    readonly objects: readonly Manifest[];
}

/**
 * The scenario's traffic generator (one Deployment calling its traffic URLs), if
 * traffic is on. URLs through the gateway go where this namespace's gateway routes
 * are: under its prefix, or with its Host header.
 */
export function trafficGenerators(s: ScenarioDef, rate: number | undefined, placement: GatewayPlacement = {}): WorkloadDef[] {
    if (s.traffic.length === 0 || rate === undefined) return [];
    const viaGateway = (u: string) => u.startsWith(`${GATEWAY_URL}/`);
    const urls = s.traffic.map((u) => (viaGateway(u) && placement.prefix ? `${GATEWAY_URL}${placement.prefix}${u.slice(GATEWAY_URL.length)}` : u));
    return [
        {
            name: `traffic-${s.name}`,
            labels: { app: `traffic-${s.name}`, version: "v1" },
            image: IMAGES.curl,
            replicas: 1,
            command: curlLoop(urls, rate, (u) => (viaGateway(u) ? placement.host : undefined)),
            runAsUser: 100,
            resources: { cpu: "10m", memory: "16Mi", memoryLimit: "64Mi" },
        },
    ];
}

type RoutingParts = Pick<BuiltScenario, "destinationRules" | "virtualServices" | "policies">;

/** A lesson's routing and policy objects at its stage: what the stack installs, or hands out stage by stage. */
function routingParts(s: ScenarioDef, namespace: string, placement: GatewayPlacement | undefined, sidecarHosts: readonly string[]): RoutingParts {
    return {
        destinationRules: destinationRules(s, namespace),
        virtualServices: s.routing.map((r) => ({ host: r.host, object: virtualService(r, s, namespace, placement) })),
        policies: policyObjects(s.policies, namespace, sidecarHosts),
    };
}

function routingManifests(p: RoutingParts): Manifest[] {
    return [...p.destinationRules, ...p.virtualServices.map(({ object }) => object), ...p.policies] as unknown as Manifest[];
}

export function buildScenario(s: ScenarioDef, o: BuildOptions): BuiltScenario {
    const ns = o.namespace;
    const generator = trafficGenerators(s, o.rate, o.placement);
    const workloads = [...s.workloads, ...generator];
    const checks: BuiltCheck[] = !o.verify
        ? []
        : [
              ...checkPlans(s, o.requests, o.placement).map((c) => ({
                  name: c.name,
                  job: jobSpec(c.name, ns, c.podLabels, {
                      name: "verify",
                      image: IMAGES.curl,
                      command: ["sh", "/verify/verify.sh"],
                      env: verifyEnv(c),
                      volumeMounts: [
                          { name: "verify", mountPath: "/verify", readOnly: true },
                          ...(c.caFile ? [{ name: "gateway-ca", mountPath: path.dirname(c.caFile), readOnly: true }] : []),
                      ],
                  }, { serviceAccount: c.serviceAccount, annotations: c.podAnnotations, gatewayCa: c.caFile !== undefined }),
                  usesScript: true,
              })),
              ...(s.extraChecks ?? []).map((x) => ({
                  name: `verify-${x.name}`,
                  job: jobSpec(`verify-${x.name}`, ns, { app: `verify-${s.name}`, version: "verify" }, { name: "verify", image: x.image, command: [...x.command] }),
                  usesScript: false,
              })),
          ];
    // Labelled by lesson, so a step can remove the lesson's previous stage before applying the next.
    const byLesson = (m: Manifest): Manifest => ({ ...m, metadata: { ...m.metadata, labels: { ...(m.metadata.labels ?? {}), [LESSON_LABEL]: s.name } } });
    const hosts = o.sidecarHosts ?? DEFAULT_SIDECAR_HOSTS;
    const handOut = o.handsOn
        ? (s.stages ?? []).map((st) => ({
              lesson: s.name,
              stage: st.name,
              // Sidecars are the workloads', which the stack deploys: the organiser's stage decides them.
              summary: st.withoutSidecars ? `${st.summary} (the sidecars come and go with the class's stage, which the organiser sets)` : st.summary,
              ...(st.handOutNote ? { note: st.handOutNote } : {}),
              objects: routingManifests(routingParts(atStage(s, st.name), ns, o.placement, hosts))
                  .filter((m) => !platformOnly(m))
                  .map(byLesson),
          }))
        : undefined;
    return {
        name: s.name,
        handOut,
        serviceAccounts: [...new Set(workloads.map(serviceAccountOf))],
        configMaps: workloads.flatMap((w) =>
            w.config ? [{ name: w.config.name, spec: { metadata: { name: w.config.name, namespace: ns }, data: { ...w.config.files } } }] : [],
        ),
        deployments: workloads.map((w) => ({ name: w.name, spec: deploymentSpec(w, ns), configMap: w.config?.name })),
        services: s.services.map((svc) => ({ name: svc.name, spec: serviceSpec(svc, ns) })),
        ...routingParts(s, ns, o.placement, hosts),
        checks,
    };
}

// ---------------------------------------------------------------------------
// As the manifests of the namespace's lessons release

export type Manifest = { apiVersion: string; kind: string; metadata: Record<string, any>; [k: string]: unknown };

/**
 * Every object of a built scenario as a manifest. Order among them is Helm's:
 * it applies by kind (ServiceAccounts and ConfigMaps before Deployments and
 * Services, Istio's kinds last), waits until they are ready, then runs the
 * verification Jobs, which are hooks, so each measures a mesh that is ready.
 */
function scenarioManifests(b: BuiltScenario, namespace: string): Manifest[] {
    // Hands-on, the attendee applies the routing; what attendees may not create stays the stack's, at the class's stage.
    const routing = b.handOut ? (b.policies.filter(platformOnly) as unknown as Manifest[]) : routingManifests(b);
    return [
        ...b.serviceAccounts.map((name) => serviceAccountManifest(name, namespace)),
        ...b.configMaps.map((c) => ({ apiVersion: "v1", kind: "ConfigMap", ...c.spec }) as Manifest),
        ...b.deployments.map((d) => ({ apiVersion: "apps/v1", kind: "Deployment", ...d.spec }) as Manifest),
        ...b.services.map((s) => ({ apiVersion: "v1", kind: "Service", ...s.spec }) as Manifest),
        ...routing,
        ...b.checks.map((c) => (b.handOut ? waitingCheck(c) : ({ apiVersion: "batch/v1", kind: "Job", ...c.job } as Manifest))),
    ];
}

/** A verification Job the attendee starts (`kubectl create job --from=cronjob/<name>`): a CronJob that never runs by itself. */
function waitingCheck(c: BuiltCheck): Manifest {
    const { annotations: _hook, ...metadata } = (c.job.metadata ?? {}) as Record<string, unknown>;
    return { apiVersion: "batch/v1", kind: "CronJob", metadata, spec: { suspend: true, schedule: "0 0 1 1 *", jobTemplate: { spec: c.job.spec } } };
}

/** The ConfigMap that holds a namespace's hand-out: every stage of every lesson, and the steps. */
export const HAND_OUT_CONFIG_MAP = "lesson-steps";
export const HAND_OUT_LABELS: Readonly<Record<string, string>> = { "istio-workshop/hand-out": "true" };
/** The kinds a hand-out stage holds, as `kubectl delete` names them. */
export const HAND_OUT_KINDS = "virtualservices,destinationrules,authorizationpolicies,peerauthentications,requestauthentications,serviceentries,sidecars";
/** Label of every routing object a hand-out stage holds: the lesson it belongs to. */
export const LESSON_LABEL = "istio-workshop/lesson";

/** The hand-out's file of a stage: `<lesson>.<NN>-<stage>.yaml`, in teaching order. */
export function handOutFile(h: HandOutStage, index: number): string {
    return `${h.lesson}.${String(index + 1).padStart(2, "0")}-${h.stage}.yaml`;
}

/** How an attendee applies a stage and runs its checks, as text. */
export function handOutSteps(built: readonly BuiltScenario[], namespace: string): string {
    const lines = [`Lessons of namespace ${namespace}, stage by stage. Each step removes the lesson's routing objects, then applies the stage's:`, ""];
    for (const b of built) {
        (b.handOut ?? []).forEach((h, i) => {
            const file = handOutFile(h, i);
            lines.push(
                `${file}: ${h.summary}`,
                ...(h.note ? [`  ${h.note}`] : []),
                `  kubectl delete ${HAND_OUT_KINDS} -l ${LESSON_LABEL}=${h.lesson}; kubectl get configmap ${HAND_OUT_CONFIG_MAP} -o jsonpath='{.data.${file.replace(/\./g, "\\.")}}' | kubectl apply -f -`,
            );
        });
        if (b.checks.length > 0) {
            lines.push("", `Check ${b.name} at the stage the class is at:`);
            for (const c of b.checks) {
                lines.push(`  id=$(date +%H%M%S); kubectl create job --from=cronjob/${c.name} ${c.name}-$id && kubectl wait --for=condition=complete --timeout=10m job/${c.name}-$id; kubectl logs job/${c.name}-$id`);
            }
        }
        lines.push("");
    }
    return lines.join("\n");
}

/** A namespace's hand-out as files: `steps.txt` and one YAML file per stage of each lesson; empty unless hands-on. */
export function handOutData(built: readonly BuiltScenario[], namespace: string): Record<string, string> {
    const stages = built.flatMap((b) => (b.handOut ?? []).map((h, i) => [handOutFile(h, i), h] as const));
    if (stages.length === 0) return {};
    const files = stages.map(([file, h]) => [file, `# ${h.lesson}, stage ${h.stage}: ${h.summary}\n${h.objects.map((o) => YAML.stringify(o)).join("---\n")}`]);
    return { "steps.txt": handOutSteps(built, namespace), ...Object.fromEntries(files) };
}

function handOutManifest(built: readonly BuiltScenario[], namespace: string): Manifest[] {
    const data = handOutData(built, namespace);
    if (Object.keys(data).length === 0) return [];
    return [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: HAND_OUT_CONFIG_MAP, namespace, labels: { ...HAND_OUT_LABELS } }, data }];
}

/** The scenarios of one namespace, built as the stack builds them (its DemoApps uses the same). */
export function buildNamespace(apps: Apps, namespace: string, placement?: GatewayPlacement, sidecarHosts?: readonly string[]): BuiltScenario[] {
    return resolveScenarios(apps).map((s) =>
        buildScenario(s, {
            namespace,
            verify: apps.verify.enabled,
            requests: apps.verify.requests,
            rate: trafficRate(apps),
            placement,
            handsOn: apps.handsOn,
            sidecarHosts,
        }),
    );
}

/** The objects of the egress lesson's stand-in host, in its own namespace: no checks, no routes. */
export function standInManifests(): Manifest[] {
    return namespaceManifests([buildScenario(externalStandIn(), { namespace: EXTERNAL_NAMESPACE, verify: false, requests: 0 })], EXTERNAL_NAMESPACE);
}

/**
 * The platform's half of the egress lesson's `egress-gateway` stage, in the
 * egress gateway's namespace (attendees may not bind routes to gateways): a
 * Gateway for the stand-in host on the egress gateway's port 80, and the route
 * from that Gateway on to the host (whose Service is exported to that namespace
 * alone besides its own). Every namespace at that stage routes its calls for
 * the host to the egress gateway (its `EgressRoute`); these objects take over.
 */
export function egressGatewayRoute(): IstioObject[] {
    const namespace = EGRESS_GATEWAY.namespace;
    const port = { number: EGRESS_GATEWAY_PORT, name: "http", protocol: "HTTP" };
    return [
        istioObject("Gateway", { name: EGRESS_ROUTE_GATEWAY, namespace }, { selector: { ...EGRESS_GATEWAY.selector }, servers: [{ port, hosts: [EXTERNAL_HOST] }] }),
        istioObject(
            "VirtualService",
            { name: "workshop-stand-in", namespace },
            {
                hosts: [EXTERNAL_HOST],
                gateways: [EGRESS_ROUTE_GATEWAY],
                exportTo: ["."],
                http: [{ match: [{ port: EGRESS_GATEWAY_PORT }], route: [{ destination: { host: EXTERNAL_HOST, port: { number: EXTERNAL_PORT } } }] }],
            },
        ),
    ];
}
const EGRESS_ROUTE_GATEWAY = "workshop-egress";

/** A ServiceAccount whose token is never mounted: an identity for the mesh, no Kubernetes API access. */
function serviceAccountManifest(name: string, namespace: string): Manifest {
    return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace }, automountServiceAccountToken: false };
}

/** Every object of a namespace's scenarios, plus the verification script and ServiceAccount their checks share. */
export function namespaceManifests(built: readonly BuiltScenario[], namespace: string): Manifest[] {
    const needsScript = built.some((b) => b.checks.some((c) => c.usesScript));
    const script: Manifest[] = needsScript
        ? [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: VERIFY_CONFIG_MAP, namespace }, data: { "verify.sh": VERIFY_SCRIPT } }]
        : [];
    const verifyAccount = built.some((b) => b.checks.length > 0) ? [serviceAccountManifest(VERIFY_ACCOUNT, namespace)] : [];
    return [...script, ...verifyAccount, ...handOutManifest(built, namespace), ...built.flatMap((b) => scenarioManifests(b, namespace))];
}
