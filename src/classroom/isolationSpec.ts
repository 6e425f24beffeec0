/**
 * Network and mesh isolation: who may open a connection to whom.
 *
 *  - Each attendee namespace admits traffic only from itself, the ingress
 *    gateway and Prometheus: a NetworkPolicy (enforced by the cluster's CNI:
 *    the VPC CNI's network policy agent on EKS) and an AuthorizationPolicy
 *    (enforced by every sidecar, on the peer's mTLS identity).
 *  - The platform's namespace, `istio-system`, admits from anywhere only what
 *    every proxy needs (istiod's mTLS xDS and webhook ports, Jaeger's OTLP
 *    collector); everything else (Prometheus, Grafana, Kiali, Jaeger's query
 *    API, istiod's plaintext and debug ports) only from `istio-system` itself
 *    and the ingress gateway's pods (which route only to Services exported to
 *    them: the UIs when exposed).
 *
 * Pure: plain objects for `src/classroom/attendee.ts` and `src/addons/addons.ts`.
 */
import type { types } from "@pulumi/kubernetes";
import { JAEGER_LABELS } from "../addons/addonsSpec";
import { PLATFORM_PART_LABELS } from "./attendeeSpec";
import { ADDONS_NAMESPACE, ISTIOD_POD_LABELS, JAEGER_COLLECTOR, PROMETHEUS_SERVER_POD_LABELS } from "../model/endpoints";
import { istioObject, type IstioObject } from "../model/istioObjects";
import { INGRESS_GATEWAY, INGRESS_NAMESPACE, ISTIO_NAMESPACE } from "../mesh/meshSpec";

/**
 * Whether the stack creates NetworkPolicies: on EKS, where it switches the VPC
 * CNI's network policy agent on, and that agent admits the node's own traffic
 * (kubelet probes). On an existing cluster neither is known (kind's kindnet, for
 * one, blocks kubelet probes to a pod a NetworkPolicy selects: kind issue 3875),
 * so the stack creates none there and the AuthorizationPolicies isolate
 * attendees inside the mesh; the plan says what that leaves open.
 */
export function networkPoliciesEnforced(cluster: { readonly mode: string }): boolean {
    return cluster.mode === "eks";
}

/** Kubernetes labels every namespace with its own name. */
const NAME_LABEL = "kubernetes.io/metadata.name";
const inNamespace = (namespace: string, pods: Readonly<Record<string, string>>): types.input.networking.v1.NetworkPolicyPeer => ({
    namespaceSelector: { matchLabels: { [NAME_LABEL]: namespace } },
    podSelector: { matchLabels: { ...pods } },
});

/** The ingress gateway's pods and mesh identity (its ServiceAccount is named after its release). */
export const GATEWAY_PEER = inNamespace(INGRESS_NAMESPACE, INGRESS_GATEWAY.selector);
export const GATEWAY_PRINCIPAL = `cluster.local/ns/${INGRESS_NAMESPACE}/sa/${INGRESS_GATEWAY.release}`;
export const PROMETHEUS_PEER = inNamespace(ADDONS_NAMESPACE, PROMETHEUS_SERVER_POD_LABELS);

export const ISOLATION_NAME = "attendee-isolation";

/** An attendee namespace's pods accept connections from the namespace itself, the ingress gateway and Prometheus only. */
export function attendeeNetworkPolicy(namespace: string) {
    return {
        apiVersion: "networking.k8s.io/v1" as const,
        kind: "NetworkPolicy" as const,
        metadata: { name: ISOLATION_NAME, namespace, labels: { ...PLATFORM_PART_LABELS } },
        spec: {
            podSelector: {},
            policyTypes: ["Ingress"],
            ingress: [{ from: [{ podSelector: {} }, GATEWAY_PEER, PROMETHEUS_PEER] }],
        },
    };
}

/**
 * The same at the mesh layer, on mTLS identities: every request from another
 * namespace's workloads is denied, except the ingress gateway's. A DENY policy,
 * so it holds whatever ALLOW policies the namespace's lessons (or its attendee)
 * add: Istio evaluates DENY first, and an ALLOW policy only narrows what DENY
 * leaves (the `authz` stage's `allow-nothing` really allows nothing). Requests
 * without an identity (plaintext) are the PeerAuthentication's to refuse
 * (STRICT, mesh-wide), so the `mtls` lesson can show a PERMISSIVE workload
 * accepting a client without a sidecar. (Prometheus scrapes the proxies'
 * merged metrics port, 15020, which the sidecar serves outside its inbound
 * listener.)
 */
export function attendeeAuthorizationPolicy(namespace: string): IstioObject<"AuthorizationPolicy"> {
    return istioObject(
        "AuthorizationPolicy",
        { name: ISOLATION_NAME, namespace, labels: { ...PLATFORM_PART_LABELS } },
        { action: "DENY", rules: [{ from: [{ source: { principals: ["*"], notNamespaces: [namespace], notPrincipals: [GATEWAY_PRINCIPAL] } }] }] },
    );
}

/** The ports of istio-system every proxy needs, from anywhere: istiod's mTLS xDS and webhooks, the OTLP collector. */
export const OPEN_SYSTEM_PORTS = {
    istiod: { pods: ISTIOD_POD_LABELS, ports: [15012, 15017] },
    collector: { pods: JAEGER_LABELS, ports: [JAEGER_COLLECTOR.otlpGrpcPort, JAEGER_COLLECTOR.otlpHttpPort] },
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
