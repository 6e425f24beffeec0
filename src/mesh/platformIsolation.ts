/**
 * The platform's namespace, `istio-system`, admits from anywhere only what
 * every proxy needs (istiod's mTLS xDS and webhook ports, Jaeger's OTLP
 * collector); everything else (Prometheus, Grafana, Kiali, Jaeger's query API,
 * istiod's plaintext and debug ports) only from `istio-system` itself and the
 * ingress gateway's pods. Pure: `src/mesh/` registers them.
 */
import type { types } from "@pulumi/kubernetes";
import { ISTIOD_POD_LABELS, ISTIOD_XDS_PORT, JAEGER_COLLECTOR, JAEGER_LABELS } from "../model/endpoints";
import { ISTIO_NAMESPACE } from "../model/platform";
import { GATEWAY_PEER } from "../model/peers";

/** The ports of istio-system every proxy needs, from anywhere: istiod's mTLS xDS and webhooks, the OTLP collector. */
export const OPEN_SYSTEM_PORTS = {
    istiod: { pods: ISTIOD_POD_LABELS, ports: [ISTIOD_XDS_PORT, 15017] },
    collector: { pods: JAEGER_LABELS, ports: [JAEGER_COLLECTOR.otlpGrpcPort] },
} as const;

/** istio-system's NetworkPolicies: its own pods and the ingress gateway for everything, anyone for the ports every proxy needs. */
export function systemNetworkPolicies() {
    const policy = (name: string, spec: types.input.networking.v1.NetworkPolicySpec) => ({
        apiVersion: "networking.k8s.io/v1" as const,
        kind: "NetworkPolicy" as const,
        metadata: { name, namespace: ISTIO_NAMESPACE },
        spec: { policyTypes: ["Ingress"], ...spec },
    });
    return [
        policy("platform-default", { podSelector: {}, ingress: [{ from: [{ podSelector: {} }, GATEWAY_PEER] }] }),
        ...Object.entries(OPEN_SYSTEM_PORTS).map(([name, o]) =>
            policy(`open-${name}`, { podSelector: { matchLabels: { ...o.pods } }, ingress: [{ ports: o.ports.map((port) => ({ protocol: "TCP", port })) }] }),
        ),
    ];
}
