/**
 * Pure builders for the mesh: the Istio Helm releases and their values, the
 * ingress gateway's Service, the mesh-wide Istio objects. Same settings, same
 * bytes. `src/mesh/istioMesh.ts` turns them into resources.
 */
import { JAEGER_COLLECTOR } from "../model/endpoints";
import { istioObject, type IstioObject } from "../model/istioObjects";
import type { MeshSizing } from "./meshScale";
import type { ClusterSettings, IstioSettings } from "../settings/schema";
import { gatewayApiFor } from "../settings/istio";
import { gatewayApiObject, type GatewayApiObject } from "../model/gatewayApiObjects";
import { DEFAULT_EXPORT_TO, EGRESS_GATEWAY, EGRESS_NAMESPACE, GATEWAY_CERT_SECRET, GATEWAY_LISTENERS, GATEWAY_PORTS, GATEWAY_ROUTES_LABELS, GATEWAY_TLS_PORT, INGRESS_GATEWAY, INGRESS_NAMESPACE, ISTIO_NAMESPACE, WORKSHOP_GATEWAY, exportedTo } from "../model/platform";
import { RELEASE_TIMEOUT_SECONDS, type ReleaseSpec } from "../model/release";

/** Istio's official chart repository (every Istio chart, one version). */
export const ISTIO_CHART_REPO = "https://istio-release.storage.googleapis.com/charts";
/** Addresses istiod never fetches a JWKS from: RFC 1918, loopback, link-local, shared (RFC 6598), and their IPv6 kin. */
export const BLOCKED_JWKS_CIDRS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8", "::1/128", "fc00::/7", "fe80::/10"] as const;

/**
 * The Gateway API's standard-channel CRDs of a release, as the project publishes them: the manifest attached to
 * the release on GitHub (generated from `config/crd/standard` at the tag). Undefined with `istio.gatewayApi.crds:
 * cluster` (the cluster has them), and for an Istio minor the project knows no Gateway API release of.
 */
export function gatewayApiManifest(istio: Pick<IstioSettings, "version" | "gatewayApi">): string | undefined {
    const version = istio.gatewayApi.crds === "install" ? gatewayApiFor(istio.version) : undefined;
    return version === undefined ? undefined : `${GATEWAY_API_RELEASES}/${version}/standard-install.yaml`;
}

const GATEWAY_API_RELEASES = "https://github.com/kubernetes-sigs/gateway-api/releases/download";

/** The release and channel a Gateway API manifest URL names (`gatewayApiManifest`'s form), if it is one. */
export function gatewayApiRelease(url: string): { readonly version: string; readonly channel: string } | undefined {
    const m = /^(v[0-9.]+)\/(standard|experimental)-install\.yaml$/.exec(url.startsWith(`${GATEWAY_API_RELEASES}/`) ? url.slice(GATEWAY_API_RELEASES.length + 1) : "");
    return m ? { version: m[1], channel: m[2] } : undefined;
}

/** Does the gateway end TLS itself (no ACM certificate on the load balancer), with a certificate of the workshop's CA? */
export function gatewayEndsTls(istio: Pick<IstioSettings, "ingress">): boolean {
    return istio.ingress.certificateArn === undefined;
}

/** A DNS name as a certificate holds it (a load balancer's, say): dot-separated labels, none empty. */
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;

/**
 * The certificate the gateway ends TLS with, issued by the workshop's own CA
 * (which the stack creates: no internet, no ACME): valid for the gateway's
 * in-cluster names, the load balancer's name once it has one (`address`), and,
 * with a classroom domain, for every attendee's host under it. Renewed by any \`pulumi up\` in its last 30 days.
 */
export function gatewayCertificateSpec(domain: string | undefined, address?: string) {
    const inCluster = `${INGRESS_GATEWAY.release}.${INGRESS_NAMESPACE}.svc`;
    // The load balancer's own name (or address), once known: a browser that trusts the workshop CA then accepts it as is.
    const ip = address !== undefined && /^[0-9.]+$|:/.test(address) ? [address] : [];
    const lbName = address !== undefined && ip.length === 0 && HOSTNAME.test(address) ? [address] : [];
    return {
        caSubject: { commonName: "istio-workshop gateway CA", organization: "istio-workshop" },
        subject: { commonName: `${inCluster}.cluster.local`, organization: "istio-workshop" },
        dnsNames: [`${inCluster}.cluster.local`, inCluster, ...(domain !== undefined ? [domain, `*.${domain}`] : []), ...lbName, "localhost"],
        ipAddresses: ip,
        validityPeriodHours: 24 * 365,
        earlyRenewalHours: 24 * 30,
    };
}

