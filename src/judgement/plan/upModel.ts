/**
 * A model of what a real `pulumi up` of a plan costs, for `npm run bench`:
 * the state it leaves, the bytes a self-managed backend writes on the way,
 * what Kubernetes and istiod handle, the images the nodes pull. Every figure is
 * computed from the plan and the stated assumptions below; none is a
 * measurement of a real `up`.
 *
 * Assumptions:
 *  - State: each Pulumi resource stores its inputs and its outputs (about its
 *    inputs again) plus `STATE_OVERHEAD_BYTES` of URN, type, id, provider,
 *    parent and dependencies; a lessons release stores its objects' JSON text.
 *    Multi-language components (VPC, EKS cluster, node group) keep children the
 *    plan cannot see: `HIDDEN_CHILDREN` of them, each `HIDDEN_CHILD_BYTES`.
 *  - Checkpoints: a self-managed backend (the file backend, S3) writes the whole
 *    snapshot when each step starts and when it ends, two writes per resource,
 *    the snapshot growing as resources are created (in plan order). Pulumi
 *    Cloud's journaling sends only each step's own entry. With
 *    `PULUMI_SKIP_CHECKPOINTS=true` only the final snapshot is written.
 *  - Pushes: istiod pushes to every proxy that imports a namespace on each
 *    change there (a Service, an Istio object, a pod becoming ready), with no
 *    debouncing: an upper bound. With a namespace's Sidecar, its changes reach
 *    its own proxies and the gateways; without, every proxy of the mesh.
 *  - Pulls: every node running a pod of an image pulls that image once.
 */
import { isLessonsRelease } from "./planEntries";
import type { Plan, PlannedResource } from "./plan";
import { injectionEnabled, sidecarInjected } from "../kubernetes/injection";

export const STATE_OVERHEAD_BYTES = 400;
export const HIDDEN_CHILDREN: Readonly<Record<string, number>> = { "awsx:ec2:Vpc": 20, "eks:index:Cluster": 25, "eks:index:ManagedNodeGroup": 2 };
export const HIDDEN_CHILD_BYTES = 2_000;

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

export interface UpModel {
    readonly pulumiResources: number;
    readonly stateBytes: number;
    readonly checkpointBytes: { readonly selfManaged: number; readonly journaled: number; readonly skipCheckpoints: number };
    readonly snapshotWrites: number;
    readonly kubernetesObjects: number;
    readonly pods: number;
    readonly proxies: number;
    readonly distinctImages: string[];
    readonly imagePulls: number;
    readonly pushes: { readonly scoped: number; readonly unscoped: number };
}

/** Each Pulumi resource's bytes in the state, in plan order. */
export function resourceStateBytes(plan: Plan): number[] {
    const objectsOf = new Map<string, number>();
    for (const r of plan.resources) if (r.renderedBy) objectsOf.set(r.renderedBy, (objectsOf.get(r.renderedBy) ?? 0) + bytes(r.inputs) + 2);
    return plan.resources
        .filter((r) => !r.renderedBy)
        .map((r) => {
            const inputs = bytes(r.inputs) + (isLessonsRelease(r) ? (objectsOf.get(r.urn) ?? 0) : 0);
            return STATE_OVERHEAD_BYTES + 2 * inputs + (HIDDEN_CHILDREN[r.type] ?? 0) * HIDDEN_CHILD_BYTES;
        });
}

const POD_OWNERS = new Set(["Deployment", "StatefulSet", "Job", "ReplicaSet"]);

