/**
 * The platform's names, which several domains use: its namespaces, gateways
 * and their labels, the labels that mark attendees' namespaces and the
 * platform's part of them, and how Istio objects are made visible beyond their
 * own namespace. Defined once, so that the side that creates a thing and the
 * side that refers to it cannot drift apart.
 */

export const ISTIO_NAMESPACE = "istio-system";
export const INGRESS_NAMESPACE = "istio-ingress";
export const EGRESS_NAMESPACE = "istio-egress";

/**
 * Istio's visibility of mesh configuration: with the mesh defaults below, a
 * Service, VirtualService or DestinationRule is seen only by the proxies of its
 * own namespace. What must be seen further says so itself, with this annotation
 * (Services) or `exportTo` (Istio objects).
 */
export const EXPORT_TO_ANNOTATION = "networking.istio.io/exportTo";
/** Every namespace ("*"), or the listed ones ("." is the object's own). */
export function exportedTo(namespaces: readonly string[]): Record<string, string> {
    return { [EXPORT_TO_ANNOTATION]: namespaces.join(",") };
}
/** The mesh's default visibility of Services, VirtualServices and DestinationRules: their own namespace. */
export const DEFAULT_EXPORT_TO: readonly string[] = ["."];

/** Label that turns on automatic sidecar injection for a namespace (seeds 000, 002, 003). */
export const INJECTION_LABELS: Readonly<Record<string, string>> = { "istio-injection": "enabled" };
/** Label that enrols a namespace's pods in ambient mode (istio/api `label/labels.yaml`: `istio.io/dataplane-mode`). */
export const AMBIENT_LABELS: Readonly<Record<string, string>> = { "istio.io/dataplane-mode": "ambient" };

/**
 * The port of ambient mode's HBONE tunnels: a mesh caller's connection to an ambient pod, and an ambient caller's to a
 * proxy, arrive there, so NetworkPolicies judge that port, not the Service's (istio.io, "Ambient and Kubernetes NetworkPolicy").
 */
export const HBONE_PORT = 15008;

/**
 * An ambient lesson's waypoint, as Istio 1.30.3 names its parts (shared/upstream/ambient-1.30.3.md): a Gateway API
 * `Gateway` of the class istiod registers with ambient on (`istio-waypoint`), one HBONE listener (`mesh`, 15008, as
 * the samples' waypoints declare it); the Services that send through it carry `istio.io/use-waypoint=<its name>`
 * (istio/api `label/labels.yaml`). istiod deploys it with no name suffix: its pods run as the ServiceAccount of
 * the Gateway's name and carry `gateway.networking.k8s.io/gateway-name` (`classinfo.go`).
 */
export const WAYPOINT = {
    name: "waypoint",
    className: "istio-waypoint",
    useLabel: "istio.io/use-waypoint",
    podLabel: "gateway.networking.k8s.io/gateway-name",
    listener: { name: "mesh", port: HBONE_PORT, protocol: "HBONE" } as const,
} as const;

/** How a lessons namespace joins the mesh of a data plane: sidecar injection, or ambient enrolment. */
export function enrolmentLabels(dataplane: "sidecar" | "ambient"): Readonly<Record<string, string>> {
    return dataplane === "ambient" ? AMBIENT_LABELS : INJECTION_LABELS;
}

/**
 * The ingress gateway. The release name gives the chart's selector labels
 * (`app: istio-ingressgateway`, `istio: ingressgateway`, as Istio's samples
 * select); they are also set explicitly so every Gateway of this stack can rely on them.
 */
export const INGRESS_GATEWAY = {
    release: "istio-ingressgateway",
    namespace: INGRESS_NAMESPACE,
    selector: { istio: "ingressgateway" },
    labels: { app: "istio-ingressgateway", istio: "ingressgateway" },
} as const;
/**
 * Ports a gateway's Service serves, and no other (the ingress load balancer
 * included): the gateway's status and admin ports stay inside the cluster. The
 * gateway chart's pods listen on 80 and 443 themselves (an unprivileged-port
 * sysctl, no root).
 */
export const GATEWAY_PORTS = [
    { name: "http2", port: 80, targetPort: 80, protocol: "TCP" },
    { name: "https", port: 443, targetPort: 443, protocol: "TCP" },
] as const;

export const EGRESS_GATEWAY = {
    release: "istio-egressgateway",
    namespace: EGRESS_NAMESPACE,
    selector: { istio: "egressgateway" },
    labels: { app: "istio-egressgateway", istio: "egressgateway" },
} as const;

/**
 * The shared Gateway on the ingress gateway: plain HTTP on port 80 for any host.
 * Routes bind to it by `ref` and claim their own path prefixes.
 */
export const WORKSHOP_GATEWAY = { name: "workshop-gateway", namespace: INGRESS_NAMESPACE, ref: `${INGRESS_NAMESPACE}/workshop-gateway` } as const;

/**
 * The shared gateway's listeners as the Gateway API's `Gateway` names them (`istio.ingress.api: gateway-api`): a
 * route attached to one of them by `sectionName` serves that port only, as a VirtualService's port match does.
 */
export const GATEWAY_LISTENERS: readonly { readonly name: string; readonly port: number }[] = [
    { name: "http", port: 80 },
    { name: "https", port: 443 },
];

/** Namespaces whose HTTPRoutes the shared Gateway API `Gateway` accepts (its listeners' `allowedRoutes`): the lessons'. */
export const GATEWAY_ROUTES_LABELS: Readonly<Record<string, string>> = { "istio-workshop/gateway-routes": "allowed" };

/** The gateway's TLS port (the Service's `https`), and the Secret of its certificate when the gateway ends TLS itself. */
export const GATEWAY_TLS_PORT = 443;
export const GATEWAY_CERT_SECRET = "workshop-gateway-cert";

/**
 * The label that marks a namespace as an attendee's: the admission policies,
 * network policies and mesh policies for attendees select namespaces by it.
 */
export const ATTENDEE_NAMESPACE_LABEL = "istio-workshop/attendee";

/**
 * Marks the objects of an attendee's namespace that the platform owns (access,
 * limits, isolation), as opposed to the lessons, which the attendee may change.
 */
export const PLATFORM_PART_LABELS: Readonly<Record<string, string>> = { "istio-workshop/part": "platform" };

/**
 * The egress lesson's stand-in for a host outside the mesh: httpbin in its own
 * namespace, without sidecars, which no attendee namespace imports (the mesh
 * exports a Service to its own namespace only, and attendee proxies import their
 * own namespace and the platform's). Classrooms and CI often have no internet;
 * to an attendee's proxy this host is as unknown as one on the internet.
 */
export const EXTERNAL_NAMESPACE = "workshop-external";

/** The API server and its CA: what a kubeconfig needs besides credentials. */
export interface ClusterEndpoint {
    readonly server: string;
    readonly certificateAuthorityData: string;
}
