/**
 * Who the platform's peers are on the network and in the mesh: whether the
 * cluster enforces NetworkPolicies, and the ingress gateway's and Prometheus's
 * pods and identities, which isolation admits.
 */
import type { types } from "@pulumi/kubernetes";
import { INGRESS_GATEWAY, INGRESS_NAMESPACE } from "./platform";
import { ADDONS_NAMESPACE, PROMETHEUS_SERVER_POD_LABELS } from "./endpoints";

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
export const NAME_LABEL = "kubernetes.io/metadata.name";
/** The pods of a namespace with these labels, as a NetworkPolicy peer. */
export const inNamespace = (namespace: string, pods: Readonly<Record<string, string>>): types.input.networking.v1.NetworkPolicyPeer => ({
    namespaceSelector: { matchLabels: { [NAME_LABEL]: namespace } },
    podSelector: { matchLabels: { ...pods } },
});

/** The ingress gateway's pods and mesh identity (its ServiceAccount is named after its release). */
export const GATEWAY_PEER = inNamespace(INGRESS_NAMESPACE, INGRESS_GATEWAY.selector);
export const GATEWAY_PRINCIPAL = `cluster.local/ns/${INGRESS_NAMESPACE}/sa/${INGRESS_GATEWAY.release}`;
export const PROMETHEUS_PEER = inNamespace(ADDONS_NAMESPACE, PROMETHEUS_SERVER_POD_LABELS);
