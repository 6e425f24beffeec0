/**
 * Ambient mode's waypoint, as a model (not Envoy, not istiod) of what Istio 1.30 states it does. Each behaviour is
 * one the sources name:
 *  - a Service sends through a waypoint when it carries `istio.io/use-waypoint=<name>`, or else its namespace does
 *    (`none` opts out); the waypoint is the Gateway of that name, in the Service's namespace unless
 *    `istio.io/use-waypoint-namespace` names another (istio/api `label/labels.yaml:235-266`; istiod
 *    `pilot/pkg/serviceregistry/ambient/waypoints.go`; shared/upstream/ambient-1.30.3.md);
 *  - here only a caller in ambient mode is sent through it: the ingress gateway goes straight to the pods unless the
 *    Service says `istio.io/ingress-use-waypoint` (`labels.yaml:268-278`), and a sidecar's call to such a Service is
 *    not modelled;
 *  - the waypoint enforces the AuthorizationPolicies attached to the Service or to its own Gateway by `targetRefs`,
 *    on the caller's identity and the request, refusing with 403 (istio.io, "Use Layer 7 security policy");
 *  - HTTPRoutes whose parent is the Service route the call, as a gateway's routes do; without one, the call goes to
 *    the Service (istio.io, ambient "Traffic management");
 *  - the waypoint calls the chosen pod over HBONE as itself, so the pod's ztunnel judges the waypoint's identity,
 *    not the caller's (ztunnel 1.30.3 `src/state.rs` `assert_rbac` checks the connection's peer).
 * istiod deploys a waypoint's pods; where none runs (a cluster without istiod), a stand-in takes their place, with
 * the label and identity istiod gives them.
 */
import { WAYPOINT } from "../../model/platform";
import { policiesRefusal } from "../kubernetes/network";
import { isGatewayApi } from "../../model/gatewayApiObjects";
import type { ModelPod } from "./apps";

const WAYPOINT_NAMESPACE_LABEL = "istio.io/use-waypoint-namespace";

const isWaypoint = (o: any) => o.kind === "Gateway" && isGatewayApi(o) && o.spec?.gatewayClassName === WAYPOINT.className;

/** The waypoint Gateway a Service sends through, or undefined (none named, `none`, or no such Gateway). */
export function waypointOf(objects: readonly any[], svc: any): any | undefined {
    const ns = objects.find((o) => o.kind === "Namespace" && o.metadata?.name === svc.metadata.namespace);
    const own = svc.metadata?.labels ?? {};
    const from = own[WAYPOINT.useLabel] !== undefined ? own : (ns?.metadata?.labels ?? {});
    const name = from[WAYPOINT.useLabel];
    if (name === undefined || name === "none") return undefined;
    const namespace = from[WAYPOINT_NAMESPACE_LABEL] ?? svc.metadata.namespace;
    return objects.find((o) => isWaypoint(o) && o.metadata?.name === name && o.metadata?.namespace === namespace);
}

/** The pods of a waypoint (by the label istiod's deployment gives them). */
export function waypointPods(pods: readonly ModelPod[], waypoint: any): ModelPod[] {
    return pods.filter((p) => p.namespace === waypoint.metadata.namespace && p.labels[WAYPOINT.podLabel] === waypoint.metadata.name);
}

/** Stand-ins for the waypoints no pod serves: one pod each, an Envoy in the mesh running as the Gateway's name. */
export function waypointStandIns(objects: readonly any[], pods: readonly ModelPod[]): ModelPod[] {
    return objects
        .filter((g) => isWaypoint(g) && waypointPods(pods, g).length === 0)
        .map((g) => ({ name: `${g.metadata.name}-stand-in`, namespace: g.metadata.namespace, labels: { [WAYPOINT.podLabel]: g.metadata.name }, serviceAccount: g.metadata.name, image: "waypoint", env: {}, args: [], sidecar: true }));
}

/** A request as the waypoint's policies read it. */
export interface WaypointRequest {
    readonly method: string;
    readonly path: string;
    readonly port: number;
}

/** Why the waypoint refuses a caller's request to a Service (undefined: it admits it): the policies attached to the Service or the waypoint. */
export function waypointRefusal(objects: readonly any[], trustDomain: string, waypoint: any, svc: any, from: ModelPod, req: WaypointRequest): string | undefined {
    const targets = (p: any) =>
        [...(p.spec?.targetRefs ?? []), ...(p.spec?.targetRef ? [p.spec.targetRef] : [])].some(
            (r: any) => (r.kind === "Service" && (r.group ?? "") === "" && r.name === svc.metadata.name) || (r.kind === "Gateway" && r.name === waypoint.metadata.name),
        );
    const attached = objects.filter((o) => o.kind === "AuthorizationPolicy" && o.metadata?.namespace === svc.metadata.namespace && targets(o));
    const principal = `${trustDomain}/ns/${from.namespace}/sa/${from.serviceAccount}`;
    return policiesRefusal(attached, { mtls: true, principal, namespace: from.namespace, requestPrincipal: null, method: req.method, path: req.path, port: req.port });
}
