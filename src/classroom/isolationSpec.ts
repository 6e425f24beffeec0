/**
 * Network and mesh isolation: who may open a connection to whom.
 *
 *  - Each attendee namespace admits traffic only from itself, the ingress
 *    gateway and Prometheus: a NetworkPolicy (enforced by the cluster's CNI:
 *    the VPC CNI's network policy agent on EKS) and an AuthorizationPolicy
 *    (enforced by every sidecar, on the peer's mTLS identity). The same
 *    NetworkPolicy lets its pods out only to what the lessons need.
 *  - The platform's own namespace is isolated by `src/mesh/platformIsolation.ts`.
 *
 * Pure: plain objects for `src/classroom/attendee.ts`.
 */
import { HBONE_PORT, PLATFORM_PART_LABELS, WAYPOINT } from "../model/platform";
import { istioObject, type IstioObject } from "../model/istioObjects";
import { GATEWAY_PEER, GATEWAY_PRINCIPAL, NAME_LABEL, PROMETHEUS_PEER, inNamespace } from "../model/peers";
import { EGRESS_GATEWAY, EGRESS_NAMESPACE, EXTERNAL_NAMESPACE, GATEWAY_PORTS, ISTIO_NAMESPACE } from "../model/platform";
import { ADDONS_NAMESPACE, ISTIOD_POD_LABELS, ISTIOD_XDS_PORT, JAEGER_COLLECTOR, JAEGER_LABELS } from "../model/endpoints";

/** CoreDNS's pods (EKS's and kubeadm's label). */
const KUBE_DNS_LABELS = { "k8s-app": "kube-dns" };

export const ISOLATION_NAME = "attendee-isolation";

const tcp = (ports: readonly number[]) => ports.map((port) => ({ protocol: "TCP", port }));

/**
 * Where an attendee's pods may connect: their own namespace; cluster DNS; istiod's xDS and the trace collector
 * (what their proxies need); the ingress gateway's and the egress gateway's HTTP and HTTPS ports (the lessons'
 * checks call the gateway; the egress lesson leaves through its gateway); the egress lesson's stand-in for an
 * outside host. Nothing else: no internet (no lesson needs it: the stand-in plays the outside world), no node
 * (kubelet, host ports, the instance metadata service), no API server, no platform UI but through the gateway.
 */
export const ATTENDEE_EGRESS = [
    { to: [{ podSelector: {} }] },
    { to: [inNamespace("kube-system", KUBE_DNS_LABELS)], ports: [...tcp([53]), { protocol: "UDP", port: 53 }] },
    { to: [inNamespace(ISTIO_NAMESPACE, ISTIOD_POD_LABELS)], ports: tcp([ISTIOD_XDS_PORT]) },
    { to: [inNamespace(ADDONS_NAMESPACE, JAEGER_LABELS)], ports: tcp([JAEGER_COLLECTOR.otlpGrpcPort]) },
    { to: [GATEWAY_PEER, inNamespace(EGRESS_NAMESPACE, EGRESS_GATEWAY.selector)], ports: tcp(GATEWAY_PORTS.map((p) => p.targetPort)) },
    { to: [{ namespaceSelector: { matchLabels: { [NAME_LABEL]: EXTERNAL_NAMESPACE } } }] },
];


/**
 * The address ztunnel gives the kubelet's health probes of ambient pods (SNAT), which a NetworkPolicy must admit for
 * the probes to reach them (istio.io, "Ambient and Kubernetes NetworkPolicy", health probes).
 */
export const AMBIENT_PROBE_SOURCE = "169.254.7.127/32";

/**
 * An attendee namespace's pods accept connections from the namespace itself, the ingress gateway and Prometheus only, and
 * open only `ATTENDEE_EGRESS`. In ambient mode their calls to the gateways travel as HBONE (port 15008), and the
 * kubelet's probes arrive from ztunnel's probe address; nothing else opens.
 */
export function attendeeNetworkPolicy(namespace: string, dataplane: "sidecar" | "ambient" = "sidecar") {
    const ambient = dataplane === "ambient";
    const egress = ambient ? ATTENDEE_EGRESS.map((r) => ((r.to as readonly unknown[]).includes(GATEWAY_PEER) ? { ...r, ports: [...(r.ports ?? []), ...tcp([HBONE_PORT])] } : r)) : ATTENDEE_EGRESS;
    return {
        apiVersion: "networking.k8s.io/v1" as const,
        kind: "NetworkPolicy" as const,
        metadata: { name: ISOLATION_NAME, namespace, labels: { ...PLATFORM_PART_LABELS } },
        spec: {
            podSelector: {},
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: [{ podSelector: {} }, GATEWAY_PEER, PROMETHEUS_PEER] }, ...(ambient ? [{ from: [{ ipBlock: { cidr: AMBIENT_PROBE_SOURCE } }] }] : [])],
            egress,
        },
    };
}

/**
 * Ambient mode: the same DENY at the namespace's waypoint (`WAYPOINT`), which enforces only the policies attached to it
 * (`targetRefs`), not the namespace's own: a call through it arrives at the pods with the waypoint's identity, of the
 * namespace itself.
 */
export function attendeeWaypointPolicy(namespace: string): IstioObject<"AuthorizationPolicy"> {
    const isolation = attendeeAuthorizationPolicy(namespace);
    return istioObject(
        "AuthorizationPolicy",
        { ...isolation.metadata, name: `${ISOLATION_NAME}-waypoint` },
        { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: WAYPOINT.name }], action: "DENY", rules: isolation.spec.rules },
    );
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