export function upModel(plan: Plan, nodes: number, gatewayProxies: number): UpModel {
    const sizes = resourceStateBytes(plan);
    const stateBytes = sizes.reduce((a, b) => a + b, 0);
    let grown = 0;
    let selfManaged = 0;
    for (const s of sizes) {
        selfManaged += grown; // the step starts: the snapshot as it stands
        grown += s;
        selfManaged += grown; // the step ends: with the new resource
    }
    const objects = plan.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh") && typeof (r.inputs as any).kind === "string");
    const o = (r: PlannedResource) => r.inputs as any;
    const namespaces = objects.map(o).filter((x) => x.kind === "Namespace");
    const injected = new Set(namespaces.filter(injectionEnabled).map((x) => x.metadata.name));
    const workloads = objects.filter((r) => POD_OWNERS.has(o(r).kind) && o(r).spec?.template);
    const replicas = (r: PlannedResource) => (o(r).kind === "Job" ? 1 : (o(r).spec.replicas ?? 1));
    const pods = workloads.reduce((n, r) => n + replicas(r), 0) + objects.filter((r) => o(r).kind === "DaemonSet").length * nodes;
    const proxiesIn = new Map<string, number>();
    for (const r of workloads) {
        const ns = o(r).metadata?.namespace;
        if (sidecarInjected(namespaces, ns, o(r).spec.template.metadata)) proxiesIn.set(ns, (proxiesIn.get(ns) ?? 0) + replicas(r));
    }
    const proxies = [...proxiesIn.values()].reduce((a, b) => a + b, 0) + gatewayProxies;

    // Images: per image, the nodes that run a pod of it.
    const podsByImage = new Map<string, number>();
    for (const r of workloads) {
        const spec = o(r).spec.template.spec ?? {};
        for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) podsByImage.set(c.image, (podsByImage.get(c.image) ?? 0) + replicas(r));
    }
    const imagePulls = [...podsByImage.values()].reduce((n, p) => n + Math.min(nodes, p), 0);

    // Changes istiod sees during the up: each Service, Istio object and pod, per namespace.
    const changes = new Map<string, number>();
    for (const r of objects) {
        const kind = o(r).kind;
        const counts = kind === "Service" || String(o(r).apiVersion).includes("istio.io") ? 1 : POD_OWNERS.has(kind) && o(r).spec?.template ? replicas(r) : 0;
        if (counts > 0) changes.set(o(r).metadata?.namespace ?? "default", (changes.get(o(r).metadata?.namespace ?? "default") ?? 0) + counts);
    }
    let scoped = 0;
    let total = 0;
    for (const [ns, n] of changes) {
        total += n;
        scoped += n * (injected.has(ns) ? (proxiesIn.get(ns) ?? 0) + gatewayProxies : proxies);
    }
    return {
        pulumiResources: sizes.length,
        stateBytes,
        checkpointBytes: { selfManaged, journaled: 2 * stateBytes, skipCheckpoints: stateBytes },
        snapshotWrites: 2 * sizes.length,
        kubernetesObjects: objects.length,
        pods,
        proxies,
        distinctImages: [...podsByImage.keys()].sort(),
        imagePulls,
        pushes: { scoped, unscoped: total * proxies },
    };
}

const GB = 1024 ** 3;

/** What to do about the checkpoint traffic of an `up` on a self-managed backend. */
export function recommendation(m: UpModel, attendees: number, maxAttendeesPerCluster: number): string {
    const parts: string[] = [];
    if (attendees > maxAttendeesPerCluster) {
        const stacks = Math.ceil(attendees / maxAttendeesPerCluster);
        parts.push(`split the class: one cluster holds ${maxAttendeesPerCluster} attendees, so ${stacks} stacks`);
    }
    if (m.checkpointBytes.selfManaged > 2 * GB) {
        parts.push(
            `checkpoints write ${(m.checkpointBytes.selfManaged / GB).toFixed(1)} GB: use Pulumi Cloud (journaling, ${(m.checkpointBytes.journaled / 1024 ** 2).toFixed(0)} MB) or PULUMI_SKIP_CHECKPOINTS=true (${(m.checkpointBytes.skipCheckpoints / 1024 ** 2).toFixed(0)} MB, but an interrupted up loses track of what it created)`,
        );
    }
    return parts.length > 0 ? parts.join("; ") : "a self-managed backend is fine";
}
