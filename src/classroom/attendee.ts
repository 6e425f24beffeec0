/**
 * One attendee of a classroom: their own namespace with the chosen lessons,
 * routes under their own prefix (or host) on the shared gateway, a
 * ServiceAccount allowed to work only in that namespace, a quota and limits,
 * isolation, and what a kubeconfig for it needs (its tokens are minted, with an
 * expiry, when the kubeconfigs are handed out).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LessonsNamespace, type MeshDeps } from "./lessonsNamespace";
import { type AttendeeAccess, attendeeAccess, istioQuotaSpec, limitRangeSpec, quotaSpec, roleBindingSpec, roleSpec, serviceAccountSpec } from "./attendeeSpec";
import { ATTENDEE_NAMESPACE_LABEL, type ClusterEndpoint } from "../model/platform";
import type { Demand } from "../model/demand";
import { attendeeAuthorizationPolicy, attendeeNetworkPolicy, attendeeWaypointPolicy } from "./isolationSpec";
import { networkPoliciesEnforced } from "../model/peers";
import { podSecurityLabels } from "../model/podSecurity";
import { gatewayDelegates, rootRoutes } from "../lessons/routing";
import { type LessonNamespace } from "../workshop/lessons";
import { type ClusterFacts } from "../settings/schema";

/** The mesh, and where the cluster's API is: what an attendee's kubeconfig points at. */
export interface ClusterAccess extends MeshDeps {
    readonly clusterName: pulumi.Input<string>;
    readonly endpoint: pulumi.Input<ClusterEndpoint | undefined>;
}

export interface AttendeeArgs extends ClusterAccess {
    /** The attendee's namespace of lessons (its id names the namespace and every child resource). */
    readonly lessons: LessonNamespace;
    /** What the attendee expects of the cluster: its Kubernetes version (Pod Security), its mode (NetworkPolicies enforced). */
    readonly cluster: ClusterFacts;
    /** What the attendee's own pods request: sizes the quota. */
    readonly demand: Demand;
    /** The most one pod's limits may be (a node, as the capacity model fills it); default no ceiling per pod. */
    readonly podCeiling?: { readonly memoryMi: number };
    /** The namespaces the attendee's proxies import. */
    readonly sidecarHosts: readonly string[];
    /** The mesh's data plane: in ambient mode the attendee also deploys a waypoint, and HBONE crosses their isolation. */
    readonly dataplane: "sidecar" | "ambient";
}

export class Attendee extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    /** The cluster, namespace and ServiceAccount of the attendee's kubeconfig; undefined when the cluster's endpoint cannot be read. */
    readonly access: pulumi.Output<AttendeeAccess | undefined>;
    readonly checks: pulumi.Output<string[]>;

    constructor(name: string, args: AttendeeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-workshop:classroom:Attendee", name, {}, opts);
        const ns = args.lessons.namespace;
        // The platform's root routes for the attendee, in the gateway's namespace, handing over to their delegates.
        // Made first: the lessons release's checks call the gateway under the attendee's prefix, which only these serve
        // (a delegate that does not exist yet is ignored by Istio until it does).
        const delegates = gatewayDelegates(args.lessons.lessons, args.lessons.placement);
        const routes =
            delegates.length > 0
                ? [new k8s.apiextensions.CustomResource(`${name}-routes`, { ...rootRoutes(ns, args.lessons.placement, delegates) }, { parent: this, provider: args.provider, dependsOn: [...args.gateway] })]
                : [];
        const apps = new LessonsNamespace(
            `${name}-apps`,
            {
                lessons: args.lessons,
                provider: args.provider,
                istiod: args.istiod,
                enrolment: args.enrolment,
                gateway: [...args.gateway, ...routes],
                imageCache: args.imageCache,
                gatewayCa: args.gatewayCa,
                sidecarHosts: args.sidecarHosts,
                namespaceLabels: { ...podSecurityLabels(args.cluster.kubernetesVersion), [ATTENDEE_NAMESPACE_LABEL]: "true" },
                quotas: [istioQuotaSpec(ns, args.lessons.placement.api, args.dataplane)],
                // Access and limits travel in the namespace's release with the lessons.
                extraObjects: [
                    { apiVersion: "v1", kind: "ResourceQuota", ...quotaSpec(ns, args.demand) },
                    { apiVersion: "v1", kind: "LimitRange", ...limitRangeSpec(ns, args.podCeiling) },
                    { apiVersion: "v1", kind: "ServiceAccount", ...serviceAccountSpec(ns) },
                    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", ...roleSpec(ns, args.lessons.placement.api, args.dataplane) },
                    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", ...roleBindingSpec(ns) },
                    // Isolation: connections only from the namespace itself, the ingress gateway and Prometheus
                    // (NetworkPolicies where the stack knows they are enforced: see networkPoliciesEnforced).
                    ...(networkPoliciesEnforced(args.cluster) ? [attendeeNetworkPolicy(ns, args.dataplane)] : []),
                    { ...attendeeAuthorizationPolicy(ns) },
                    ...(args.dataplane === "ambient" ? [{ ...attendeeWaypointPolicy(ns) }] : []),
                ],
            },
            { parent: this },
        );
        // What the attendee's kubeconfig needs besides a token (minted, with an expiry, by `npm run kubeconfigs`).
        this.access = pulumi
            .all([args.clusterName, args.endpoint])
            .apply(([cluster, endpoint]) => (endpoint ? attendeeAccess(cluster, endpoint, ns) : undefined));
        this.namespace = apps.namespace;
        this.checks = apps.checks;
        this.registerOutputs({ namespace: this.namespace, access: this.access, checks: this.checks });
    }
}
