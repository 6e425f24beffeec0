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
    attendeeIds,
    classDemand,
    estimateCapacity,
    maxAttendeesPerCluster,
    namespaceDemand,
    nodeGroupSizes,
    nodesFor,
    type CapacityEstimate,
} from "./capacity";
import { meshSizing, type MeshSizing } from "./meshScale";
import { workshopGateway } from "./meshSpec";
import { MeshCheckError, analyzeScenarios } from "./scenarios/analyze";
import { gatewayRouteHosts, resolveScenarios } from "./scenarios/build";
import { loadSettings, settingsWarnings, type Settings } from "./settings";

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
    /** Sidecar scoping, sidecar and istiod resources for the class (`components/meshScale.ts`). */
    readonly mesh: MeshSizing;
    /** Non-fatal findings worth printing: the settings' own and the sizing's. */
    readonly warnings: string[];
}

/** Throws `MeshCheckError` listing every finding of the scenarios the settings select. */
export function checkScenarios(settings: Settings): void {
    const findings = analyzeScenarios(resolveScenarios(settings.apps), {
        serverHosts: (workshopGateway(settings.istio).spec.servers ?? []).flatMap((s) => s.hosts ?? []),
        routeHosts: gatewayRouteHosts(attendeeIds(settings.attendees), settings.classroom.domain),
    });
    if (findings.length > 0) throw new MeshCheckError(findings);
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
    const instance = INSTANCE_TYPES[ng.instanceType];
    if (settings.cluster.mode === "eks" && attendees.length > 0 && instance) {
        const max = maxAttendeesPerCluster((n) => nodesFor(classDemand(settings, sizingFor(n), n), instance));
        if (attendees.length > max) {
            warnings.push(
                `attendees: ${attendees.length} attendees need ${nodesFor(capacity.demand, instance)} × ${ng.instanceType} nodes; one managed node group holds at most ${CLUSTER_LIMITS.nodesPerManagedNodeGroup} (an EKS quota), which this instance type reaches at ${max} attendees: split the class into stacks of at most ${max} (README, "Scale")`,
            );
        }
    }
    return {
        settings: { ...settings, cluster: { ...settings.cluster, nodeGroup: { ...ng, ...sizes } } },
        capacity: { ...capacity, nodes: sizes.desiredSize },
        attendees,
        mesh,
        warnings,
    };
}

/** What the program starts from: valid settings whose scenarios pass the mesh checks, sized. */
export function loadPrepared(): Prepared {
    return prepare(loadSettings());
}
