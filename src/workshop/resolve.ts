/**
 * A workshop resolved once, from validated settings: its lessons per namespace
 * (`lessons.ts`), the mesh's and the cluster's sizing, the capacity estimate and
 * cost, every image it pulls, and what the stack refuses before anything is
 * registered (what AWS would refuse at apply time). Everything the program
 * builds comes from this; nothing below resolves the settings again.
 */
import {
    CLUSTER_LIMITS,
    INSTANCE_TYPES,
    addressesNeeded,
    classDemand,
    estimateCapacity,
    maxAttendeesPerCluster,
    meshPerNode,
    nodeGroupSizes,
    nodesFor,
    podCeiling,
    privateSubnetAddresses,
    type CapacityEstimate,
} from "./capacity";
import { stackImages } from "./images";
import { classMeshSizing, lessonsPlan, type LessonsPlan } from "./lessons";
import { COMPONENT_ARGUMENTS, SettingsError, parseSettings, settingsWarnings } from "../settings/parse";
import type { Settings, WorkshopConfig } from "../settings/schema";

/** The node group's sizes, every one known: pinned by the stack or derived from the estimate. */
export interface NodeGroupSizes {
    readonly minSize: number;
    readonly desiredSize: number;
    readonly maxSize: number;
}

export type PreparedSettings = Omit<Settings, "cluster"> & {
    readonly cluster: Settings["cluster"] & { readonly nodeGroup: Settings["cluster"]["nodeGroup"] & NodeGroupSizes };
};

/** What the cluster is built for: its node group's sizes and the images an image cache covers. */
export interface ClusterSizing {
    readonly nodeGroup: NodeGroupSizes;
    readonly images: readonly string[];
}

export interface Workshop {
    /** The settings, the node group's sizes filled in. */
    readonly settings: PreparedSettings;
    readonly lessons: LessonsPlan;
    readonly capacity: CapacityEstimate;
    readonly cluster: ClusterSizing;
    /** Non-fatal findings worth printing: the settings' own and the sizing's. */
    readonly warnings: string[];
}

/** The workshop of validated settings. Throws `MeshCheckError` for lessons that cannot work, `SettingsError` for what AWS would refuse. */
export function workshopFrom(settings: Settings): Workshop {
    // Each attendee's pods' limits stay within a node of the node group (the one the capacity model sizes).
    const lessons = lessonsPlan(settings, podCeiling(settings.cluster.nodeGroup.instanceType, meshPerNode(settings.istio)));
    const { attendees, classLessons, mesh, perNamespace } = lessons;
    const capacity = estimateCapacity(settings, mesh, perNamespace);
    const ng = settings.cluster.nodeGroup;
    const sizes = nodeGroupSizes(ng, capacity.nodes);
    const warnings = settingsWarnings(settings);
    if (ng.desiredSize !== undefined && ng.desiredSize < capacity.suggestion.nodes && ng.instanceType === capacity.suggestion.instanceType) {
        warnings.push(`cluster.nodeGroup.desiredSize ${ng.desiredSize} is below the ${capacity.suggestion.nodes} nodes the workload needs`);
    }
    const refusals = capacityRefusals(settings, attendees.length, capacity.demand.pods, sizes, nodesForClass(settings, lessons));
    if (refusals.length > 0) throw new SettingsError(`Pulumi.${settings.stack}.yaml`, refusals);
    return {
        settings: { ...settings, cluster: { ...settings.cluster, nodeGroup: { ...ng, ...sizes } } },
        lessons,
        capacity: { ...capacity, nodes: sizes.desiredSize },
        cluster: { nodeGroup: sizes, images: stackImages(classLessons, settings.addons) },
        warnings,
    };
}

/** The nodes of the stack's instance type a class of `n` attendees of these lessons needs (their demand, whatever the stack pins). */
export function nodesForClass(settings: Pick<Settings, "istio" | "addons" | "apps" | "cluster">, lessons: Pick<LessonsPlan, "classLessons" | "perNamespace">): (n: number) => number {
    const instance = INSTANCE_TYPES[settings.cluster.nodeGroup.instanceType];
    return (n) => nodesFor(classDemand(settings, classMeshSizing(settings, lessons.classLessons, n), n, lessons.perNamespace), instance, 2, meshPerNode(settings.istio));
}

/** The workshop a stack file's keys describe, as plain objects: validated (a mistake is a `SettingsError` naming the key), every default applied, resolved. */
export function resolveWorkshop(config: WorkshopConfig, stack: string): Workshop {
    return workshopFrom(parseSettings(config as Record<string, unknown>, { stack, source: COMPONENT_ARGUMENTS }));
}

/**
 * What AWS would refuse at apply time, refused now with the limit named: an
 * instance type the capacity table does not know (the stack could not size or
 * price the node group), a node group beyond EKS's managed node group quota,
 * more pod addresses than the VPC's private subnets hold.
 */
export function capacityRefusals(
    settings: Settings,
    attendees: number,
    pods: number,
    sizes: { readonly desiredSize: number; readonly maxSize: number },
    nodesForClass: (attendees: number) => number,
): string[] {
    const c = settings.cluster;
    if (c.mode !== "eks") return [];
    const ng = c.nodeGroup;
    const instance = INSTANCE_TYPES[ng.instanceType];
    if (!instance) {
        const pinned = ng.desiredSize !== undefined && ng.maxSize !== undefined;
        return pinned
            ? []
            : [
                  `cluster.nodeGroup.instanceType: "${ng.instanceType}" is not in the capacity table (src/workshop/capacity.ts: ${Object.keys(INSTANCE_TYPES).join(", ")}), so the node group cannot be sized from the workload: pick one of those, or pin cluster.nodeGroup.desiredSize and maxSize yourself`,
              ];
    }
    const problems: string[] = [];
    const limit = CLUSTER_LIMITS.nodesPerManagedNodeGroup;
    if (sizes.maxSize > limit) {
        const max = attendees > 0 ? maxAttendeesPerCluster(nodesForClass) : 0;
        problems.push(
            `attendees: ${attendees} attendees need a node group of up to ${sizes.maxSize} × ${ng.instanceType} (${sizes.desiredSize} and 25 % headroom); one managed node group holds at most ${limit} nodes (an EKS quota): split the class into stacks of at most ${max} attendees, or choose a larger cluster.nodeGroup.instanceType (docs/operations.md, "Operations at scale")`,
        );
    }
    const available = privateSubnetAddresses(c.vpcCidr, c.availabilityZones);
    // The mesh's DaemonSet pods (the CNI plugin, ztunnel) take an address on every node too.
    const needed = addressesNeeded(pods + meshPerNode(settings.istio).pods * sizes.maxSize, sizes.maxSize, instance);
    if (needed > available) {
        problems.push(
            `cluster.vpcCidr: ${pods} pods on up to ${sizes.maxSize} × ${ng.instanceType} take ${needed} VPC addresses (one per pod; per node its own and a spare interface's ${instance.ipsPerEni - 1} kept warm by the VPC CNI), but the private subnets of ${c.vpcCidr} over ${c.availabilityZones} zones hold ${available}: fewer attendees per stack, or a larger vpcCidr (/16 at most)`,
        );
    }
    return problems;
}
