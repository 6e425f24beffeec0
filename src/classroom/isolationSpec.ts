/**
 * Network and mesh isolation: who may open a connection to whom.
 *
 *  - Each attendee namespace admits traffic only from itself, the ingress
 *    gateway and Prometheus: a NetworkPolicy (enforced by the cluster's CNI:
 *    the VPC CNI's network policy agent on EKS) and an AuthorizationPolicy
 *    (enforced by every sidecar, on the peer's mTLS identity).
 *  - The platform's own namespace is isolated by `src/mesh/platformIsolation.ts`.
 *
 * Pure: plain objects for `src/classroom/attendee.ts`.
 */
import { PLATFORM_PART_LABELS } from "../model/platform";
import { istioObject, type IstioObject } from "../model/istioObjects";
import { GATEWAY_PEER, GATEWAY_PRINCIPAL, PROMETHEUS_PEER } from "../model/peers";

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
