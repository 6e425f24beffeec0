/**
 * Guard rails the API server itself runs on every attendee namespace:
 * ValidatingAdmissionPolicies (GA since Kubernetes 1.30, no controller to
 * install) and their bindings, selected by the attendee label. Each refusal
 * says what is allowed. Our own lessons pass them (the plan evaluates these
 * same CEL expressions over every object of an attendee namespace, and the
 * attack suite over hostile ones: `src/judgement/kubernetes/admission.ts`).
 *
 * Pure: plain objects, `src/classroom/classroom.ts` registers them.
 */
import { ATTENDEE_NAMESPACE_LABEL } from "../model/platform";
import { INGRESS_NAMESPACE, WAYPOINT, WORKSHOP_GATEWAY } from "../model/platform";
import { EXTERNAL_NAMESPACE } from "../model/platform";
import { ATTENDEE_ACCOUNT } from "./attendeeSpec";

export interface Validation {
    readonly expression: string;
    readonly message: string;
}

export interface ResourceRule {
    readonly apiGroups: readonly string[];
    readonly resources: readonly string[];
}

export interface GuardRail {
    readonly name: string;
    readonly rules: readonly ResourceRule[];
    /** CEL conditions a request must meet for the rail to judge it (all of them); none: every request. */
    readonly matchConditions?: readonly { readonly name: string; readonly expression: string }[];
    readonly validations: readonly Validation[];
}

/** A host of a Service in the request's own namespace: `svc`, `svc.<ns>`, `svc.<ns>.svc`, `svc.<ns>.svc.cluster.local`. */
const OWN_HOST = String.raw`'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.' + request.namespace + '(\\.svc(\\.cluster\\.local)?)?)?$'`;
/** A host outside the cluster (no wildcard, no cluster domain), or the egress lesson's stand-in for one: what a VirtualService may route. */
const OUTSIDE_HOST = `((!h.contains('*') && !h.endsWith('.local') && !h.endsWith('.svc')) || h.endsWith('.${EXTERNAL_NAMESPACE}.svc.cluster.local'))`;
/** `exportTo` of an Istio object kept within the namespace (`.` or its own name), and, where allowed, the gateway's namespace. */
const exportWithin = (extra: readonly string[]) =>
    `(!has(object.spec.exportTo) || object.spec.exportTo.all(e, e == '.' || e == request.namespace${extra.map((x) => ` || e == '${x}'`).join("")}))`;
/** Every match of every route of the named lists binds only to the mesh. */
const matchesMeshOnly = (list: string) => `(!has(object.spec.${list}) || object.spec.${list}.all(r, !has(r.match) || r.match.all(m, !has(m.gateways) || m.gateways.all(g, g == 'mesh'))))`;

/** A pod's lists of containers, each of which may name Secrets. */
const SPEC_CONTAINERS = ["containers", "initContainers", "ephemeralContainers"] as const;

/** What one attendee Job may run: bounded pods, and so bounded finished pods. */
export const JOB_BOUNDS = { completions: 10, parallelism: 10, backoffLimit: 6 } as const;
const jobBounds = (spec: string) =>
    `((!has(${spec}.completions) || ${spec}.completions <= ${JOB_BOUNDS.completions}) && (!has(${spec}.parallelism) || ${spec}.parallelism <= ${JOB_BOUNDS.parallelism}) && (!has(${spec}.backoffLimit) || ${spec}.backoffLimit <= ${JOB_BOUNDS.backoffLimit}))`;

/** Replicas of one attendee workload: above any lesson's, within the namespace's pod quota. */
export const MAX_REPLICAS = 10;

/** Sizes of an attendee's Istio objects' lists: far above any lesson's, far below what loads istiod. */
export const LIST_BOUNDS = { hosts: 8, routes: 32, matches: 8, destinations: 8, endpoints: 16, subsets: 16, gatewayRetries: 3 } as const;

const NO_GATEWAYS = "istio-workshop-attendee-no-gateways";

/** The pod, Service or ServiceEntry label naming the namespace of the waypoint `istio.io/use-waypoint` names (istio/api `label/labels.yaml`). */
export const WAYPOINT_NAMESPACE_LABEL = "istio.io/use-waypoint-namespace";

