/**
 * The attack suite's attempts: what a hostile attendee would try (`ATTACKS`),
 * and what an attendee is meant to do (`CAPABILITIES`), each as the request
 * the attendee's credentials would make. Judged by `attackSuite.ts` offline,
 * and by the API server in the control-plane run.
 */
import { ATTENDEE_ACCOUNT } from "../../classroom/attendeeSpec";
import { ADDONS_NAMESPACE, ISTIOD_POD_LABELS, JAEGER_LABELS, KIALI_POD_LABELS, PROMETHEUS_SERVER_POD_LABELS } from "../../model/endpoints";
import { HBONE_PORT, INGRESS_GATEWAY, INGRESS_NAMESPACE, ISTIO_NAMESPACE, WAYPOINT, WORKSHOP_GATEWAY } from "../../model/platform";
import { EXTERNAL_HOST } from "../../lessons/catalog/egress";
import { JOB_BOUNDS, LIST_BOUNDS, MAX_REPLICAS } from "../../classroom/admissionSpec";
import type { Pod } from "../kubernetes/network";
import type { ScrapeAbuse } from "./prometheusTargets";

export type Layer = "settings" | "Prometheus" | "RBAC" | "LimitRange" | "Pod Security" | "admission policy" | "ResourceQuota" | "Istio" | "NetworkPolicy" | "AuthorizationPolicy" | "IAM" | "admitted";

export interface Verdict {
    readonly layer: Layer;
    readonly reason: string;
}

/**
 * A request with the attendee's credentials: an object to create (in `namespace`; `count` of them, named
 * `<name>-1`…, where the attack is their number), or a verb on a resource; or a connection from a pod of the
 * attendee's namespace to a pod, on a port.
 */
export type Attempt =
    | { readonly verb: "create" | "update"; readonly object: any; readonly count?: number }
    | { readonly verb: string; readonly group: string; readonly resource: string; readonly namespace?: string; readonly name?: string }
    | { readonly connect: Pod; readonly port: number }
    /** A pod naming a private image of the stack's AWS account (`repository` in its ECR): the kubelet pulls it with the node's role. */
    | { readonly pullImage: string }
    /** A Service named after a host (`github`) in the attendee's namespace: cluster DNS answers `<host>.<namespace>` with it. */
    | { readonly claimHost: string }
    /** A pod of the attendee's, annotated for Prometheus, answering its scrape with `abuse`. */
    | { readonly scrape: ScrapeAbuse };

export interface Attack {
    readonly what: string;
    /** The attempt, for the attacker's namespace, a victim's, and where the attacker's gateway paths start (`attendeePathBase`). */
    readonly attempt: (own: string, victim: string, base: string) => Attempt;
    /** Only with this ingress API (`istio.ingress.api`): how an attendee publishes gateway routes differs between them. */
    readonly ingress?: "istio" | "gateway-api";
    /** Only in this data plane (`istio.dataplane`): in ambient mode an attendee deploys a waypoint and binds Services to it. */
    readonly dataplane?: "sidecar" | "ambient";
}

const meta = (name: string, namespace: string) => ({ name, namespace });
const pod = (ns: string, spec: Record<string, unknown>, container: Record<string, unknown> = {}) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: meta("x", ns),
    spec: { containers: [{ name: "x", image: "quay.io/curl/curl:8.16.0", ...container }], ...spec },
});
/** A pod Pod Security's restricted level admits: what else it carries is then for the other layers to judge. */
const restrictedPod = (ns: string, spec: Record<string, unknown>) =>
    pod(ns, { securityContext: { runAsNonRoot: true, runAsUser: 100, seccompProfile: { type: "RuntimeDefault" } }, ...spec }, { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } });
