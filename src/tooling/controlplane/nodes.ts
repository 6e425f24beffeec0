/**
 * The fake nodes a stack's workshop runs on: as many as its node group holds
 * (the capacity estimate's, or what the stack pins), each with the allocatable
 * CPU, memory and pods the capacity model gives its instance type, spread over
 * the stack's zones. kwok keeps them Ready; the scheduler places pods on them
 * as it would on the real ones, so a pod left Pending means the model is wrong.
 */
import { INSTANCE_TYPES, allocatable } from "../../workshop/capacity";
import type { Workshop } from "../../workshop/resolve";

export interface NodeSizing {
    readonly count: number;
    readonly instanceType: string;
    readonly cpuMilli: number;
    readonly memoryMi: number;
    readonly pods: number;
    readonly zones: number;
}

/** The node group of a resolved workshop, as the capacity model sizes it. */
export function nodeSizing(workshop: Pick<Workshop, "settings" | "capacity">): NodeSizing {
    const ng = workshop.settings.cluster.nodeGroup;
    const type = INSTANCE_TYPES[ng.instanceType];
    if (!type) throw new Error(`cluster.nodeGroup.instanceType "${ng.instanceType}" is not in the capacity table: the control plane cannot size its fake nodes`);
    const a = allocatable(type);
    return { count: workshop.capacity.nodes, instanceType: ng.instanceType, cpuMilli: Math.floor(a.cpuMilli), memoryMi: Math.floor(a.memoryMi), pods: type.maxPods, zones: workshop.settings.cluster.availabilityZones };
}

/** The Node objects kwok manages (status included: the API server keeps a Node's status on create). */
export function fakeNodes(s: NodeSizing): Record<string, unknown>[] {
    const type = INSTANCE_TYPES[s.instanceType];
    return Array.from({ length: s.count }, (_, i) => {
        const name = `kwok-node-${String(i + 1).padStart(3, "0")}`;
        return {
            apiVersion: "v1",
            kind: "Node",
            metadata: {
                name,
                labels: {
                    "kubernetes.io/hostname": name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "node.kubernetes.io/instance-type": s.instanceType,
                    "topology.kubernetes.io/zone": `zone-${String.fromCharCode(97 + (i % Math.max(1, s.zones)))}`,
                    type: "kwok",
                },
                annotations: { "kwok.x-k8s.io/node": "fake" },
            },
            status: {
                allocatable: { cpu: `${s.cpuMilli}m`, memory: `${s.memoryMi}Mi`, pods: String(s.pods) },
                capacity: { cpu: String(type.vcpu), memory: `${type.memoryGiB}Gi`, pods: String(s.pods) },
                nodeInfo: { kubeletVersion: "kwok" },
            },
        };
    });
}
