/**
 * The Istio objects this stack writes, as typed values at the API versions
 * Istio serves as stable (`networking.istio.io/v1`, `security.istio.io/v1`,
 * `telemetry.istio.io/v1`). The types cover the fields the stack sets; what an
 * object may hold is decided by the CRDs of the Istio version being deployed:
 * the plan validates every Istio object against them (schema, CEL rules,
 * unknown fields), see `src/judgement/checks/crdSchemas.ts`.
 */

type Labels = Record<string, string>;

export interface PortSelector {
    readonly number: number;
}

export interface HttpMatch {
    readonly sourceLabels?: Labels;
    /** The gateway's (Service) port the request came in on. */
    readonly port?: number;
    readonly uri?: { readonly prefix?: string; readonly exact?: string };
    readonly headers?: Record<string, { readonly exact: string }>;
}

export interface HttpRouteDestination {
    readonly destination: { readonly host: string; readonly subset?: string; readonly port?: PortSelector };
    readonly weight?: number;
}

/** A route: to destinations, or (on a root VirtualService) handed to a delegate VirtualService. */
export interface HttpRoute {
    readonly name?: string;
    readonly match?: readonly HttpMatch[];
    readonly rewrite?: { readonly uri?: string };
    readonly route?: readonly HttpRouteDestination[];
    readonly redirect?: { readonly scheme?: string; readonly port?: number; readonly redirectCode?: number };
    readonly timeout?: string;
    readonly fault?: {
        readonly delay?: { readonly fixedDelay: string; readonly percentage: { readonly value: number } };
        readonly abort?: { readonly httpStatus: number; readonly percentage: { readonly value: number } };
    };
    readonly delegate?: { readonly name: string; readonly namespace: string };
    readonly retries?: { readonly attempts: number; readonly retryOn: string; readonly perTryTimeout?: string };
    readonly mirror?: { readonly host: string; readonly subset?: string };
    readonly mirrorPercentage?: { readonly value: number };
}

/** A TCP route: to weighted destinations. */
export interface TcpRoute {
    readonly match?: readonly { readonly port?: number; readonly sourceLabels?: Labels }[];
    readonly route: readonly HttpRouteDestination[];
}

export interface TrafficPolicy {
    readonly connectionPool?: {
        readonly tcp?: { readonly maxConnections?: number };
        readonly http?: { readonly http1MaxPendingRequests?: number; readonly maxRequestsPerConnection?: number };
    };
    readonly outlierDetection?: { readonly consecutive5xxErrors?: number; readonly interval?: string; readonly baseEjectionTime?: string; readonly maxEjectionPercent?: number };
}

interface Specs {
    Gateway: {
        readonly selector: Labels;
        readonly servers: readonly {
            readonly port: { readonly number: number; readonly name: string; readonly protocol: string };
            readonly hosts: readonly string[];
            /** TLS ended at the gateway: its certificate and key from a Secret of the gateway's namespace. */
            readonly tls?: { readonly mode: "SIMPLE"; readonly credentialName: string };
        }[];
    };
    /** A delegate VirtualService has no hosts and no gateways: a root VirtualService hands it routes. */
    VirtualService: {
        readonly hosts?: readonly string[];
        readonly gateways?: readonly string[];
        readonly exportTo?: readonly string[];
        readonly http?: readonly HttpRoute[];
        readonly tcp?: readonly TcpRoute[];
    };
    DestinationRule: { readonly host: string; readonly trafficPolicy?: TrafficPolicy; readonly subsets?: readonly { readonly name: string; readonly labels: Labels }[] };
    PeerAuthentication: { readonly selector?: { readonly matchLabels: Labels }; readonly mtls: { readonly mode: string } };
    RequestAuthentication: {
        readonly selector: { readonly matchLabels: Labels };
        readonly jwtRules: readonly { readonly issuer: string; readonly jwks: string }[];
    };
    ServiceEntry: {
        readonly hosts: readonly string[];
        readonly exportTo?: readonly string[];
        readonly location: "MESH_EXTERNAL" | "MESH_INTERNAL";
        readonly resolution: "DNS" | "STATIC" | "NONE";
        readonly ports: readonly { readonly number: number; readonly name: string; readonly protocol: string }[];
    };
    Telemetry: { readonly tracing: readonly { readonly providers: readonly { readonly name: string }[]; readonly randomSamplingPercentage?: number }[] };
    Sidecar: {
        readonly workloadSelector?: { readonly labels: Labels };
        readonly egress: readonly { readonly hosts: readonly string[] }[];
        readonly outboundTrafficPolicy?: { readonly mode: "ALLOW_ANY" | "REGISTRY_ONLY" };
    };
    /** Envoy configuration patched into the selected proxies; only the platform writes these (attendees may not). */
    EnvoyFilter: {
        readonly workloadSelector: { readonly labels: Labels };
        /** When its patches apply among other EnvoyFilters' (0, the default, makes relative operations depend on creation order). */
        readonly priority?: number;
        readonly configPatches: readonly {
            readonly applyTo: string;
            readonly match: { readonly context: string; readonly listener?: Record<string, unknown> };
            readonly patch: { readonly operation: string; readonly value: Record<string, unknown> };
        }[];
    };
    AuthorizationPolicy: {
        readonly selector?: { readonly matchLabels: Labels };
        /** Ambient: the resources whose waypoint enforces the policy (a Service, or the waypoint's Gateway). */
        readonly targetRefs?: readonly { readonly group: string; readonly kind: string; readonly name: string }[];
        readonly action?: "ALLOW" | "DENY";
        readonly rules?: readonly {
            readonly from?: readonly {
                readonly source: {
                    readonly namespaces?: readonly string[];
                    readonly notNamespaces?: readonly string[];
                    readonly principals?: readonly string[];
                    readonly notPrincipals?: readonly string[];
                    readonly requestPrincipals?: readonly string[];
                };
            }[];
            readonly to?: readonly { readonly operation: { readonly methods?: readonly string[] } }[];
        }[];
    };
}
export type IstioKind = keyof Specs;

/** The API version each kind is written at. */
export const ISTIO_API_VERSIONS: { readonly [K in IstioKind]: string } = {
    Gateway: "networking.istio.io/v1",
    VirtualService: "networking.istio.io/v1",
    DestinationRule: "networking.istio.io/v1",
    PeerAuthentication: "security.istio.io/v1",
    Telemetry: "telemetry.istio.io/v1",
    Sidecar: "networking.istio.io/v1",
    ServiceEntry: "networking.istio.io/v1",
    RequestAuthentication: "security.istio.io/v1",
    AuthorizationPolicy: "security.istio.io/v1",
    // EnvoyFilter has no stable version: v1alpha3 is the only one Istio serves.
    EnvoyFilter: "networking.istio.io/v1alpha3",
};

export interface ObjectMeta {
    readonly name: string;
    readonly namespace: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
}

/** A Kubernetes object of a custom kind with a typed spec (Istio's here, the Gateway API's in `gatewayApiObjects.ts`). */
export interface SpecObject<K extends string, S> {
    readonly apiVersion: string;
    readonly kind: K;
    readonly metadata: ObjectMeta;
    readonly spec: S;
}

export type IstioObject<K extends IstioKind = IstioKind> = SpecObject<K, Specs[K]>;

export function istioObject<K extends IstioKind>(kind: K, metadata: ObjectMeta, spec: Specs[K]): IstioObject<K> {
    return { apiVersion: ISTIO_API_VERSIONS[kind], kind, metadata, spec };
}
