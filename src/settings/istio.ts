/**
 * The `istio` section: one version for every chart, mesh-wide mTLS, the gateways, tracing.
 */
import { z } from "zod";
import { ACM_ARN, SEMVER, bool, cidr, intIn, numberIn, oneOf, section } from "./primitives";

export const DEFAULT_ISTIO_VERSION = "1.30.3";

/**
 * The Kubernetes Gateway API release each Istio minor builds against (istio/istio `go.mod`'s
 * `sigs.k8s.io/gateway-api`): its standard-channel CRDs are what that istiod serves.
 */
export const GATEWAY_API_FOR_ISTIO: Readonly<Record<string, string>> = { "1.30": "v1.5.1" };

/** The Gateway API release for an Istio version (`major.minor.patch`), if the project knows it. */
export function gatewayApiFor(istioVersion: string): string | undefined {
    return GATEWAY_API_FOR_ISTIO[istioVersion.split(".").slice(0, 2).join(".")];
}

export const istioSchema = section({
    /** One Istio version for every Istio chart. */
    version: z
        .string({ error: "must be an Istio release version such as \"1.30.3\"" })
        .regex(SEMVER, { error: "must be an Istio release version such as \"1.30.3\"" })
        .default(DEFAULT_ISTIO_VERSION),
    /** Mesh-wide mutual TLS mode. */
    mtls: oneOf(["STRICT", "PERMISSIVE", "DISABLE"]).default("STRICT"),
    egressGateway: bool().default(false),
    accessLogs: bool().default(true),
    ingress: section({
        /** `LoadBalancer` (an AWS network load balancer on EKS) or `NodePort` (kind, minikube); default by cluster mode. */
        serviceType: oneOf(["LoadBalancer", "NodePort"]).optional(),
        /** Who may reach the gateway's load balancer on ports 80 and 443. */
        sourceCidrs: z.array(cidr(), { error: "must be a list of IPv4 CIDRs" }).min(1, { error: "must list at least one CIDR" }).default(["0.0.0.0/0"]),
        httpNodePort: intIn(30000, 32767).default(30080),
        httpsNodePort: intIn(30000, 32767).default(30443),
        /**
         * An ACM certificate for the load balancer's 443 listener (TLS ends at the load balancer):
         * required by `addons.expose`, so the UIs' logins never cross the internet in clear text.
         */
        certificateArn: z.string({ error: "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)" }).regex(ACM_ARN, { error: "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)" }).optional(),
    })
        .superRefine((i, ctx) => {
            if (i.httpNodePort === i.httpsNodePort) {
                ctx.addIssue({ code: "custom", path: ["httpsNodePort"], input: i.httpsNodePort, message: "must differ from istio.ingress.httpNodePort" });
            }
        })
        .prefault({}),
    tracing: section({
        /** Share of requests traced, in percent. */
        samplingPercent: numberIn(0, 100).default(100),
    }).prefault({}),
    gatewayApi: section({
        /** `install`: the stack applies the Gateway API's standard-channel CRDs before istiod; `cluster`: the cluster has them already. */
        crds: oneOf(["install", "cluster"]).default("install"),
    }).prefault({}),
}).superRefine((s, ctx) => {
    // (A version that is not one is refused on its own.)
    if (s.gatewayApi.crds === "install" && SEMVER.test(s.version) && gatewayApiFor(s.version) === undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["gatewayApi", "crds"],
            input: s.gatewayApi.crds,
            message: `no Gateway API release is known for Istio ${s.version} (known: ${Object.entries(GATEWAY_API_FOR_ISTIO).map(([istio, api]) => `${istio} → ${api}`).join(", ")}): set it to cluster and install the CRDs that Istio release supports yourself`,
        });
    }
});

/** What each key of the section does, by dotted path (the configuration reference and the stack file schema print them). */
export const ISTIO_DOCS: Readonly<Record<string, string>> = {
    istio: "Istio: one version for every chart, mesh-wide mTLS, gateways, tracing.",
    "istio.version": "The Istio release; every Istio chart at this version (see docs/operations.md, Upgrading Istio).",
    "istio.mtls": "The mesh-wide PeerAuthentication's mode.",
    "istio.egressGateway": "Add the `istio-egressgateway` release (needed by the egress lesson's `egress-gateway` stage).",
    "istio.accessLogs": "Envoy access logs on every proxy's stdout.",
    "istio.ingress": "The shared ingress gateway.",
    "istio.ingress.serviceType": "`LoadBalancer` (an AWS network load balancer) or `NodePort`; default `LoadBalancer` on eks, `NodePort` on existing.",
    "istio.ingress.sourceCidrs": "IPv4 CIDRs that may reach the gateway's load balancer (ports 80 and 443 only: attendees need them).",
    "istio.ingress.httpNodePort": "Node port of HTTP with `NodePort`.",
    "istio.ingress.httpsNodePort": "Node port of HTTPS with `NodePort`; differs from `httpNodePort`.",
    "istio.ingress.certificateArn": "An ACM certificate: the load balancer ends TLS on 443 with it (eks with `LoadBalancer` only); required by `addons.expose`. Without one the gateway ends TLS itself with the workshop CA's certificate (myApp's `tls` stage).",
    "istio.tracing": "Tracing to Jaeger.",
    "istio.tracing.samplingPercent": "Share of requests traced, in percent.",
    "istio.gatewayApi": "The Kubernetes Gateway API's CRDs.",
    "istio.gatewayApi.crds": "`install`: the stack applies the standard-channel CRDs of the Gateway API release this Istio builds against (v1.5.1 for 1.30), from that release's official manifest, before istiod; `cluster`: the cluster has them already (managed elsewhere) and the stack leaves them alone.",
};