const vs = (ns: string, spec: Record<string, unknown>) => ({ apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: meta("x", ns), spec });
const service = (ns: string, spec: Record<string, unknown>) => ({ apiVersion: "v1", kind: "Service", metadata: meta("x", ns), spec: { ports: [{ name: "http", port: 80 }], ...spec } });
const route = [{ destination: { host: "x" } }];
const serviceEntry = (ns: string, hosts: readonly string[]) => ({
    apiVersion: "networking.istio.io/v1",
    kind: "ServiceEntry",
    metadata: meta("x", ns),
    spec: { hosts, exportTo: ["."], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "DNS" },
});
/** A Job's spec as an attendee would write it: one restricted pod, run once. */
const job = (ns: string) => ({ template: { spec: { ...restrictedPod(ns, {}).spec, restartPolicy: "Never" } }, backoffLimit: 0 });
/** A delegate route (bookinfo's, exported to the gateway's namespace) with these HTTP routes. */
const delegate = (ns: string, http: readonly Record<string, unknown>[]) => ({ ...vs(ns, { exportTo: [INGRESS_NAMESPACE], http }), metadata: meta("bookinfo-gateway", ns) });
/** A delegate route on the attendee's own gateway path, to its own Service: only `extra` is for the other layers to judge. */
const ownDelegate = (ns: string, base: string, extra: Record<string, unknown>) =>
    delegate(ns, [{ match: [{ uri: { prefix: `${base}/static` } }], route: [{ destination: { host: `productpage.${ns}.svc.cluster.local` } }], ...extra }]);
const connect = (namespace: string, labels: Readonly<Record<string, string>>, port: number): Attempt => ({ connect: { namespace, labels }, port });
/** An HTTPRoute (Gateway API ingress) attached to the shared Gateway, with these rules and, where given, hosts. */
const httpRoute = (ns: string, rules: readonly Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: meta("x", ns),
    spec: { parentRefs: [{ name: WORKSHOP_GATEWAY.name, namespace: WORKSHOP_GATEWAY.namespace }], rules, ...extra },
});
/** A rule on the attendee's own gateway path (`base`; on their own host, that host's paths), to their own Service. */
const ownRule = (base: string, extra: Record<string, unknown> = {}) => ({ matches: [{ path: { type: "PathPrefix", value: `${base}/static` } }], backendRefs: [{ name: "productpage", port: 9080 }], ...extra });
/** The hostnames an attendee's own routes name: theirs on a classroom domain, none under a path prefix. */
const ownHosts = (own: string, base: string) => (base === "" ? { hostnames: [`${own}.workshop.example.com`] } : {});

/** The attempts that apply to a stack of this ingress API. */
export function forIngress(attempts: readonly Attack[], api: "istio" | "gateway-api", dataplane: "sidecar" | "ambient" = "sidecar"): Attack[] {
    return attempts.filter((a) => (a.ingress === undefined || a.ingress === api) && (a.dataplane === undefined || a.dataplane === dataplane));
}

/** A Gateway API Gateway in the attendee's namespace: by default the waypoint an attendee may deploy (`WAYPOINT`). */
const apiGateway = (ns: string, spec: Record<string, unknown> = {}, name: string = WAYPOINT.name) => ({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: meta(name, ns),
    spec: { gatewayClassName: WAYPOINT.className, listeners: [{ ...WAYPOINT.listener }], ...spec },
});
/** A Service of the attendee's labelled to use a waypoint of another namespace. */
const waypointUser = (ns: string, waypointNamespace: string) => ({ ...service(ns, { selector: { app: "productpage" } }), metadata: { ...meta("x", ns), labels: { [WAYPOINT.useLabel]: WAYPOINT.name, "istio.io/use-waypoint-namespace": waypointNamespace } } });

/** Ambient mode's attacks: the waypoint an attendee may deploy, and the labels that bind traffic to one. */
const AMBIENT_ATTACKS: readonly Attack[] = ([
    {
        what: "open a second ingress in its namespace (a Gateway of class istio: istiod would deploy it with a LoadBalancer Service)",
        attempt: (own) => ({ verb: "create", object: apiGateway(own, { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] }, "ingress") }),
    },
    {
        what: "shape its waypoint's Deployment (infrastructure.parametersRef: a ConfigMap istiod merges into it)",
        attempt: (own) => ({ verb: "create", object: apiGateway(own, { infrastructure: { parametersRef: { group: "", kind: "ConfigMap", name: "x" } } }) }),
    },
    {
        what: "give its waypoint another listener (a plaintext HTTP port on the waypoint's Service)",
        attempt: (own) => ({ verb: "create", object: apiGateway(own, { listeners: [{ ...WAYPOINT.listener }, { name: "http", port: 80, protocol: "HTTP" }] }) }),
    },
    { what: "send its calls through another attendee's waypoint (istio.io/use-waypoint-namespace on its Service)", attempt: (own, victim) => ({ verb: "create", object: waypointUser(own, victim) }) },
    {
        what: "send its pod's traffic through another attendee's waypoint (istio.io/use-waypoint-namespace on the pod)",
        attempt: (own, victim) => {
            const p = restrictedPod(own, {});
            return { verb: "create", object: { ...p, metadata: { ...p.metadata, labels: { [WAYPOINT.useLabel]: WAYPOINT.name, "istio.io/use-waypoint-namespace": victim } } } };
        },
    },
    { what: "deploy a waypoint in another attendee's namespace", attempt: (_, victim) => ({ verb: "create", group: "gateway.networking.k8s.io", resource: "gateways", namespace: victim }) },
    { what: "bind another attendee's namespace to its waypoint (istio.io/use-waypoint on their namespace)", attempt: (_, victim) => ({ verb: "patch", group: "", resource: "namespaces", name: victim }) },
    { what: "reach another attendee's pods through ztunnel's HBONE tunnel (port 15008)", attempt: (_, victim) => connect(victim, { app: "productpage", version: "v1" }, HBONE_PORT) },
    { what: "reach another attendee's waypoint (port 15008)", attempt: (_, victim) => connect(victim, { [WAYPOINT.podLabel]: WAYPOINT.name }, HBONE_PORT) },
] as Attack[]).map((a) => ({ ...a, dataplane: "ambient" as const }));


