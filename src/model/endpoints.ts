/**
 * In-cluster addresses that one part of the stack serves and another calls,
 * defined once so that the caller and the server cannot drift apart. The addon
 * builders name their Services from these; Kiali, Grafana and istiod are
 * configured with the URLs derived from them.
 */

export const ADDONS_NAMESPACE = "istio-system";

export interface Endpoint {
    /** Service name. */
    readonly service: string;
    readonly namespace: string;
    readonly port: number;
    /** Path the UI is served under (also through the ingress gateway), if any. */
    readonly path: string;
}

const endpoint = (service: string, port: number, path = ""): Endpoint => ({ service, namespace: ADDONS_NAMESPACE, port, path });

export const PROMETHEUS = endpoint("prometheus", 9090);
/** The labels the prometheus chart gives its server's pods (test/upstream.spec.ts checks them against its render). */
export const PROMETHEUS_SERVER_POD_LABELS: Readonly<Record<string, string>> = { "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/component": "server" };
/** The labels the kiali-server chart gives Kiali's pods. */
export const KIALI_POD_LABELS: Readonly<Record<string, string>> = { "app.kubernetes.io/name": "kiali", "app.kubernetes.io/instance": "kiali" };
/** The labels the istiod chart gives istiod's pods. */
export const ISTIOD_POD_LABELS: Readonly<Record<string, string>> = { app: "istiod" };
/** istiod's mTLS xDS port: where every proxy gets its configuration and certificates. */
export const ISTIOD_XDS_PORT = 15012;
export const GRAFANA = endpoint("grafana", 3000, "/grafana");
export const KIALI = endpoint("kiali", 20001, "/kiali");
/** Jaeger's query service: the UI on 16686, the gRPC query API (what Kiali uses) on 16685. */
export const JAEGER_QUERY = endpoint("jaeger-query", 16686, "/jaeger");
export const JAEGER_QUERY_GRPC_PORT = 16685;
/** Basic-auth proxy in front of Jaeger's UI when addons are exposed (Jaeger has no login of its own). */
export const JAEGER_AUTH = endpoint("jaeger-auth", 8080, "/jaeger");

/** Jaeger's collector: receives OTLP spans from every proxy (mesh config's tracing provider). */
export const JAEGER_COLLECTOR = {
    service: "jaeger-collector",
    namespace: ADDONS_NAMESPACE,
    host: `jaeger-collector.${ADDONS_NAMESPACE}.svc.cluster.local`,
    otlpGrpcPort: 4317,
} as const;

export function host(e: Pick<Endpoint, "service" | "namespace">): string {
    return `${e.service}.${e.namespace}.svc.cluster.local`;
}

/** `http://<service>.<namespace>.svc.cluster.local:<port><path>` */
export function clusterUrl(e: Endpoint, port: number = e.port): string {
    return `http://${host(e)}:${port}${e.path}`;
}

export const JAEGER_LABELS = { app: "jaeger" } as const;
