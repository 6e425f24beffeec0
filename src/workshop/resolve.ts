/**
 * From parsed settings to what the program builds: the checks that need the
 * whole picture (the scenario set, analyzed as `istioctl analyze` would), the
 * capacity estimate, and node-group sizes derived from it where the stack does
 * not pin them. Runs before any resource is registered; a failure is one
 * message, no stack trace.
 */
import {
    CLUSTER_LIMITS,
    INSTANCE_TYPES,
    classDemand,
    estimateCapacity,
    maxAttendeesPerCluster,
    namespaceDemand,
    nodeGroupSizes,
    nodesFor,
    privateSubnetAddresses,
    addressesNeeded,
    type CapacityEstimate,
} from "./capacity";
import { meshSizing, type MeshSizing } from "../mesh/meshScale";
import { workshopGateway } from "../mesh/meshSpec";
import { MeshCheckError, analyzeScenarios } from "../lessons/analyze";
import { appsAt, gatewayRouteHosts, resolveScenarios } from "../lessons/resolve";
import * as pulumi from "@pulumi/pulumi";
import type { WorkshopConfig } from "./config";
import { SettingsError, projectConfig, settingsFromConfig, settingsWarnings } from "../settings/parse";
import { attendeeIds, type Settings } from "../settings/schema";

export type PreparedSettings = Omit<Settings, "cluster"> & {
    readonly cluster: Settings["cluster"] & {
        readonly nodeGroup: Settings["cluster"]["nodeGroup"] & { readonly minSize: number; readonly desiredSize: number; readonly maxSize: number };
    };
};

export interface Prepared {
    readonly settings: PreparedSettings;
    readonly capacity: CapacityEstimate;
    /** Attendee ids, in order; empty for the single demo namespace. */
    readonly attendees: string[];
    /** Sidecar scoping, sidecar and istiod resources for the class (`src/mesh/meshScale.ts`). */
    readonly mesh: MeshSizing;
    /** Non-fatal findings worth printing: the settings' own and the sizing's. */
    readonly warnings: string[];
}

/** Throws `MeshCheckError` listing every finding of the scenarios the settings select. */
export function checkScenarios(settings: Settings): void {
    const gateway = {
        serverHosts: (workshopGateway(settings.istio).spec.servers ?? []).flatMap((s) => s.hosts ?? []),
        routeHosts: gatewayRouteHosts(attendeeIds(settings.attendees), settings.classroom.domain),
    };
    const findings = analyzeScenarios(resolveScenarios(settings.apps), gateway);
    // Attendees the classroom moves to other stages: their lessons as they will run.
    for (const [id, stages] of Object.entries(settings.classroom.stages)) {
        findings.push(...analyzeScenarios(resolveScenarios(appsAt(settings.apps, stages)), gateway).map((f) => `${f} (classroom.stages.${id})`));
    }
    if (findings.length > 0) throw new MeshCheckError([...new Set(findings)]);
}

export function prepare(settings: Settings): Prepared {
    checkScenarios(settings);
    const attendees = attendeeIds(settings.attendees);
    const sizingFor = (n: number) => meshSizing(settings, n, (proxy) => namespaceDemand(settings.apps, proxy.resources).pods);
    const mesh = sizingFor(attendees.length);
    const capacity = estimateCapacity(settings, mesh);
    const ng = settings.cluster.nodeGroup;
    const sizes = nodeGroupSizes(ng, capacity.nodes);
    const warnings = settingsWarnings(settings);
    if (ng.desiredSize !== undefined && ng.desiredSize < capacity.suggestion.nodes && ng.instanceType === capacity.suggestion.instanceType) {
        warnings.push(`cluster.nodeGroup.desiredSize ${ng.desiredSize} is below the ${capacity.suggestion.nodes} nodes the workload needs`);
    }
    const refusals = capacityRefusals(settings, attendees.length, capacity.demand.pods, sizes, (n) => nodesFor(classDemand(settings, sizingFor(n), n), INSTANCE_TYPES[ng.instanceType]));
    if (refusals.length > 0) throw new SettingsError(`Pulumi.${settings.stack}.yaml`, refusals);
    return {
        settings: { ...settings, cluster: { ...settings.cluster, nodeGroup: { ...ng, ...sizes } } },
        capacity: { ...capacity, nodes: sizes.desiredSize },
        attendees,
        mesh,
        warnings,
    };
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
    const needed = addressesNeeded(pods, sizes.maxSize, instance);
    if (needed > available) {
        problems.push(
            `cluster.vpcCidr: ${pods} pods on up to ${sizes.maxSize} × ${ng.instanceType} take ${needed} VPC addresses (one per pod; per node its own and a spare interface's ${instance.ipsPerEni - 1} kept warm by the VPC CNI), but the private subnets of ${c.vpcCidr} over ${c.availabilityZones} zones hold ${available}: fewer attendees per stack, or a larger vpcCidr (/16 at most)`,
        );
    }
    return problems;
}

/**
 * What the program starts from: the stack's config, checked as a whole (its namespaces, `aws:*`
 * keys, every setting), as the plain config the components take, and the stack's AWS profile.
 */
export function loadConfig(): { readonly config: WorkshopConfig; readonly stack: string; readonly awsProfile?: string } {
    const all = pulumi.runtime.allConfig();
    const stack = pulumi.getStack();
    const { awsProfile } = settingsFromConfig(all, { stack });
    return { config: projectConfig(all) as WorkshopConfig, stack, ...(awsProfile !== undefined ? { awsProfile } : {}) };
}