export function workshopGateway(istio?: Pick<IstioSettings, "ingress">): IstioObject<"Gateway"> {
    // With a certificate, the load balancer ends TLS on 443 and hands the gateway plain HTTP (Service port 443 -> TLS_OFFLOAD_PORT);
    // without one, the gateway ends TLS on 443 itself, with the workshop CA's certificate (the myApp lesson's tls stage).
    const tls =
        istio === undefined
            ? []
            : gatewayEndsTls(istio)
              ? [{ port: { number: GATEWAY_TLS_PORT, name: "https", protocol: "HTTPS" }, hosts: ["*"], tls: { mode: "SIMPLE" as const, credentialName: GATEWAY_CERT_SECRET } }]
              : [{ port: { number: GATEWAY_TLS_PORT, name: "http-tls-offload", protocol: "HTTP" }, hosts: ["*"] }];
    return istioObject(
        "Gateway",
        { name: WORKSHOP_GATEWAY.name, namespace: WORKSHOP_GATEWAY.namespace },
        { selector: { ...INGRESS_GATEWAY.selector }, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }, ...tls] },
    );
}

/**
 * The shared gateway as a Kubernetes Gateway API `Gateway` (`istio.ingress.api: gateway-api`): class `istio`, on the
 * gateway pods and Service the stack already runs (Istio's manual deployment: a Hostname address naming that
 * Service, so the load balancer, its ports and the certificate stay as they are). Its listeners serve HTTP on 80 and
 * on 443 what `workshopGateway` serves there; each accepts HTTPRoutes only from the lessons' namespaces.
 */
export function workshopApiGateway(istio: Pick<IstioSettings, "ingress">): GatewayApiObject<"Gateway"> {
    const allowedRoutes = { namespaces: { from: "Selector" as const, selector: { matchLabels: { ...GATEWAY_ROUTES_LABELS } } } };
    const [http, https] = GATEWAY_LISTENERS;
    const tls = gatewayEndsTls(istio)
        ? { protocol: "HTTPS" as const, tls: { mode: "Terminate" as const, certificateRefs: [{ name: GATEWAY_CERT_SECRET }] } }
        : { protocol: "HTTP" as const };
    return gatewayApiObject(
        "Gateway",
        { name: WORKSHOP_GATEWAY.name, namespace: WORKSHOP_GATEWAY.namespace },
        {
            gatewayClassName: ISTIO_GATEWAY_CLASS,
            addresses: [{ type: "Hostname", value: `${INGRESS_GATEWAY.release}.${INGRESS_NAMESPACE}.svc.cluster.local` }],
            listeners: [
                { name: http.name, port: http.port, protocol: "HTTP", allowedRoutes },
                { name: https.name, port: https.port, ...tls, allowedRoutes },
            ],
        },
    );
}

/** The GatewayClass istiod creates and serves for gateways (`pkg/config/constants`: `istio`, controller `istio.io/gateway-controller`). */
export const ISTIO_GATEWAY_CLASS = "istio";

/** Where the gateway's pods receive what the load balancer decrypted on 443. */
export const TLS_OFFLOAD_PORT = 8443;

/** Name of the tracing provider in mesh config, referenced by the Telemetry resource. */
export const TRACING_PROVIDER = "otel-tracing";

export const GATEWAY_RESOURCES = { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } } as const;

function release(name: string, chart: string, namespace: string, istio: IstioSettings, values: Record<string, unknown>): ReleaseSpec {
    return {
        name,
        chart,
        version: istio.version,
        namespace,
        repositoryOpts: { repo: ISTIO_CHART_REPO },
        values,
        timeout: RELEASE_TIMEOUT_SECONDS,
        atomic: true,
    };
}

/**
 * istiod values: mesh config from settings, tracing wired to Jaeger, native
 * sidecars, probe rewriting; sidecar and istiod resources (and istiod's
 * replicas) sized for the class by `src/mesh/meshScale.ts`.
 */