export const ATTACKS: readonly Attack[] = [
    { what: "run a privileged pod", attempt: (own) => ({ verb: "create", object: pod(own, {}, { securityContext: { privileged: true } }) }) },
    { what: "mount the node's filesystem (hostPath /)", attempt: (own) => ({ verb: "create", object: pod(own, { volumes: [{ name: "root", hostPath: { path: "/" } }] }) }) },
    { what: "share the node's network (hostNetwork: the node's IAM role)", attempt: (own) => ({ verb: "create", object: pod(own, { hostNetwork: true }) }) },
    { what: "see the node's processes on a chosen node (hostPID, nodeName)", attempt: (own) => ({ verb: "create", object: pod(own, { hostPID: true, nodeName: "any" }) }) },
    { what: "run as root", attempt: (own) => ({ verb: "create", object: pod(own, { securityContext: { runAsUser: 0 } }) }) },
    { what: "add capabilities (NET_ADMIN)", attempt: (own) => ({ verb: "create", object: pod(own, {}, { securityContext: { capabilities: { add: ["NET_ADMIN"] } } }) }) },
    {
        what: "run a pod at system-node-critical priority (it preempts the platform's pods and is evicted last)",
        attempt: (own) => ({ verb: "create", object: restrictedPod(own, { priorityClassName: "system-node-critical" }) }),
    },
    {
        what: "run a pod as the attendee's own ServiceAccount (its token lives as long as the pod, beyond the kubeconfig's)",
        attempt: (own) => ({ verb: "create", object: restrictedPod(own, { serviceAccountName: ATTENDEE_ACCOUNT }) }),
    },
    {
        what: "run a pod labelled like the shared gateway (istio: ingressgateway), to be sent its listeners and every attendee's routes",
        attempt: (own) => ({ verb: "create", object: { ...restrictedPod(own, {}), metadata: { name: "x", namespace: own, labels: { ...INGRESS_GATEWAY.selector } } } }),
    },
    {
        what: "read the lessons release's record (a Secret: every value of the release) from a pod that mounts it",
        attempt: (own) => ({ verb: "create", object: restrictedPod(own, { volumes: [{ name: "r", secret: { secretName: "sh.helm.release.v1.lessons.v1" } }] }) }),
    },
    {
        what: "run a pod whose limits exceed a node (eight containers of 2 GiB: the kernel, not the quota, would stop it)",
        attempt: (own) => {
            const p = restrictedPod(own, {});
            const c = p.spec.containers[0];
            return { verb: "create", object: { ...p, spec: { ...p.spec, containers: Array.from({ length: 8 }, (_, i) => ({ ...c, name: `x${i}`, resources: { limits: { memory: "2Gi" } } })) } } };
        },
    },
    { what: "fill etcd with ConfigMaps (100 of them)", attempt: (own) => ({ verb: "create", count: 100, object: { apiVersion: "v1", kind: "ConfigMap", metadata: meta("flood", own), data: { x: "x" } } }) },
    {
        what: "claim 100 GiB of storage",
        attempt: (own) => ({ verb: "create", object: { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: meta("x", own), spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "100Gi" } } } } }),
    },
    {
        what: "load istiod with ServiceEntries (100 of them, each pushed to every proxy that imports the namespace)",
        attempt: (own) => ({ verb: "create", count: 100, object: serviceEntry(own, ["flood.example.com"]) }),
    },
    { what: "load istiod with a ServiceEntry of 200 hosts (Istio's schema allows 256; the rail 8)", attempt: (own) => ({ verb: "create", object: serviceEntry(own, Array.from({ length: 200 }, (_, i) => `h${i}.example.com`)) }) },
    {
        what: `load istiod with a VirtualService of 1,000 routes (at most ${LIST_BOUNDS.routes})`,
        attempt: (own) => ({ verb: "create", object: vs(own, { hosts: ["reviews"], http: Array.from({ length: 1000 }, (_, i) => ({ match: [{ uri: { exact: `/${i}` } }], route })) }) }),
    },
    {
        what: `churn the shared controllers with a Deployment of 1,000 replicas (at most ${MAX_REPLICAS})`,
        attempt: (own) => ({ verb: "create", object: { apiVersion: "apps/v1", kind: "Deployment", metadata: meta("x", own), spec: { replicas: 1000, selector: { matchLabels: { app: "x" } }, template: { metadata: { labels: { app: "x" } }, spec: restrictedPod(own, {}).spec } } } }),
    },
    {
        what: "start Jobs every minute (a CronJob that is not suspended)",
        attempt: (own) => ({ verb: "create", object: { apiVersion: "batch/v1", kind: "CronJob", metadata: meta("x", own), spec: { schedule: "* * * * *", jobTemplate: { spec: job(own) } } } }),
    },
    {
        what: `leave 10,000 finished pods (a Job of 10,000 completions; at most ${JOB_BOUNDS.completions}), for PodGC to delete other attendees' first`,
        attempt: (own) => ({ verb: "create", object: { apiVersion: "batch/v1", kind: "Job", metadata: meta("x", own), spec: { ...job(own), completions: 10000 } } }),
    },
    {
        what: "hold the shared gateway's connections (a 60 s fault delay on a delegate route)",
        attempt: (own, _, base) => ({ verb: "create", object: ownDelegate(own, base, { fault: { delay: { fixedDelay: "60s", percentage: { value: 100 } } } }) }),
    },
    {
        what: `multiply the shared gateway's requests (100 retries on a delegate route; at most ${LIST_BOUNDS.gatewayRetries})`,
        attempt: (own, _, base) => ({ verb: "create", object: ownDelegate(own, base, { retries: { attempts: 100, retryOn: "5xx" } }) }),
    },
    {
        what: "add a request's path as a metric tag (series without bound in the shared Prometheus)",
        attempt: (own) => ({
            verb: "create",
            object: {
                apiVersion: "telemetry.istio.io/v1",
                kind: "Telemetry",
                metadata: meta("x", own),
                spec: { metrics: [{ providers: [{ name: "prometheus" }], overrides: [{ match: { metric: "REQUEST_COUNT" }, tagOverrides: { path: { value: "request.url_path" } } }] }] },
            },
        }),
    },
    { what: "run a pod in another attendee's namespace", attempt: (_, victim) => ({ verb: "create", group: "", resource: "pods", namespace: victim }) },
    { what: "exec into another attendee's pods", attempt: (_, victim) => ({ verb: "create", group: "", resource: "pods/exec", namespace: victim }) },
    { what: "run a pod in istio-system", attempt: () => ({ verb: "create", group: "", resource: "pods", namespace: "istio-system" }) },
    { what: "read Secrets (own namespace)", attempt: (own) => ({ verb: "get", group: "", resource: "secrets", namespace: own }) },
    { what: "read Secrets (istio-system)", attempt: () => ({ verb: "list", group: "", resource: "secrets", namespace: "istio-system" }) },
    { what: "mint a token for a ServiceAccount", attempt: (own) => ({ verb: "create", group: "", resource: "serviceaccounts/token", namespace: own }) },
    { what: "bind itself to a ClusterRole (cluster-admin)", attempt: (own) => ({ verb: "create", group: "rbac.authorization.k8s.io", resource: "rolebindings", namespace: own }) },
    { what: "change its own Role", attempt: (own) => ({ verb: "update", group: "rbac.authorization.k8s.io", resource: "roles", namespace: own, name: ATTENDEE_ACCOUNT }) },
    // Kiali shows a token the namespaces it may GET (or every one, if it may LIST them): `src/judgement/cluster/kialiView.ts`.
    { what: "see another attendee's namespace in Kiali (GET their Namespace with its token)", attempt: (_, victim) => ({ verb: "get", group: "", resource: "namespaces", namespace: victim, name: victim }) },
    { what: "see every namespace in Kiali (LIST namespaces with its token)", attempt: () => ({ verb: "list", group: "", resource: "namespaces" }) },
    { what: "relabel its namespace (drop Pod Security, the attendee label)", attempt: (own) => ({ verb: "patch", group: "", resource: "namespaces", name: own }) },
    { what: "raise its quota", attempt: (own) => ({ verb: "update", group: "", resource: "resourcequotas", namespace: own }) },
    { what: "write Endpoints (point a Service anywhere, CVE-2021-25740)", attempt: (own) => ({ verb: "create", group: "", resource: "endpoints", namespace: own }) },
    { what: "write EndpointSlices", attempt: (own) => ({ verb: "create", group: "discovery.k8s.io", resource: "endpointslices", namespace: own }) },
    { what: "add an ephemeral debug container to a pod", attempt: (own) => ({ verb: "patch", group: "", resource: "pods/ephemeralcontainers", namespace: own }) },
    { what: "create or change a NetworkPolicy", attempt: (own) => ({ verb: "create", group: "networking.k8s.io", resource: "networkpolicies", namespace: own }) },
    { what: "remove the admission guard rails", attempt: () => ({ verb: "delete", group: "admissionregistration.k8s.io", resource: "validatingadmissionpolicybindings" }) },
    { what: "change the platform's root routes (istio-ingress)", attempt: () => ({ verb: "update", group: "networking.istio.io", resource: "virtualservices", namespace: "istio-ingress" }) },
    { what: "open a LoadBalancer Service", attempt: (own) => ({ verb: "create", object: service(own, { type: "LoadBalancer" }) }) },
    { what: "open a NodePort Service", attempt: (own) => ({ verb: "create", object: service(own, { type: "NodePort" }) }) },
    { what: "capture an address with a Service's externalIPs (CVE-2020-8554)", attempt: (own) => ({ verb: "create", object: service(own, { externalIPs: ["203.0.113.10"] }) }) },
    {
        what: "create a Gateway on `*` port 443 for the shared gateway's pods",
        attempt: (own) => ({
            verb: "create",
            object: {
                apiVersion: "networking.istio.io/v1",
                kind: "Gateway",
                metadata: meta("x", own),
                spec: { selector: { istio: "ingressgateway" }, servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["*"], tls: { mode: "PASSTHROUGH" } }] },
            },
        }),
    },
    // In ambient mode an attendee may create one Gateway, their waypoint (AMBIENT_ATTACKS try the others).
    { what: "create a Kubernetes Gateway API Gateway", dataplane: "sidecar", attempt: (own) => ({ verb: "create", group: "gateway.networking.k8s.io", resource: "gateways", namespace: own }) },
    {
        what: "create an EnvoyFilter",
        attempt: (own) => ({ verb: "create", object: { apiVersion: "networking.istio.io/v1alpha3", kind: "EnvoyFilter", metadata: meta("x", own), spec: { configPatches: [] } } }),
    },
    {
        what: "change an EnvoyFilter the stack installed (bookinfo's rate limit)",
        attempt: (own) => ({
            verb: "update",
            object: { apiVersion: "networking.istio.io/v1alpha3", kind: "EnvoyFilter", metadata: meta("filter-local-ratelimit-svc", own), spec: { workloadSelector: { labels: { app: "details" } }, configPatches: [] } },
        }),
    },
    { what: "route another namespace's host (VirtualService)", attempt: (own, victim) => ({ verb: "create", object: vs(own, { hosts: [`productpage.${victim}.svc.cluster.local`], http: [{ route }] }) }) },
    {
        what: "publish Prometheus on the shared gateway (VirtualService bound to it)",
        attempt: (own) => ({
            verb: "create",
            object: vs(own, { hosts: ["*"], gateways: ["istio-ingress/workshop-gateway"], http: [{ route: [{ destination: { host: "prometheus-server.istio-system.svc.cluster.local" } }] }] }),
        }),
    },
    { what: "export a VirtualService to every namespace (`exportTo: \"*\"`)", attempt: (own) => ({ verb: "create", object: vs(own, { hosts: ["x"], exportTo: ["*"], http: [{ route }] }) }) },
    {
        what: "take another attendee's gateway paths with a delegate route",
        attempt: (own, victim) => ({
            verb: "create",
            object: delegate(own, [{ match: [{ uri: { prefix: `/${victim}/` } }], route }]),
        }),
    },
    {
        what: "publish another attendee's internal Service under its own prefix (delegate route)",
        // On a path its root route does hand over (bookinfo's static files): only the destination is wrong.
        attempt: (own, victim, base) => ({
            verb: "create",
            object: delegate(own, [{ match: [{ uri: { prefix: `${base}/static/ratings` } }], route: [{ destination: { host: `ratings.${victim}.svc.cluster.local` } }] }]),
        }),
    },
    {
        what: "point a WorkloadEntry at a platform pod's address (Prometheus), to reach it through its own Service and delegate route",
        attempt: (own) => ({
            verb: "create",
            object: { apiVersion: "networking.istio.io/v1", kind: "WorkloadEntry", metadata: meta("relay", own), spec: { address: "10.0.0.10", labels: { app: "relay" }, ports: { http: 9090 } } },
        }),
    },
    {
        what: "relay the gateway to any address (a ServiceEntry of its own host with STATIC endpoints, exported to the gateway's namespace, for its delegate route)",
        attempt: (own) => ({
            verb: "create",
            object: {
                apiVersion: "networking.istio.io/v1",
                kind: "ServiceEntry",
                metadata: meta("relay", own),
                spec: { hosts: [`relay.${own}.svc.cluster.local`], exportTo: [".", INGRESS_NAMESPACE], ports: [{ number: 80, name: "http", protocol: "HTTP", targetPort: 9090 }], resolution: "STATIC", endpoints: [{ address: "10.0.0.10" }] },
            },
        }),
    },
    {
        what: "make istiod fetch keys from an in-cluster address (a RequestAuthentication's jwksUri)",
        attempt: (own) => ({
            verb: "create",
            object: { apiVersion: "security.istio.io/v1", kind: "RequestAuthentication", metadata: meta("x", own), spec: { jwtRules: [{ issuer: "https://x", jwksUri: "http://prometheus-server.istio-system.svc.cluster.local/api/v1/query" }] } },
        }),
    },
    {
        what: "make istiod fetch keys by the issuer's discovery (a RequestAuthentication with neither jwks nor jwksUri)",
        attempt: (own) => ({
            verb: "create",
            object: { apiVersion: "security.istio.io/v1", kind: "RequestAuthentication", metadata: meta("x", own), spec: { jwtRules: [{ issuer: "http://10.0.0.10:8080" }] } },
        }),
    },
    {
        what: "copy the gateway's requests to another attendee's Service (a delegate route's `mirrors` list)",
        // Istio 1.30's HTTPRoute.mirrors: the shared gateway, exempt from every tenant's isolation, would send the copies.
        attempt: (own, victim, base) => ({
            verb: "create",
            object: ownDelegate(own, base, { mirrors: [{ destination: { host: `ratings.${victim}.svc.cluster.local` } }] }),
        }),
    },
    {
        what: "hijack another namespace's Service with a ServiceEntry",
        attempt: (own, victim) => ({
            verb: "create",
            object: { apiVersion: "networking.istio.io/v1", kind: "ServiceEntry", metadata: meta("x", own), spec: { hosts: [`reviews.${victim}.svc.cluster.local`], ports: [{ number: 9080, name: "http", protocol: "HTTP" }], resolution: "DNS" } },
        }),
    },
    {
        what: "redirect everyone's calls to an external host (ServiceEntry exported everywhere)",
        attempt: (own) => ({
            verb: "create",
            object: { apiVersion: "networking.istio.io/v1", kind: "ServiceEntry", metadata: meta("x", own), spec: { hosts: ["api.github.com"], exportTo: ["*"], ports: [{ number: 443, name: "tls", protocol: "TLS" }], resolution: "DNS" } },
        }),
    },
    {
        what: "change how the gateway reaches another namespace (DestinationRule)",
        attempt: (own, victim) => ({
            verb: "create",
            object: { apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: meta("x", own), spec: { host: `productpage.${victim}.svc.cluster.local`, exportTo: ["istio-ingress"], trafficPolicy: { tls: { mode: "DISABLE" } } } },
        }),
    },
    { what: "connect to another attendee's pods", attempt: (_, victim) => connect(victim, { app: "productpage", version: "v1" }, 9080) },
    { what: "query Prometheus directly (its API, port 9090)", attempt: () => connect(ADDONS_NAMESPACE, PROMETHEUS_SERVER_POD_LABELS, 9090) },
    { what: "reach Kiali directly (its token login, port 20001)", attempt: () => connect(ADDONS_NAMESPACE, KIALI_POD_LABELS, 20001) },
    { what: "read every trace from Jaeger's query API", attempt: () => connect(ADDONS_NAMESPACE, JAEGER_LABELS, 16686) },
    { what: "send spans to Jaeger over OTLP/HTTP (4318: no proxy sends there)", attempt: () => connect(ADDONS_NAMESPACE, JAEGER_LABELS, 4318) },
    { what: "read the mesh's configuration from istiod's plaintext port (15010)", attempt: () => connect(ISTIO_NAMESPACE, ISTIOD_POD_LABELS, 15010) },
    // No pod: an address outside every namespace, which only an ipBlock (none in the stack) could admit.
    { what: "send traffic out of the cluster from a pod (the internet, a private address, the node's instance metadata)", attempt: () => connect("(outside the cluster)", {}, 443) },
    { what: "call a node's kubelet (10250) from a pod", attempt: () => connect("(a node)", {}, 10250) },
    { what: "overwrite another attendee's series in the shared Prometheus (its target's metrics carry namespace=\"<victim>\")", attempt: () => ({ scrape: "labels" }) },
    { what: "send Prometheus's scrape elsewhere (its target answers with a redirect to a platform address)", attempt: () => ({ scrape: "redirect" }) },
    { what: "exhaust the shared Prometheus (a target of a million series)", attempt: () => ({ scrape: "series" }) },
    { what: "answer every pod's lookups of an outside host (a Service named github in a namespace named com)", attempt: () => ({ claimHost: "github" }) },
    { what: "pull a private image of the stack's AWS account (a pod naming it: the kubelet pulls with the node's role)", attempt: () => ({ pullImage: "private/payroll" }) },
    { what: "read the shared gateway's statistics (every attendee's routes, port 15090)", attempt: () => connect(INGRESS_NAMESPACE, INGRESS_GATEWAY.labels, 15090) },
    {
        what: "take another attendee's gateway paths with an HTTPRoute on the shared Gateway",
        attempt: (own, victim) => ({ verb: "create", object: httpRoute(own, [{ matches: [{ path: { type: "PathPrefix", value: `/${victim}` } }], backendRefs: [{ name: "productpage", port: 9080 }] }]) }),
    },
    {
        what: "take another attendee's host with an HTTPRoute (hostnames)",
        attempt: (own, victim) => ({ verb: "create", object: httpRoute(own, [{ backendRefs: [{ name: "productpage", port: 9080 }] }], { hostnames: [`${victim}.workshop.example.com`] }) }),
    },
    {
        what: "take every path no one else routes with an HTTPRoute without matches (the CRD's default: the prefix /)",
        attempt: (own) => ({ verb: "create", object: httpRoute(own, [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: "productpage", port: 9080 }] }]) }),
    },
    {
        what: "publish another attendee's internal Service under its own path (an HTTPRoute's backend in their namespace)",
        attempt: (own, victim, base) => ({ verb: "create", object: httpRoute(own, [ownRule(base, { backendRefs: [{ name: "ratings", namespace: victim, port: 9080 }] })], ownHosts(own, base)) }),
    },
    {
        what: "copy the gateway's requests to another attendee's Service (an HTTPRoute's RequestMirror)",
        attempt: (own, victim, base) => ({
            verb: "create",
            object: httpRoute(own, [ownRule(base, { filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "ratings", namespace: victim, port: 9080 } } }] })], ownHosts(own, base)),
        }),
    },
    {
        what: "send the class's requests to an outside site (an HTTPRoute's RequestRedirect to another host)",
        attempt: (own, _, base) => ({
            verb: "create",
            object: httpRoute(own, [{ matches: ownRule(base).matches, filters: [{ type: "RequestRedirect", requestRedirect: { hostname: "phish.example.com", statusCode: 302 } }] }], ownHosts(own, base)),
        }),
    },
    {
        what: "route another attendee's Service inside the mesh (an HTTPRoute whose parent is their Service)",
        attempt: (own, victim) => ({
            verb: "create",
            object: { ...httpRoute(own, [{ backendRefs: [{ name: "productpage", port: 9080 }] }]), spec: { parentRefs: [{ group: "", kind: "Service", name: "reviews", namespace: victim }], rules: [{ backendRefs: [{ name: "productpage", port: 9080 }] }] } },
        }),
    },
    { what: "open its Services to another namespace's routes (a ReferenceGrant)", attempt: (own) => ({ verb: "create", group: "gateway.networking.k8s.io", resource: "referencegrants", namespace: own }) },
    ...AMBIENT_ATTACKS,
];

