/**
 * In-cluster addresses that one part of the stack serves and another calls.
 * Defined once so the caller and the server cannot drift apart.
 */

/** Jaeger's collector: receives OTLP spans from every proxy (mesh config's tracing provider). */
export const JAEGER_COLLECTOR = {
    service: "jaeger-collector",
    namespace: "istio-system",
    host: "jaeger-collector.istio-system.svc.cluster.local",
    otlpGrpcPort: 4317,
} as const;