export function istiodValues(istio: IstioSettings, sizing: Pick<MeshSizing, "proxy" | "istiod">): Record<string, unknown> {
    return {
        global: { proxy: { resources: sizing.proxy.resources } },
        pilot: {
            autoscaleEnabled: false,
            replicaCount: sizing.istiod.replicas,
            resources: sizing.istiod.resources,
            // Sidecars as native sidecar containers: Jobs in the mesh finish when their main container exits.
            // A Gateway selects gateway pods of its own namespace only: a pod an attendee labels like the shared
            // gateway's gets none of its listeners, routes or certificates (Istio selects across namespaces by default).
            // istiod fetches no JWKS from a private, loopback, link-local or shared address, should a rule ever name
            // one (attendees' rules must carry their keys inline: an admission rule); Istio blocks only cloud metadata by default.
            env: { ENABLE_NATIVE_SIDECARS: "true", PILOT_SCOPE_GATEWAY_TO_NAMESPACE: "true", BLOCKED_CIDRS_IN_JWKS_URIS: BLOCKED_JWKS_CIDRS.join(",") },
            // Traffic redirection by Istio's CNI plugin: injected pods need no privileged init container.
            cni: { enabled: true },
        },
        // Kubelet probes reach apps through the sidecar's status port, so they keep working under STRICT mTLS.
        sidecarInjectorWebhook: { rewriteAppHTTPProbe: true },
        meshConfig: {
            accessLogFile: istio.accessLogs ? "/dev/stdout" : "",
            accessLogEncoding: "TEXT",
            // Merged app and proxy metrics on 15020: a port outside mTLS, so Prometheus scrapes it under STRICT.
            enablePrometheusMerge: true,
            extensionProviders: [
                { name: TRACING_PROVIDER, opentelemetry: { service: JAEGER_COLLECTOR.host, port: JAEGER_COLLECTOR.otlpGrpcPort } },
            ],
            // A mistake stays in its namespace: nothing is seen mesh-wide unless it says so.
            defaultServiceExportTo: [...DEFAULT_EXPORT_TO],
            defaultVirtualServiceExportTo: [...DEFAULT_EXPORT_TO],
            defaultDestinationRuleExportTo: [...DEFAULT_EXPORT_TO],
        },
    };
}

export type GatewayKind = "ingress" | "egress";

/** Values of Istio's `gateway` chart. The ingress gateway's Service is created by the component (see `ingressServiceSpec`). */
export function gatewayValues(kind: GatewayKind): Record<string, unknown> {
    const gw = kind === "ingress" ? INGRESS_GATEWAY : EGRESS_GATEWAY;
    return {
        labels: { ...gw.labels },
        resources: GATEWAY_RESOURCES,
        autoscaling: { enabled: false },
        replicaCount: 1,
        // No Service from the chart: the gateway's Service is a resource of its own, so that deleting
        // it waits until AWS has removed the load balancer (see docs/operations.md, "Destroy").
        service: { type: "None" },
    };
}

/**
 * Istio's CNI plugin (a DaemonSet in istio-system, chained onto the cluster's own
 * CNI: the VPC CNI on EKS, kindnet on kind; both keep their plugins in
 * /opt/cni/bin and their configuration in /etc/cni/net.d), so that injected pods
 * need no privileged `istio-init` container and pass Pod Security `restricted`.
 */
export function cniValues(): Record<string, unknown> {
    return { chained: true, cniBinDir: "/opt/cni/bin", cniConfDir: "/etc/cni/net.d", resources: { ...CNI_RESOURCES } };
}

/**
 * What each node runs of the mesh: the CNI plugin's pod and, in ambient, ztunnel's. The charts' own default
 * requests (`cni` and `ztunnel` values.yaml, held to them by a test), set explicitly so the capacity model and the
 * releases cannot disagree.
 */
export const CNI_RESOURCES = { requests: { cpu: "100m", memory: "100Mi" } } as const;
export const ZTUNNEL_RESOURCES = { requests: { cpu: "200m", memory: "512Mi" } } as const;

/**
 * Values of Istio's `ztunnel` chart (ambient only): the node proxy, with the ambient profile (HBONE, the
 * distroless image) and the requests the capacity model counts on every node.
 */
export function ztunnelValues(): Record<string, unknown> {
    return { profile: "ambient", resources: { ...ZTUNNEL_RESOURCES } };
}

export interface MeshReleases {
    readonly base: ReleaseSpec;
    readonly cni: ReleaseSpec;
    readonly istiod: ReleaseSpec;
    /** ztunnel, the node proxy of ambient mode; none with sidecars. */
    readonly ztunnel?: ReleaseSpec;
    readonly ingress: ReleaseSpec;
    readonly egress?: ReleaseSpec;
}

/**
 * Every Istio chart at the one version from settings. In ambient mode the charts that read it get Istio's
 * `ambient` profile (`profile: ambient`: each chart's `files/profile-ambient.yaml`, under the stack's own values,
 * which win), and ztunnel joins them; `base` reads no profile (its render is the same with it).
 */
export function meshReleases(istio: IstioSettings, sizing: Pick<MeshSizing, "proxy" | "istiod">): MeshReleases {
    const ambient = istio.dataplane === "ambient";
    const profile = ambient ? { profile: "ambient" } : {};
    return {
        base: release("istio-base", "base", ISTIO_NAMESPACE, istio, { defaultRevision: "default" }),
        cni: release("istio-cni", "cni", ISTIO_NAMESPACE, istio, { ...profile, ...cniValues() }),
        istiod: release("istiod", "istiod", ISTIO_NAMESPACE, istio, { ...profile, ...istiodValues(istio, sizing) }),
        ztunnel: ambient ? release("ztunnel", "ztunnel", ISTIO_NAMESPACE, istio, ztunnelValues()) : undefined,
        ingress: release(INGRESS_GATEWAY.release, "gateway", INGRESS_NAMESPACE, istio, gatewayValues("ingress")),
        egress: istio.egressGateway ? release(EGRESS_GATEWAY.release, "gateway", EGRESS_NAMESPACE, istio, gatewayValues("egress")) : undefined,
    };
}