/** What an attendee is meant to do: every one admitted. */
export const CAPABILITIES: readonly Attack[] = [
    { what: "deploy, scale and delete workloads in its namespace", attempt: (own) => ({ verb: "create", group: "apps", resource: "deployments", namespace: own }) },
    // An apply: the stack may hold the waypoint already (the attendee changes it), or not (hands-on: the attendee creates it).
    { what: "deploy or change its namespace's waypoint (a Gateway of class istio-waypoint)", dataplane: "ambient", attempt: (own) => ({ verb: "update", object: apiGateway(own) }) },
    {
        what: "send its Services' calls through its own waypoint (istio.io/use-waypoint)",
        dataplane: "ambient",
        attempt: (own) => ({ verb: "create", object: { ...waypointUser(own, own), metadata: { ...meta("x", own), labels: { [WAYPOINT.useLabel]: WAYPOINT.name } } } }),
    },
    { what: "log in to Kiali and see its own namespace (GET its Namespace with its token)", attempt: (own) => ({ verb: "get", group: "", resource: "namespaces", namespace: own, name: own }) },
    { what: "run a restricted pod (non-root, no privilege)", attempt: (own) => ({ verb: "create", object: restrictedPod(own, {}) }) },
    { what: "exec into its pods, port-forward, read logs", attempt: (own) => ({ verb: "create", group: "", resource: "pods/exec", namespace: own }) },
    { what: "route its own Services (VirtualService in the mesh)", attempt: (own) => ({ verb: "create", object: vs(own, { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", subset: "v2" } }] }] }) }) },
    {
        what: "change its gateway routes on its own paths or host (an HTTPRoute on the shared Gateway)",
        ingress: "gateway-api",
        attempt: (own, _, base) => ({ verb: "create", object: httpRoute(own, [ownRule(base, { filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/static" } } }] })], ownHosts(own, base)) }),
    },
    {
        what: "change its gateway routes under its own prefix (delegate VirtualService)",
        ingress: "istio",
        attempt: (own, _, base) => ({
            verb: "create",
            object: delegate(own, [{ match: [{ uri: { prefix: `${base}/api/v1/products/0/reviews` } }], route }]),
        }),
    },
    { what: "write DestinationRules, AuthorizationPolicies, PeerAuthentications, Telemetry in its namespace", attempt: (own) => ({ verb: "create", group: "security.istio.io", resource: "authorizationpolicies", namespace: own }) },
    {
        what: "name the egress lesson's stand-in host in a ServiceEntry, exported to itself",
        attempt: (own) => ({ verb: "create", object: { apiVersion: "networking.istio.io/v1", kind: "ServiceEntry", metadata: meta("httpbin-ext", own), spec: { hosts: [EXTERNAL_HOST], exportTo: ["."], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "DNS" } } }),
    },
    {
        what: "send its calls for an external host through the egress gateway (VirtualService, exported to itself)",
        attempt: (own) => ({
            verb: "create",
            object: vs(own, { hosts: ["httpbin.org"], exportTo: ["."], http: [{ route: [{ destination: { host: "istio-egressgateway.istio-egress.svc.cluster.local", port: { number: 80 } } }] }] }),
        }),
    },
    { what: "reach an external host from its own namespace (ServiceEntry, exported to itself)", attempt: (own) => ({ verb: "create", object: { apiVersion: "networking.istio.io/v1", kind: "ServiceEntry", metadata: meta("x", own), spec: { hosts: ["httpbin.org"], exportTo: ["."], ports: [{ number: 443, name: "tls", protocol: "TLS" }], resolution: "DNS" } } }) },
    { what: "run Jobs (the verification Jobs, again)", attempt: (own) => ({ verb: "create", group: "batch", resource: "jobs", namespace: own }) },
    // details: the ambient lesson's productpage admits only the gateway and its waypoint, by design.
    { what: "connect to its own pods", attempt: (own) => connect(own, { app: "details", version: "v1" }, 9080) },
    { what: "call the shared gateway", attempt: () => connect(INGRESS_NAMESPACE, INGRESS_GATEWAY.labels, 80) },
    { what: "send traces to Jaeger's collector", attempt: () => connect(ADDONS_NAMESPACE, JAEGER_LABELS, 4317) },
    { what: "get its proxies' configuration from istiod over mTLS (15012)", attempt: () => connect(ISTIO_NAMESPACE, ISTIOD_POD_LABELS, 15012) },
];
