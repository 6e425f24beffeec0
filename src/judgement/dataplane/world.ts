/**
 * The world the mesh model evaluates: Kubernetes objects as a cluster holds
 * them, their pods as the model needs them, and the mesh's configuration as
 * istiod's values set it.
 */
import { ambientEnrolled } from "./ztunnel";
import { waypointStandIns } from "./waypoint";
import * as fs from "fs";
import * as path from "path";
import { EGRESS_GATEWAY, INGRESS_GATEWAY } from "../../model/platform";
import { sidecarInjected } from "../kubernetes/injection";
import type { ModelPod, Replies } from "./apps";
import { ISTIO_DEFAULTS, type MeshConfig, type World } from "./mesh";
import type { Plan } from "../plan/plan";
import { meshConfigOf as istiodMeshConfig } from "../checks/meshVisibility";

/** A pod (an object of the API server, or a pod template with a name) as the model sees it. */
export function modelPod(objects: readonly any[], namespace: string, name: string, template: any): ModelPod {
    const labels = { ...(template.metadata?.labels ?? {}) };
    const spec = template.spec ?? {};
    const app = (spec.containers ?? []).find((c: any) => c.name !== "istio-proxy") ?? {};
    const sidecar = sidecarInjected(objects, namespace, template.metadata);
    return {
        name,
        namespace,
        labels,
        serviceAccount: spec.serviceAccountName ?? "default",
        image: String(app.image ?? ""),
        env: Object.fromEntries((app.env ?? []).filter((e: any) => typeof e.value === "string").map((e: any) => [e.name, e.value])),
        args: [...(app.args ?? [])],
        sidecar,
        ambient: ambientEnrolled(objects, namespace, template.metadata, sidecar),
    };
}

/** The pods a Deployment's ReplicaSet would create, named as Kubernetes names them (`<deployment>-<hash>-<suffix>`). */
export function podsOfDeployments(objects: readonly any[]): ModelPod[] {
    return objects
        .filter((o) => o.kind === "Deployment")
        .flatMap((d) =>
            Array.from({ length: d.spec?.replicas ?? 1 }, (_, i) => modelPod(objects, d.metadata.namespace, `${d.metadata.name}-5d7c8b9f6-${"bcdfg".charAt(i % 5)}${String(i).padStart(4, "x")}`, d.spec.template)),
        );
}

/**
 * The gateways' pods, where their chart is not installed (a cluster test without the chart cache):
 * stand-ins with the labels, namespace and identity the gateway chart gives them, for each gateway
 * whose Service the stack created. Returned with what they stand for, for the report.
 */
export function gatewayStandIns(objects: readonly any[], pods: readonly ModelPod[]): ModelPod[] {
    return [INGRESS_GATEWAY, EGRESS_GATEWAY]
        .filter((g) => objects.some((o) => o.kind === "Service" && o.metadata?.namespace === g.namespace && o.metadata?.name === g.release))
        .filter((g) => !pods.some((p) => p.namespace === g.namespace && Object.entries(g.selector).every(([k, v]) => p.labels[k] === v)))
        .map((g) => ({ name: `${g.release}-stand-in`, namespace: g.namespace, labels: { ...g.labels }, serviceAccount: g.release, image: "gateway", env: {}, args: [], sidecar: true }));
}

/** The mesh configuration istiod's values give (the stack's visibility defaults), over Istio's own defaults. */
export function meshConfigOf(istiodValues: any): MeshConfig {
    const m = istiodValues?.meshConfig ?? {};
    return {
        rootNamespace: m.rootNamespace ?? ISTIO_DEFAULTS.rootNamespace,
        defaultServiceExportTo: m.defaultServiceExportTo ?? ISTIO_DEFAULTS.defaultServiceExportTo,
        defaultVirtualServiceExportTo: m.defaultVirtualServiceExportTo ?? ISTIO_DEFAULTS.defaultVirtualServiceExportTo,
        defaultDestinationRuleExportTo: m.defaultDestinationRuleExportTo ?? ISTIO_DEFAULTS.defaultDestinationRuleExportTo,
        outboundMode: m.outboundTrafficPolicy?.mode ?? ISTIO_DEFAULTS.outboundMode,
        trustDomain: m.trustDomain ?? ISTIO_DEFAULTS.trustDomain,
    };
}

/** The recorded reply bodies of a folder (`test/fixtures/replies/`). */
export function loadReplies(dir: string): Replies {
    return Object.fromEntries(fs.readdirSync(dir).filter((f) => !f.endsWith(".md")).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
}

/** A world: the objects, their pods (and the gateways' stand-ins where none run), the replies, the mesh's configuration. */
export function worldOf(objects: readonly any[], pods: readonly ModelPod[], replies: Replies, mesh: MeshConfig): { world: World; standIns: ModelPod[] } {
    const standIns = [...gatewayStandIns(objects, pods), ...waypointStandIns(objects, pods)];
    return { world: { objects, pods: [...pods, ...standIns], replies, mesh }, standIns };
}

/** The mesh configuration of a plan's istiod release (none: Istio's defaults). */
export function planMeshConfig(plan: Plan): MeshConfig {
    return meshConfigOf({ meshConfig: istiodMeshConfig(plan) });
}