export const GUARD_RAILS: readonly GuardRail[] = [
    {
        name: NO_GATEWAYS,
        rules: [
            { apiGroups: ["networking.istio.io"], resources: ["gateways"] },
            { apiGroups: ["gateway.networking.k8s.io"], resources: ["gateways", "listenersets"] },
        ],
        validations: [
            {
                expression: "false",
                message: `attendees may not create Gateways: the platform owns the shared gateway; publish routes with a VirtualService without hosts, exported to "${INGRESS_NAMESPACE}" (your delegate routes)`,
            },
        ],
    },
    {
        // A WorkloadEntry names any address (a platform pod's, another attendee's): a Service of the attendee's selecting
        // it, and a delegate route to that Service, would make the shared gateway, exempt from every tenant's isolation,
        // an open relay to it. No lesson needs one.
        name: "istio-workshop-attendee-no-workload-entries",
        rules: [{ apiGroups: ["networking.istio.io"], resources: ["workloadentries", "workloadgroups"] }],
        validations: [
            {
                expression: "false",
                message: "attendees may not create WorkloadEntries or WorkloadGroups: an entry can name any address in the cluster; run your workloads as pods",
            },
        ],
    },
    {
        // Envoy's own configuration is the platform's. The stack itself writes one where a lesson
        // needs it (bookinfo's rate-limit stage): the rail binds attendees' requests, which are
        // always a service account's (their tokens are), never the identity that deploys the stack.
        name: "istio-workshop-attendee-no-envoyfilters",
        rules: [{ apiGroups: ["networking.istio.io"], resources: ["envoyfilters"] }],
        matchConditions: [{ name: "from-a-service-account", expression: "request.userInfo.username.startsWith('system:serviceaccount:')" }],
        validations: [
            {
                expression: "false",
                message: "attendees may not create or change EnvoyFilters: Envoy's configuration is the platform's; a stage that needs one (bookinfo rate-limit) gets it from the stack",
            },
        ],
    },
    {
        // A pod at a system priority preempts the platform's pods and is evicted last (Kubernetes' system-node-critical
        // and system-cluster-critical classes exist in every cluster). Pods of the attendee's controllers are pods too.
        name: "istio-workshop-attendee-pods",
        rules: [{ apiGroups: [""], resources: ["pods"] }],
        validations: [
            {
                expression: "!has(object.spec.priorityClassName) || object.spec.priorityClassName == ''",
                message: "pods in an attendee namespace may not set a priorityClassName: every attendee's pods run at the same (default) priority, below the platform's",
            },
            {
                // A pod's token lives as long as the pod does and can be carried off: the attendee's rights stay in the
                // kubeconfig's token, which expires, and end with the ServiceAccount (`npm run kubeconfigs -- --revoke`).
                expression: `(!has(object.spec.serviceAccountName) || object.spec.serviceAccountName != '${ATTENDEE_ACCOUNT}') && (!has(object.spec.serviceAccount) || object.spec.serviceAccount != '${ATTENDEE_ACCOUNT}')`,
                message: `pods may not run as the ServiceAccount "${ATTENDEE_ACCOUNT}" (the attendee's own rights): use another ServiceAccount of the namespace, or the default`,
            },
            {
                // RBAC gives attendees no Secret, but a pod may read any Secret of its namespace it names: Helm's
                // release records (every value of the lessons release) are Secrets there. No lesson's pod names one.
                expression: `(!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.secret) && (!has(v.projected) || !has(v.projected.sources) || v.projected.sources.all(s, !has(s.secret))))) && ${SPEC_CONTAINERS.map((list) => `(!has(object.spec.${list}) || object.spec.${list}.all(c, (!has(c.envFrom) || c.envFrom.all(f, !has(f.secretRef))) && (!has(c.env) || c.env.all(e, !has(e.valueFrom) || !has(e.valueFrom.secretKeyRef)))))`).join(" && ")}`,
                message: "pods in an attendee namespace may not read Secrets (a secret volume, projected secret, envFrom secretRef or secretKeyRef): use ConfigMaps",
            },
        ],
    },
    {
        // istiod fetches a JWKS from jwksUri, or from the issuer's OpenID discovery where a rule has neither jwksUri nor
        // jwks, reading the body without bound, from wherever the URL points (in-cluster and private addresses included):
        // an attendee's RequestAuthentication must carry its keys inline, as the jwt lesson does.
        name: "istio-workshop-attendee-jwt-keys-inline",
        rules: [{ apiGroups: ["security.istio.io"], resources: ["requestauthentications"] }],
        validations: [
            {
                expression: "!has(object.spec.jwtRules) || object.spec.jwtRules.all(r, has(r.jwks) && size(r.jwks) > 0 && !has(r.jwksUri))",
                message: "a RequestAuthentication's jwtRules must give their keys inline (jwks), with no jwksUri: istiod would otherwise fetch keys from any address, by the URI or by the issuer's discovery",
            },
        ],
    },
    {
        // Each finished pod stays until PodGC deletes the oldest cluster-wide, other attendees' check pods first among
        // them, and a CronJob starts Jobs on its own, every minute if told: an attendee's runs are started by hand and
        // bounded (hands-on mode hands out suspended CronJobs to start Jobs from; the checks run once, no retry).
        name: "istio-workshop-attendee-jobs",
        rules: [{ apiGroups: ["batch"], resources: ["jobs", "cronjobs"] }],
        validations: [
            {
                expression: "request.kind.kind != 'CronJob' || (has(object.spec.suspend) && object.spec.suspend)",
                message: "an attendee's CronJobs must be suspended (spec.suspend: true): start a run with kubectl create job --from=cronjob/<name>",
            },
            {
                expression: `${jobBounds("object.spec")} && (request.kind.kind != 'CronJob' || ${jobBounds("object.spec.jobTemplate.spec")})`,
                message: `a Job may run at most ${JOB_BOUNDS.completions} completions, ${JOB_BOUNDS.parallelism} pods at once and ${JOB_BOUNDS.backoffLimit} retries (spec.completions, spec.parallelism, spec.backoffLimit)`,
            },
        ],
    },
    {
        // Every replica the quota refuses is retried by the shared controllers, with events for each refusal.
        name: "istio-workshop-attendee-replicas",
        rules: [{ apiGroups: ["apps"], resources: ["deployments", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"] }],
        validations: [
            {
                expression: `!has(object.spec.replicas) || object.spec.replicas <= ${MAX_REPLICAS}`,
                message: `an attendee's workload may run at most ${MAX_REPLICAS} replicas (spec.replicas, kubectl scale)`,
            },
        ],
    },
    {
        // Prometheus keeps a series per distinct value of every label: a tag of a request's own values (its path, an id)
        // would add series without bound to the Prometheus every attendee shares.
        name: "istio-workshop-attendee-telemetry",
        rules: [{ apiGroups: ["telemetry.istio.io"], resources: ["telemetries"] }],
        validations: [
            {
                expression: "!has(object.spec.metrics) || object.spec.metrics.all(m, !has(m.overrides) || m.overrides.all(o, !has(o.tagOverrides)))",
                message: "a Telemetry may not override metric tags (metrics[].overrides[].tagOverrides): Prometheus is shared; turn metrics on or off, or change access logging and tracing, instead",
            },
        ],
    },
    {
        // The shared gateway runs what a delegate route exported to it says: a fault holds or fails its requests, and
        // retries multiply what it sends. istiod pushes every object to every proxy that imports it: lists are bounded.
        name: "istio-workshop-attendee-route-load",
        rules: [{ apiGroups: ["networking.istio.io", "security.istio.io"], resources: ["virtualservices", "destinationrules", "serviceentries", "authorizationpolicies"] }],
        validations: [
            {
                expression: `request.kind.kind != 'VirtualService' || !has(object.spec.exportTo) || !object.spec.exportTo.exists(e, e == '${INGRESS_NAMESPACE}') || !has(object.spec.http) || object.spec.http.all(r, !has(r.fault) && (!has(r.retries) || !has(r.retries.attempts) || r.retries.attempts <= ${LIST_BOUNDS.gatewayRetries}))`,
                message: `a route exported to "${INGRESS_NAMESPACE}" (run by the shared gateway) may not inject faults and retries at most ${LIST_BOUNDS.gatewayRetries} times: inject faults on routes in the mesh`,
            },
            {
                expression: `request.kind.kind != 'VirtualService' || ((!has(object.spec.hosts) || size(object.spec.hosts) <= ${LIST_BOUNDS.hosts}) && (!has(object.spec.http) || (size(object.spec.http) <= ${LIST_BOUNDS.routes} && object.spec.http.all(r, (!has(r.match) || size(r.match) <= ${LIST_BOUNDS.matches}) && (!has(r.route) || size(r.route) <= ${LIST_BOUNDS.destinations})))) && (!has(object.spec.tcp) || size(object.spec.tcp) <= ${LIST_BOUNDS.routes}) && (!has(object.spec.tls) || size(object.spec.tls) <= ${LIST_BOUNDS.routes}))`,
                message: `a VirtualService may list at most ${LIST_BOUNDS.hosts} hosts and ${LIST_BOUNDS.routes} routes of each protocol, each with at most ${LIST_BOUNDS.matches} matches and ${LIST_BOUNDS.destinations} destinations`,
            },
            {
                expression: `request.kind.kind != 'ServiceEntry' || ((!has(object.spec.hosts) || size(object.spec.hosts) <= ${LIST_BOUNDS.hosts}) && (!has(object.spec.addresses) || size(object.spec.addresses) <= ${LIST_BOUNDS.hosts}) && (!has(object.spec.ports) || size(object.spec.ports) <= ${LIST_BOUNDS.hosts}) && (!has(object.spec.endpoints) || size(object.spec.endpoints) <= ${LIST_BOUNDS.endpoints}))`,
                message: `a ServiceEntry may list at most ${LIST_BOUNDS.hosts} hosts, addresses and ports, and ${LIST_BOUNDS.endpoints} endpoints`,
            },
            {
                expression: `request.kind.kind != 'DestinationRule' || !has(object.spec.subsets) || size(object.spec.subsets) <= ${LIST_BOUNDS.subsets}`,
                message: `a DestinationRule may list at most ${LIST_BOUNDS.subsets} subsets`,
            },
            {
                expression: `request.kind.kind != 'AuthorizationPolicy' || !has(object.spec.rules) || size(object.spec.rules) <= ${LIST_BOUNDS.routes}`,
                message: `an AuthorizationPolicy may list at most ${LIST_BOUNDS.routes} rules`,
            },
        ],
    },
    {
        name: "istio-workshop-attendee-services",
        rules: [{ apiGroups: [""], resources: ["services"] }],
        validations: [
            {
                expression: "!has(object.spec.type) || object.spec.type == 'ClusterIP'",
                message: "attendees may create only ClusterIP Services: no LoadBalancer, NodePort or ExternalName; reach your apps through your routes on the shared gateway",
            },
            {
                expression: "!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0",
                message: "Services may not set externalIPs (they would capture traffic to those addresses cluster-wide)",
            },
        ],
    },
    {
        name: "istio-workshop-attendee-routing",
        rules: [{ apiGroups: ["networking.istio.io"], resources: ["virtualservices", "destinationrules", "serviceentries"] }],
        validations: [
            {
                expression: `request.kind.kind == 'ServiceEntry' || ${exportWithin([INGRESS_NAMESPACE])}`,
                message: `exportTo may list only "." (this namespace) and, for delegate routes and their DestinationRules, "${INGRESS_NAMESPACE}"`,
            },
            {
                expression: `request.kind.kind != 'ServiceEntry' || ${exportWithin([])}`,
                message: `a ServiceEntry's exportTo may list only "." (this namespace)`,
            },
            {
                // Kept within the namespace (exportTo above), a route for a host outside the cluster (Istio's egress
                // gateway task) steers only the attendee's own proxies; other namespaces' hosts stay theirs.
                expression: `request.kind.kind != 'VirtualService' || !has(object.spec.hosts) || object.spec.hosts.all(h, h.matches(${OWN_HOST}) || ${OUTSIDE_HOST})`,
                message: `a VirtualService's hosts must be Services of this namespace (name, name.<namespace> or name.<namespace>.svc.cluster.local) or hosts outside the cluster (the egress lesson's stand-in, *.${EXTERNAL_NAMESPACE}.svc.cluster.local, counts as one): no wildcard, no other namespace's host`,
            },
            {
                expression: `request.kind.kind != 'VirtualService' || ((!has(object.spec.gateways) || object.spec.gateways.all(g, g == 'mesh')) && ${matchesMeshOnly("http")} && ${matchesMeshOnly("tls")} && ${matchesMeshOnly("tcp")})`,
                message: `a VirtualService may bind only to "mesh": gateway routes are delegates of the platform's root route (no hosts, no gateways, exportTo "${INGRESS_NAMESPACE}")`,
            },
            {
                expression: `request.kind.kind != 'VirtualService' || !has(object.spec.exportTo) || !object.spec.exportTo.exists(e, e == '${INGRESS_NAMESPACE}') || ((!has(object.spec.http) || object.spec.http.all(r, (!has(r.route) || r.route.all(d, d.destination.host.matches(${OWN_HOST}))) && (!has(r.mirror) || r.mirror.host.matches(${OWN_HOST})) && (!has(r.mirrors) || r.mirrors.all(m, m.destination.host.matches(${OWN_HOST}))))) && !has(object.spec.tcp) && !has(object.spec.tls))`,
                message: `a route exported to "${INGRESS_NAMESPACE}" (read by the shared gateway) may send traffic, and copies of it (mirror, mirrors), only to Services of this namespace, over HTTP`,
            },
            {
                expression: "request.kind.kind != 'VirtualService' || !has(object.spec.http) || object.spec.http.all(r, !has(r.delegate))",
                message: "a VirtualService may not delegate: only the platform's root routes do",
            },
            {
                expression: `request.kind.kind != 'DestinationRule' || object.spec.host.matches(${OWN_HOST})`,
                message: "a DestinationRule's host must be a Service of this namespace (name, name.<namespace> or name.<namespace>.svc.cluster.local)",
            },
            {
                // The egress lesson's stand-in for an outside host is the one other namespace's host a ServiceEntry may name.
                expression: `request.kind.kind != 'ServiceEntry' || object.spec.hosts.all(h, (h != '*' && !h.endsWith('.local') && !h.endsWith('.svc')) || h.matches(${OWN_HOST}) || h.endsWith('.${EXTERNAL_NAMESPACE}.svc.cluster.local'))`,
                message: `a ServiceEntry may not claim '*' or another namespace's cluster hosts (*.svc, *.cluster.local), the egress lesson's stand-in (*.${EXTERNAL_NAMESPACE}.svc.cluster.local) excepted`,
            },
        ],
    },
];

/**
 * An attendee's HTTPRoutes (Gateway API ingress: their gateway routes attach to the shared Gateway themselves, the
 * way the Gateway API shares one Gateway between tenants): attached only to the shared Gateway, on the attendee's
 * own host (`<id>.<domain>`) or, without a domain, only on paths under their own prefix `/<id>` (every rule a path
 * match there: the CRD's default match is `/`, everyone's); sending traffic, and copies of it, only to Services of
 * their namespace; redirecting nowhere but their own host; bounded lists. Registered with every classroom: with
 * Istio's ingress API RBAC grants no HTTPRoute at all.
 */
export function httpRouteRail(domain: string | undefined, dataplane: "sidecar" | "ambient" = "sidecar"): GuardRail {
    const own = (v: string) => `(${v} == '/' + request.namespace || ${v}.startsWith('/' + request.namespace + '/'))`;
    const place = domain
        ? {
              expression: `has(object.spec.hostnames) && size(object.spec.hostnames) > 0 && object.spec.hostnames.all(h, h == request.namespace + '.${domain}')`,
              message: `an attendee's HTTPRoute names their own host, <namespace>.${domain}, and no other`,
          }
        : {
              expression: `(!has(object.spec.hostnames) || size(object.spec.hostnames) == 0) && object.spec.rules.all(r, has(r.matches) && size(r.matches) > 0 && r.matches.all(m, has(m.path) && (m.path.type == 'Exact' || m.path.type == 'PathPrefix') && ${own("m.path.value")}))`,
              message: "an attendee's HTTPRoute names no host and matches only paths under their own prefix /<namespace> (every rule an Exact or PathPrefix path there)",
          };
    const sameNamespace = (ref: string) => `((!has(${ref}.namespace) || ${ref}.namespace == request.namespace) && (!has(${ref}.kind) || ${ref}.kind == 'Service') && (!has(${ref}.group) || ${ref}.group == ''))`;
    const filtersOk = (list: string) =>
        `(!has(${list}) || ${list}.all(f, (f.type == 'URLRewrite' || f.type == 'RequestHeaderModifier' || f.type == 'ResponseHeaderModifier' || (f.type == 'RequestRedirect' && !has(f.requestRedirect.hostname)) || (f.type == 'RequestMirror' && ${sameNamespace("f.requestMirror.backendRef")}))))`;
    const onGateway = `object.spec.parentRefs.all(p, p.name == '${WORKSHOP_GATEWAY.name}' && has(p.namespace) && p.namespace == '${WORKSHOP_GATEWAY.namespace}' && (!has(p.kind) || p.kind == 'Gateway') && (!has(p.group) || p.group == 'gateway.networking.k8s.io'))`;
    // Ambient: a mesh route of the attendee's own Services, which their waypoint carries out (its paths are their own).
    const onOwnServices = `object.spec.parentRefs.all(p, has(p.kind) && p.kind == 'Service' && has(p.group) && p.group == '' && (!has(p.namespace) || p.namespace == request.namespace))`;
    const ambient = dataplane === "ambient";
    return {
        name: "istio-workshop-attendee-httproutes",
        rules: [{ apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes"] }],
        validations: [
            {
                expression: ambient ? `${onGateway} || ${onOwnServices}` : onGateway,
                message: ambient
                    ? `an attendee's HTTPRoute attaches only to the shared Gateway ${WORKSHOP_GATEWAY.ref}, or only to Services of their own namespace (routes their waypoint carries out)`
                    : `an attendee's HTTPRoute attaches only to the shared Gateway ${WORKSHOP_GATEWAY.ref} (no other Gateway, no Service of the mesh)`,
            },
            ambient ? { ...place, expression: `${onOwnServices} || (${place.expression})` } : place,
            {
                expression: `object.spec.rules.all(r, (!has(r.backendRefs) || r.backendRefs.all(b, ${sameNamespace("b")} && ${filtersOk("b.filters")})) && ${filtersOk("r.filters")})`,
                message: "an attendee's HTTPRoute sends traffic, and copies of it, only to Services of their namespace, redirects without naming a host, and uses no filter but URLRewrite, RequestRedirect, RequestMirror and the header modifiers",
            },
            {
                expression: `object.spec.rules.all(r, (!has(r.matches) || size(r.matches) <= ${LIST_BOUNDS.matches}) && (!has(r.backendRefs) || size(r.backendRefs) <= ${LIST_BOUNDS.destinations}))`,
                message: `an HTTPRoute's rules may list at most ${LIST_BOUNDS.matches} matches and ${LIST_BOUNDS.destinations} backends each`,
            },
        ],
    };
}

/**
 * In ambient mode an attendee deploys their lessons' waypoint themselves (hands-on), and binds their Services to
 * it: the Gateway API rail then admits that one Gateway, of the waypoint's shape only (`WAYPOINT`: its name, class
 * and single HBONE listener; no address, no `infrastructure`, whose `parametersRef` would shape the Deployment istiod
 * makes for it), and a rail on the objects that name a waypoint keeps each to its own namespace's
 * (`istio.io/use-waypoint-namespace` only the attendee's own: another attendee's waypoint is not a relay).
 */
export function ambientRails(): GuardRail[] {
    // The Gateway CRD defaults a listener's allowedRoutes to routes of its own namespace: that, and nothing wider.
    const DEFAULT_ALLOWED_ROUTES = "(!has(l.allowedRoutes) || (!has(l.allowedRoutes.kinds) && (!has(l.allowedRoutes.namespaces) || !has(l.allowedRoutes.namespaces.from) || l.allowedRoutes.namespaces.from == 'Same')))";
    const waypoint = `object.metadata.name == '${WAYPOINT.name}' && object.spec.gatewayClassName == '${WAYPOINT.className}' && !has(object.spec.addresses) && !has(object.spec.infrastructure) && size(object.spec.listeners) == 1 && object.spec.listeners.all(l, l.name == '${WAYPOINT.listener.name}' && l.port == ${WAYPOINT.listener.port} && l.protocol == '${WAYPOINT.listener.protocol}' && !has(l.hostname) && !has(l.tls) && ${DEFAULT_ALLOWED_ROUTES})`;
    const ownWaypoint = (labels: string) => `!has(${labels}) || !('${WAYPOINT_NAMESPACE_LABEL}' in ${labels}) || ${labels}['${WAYPOINT_NAMESPACE_LABEL}'] == request.namespace`;
    return [
        {
            name: "istio-workshop-attendee-waypoints",
            rules: [{ apiGroups: ["gateway.networking.k8s.io"], resources: ["gateways"] }],
            validations: [
                {
                    expression: waypoint,
                    message: `an attendee's only Gateway is their namespace's waypoint: named ${WAYPOINT.name}, class ${WAYPOINT.className}, one listener ${WAYPOINT.listener.name} (${WAYPOINT.listener.protocol} ${WAYPOINT.listener.port}, routes of its own namespace only), no addresses, no infrastructure`,
                },
            ],
        },
        {
            name: "istio-workshop-attendee-waypoint-use",
            // Pods of the attendee's controllers are pods too: judged as they are created.
            rules: [
                { apiGroups: [""], resources: ["services", "pods"] },
                { apiGroups: ["networking.istio.io"], resources: ["serviceentries"] },
            ],
            validations: [
                {
                    expression: ownWaypoint("object.metadata.labels"),
                    message: `an attendee's objects use only their own namespace's waypoint: ${WAYPOINT_NAMESPACE_LABEL} names the request's namespace or is left out`,
                },
            ],
        },
    ];
}

/** The guard rails of a classroom: the common ones, the Gateway API's routes, and ambient mode's (its waypoint admitted). */
export function classroomRails(domain: string | undefined, dataplane: "sidecar" | "ambient"): GuardRail[] {
    if (dataplane === "sidecar") return [...GUARD_RAILS, httpRouteRail(domain)];
    // The no-gateways rail leaves the Gateway API's Gateways to the waypoint rail.
    const rails = GUARD_RAILS.map((g) => (g.name === NO_GATEWAYS ? { ...g, rules: g.rules.filter((r) => !r.apiGroups.includes("gateway.networking.k8s.io")).concat([{ apiGroups: ["gateway.networking.k8s.io"], resources: ["listenersets"] }]) } : g));
    return [...rails, httpRouteRail(domain, dataplane), ...ambientRails()];
}

/** The ValidatingAdmissionPolicy of a guard rail: refuses, on create and update, what its validations do not admit. */
export function admissionPolicy(g: GuardRail) {
    return {
        apiVersion: "admissionregistration.k8s.io/v1" as const,
        kind: "ValidatingAdmissionPolicy" as const,
        metadata: { name: g.name },
        spec: {
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: g.rules.map((r) => ({ apiGroups: [...r.apiGroups], apiVersions: ["*"], resources: [...r.resources], operations: ["CREATE", "UPDATE"] })),
            },
            ...(g.matchConditions ? { matchConditions: g.matchConditions.map((c) => ({ ...c })) } : {}),
            validations: g.validations.map((v) => ({ expression: v.expression, message: v.message, reason: "Forbidden" })),
        },
    };
}

/** Its binding: every namespace labelled as an attendee's, refused requests denied. */
export function admissionPolicyBinding(g: GuardRail) {
    return {
        apiVersion: "admissionregistration.k8s.io/v1" as const,
        kind: "ValidatingAdmissionPolicyBinding" as const,
        metadata: { name: g.name },
        spec: {
            policyName: g.name,
            validationActions: ["Deny"],
            matchResources: { namespaceSelector: { matchLabels: { [ATTENDEE_NAMESPACE_LABEL]: "true" } } },
        },
    };
}
