/**
 * Pure builders for one attendee: namespace-scoped RBAC, quota and limits sized
 * from the namespace's own pods, and the kubeconfig for a token of its
 * ServiceAccount. Nothing here grants anything cluster-wide, and no token is
 * stored: tokens come from the TokenRequest API and expire.
 */
import type { types } from "@pulumi/kubernetes";
import type { Demand } from "../model/demand";
import { PLATFORM_PART_LABELS, type ClusterEndpoint } from "../model/platform";

/**
 * What an attendee may do in their namespace: run and change workloads, debug
 * them, edit Istio routing and policy. No Secrets, no tokens, no RBAC, no
 * quota changes, nothing outside the namespace.
 */
export const ATTENDEE_RULES: types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: [""], resources: ["namespaces"], verbs: ["get"] },
    {
        apiGroups: [""],
        // No Endpoints (nor EndpointSlices) writes: a hand-made endpoint could point a Service anywhere (CVE-2021-25740).
        resources: ["pods", "services", "configmaps", "serviceaccounts", "persistentvolumeclaims"],
        verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
    },
    { apiGroups: [""], resources: ["pods/log", "events", "endpoints", "resourcequotas", "limitranges"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["pods/exec", "pods/portforward"], verbs: ["create", "get"] },
    { apiGroups: ["apps"], resources: ["deployments", "replicasets", "statefulsets", "deployments/scale"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
    { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
    {
        apiGroups: ["networking.istio.io", "security.istio.io", "telemetry.istio.io"],
        resources: ["*"],
        verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
    },
];

/** Name of the attendee's Role, RoleBinding and ServiceAccount (one per namespace). */
export const ATTENDEE_ACCOUNT = "attendee";

export function serviceAccountSpec(namespace: string): types.input.core.v1.ServiceAccount {
    return { metadata: { name: ATTENDEE_ACCOUNT, namespace, labels: { ...PLATFORM_PART_LABELS } } };
}

/**
 * With Gateway API ingress, an attendee's gateway routes are HTTPRoutes of their own (an admission rule keeps each to
 * the attendee's host or path): they may write those, and nothing else of the Gateway API (no Gateway, no
 * ReferenceGrant that would open their Services to another namespace's routes).
 */
export const ATTENDEE_ROUTE_RULES: types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
];

/** In ambient mode an attendee also deploys their namespace's waypoint, a Gateway an admission rule keeps to the waypoint's shape. */
export const ATTENDEE_WAYPOINT_RULES: types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: ["gateway.networking.k8s.io"], resources: ["gateways"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
];

export function roleSpec(namespace: string, ingressApi: "istio" | "gateway-api" = "istio", dataplane: "sidecar" | "ambient" = "sidecar"): types.input.rbac.v1.Role {
    const rules = [...ATTENDEE_RULES, ...(ingressApi === "gateway-api" ? ATTENDEE_ROUTE_RULES : []), ...(dataplane === "ambient" ? ATTENDEE_WAYPOINT_RULES : [])];
    return { metadata: { name: ATTENDEE_ACCOUNT, namespace, labels: { ...PLATFORM_PART_LABELS } }, rules };
}

export function roleBindingSpec(namespace: string): types.input.rbac.v1.RoleBinding {
    return {
        metadata: { name: ATTENDEE_ACCOUNT, namespace, labels: { ...PLATFORM_PART_LABELS } },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: ATTENDEE_ACCOUNT },
        subjects: [{ kind: "ServiceAccount", name: ATTENDEE_ACCOUNT, namespace }],
    };
}

/** Room above the stack's own pods for the attendee's experiments. */
export const QUOTA_HEADROOM = 1.5;

const roundUp = (x: number, step: number) => Math.ceil(x / step) * step;

/**
 * How many objects of each kind an attendee namespace may hold: the stack's own at the busiest stages (every
 * lesson on, hands-on mode's suspended CronJobs and the Jobs started from them) with room for experiments, and
 * Helm's release history (`LESSONS_HISTORY` Secrets). Without it one attendee could fill etcd with ConfigMaps
 * or churn the shared controllers with CronJobs. `test/classroom.spec.ts` holds the stack's own objects under it.
 * Istio's kinds are counted by a quota of their own (`ISTIO_OBJECT_QUOTA`).
 */
export const OBJECT_QUOTA: Readonly<Record<string, string>> = {
    "count/configmaps": "30",
    "count/secrets": "20",
    "count/serviceaccounts": "40",
    "count/persistentvolumeclaims": "4",
    "requests.storage": "10Gi",
    "count/deployments.apps": "40",
    // Each Deployment keeps up to 10 old ReplicaSets (Kubernetes' default revisionHistoryLimit).
    "count/replicasets.apps": "300",
    "count/statefulsets.apps": "4",
    "count/jobs.batch": "60",
    "count/cronjobs.batch": "30",
};

/**
 * How many Istio objects of each kind an attendee namespace may hold: the stack's own at the busiest stages with
 * room for experiments. Without it a few hundred ServiceEntries or routes exhaust istiod, which pushes every one to
 * every proxy that imports the namespace. Kinds the admission rules refuse to attendees outright get none.
 */
export const ISTIO_OBJECT_QUOTA: Readonly<Record<string, string>> = {
    "count/virtualservices.networking.istio.io": "30",
    "count/destinationrules.networking.istio.io": "20",
    "count/serviceentries.networking.istio.io": "10",
    "count/sidecars.networking.istio.io": "4",
    "count/envoyfilters.networking.istio.io": "4",
    "count/proxyconfigs.networking.istio.io": "2",
    "count/gateways.networking.istio.io": "0",
    "count/workloadentries.networking.istio.io": "0",
    "count/workloadgroups.networking.istio.io": "0",
    "count/authorizationpolicies.security.istio.io": "20",
    "count/peerauthentications.security.istio.io": "4",
    "count/requestauthentications.security.istio.io": "4",
    "count/telemetries.telemetry.istio.io": "4",
};

/** Pulumi's Kubernetes provider waits, after applying an object, until these hold (`condition=…` or RFC 9535 `jsonpath={…}`). */
export const WAIT_FOR = "pulumi.com/waitFor";

/**
 * The provider's wait for a quota the quota controller has measured, every count it names. The provider reads
 * RFC 9535 JSONPath (not kubectl's dialect, whose `\.` escapes it refuses): a key with dots and slashes is a
 * bracketed name.
 */
export function waitForMeasured(keys: readonly string[]): string {
    return JSON.stringify(keys.map((k) => `jsonpath={.status.used['${k}']}`));
}

/**
 * The quota on Istio's kinds, made before the lessons release and waited for until measured: the API server
 * refuses an object whose count a quota names until the quota controller has measured it ("status unknown for
 * quota"), and the controller measures a custom resource's count only once its discovery (every 30 s) has found
 * the kind; a quota made before that waits for the controller's next full pass (5 minutes by default).
 */
export function istioQuotaSpec(namespace: string, ingressApi: "istio" | "gateway-api" = "istio", dataplane: "sidecar" | "ambient" = "sidecar"): types.input.core.v1.ResourceQuota & { readonly metadata: { readonly name: string } } {
    // With Gateway API ingress the attendee's HTTPRoutes are counted too (their kind exists: the stack installs it first);
    // in ambient mode their waypoint Gateways (one: a waypoint is a Deployment istiod makes for it).
    const hard = { ...ISTIO_OBJECT_QUOTA, ...(ingressApi === "gateway-api" ? ROUTE_OBJECT_QUOTA : {}), ...(dataplane === "ambient" ? WAYPOINT_OBJECT_QUOTA : {}) };
    return {
        metadata: { name: "attendee-istio-quota", namespace, labels: { ...PLATFORM_PART_LABELS }, annotations: { [WAIT_FOR]: waitForMeasured(Object.keys(hard)) } },
        spec: { hard },
    };
}

/** Waypoints an attendee namespace may hold in ambient mode: the lessons' one (each is a Deployment istiod runs, and sizes). */
export const WAYPOINT_OBJECT_QUOTA: Readonly<Record<string, string>> = { "count/gateways.gateway.networking.k8s.io": "1" };

/** HTTPRoutes an attendee namespace may hold with Gateway API ingress: far above the lessons' (one or two per lesson). */
export const ROUTE_OBJECT_QUOTA: Readonly<Record<string, string>> = { "count/httproutes.gateway.networking.k8s.io": "10" };

/** A quota that holds the namespace's own pods with headroom, so one attendee cannot starve the rest. */
export function quotaSpec(namespace: string, demand: Demand): types.input.core.v1.ResourceQuota {
    return {
        metadata: { name: "attendee-quota", namespace, labels: { ...PLATFORM_PART_LABELS } },
        spec: {
            hard: {
                pods: String(Math.ceil(demand.pods * QUOTA_HEADROOM)),
                "requests.cpu": `${roundUp(demand.cpuMilli * QUOTA_HEADROOM, 100)}m`,
                "requests.memory": `${roundUp(demand.memoryMi * QUOTA_HEADROOM, 64)}Mi`,
                "limits.memory": `${roundUp(demand.memoryLimitMi * QUOTA_HEADROOM, 64)}Mi`,
                services: "30",
                "services.loadbalancers": "0",
                "services.nodeports": "0",
                ...OBJECT_QUOTA,
            },
        },
    };
}

/**
 * Defaults for containers that state no resources, a ceiling per container, and a memory ceiling per pod: no larger
 * than what the capacity model fills of a node (`podCeiling`), so no attendee's pod is allowed more than a node holds.
 */
export function limitRangeSpec(namespace: string, podCeiling?: { readonly memoryMi: number }): types.input.core.v1.LimitRange {
    return {
        metadata: { name: "attendee-limits", namespace, labels: { ...PLATFORM_PART_LABELS } },
        spec: {
            limits: [
                {
                    type: "Container",
                    defaultRequest: { cpu: "50m", memory: "64Mi" },
                    default: { memory: "256Mi" },
                    max: { cpu: "2", memory: "2Gi" },
                },
                // Memory only: a CPU limit throttles, memory over a node's is taken from the others by the kernel. (A
                // container's CPU limit defaults to its maximum, 2, as the API server defaults a LimitRange: a CPU
                // ceiling per pod would refuse every pod of three containers.)
                ...(podCeiling ? [{ type: "Pod", max: { memory: `${podCeiling.memoryMi}Mi` } }] : []),
            ],
        },
    };
}

/**
 * What an attendee's kubeconfig needs besides its token: the cluster, the
 * namespace and the ServiceAccount. Not a secret; the token is minted when the
 * kubeconfigs are handed out (`npm run kubeconfigs`), from the TokenRequest API,
 * and expires.
 */
export interface AttendeeAccess {
    readonly cluster: string;
    readonly server: string;
    readonly certificateAuthorityData: string;
    readonly namespace: string;
    readonly serviceAccount: string;
}

export function attendeeAccess(cluster: string, endpoint: ClusterEndpoint, namespace: string): AttendeeAccess {
    return { cluster, server: endpoint.server, certificateAuthorityData: endpoint.certificateAuthorityData, namespace, serviceAccount: ATTENDEE_ACCOUNT };
}

/** A kubeconfig for an attendee's token, defaulting to their namespace. */
export function attendeeKubeconfig(access: AttendeeAccess, token: string): string {
    const { cluster, namespace } = access;
    const context = `${cluster}-${namespace}`;
    const user = `${namespace}-${access.serviceAccount}`;
    return JSON.stringify(
        {
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: cluster, cluster: { server: access.server, "certificate-authority-data": access.certificateAuthorityData } }],
            users: [{ name: user, user: { token } }],
            contexts: [{ name: context, context: { cluster, user, namespace } }],
            "current-context": context,
        },
        null,
        2,
    );
}

/** Where an attendee opens their gateway routes. */
export function attendeeEntry(id: string, domain: string | undefined): string {
    return domain !== undefined ? `http://${id}.${domain}/` : `http://<ingressGatewayAddress>/${id}/`;
}