/** In-tree AWS cloud provider: an internet-facing network load balancer across all zones. */
export const NLB_ANNOTATIONS: Readonly<Record<string, string>> = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
};

/**
 * The ingress gateway's Service. On EKS: an internet-facing network load balancer
 * made by the in-tree AWS cloud provider (no controller to install), open to
 * `istio.ingress.sourceCidrs` on ports 80 and 443 only.
 * On an existing cluster: a NodePort with fixed ports (kind can map them), or a
 * LoadBalancer where the cluster has one (minikube tunnel, Docker Desktop).
 */
export function ingressServiceSpec(cluster: Pick<ClusterSettings, "mode">, istio: IstioSettings) {
    const { serviceType, sourceCidrs, httpNodePort, httpsNodePort } = istio.ingress;
    const nodePorts: Record<string, number> = { http2: httpNodePort, https: httpsNodePort };
    const onAws = cluster.mode === "eks" && serviceType === "LoadBalancer";
    const certificate = onAws ? istio.ingress.certificateArn : undefined;
    // A TLS listener on 443 with the ACM certificate; TLS 1.2 or 1.3 only.
    const tls: Record<string, string> = certificate
        ? {
              "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": certificate,
              "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "https",
              "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
          }
        : {};
    const annotations: Record<string, string> = onAws ? { ...NLB_ANNOTATIONS, ...tls } : {};
    return {
        metadata: {
            name: INGRESS_GATEWAY.release,
            namespace: INGRESS_NAMESPACE,
            labels: { ...INGRESS_GATEWAY.labels },
            // Every namespace's traffic generators and checks call the gateway.
            annotations: { ...annotations, ...exportedTo(["*"]) },
        },
        spec: {
            type: serviceType,
            selector: { ...INGRESS_GATEWAY.labels },
            ports: GATEWAY_PORTS.map((p) => ({
                ...p,
                ...(certificate && p.name === "https" ? { targetPort: TLS_OFFLOAD_PORT } : {}),
                ...(serviceType === "NodePort" ? { nodePort: nodePorts[p.name] } : {}),
            })),
            ...(serviceType === "LoadBalancer" ? { loadBalancerSourceRanges: [...sourceCidrs], externalTrafficPolicy: "Cluster" } : {}),
        },
    };
}

/**
 * The egress gateway's Service: in-cluster only (ClusterIP), on the ports the
 * mesh sends external traffic through. The chart's own Service is off for every
 * gateway (`service.type: None`), so this one is what egress routes address.
 */
export function egressServiceSpec() {
    return {
        metadata: { name: EGRESS_GATEWAY.release, namespace: EGRESS_NAMESPACE, labels: { ...EGRESS_GATEWAY.labels }, annotations: exportedTo(["*"]) },
        spec: {
            type: "ClusterIP",
            selector: { ...EGRESS_GATEWAY.labels },
            ports: GATEWAY_PORTS.map((p) => ({ ...p })),
        },
    };
}

/**
 * A workload namespace's default Sidecar: its proxies know the Services of the
 * namespaces they call (their own, the control plane and addons, the gateways)
 * and no other attendee's, so their configuration, and istiod's pushes to them,
 * do not grow with the class.
 */
export function namespaceSidecar(namespace: string, hosts: readonly string[]): IstioObject<"Sidecar"> {
    return istioObject("Sidecar", { name: "default", namespace }, { egress: [{ hosts: [...hosts] }] });
}

/** Mesh-wide mutual TLS in the root namespace. */
export function meshPeerAuthentication(istio: IstioSettings): IstioObject<"PeerAuthentication"> {
    return istioObject("PeerAuthentication", { name: "default", namespace: ISTIO_NAMESPACE }, { mtls: { mode: istio.mtls } });
}

/** Mesh-wide tracing to the OpenTelemetry provider, at the sampling rate from settings. */
export function meshTelemetry(istio: IstioSettings): IstioObject<"Telemetry"> {
    return istioObject(
        "Telemetry",
        { name: "mesh-default", namespace: ISTIO_NAMESPACE },
        { tracing: [{ providers: [{ name: TRACING_PROVIDER }], randomSamplingPercentage: istio.tracing.samplingPercent }] },
    );
}

/** Commands that show the mesh is healthy. */
export function meshChecks(): string[] {
    return [
        `kubectl get pods -n ${ISTIO_NAMESPACE}`,
        `kubectl get pods -n ${INGRESS_NAMESPACE}`,
        "istioctl proxy-status",
        "istioctl analyze --all-namespaces",
    ];
}
