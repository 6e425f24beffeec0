/**
 * Ambient mode's node proxy, ztunnel, as a model (not ztunnel) of what Istio 1.30 states it does at L4, where no
 * waypoint is in the path. Each behaviour below is one the sources name:
 *  - enrolment: a pod is in ambient mode when it or its namespace carries `istio.io/dataplane-mode=ambient` and the
 *    pod does not say `none`; a pod with a sidecar is the sidecar's (istio/api `label/labels.yaml`, the CNI chart's
 *    `enablementSelectors`; shared/upstream/ambient-1.30.3.md);
 *  - the enforcement point is the receiving ztunnel (istio.io, "Use Layer 4 security policy");
 *  - traffic between mesh workloads is mutual TLS over HBONE; PeerAuthentication STRICT refuses a caller outside
 *    the mesh, and DISABLE is ignored for mesh traffic (same page, "Peer authentication");
 *  - AuthorizationPolicy's L4 attributes (principals, namespaces, ipBlocks, ports, and the `when` keys on source
 *    and destination address, port, namespace and principal) behave as in sidecar mode; a policy ztunnel enforces
 *    that needs anything beyond L4 makes it drop all traffic to the workload, "as a defensive move"; a policy
 *    attached by `targetRefs` is a waypoint's, not ztunnel's (same page, "Allowed policy attributes", "Layer 7
 *    authorization policies without waypoints installed", "Targeting policies");
 *  - without a waypoint nothing applies HTTP routing: the caller's traffic goes to the Service it addressed;
 *  - mesh traffic to an ambient pod, and an ambient pod's to a proxy, is tunnelled on port 15008: NetworkPolicy judges
 *    that port (istio.io, "Ambient and Kubernetes NetworkPolicy").
 */
import { AMBIENT_LABELS } from "../../model/platform";
import { authorizationRefusal, selectorMatches } from "../kubernetes/network";
import type { ModelPod } from "./apps";

const [MODE_LABEL, AMBIENT] = Object.entries(AMBIENT_LABELS)[0];

/** Whether a pod of `namespace` with this template's metadata is in ambient mode (without a sidecar of its own). */
export function ambientEnrolled(objects: readonly any[], namespace: string, podMetadata: any, sidecar: boolean): boolean {
    if (sidecar) return false;
    const own = podMetadata?.labels?.[MODE_LABEL];
    if (own !== undefined) return own === AMBIENT;
    return objects.some((o) => o.kind === "Namespace" && o.metadata?.name === namespace && o.metadata?.labels?.[MODE_LABEL] === AMBIENT);
}

/** The AuthorizationPolicy fields ztunnel can enforce (L4); anything else needs a waypoint. */
const L4_SOURCE = new Set(["principals", "notPrincipals", "namespaces", "notNamespaces", "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"]);
const L4_OPERATION = new Set(["ports", "notPorts"]);
const L4_CONDITION = new Set(["source.ip", "source.namespace", "source.principal", "remote.ip", "destination.ip", "destination.port"]);

/** The first attribute of a policy that is not L4 (undefined: the policy is L4 only). */
export function beyondL4(policy: any): string | undefined {
    for (const rule of policy.spec?.rules ?? []) {
        for (const f of rule.from ?? []) for (const k of Object.keys(f.source ?? {})) if (!L4_SOURCE.has(k)) return `from.source.${k}`;
        for (const t of rule.to ?? []) for (const k of Object.keys(t.operation ?? {})) if (!L4_OPERATION.has(k)) return `to.operation.${k}`;
        for (const w of rule.when ?? []) if (!L4_CONDITION.has(w.key)) return `when ${w.key}`;
    }
    return undefined;
}

/**
 * Why the receiving ztunnel refuses a connection to an ambient pod (undefined: it passes it on): `overHbone` when the
 * caller is in the mesh (a sidecar, a gateway, or an ambient pod), `peerMode` the pod's PeerAuthentication mode.
 */
export function ztunnelRefusal(objects: readonly any[], rootNamespace: string, trustDomain: string, pod: ModelPod, from: ModelPod, port: number, overHbone: boolean, peerMode: string): string | undefined {
    if (!overHbone && peerMode === "STRICT") return "PeerAuthentication STRICT: the caller is outside the mesh (no HBONE, no mTLS)";
    const policies = objects.filter(
        (o) => o.kind === "AuthorizationPolicy" && !o.spec?.targetRefs && !o.spec?.targetRef && (o.metadata?.namespace === pod.namespace || o.metadata?.namespace === rootNamespace) && selectorMatches(o.spec?.selector, pod.labels),
    );
    for (const p of policies) {
        const l7 = beyondL4(p);
        if (l7) return `AuthorizationPolicy ${p.metadata.namespace}/${p.metadata.name} needs ${l7}, beyond L4, and no waypoint is in the path: ztunnel drops all traffic to the workload`;
    }
    return authorizationRefusal(policies, pod, { mtls: overHbone, ...(overHbone ? { principal: `${trustDomain}/ns/${from.namespace}/sa/${from.serviceAccount}`, namespace: from.namespace } : {}), port, tcp: true }, rootNamespace);
}
