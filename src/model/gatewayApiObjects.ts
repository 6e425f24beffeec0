/**
 * The Kubernetes Gateway API objects this stack writes, as typed values at the version the standard channel
 * serves as stable (`gateway.networking.k8s.io/v1`). The types cover the fields the stack sets; what an object may
 * hold is decided by the Gateway API's CRDs of the release the stack installs (`istio.gatewayApi`), which the plan
 * validates every object against when it has them.
 */
import type { ObjectMeta, SpecObject } from "./istioObjects";

export const GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1";

/** A reference from a route to the Gateway it attaches to (one listener of it, by `sectionName`), or to the Service whose waypoint routes it (the core group's `Service`, one port). */
export type ParentRef =
    | { readonly name: string; readonly namespace: string; readonly sectionName?: string }
    | { readonly group: ""; readonly kind: "Service"; readonly name: string; readonly port: number };

export interface HttpRouteMatch {
    readonly path?: { readonly type: "Exact" | "PathPrefix"; readonly value: string };
    readonly headers?: readonly { readonly type: "Exact"; readonly name: string; readonly value: string }[];
}

export type HttpRouteFilter =
    | { readonly type: "RequestRedirect"; readonly requestRedirect: { readonly scheme?: string; readonly port?: number; readonly statusCode?: 301 | 302 } }
    | {
          readonly type: "URLRewrite";
          readonly urlRewrite: { readonly path: { readonly type: "ReplacePrefixMatch"; readonly replacePrefixMatch: string } | { readonly type: "ReplaceFullPath"; readonly replaceFullPath: string } };
      };

export interface HttpRouteRule {
    readonly name?: string;
    readonly matches?: readonly HttpRouteMatch[];
    readonly filters?: readonly HttpRouteFilter[];
    readonly backendRefs?: readonly { readonly name: string; readonly port: number; readonly weight?: number }[];
}

interface Specs {
    Gateway: {
        readonly gatewayClassName: string;
        /** Istio's manual deployment: the Service of gateway pods that exist already (a Hostname address). */
        readonly addresses?: readonly { readonly type: "Hostname"; readonly value: string }[];
        readonly listeners: readonly {
            readonly name: string;
            readonly port: number;
            readonly protocol: "HTTP" | "HTTPS" | "HBONE";
            readonly hostname?: string;
            readonly tls?: { readonly mode: "Terminate"; readonly certificateRefs: readonly { readonly name: string }[] };
            readonly allowedRoutes?: {
                readonly namespaces: { readonly from: "Same" | "All" | "Selector"; readonly selector?: { readonly matchLabels: Record<string, string> } };
            };
        }[];
    };
    HTTPRoute: {
        readonly parentRefs: readonly ParentRef[];
        readonly hostnames?: readonly string[];
        readonly rules: readonly HttpRouteRule[];
    };
}
export type GatewayApiKind = keyof Specs;

export type GatewayApiObject<K extends GatewayApiKind = GatewayApiKind> = SpecObject<K, Specs[K]>;

export function gatewayApiObject<K extends GatewayApiKind>(kind: K, metadata: ObjectMeta, spec: Specs[K]): GatewayApiObject<K> {
    return { apiVersion: GATEWAY_API_VERSION, kind, metadata, spec };
}

/** Is an object of the Gateway API's group (its `Gateway` shares the kind name with Istio's)? */
export function isGatewayApi(o: { readonly apiVersion?: string }): boolean {
    return String(o.apiVersion ?? "").startsWith("gateway.networking.k8s.io/");
}
