/**
 * The Istio objects this stack writes, as typed values at the API versions
 * Istio serves as stable (`networking.istio.io/v1`, `security.istio.io/v1`,
 * `telemetry.istio.io/v1`). The types cover the fields the stack sets; what an
 * object may hold is decided by the CRDs of the Istio version being deployed:
 * the plan validates every Istio object against them (schema, CEL rules,
 * unknown fields), see `scripts/lib/crdSchemas.ts`.
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
}

interface Specs {
    Gateway: {
        readonly selector: Labels;
        readonly servers: readonly { readonly port: { readonly number: number; readonly name: string; readonly protocol: string }; readonly hosts: readonly string[] }[];
    };
    /** A delegate VirtualService has no hosts and no gateways: a root VirtualService hands it routes. */
    VirtualService: { readonly hosts?: readonly string[]; readonly gateways?: readonly string[]; readonly exportTo?: readonly string[]; readonly http: readonly HttpRoute[] };
    DestinationRule: { readonly host: string; readonly subsets: readonly { readonly name: string; readonly labels: Labels }[] };
    PeerAuthentication: { readonly mtls: { readonly mode: string } };
    Telemetry: { readonly tracing: readonly { readonly providers: readonly { readonly name: string }[]; readonly randomSamplingPercentage?: number }[] };
    Sidecar: { readonly egress: readonly { readonly hosts: readonly string[] }[] };
    AuthorizationPolicy: {
        readonly action: "ALLOW" | "DENY";
        readonly rules: readonly { readonly from: readonly { readonly source: { readonly namespaces?: readonly string[]; readonly principals?: readonly string[] } }[] }[];
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
    AuthorizationPolicy: "security.istio.io/v1",
};

export interface ObjectMeta {
    readonly name: string;
    readonly namespace: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
}

export interface IstioObject<K extends IstioKind = IstioKind> {
    readonly apiVersion: string;
    readonly kind: K;
    readonly metadata: ObjectMeta;
    readonly spec: Specs[K];
}

export function istioObject<K extends IstioKind>(kind: K, metadata: ObjectMeta, spec: Specs[K]): IstioObject<K> {
    return { apiVersion: ISTIO_API_VERSIONS[kind], kind, metadata, spec };
}
