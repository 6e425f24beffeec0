/**
 * The `istio` section: one version for every chart, mesh-wide mTLS, the gateways, tracing.
 */
import { z } from "zod";
import { ACM_ARN, SEMVER, bool, cidr, intIn, numberIn, oneOf, section } from "./primitives";

/**
 * The Istio releases this project was built with: date of the release note and, for a security release, the
 * advisory it fixes (istio.io's release notes and security bulletins; `shared/upstream/README.md` lists them and
 * a test holds this table to it). Oldest first.
 */
export interface IstioRelease {
    readonly version: string;
    readonly date: string;
    readonly security?: string;
}
export const ISTIO_RELEASES: readonly IstioRelease[] = [
    { version: "1.30.0", date: "2026-05-18" },
    { version: "1.30.1", date: "2026-06-04", security: "ISTIO-SECURITY-2026-004" },
    { version: "1.30.2", date: "2026-06-23", security: "ISTIO-SECURITY-2026-005" },
    { version: "1.30.3", date: "2026-07-16" },
    { version: "1.30.4", date: "2026-08-26", security: "ISTIO-SECURITY-2026-006" },
    { version: "1.30.5", date: "2026-09-21" },
];

/** The newest release the project knows: every stack's default. */
export const DEFAULT_ISTIO_VERSION = ISTIO_RELEASES[ISTIO_RELEASES.length - 1].version;

const patchOf = (v: string) => Number(v.split(".")[2].split("-")[0]);
const minorOf = (v: string) => v.split(".").slice(0, 2).join(".");

/**
 * What to say about a pinned Istio version: behind a security release of its minor (naming the release and the
 * version to move to), or newer or other than the releases the project knows (so checked only from the chart cache).
 */
export function istioVersionWarnings(version: string): string[] {
    const line = ISTIO_RELEASES.filter((r) => minorOf(r.version) === minorOf(version));
    if (line.length === 0) {
        return [`istio.version "${version}" is not a minor this project was built with (${[...new Set(ISTIO_RELEASES.map((r) => minorOf(r.version)))].join(", ")}): values, CRDs and routes are checked only against the chart cache, and the lessons' expectations are 1.30's`];
    }
    const newest = line[line.length - 1].version;
    if (!line.some((r) => r.version === version)) {
        return patchOf(version) > patchOf(newest)
            ? [`istio.version "${version}" is newer than the releases this project knows (to ${newest}): it is checked only against the chart cache's charts`]
            : [`istio.version "${version}" is not a release of Istio ${minorOf(version)} (known: ${line.map((r) => r.version).join(", ")})`];
    }
    const fixes = line.filter((r) => r.security !== undefined && patchOf(r.version) > patchOf(version));
    if (fixes.length === 0) return [];
    const last = fixes[fixes.length - 1];
    return [`istio.version "${version}" is behind the security release ${last.version} (${last.date}, ${fixes.map((r) => r.security).join(", ")}): set istio.version to ${newest}, the newest ${minorOf(version)} release`];
}

/**
 * The Kubernetes Gateway API release each Istio minor builds against (istio/istio `go.mod`'s
 * `sigs.k8s.io/gateway-api`): its standard-channel CRDs are what that istiod serves.
 */
export const GATEWAY_API_FOR_ISTIO: Readonly<Record<string, string>> = { "1.30": "v1.5.1" };

/** The Gateway API release for an Istio version (`major.minor.patch`), if the project knows it. */
export function gatewayApiFor(istioVersion: string): string | undefined {
    return GATEWAY_API_FOR_ISTIO[minorOf(istioVersion)];
}

export const istioSchema = section({
    /** One Istio version for every Istio chart. */
    version: z
        .string({ error: "must be an Istio release version such as \"1.30.3\"" })
        .regex(SEMVER, { error: "must be an Istio release version such as \"1.30.3\"" })
        .default(DEFAULT_ISTIO_VERSION),
    /** `sidecar`: an Envoy beside every workload; `ambient`: ztunnel on every node, waypoints for L7. */
    dataplane: oneOf(["sidecar", "ambient"]).default("sidecar"),
    /** Mesh-wide mutual TLS mode. */
    mtls: oneOf(["STRICT", "PERMISSIVE", "DISABLE"]).default("STRICT"),
    egressGateway: bool().default(false),
    accessLogs: bool().default(true),
    ingress: section({
        /** How lessons route from the shared gateway: Istio's `Gateway` and VirtualServices, or the Kubernetes Gateway API's `Gateway` and HTTPRoutes. */
        api: oneOf(["istio", "gateway-api"]).default("istio"),
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
    "istio.version": "The Istio release; every Istio chart at this version. Default: the newest release the project knows (1.30.5); a version behind a security release is warned about, naming the one to move to (see docs/operations.md, Upgrading Istio).",
    "istio.dataplane": "`sidecar`: Istio's injected Envoy beside every workload (the seeds' lessons); `ambient`: Istio's ambient mode (the charts' `ambient` profile and the `ztunnel` chart: a node proxy on every node, lesson namespaces enrolled with `istio.io/dataplane-mode: ambient`, no sidecars). Ambient runs the `ambient` lesson and bookinfo's routing stages (with `istio.ingress.api: gateway-api`), for one organiser or a classroom, and none of the other sidecar lessons yet: the settings refuse each, naming it (see Data planes in docs/classroom.md).",
    "istio.mtls": "The mesh-wide PeerAuthentication's mode.",
    "istio.egressGateway": "Add the `istio-egressgateway` release (needed by the egress lesson's `egress-gateway` stage).",
    "istio.accessLogs": "Envoy access logs on every proxy's stdout.",
    "istio.ingress": "The shared ingress gateway.",
    "istio.ingress.api": "`istio`: the shared gateway is Istio's `Gateway` and lessons route from it with VirtualServices (the seeds'); `gateway-api`: it is a Kubernetes Gateway API `Gateway` of class `istio` on the same gateway pods and Service (Istio's manual deployment), and every lesson's gateway routes are HTTPRoutes attached to it. Needs the Gateway API's CRDs (`istio.gatewayApi`). In a classroom each attendee's HTTPRoutes attach to it themselves, kept to their own host or path by an admission rule; not with `addons.expose`.",
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
