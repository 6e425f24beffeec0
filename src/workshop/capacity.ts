/**
 * Capacity and cost, as pure functions of the settings: what every pod of the
 * stack requests (apps and their sidecars per attendee, verification Jobs,
 * traffic generators, addons, istiod, gateways, Kubernetes' own pods), how many
 * nodes of an instance type hold it, and what that costs per hour.
 */
import { ADDON_RESOURCES } from "../addons/addonsSpec";
import { CNI_RESOURCES, GATEWAY_RESOURCES, ZTUNNEL_RESOURCES } from "../mesh/meshSpec";
import type { MeshSizing, ProxyModel } from "../mesh/meshScale";
import { JOB_RESOURCES, checkPlans } from "../lessons/checks";
import { trafficRate } from "../lessons/resolve";
import type { ScenarioDef } from "../lessons/model";
import { trafficGenerators } from "../lessons/workloads";
import { attendeeIds, type Settings } from "../settings/schema";
import { ZERO, add, mebibytes, milliCpu, times, type Demand } from "../model/demand";

/** The date the price table below was compiled (us-east-1, Linux, on-demand list prices in USD). */
export const PRICES_AS_OF = "2026-11-22";

export interface InstanceType {
    readonly vcpu: number;
    readonly memoryGiB: number;
    /** Pods per node with the VPC CNI (ENIs × (IPs per ENI − 1) + 2). */
    readonly maxPods: number;
    /** IPv4 addresses per network interface: the VPC CNI keeps a spare interface's worth per node (WARM_ENI_TARGET=1). */
    readonly ipsPerEni: number;
    readonly onDemandPerHour: number;
}

export const INSTANCE_TYPES: Readonly<Record<string, InstanceType>> = {
    "t3.large": { vcpu: 2, memoryGiB: 8, maxPods: 35, ipsPerEni: 12, onDemandPerHour: 0.0832 },
    "t3.xlarge": { vcpu: 4, memoryGiB: 16, maxPods: 58, ipsPerEni: 15, onDemandPerHour: 0.1664 },
    "t3.2xlarge": { vcpu: 8, memoryGiB: 32, maxPods: 58, ipsPerEni: 15, onDemandPerHour: 0.3328 },
    "m6i.large": { vcpu: 2, memoryGiB: 8, maxPods: 29, ipsPerEni: 10, onDemandPerHour: 0.096 },
    "m6i.xlarge": { vcpu: 4, memoryGiB: 16, maxPods: 58, ipsPerEni: 15, onDemandPerHour: 0.192 },
    "m6i.2xlarge": { vcpu: 8, memoryGiB: 32, maxPods: 58, ipsPerEni: 15, onDemandPerHour: 0.384 },
    "m6i.4xlarge": { vcpu: 16, memoryGiB: 64, maxPods: 234, ipsPerEni: 30, onDemandPerHour: 0.768 },
    "m7i.xlarge": { vcpu: 4, memoryGiB: 16, maxPods: 58, ipsPerEni: 15, onDemandPerHour: 0.2016 },
};

export const DEFAULT_PRICES = {
    controlPlanePerHour: 0.1,
    natGatewayPerHour: 0.045,
    loadBalancerPerHour: 0.0225,
    /** Spot usually costs 30-40 % of on-demand. */
    spotShare: 0.35,
};

/** Target utilisation of a node's allocatable CPU and memory (room for rollouts and bursts). */
export const TARGET_UTILISATION = 0.8;
/** Kubernetes' own pods per node (aws-node, kube-proxy) and cluster-wide (two CoreDNS replicas). */
const SYSTEM_PER_NODE = { cpuMilli: 125, memoryMi: 100, pods: 2 };
const SYSTEM_CLUSTER = { cpuMilli: 200, memoryMi: 140, pods: 2 };

interface Resources {
    readonly requests: { readonly cpu?: string; readonly memory: string };
    readonly limits: { readonly memory: string };
}
/**
 * What the mesh runs on every node: the CNI plugin's pod and, in ambient mode, ztunnel's (DaemonSets: they take
 * their share of each node, whatever the class size).
 */
export function meshPerNode(istio: Pick<Settings["istio"], "dataplane">): Demand {
    const daemon = (r: { readonly requests: { readonly cpu: string; readonly memory: string } }): Demand => ({ pods: 1, cpuMilli: milliCpu(r.requests.cpu), memoryMi: mebibytes(r.requests.memory), memoryLimitMi: 0 });
    return istio.dataplane === "ambient" ? add(daemon(CNI_RESOURCES), daemon(ZTUNNEL_RESOURCES)) : daemon(CNI_RESOURCES);
}

/** A pod's requests, with its sidecar's when it has one. */
const pod = (r: Resources, sidecar: ProxyModel["resources"] | undefined, replicas = 1): Demand =>
    times(
        {
            pods: 1,
            cpuMilli: milliCpu(r.requests.cpu ?? "0") + (sidecar ? milliCpu(sidecar.requests.cpu) : 0),
            memoryMi: mebibytes(r.requests.memory) + (sidecar ? mebibytes(sidecar.requests.memory) : 0),
            memoryLimitMi: mebibytes(r.limits.memory) + (sidecar ? mebibytes(sidecar.limits.memory) : 0),
        },
        replicas,
    );

/**
 * What one namespace of lessons asks for: its pods with their sidecars, generators, and one verification pod:
 * Helm runs a release's hooks one at a time, and a finished pod holds no place on a node nor in a quota
 * (the scheduler, the kubelet and ResourceQuota count only pods that have not ended).
 */
export function namespaceDemand(lessons: readonly ScenarioDef[], apps: Pick<Settings["apps"], "traffic" | "verify">, proxy: ProxyModel["resources"] | undefined): Demand {
    const rate = trafficRate(apps);
    const workloads = lessons
        .flatMap((s) =>
            [...s.workloads, ...trafficGenerators(s, rate)].map((w) =>
                pod({ requests: { cpu: w.resources.cpu, memory: w.resources.memory }, limits: { memory: w.resources.memoryLimit } }, proxy, w.replicas),
            ),
        )
        .reduce(add, ZERO);
    const checks = apps.verify.enabled ? lessons.reduce((n, s) => n + checkPlans(s, apps.verify.requests).length + (s.extraChecks?.length ?? 0), 0) : 0;
    return add(workloads, times(pod(JOB_RESOURCES, proxy), Math.min(1, checks)));
}

/** What the shared part asks for: istiod's replicas, gateways, addons, CoreDNS. */
export function sharedDemand(settings: Pick<Settings, "istio" | "addons">, istiod: MeshSizing["istiod"]): Demand {
    const parts: Demand[] = [
        pod(istiod.resources, undefined, istiod.replicas),
        pod(GATEWAY_RESOURCES, undefined),
        { pods: SYSTEM_CLUSTER.pods, cpuMilli: SYSTEM_CLUSTER.cpuMilli, memoryMi: SYSTEM_CLUSTER.memoryMi, memoryLimitMi: 0 },
    ];
    if (settings.istio.egressGateway) parts.push(pod(GATEWAY_RESOURCES, undefined));
    const a = settings.addons;
    if (a.prometheus.enabled) parts.push(pod(ADDON_RESOURCES.prometheus, undefined));
    if (a.grafana.enabled) parts.push(pod(ADDON_RESOURCES.grafana, undefined));
    if (a.jaeger.enabled) parts.push(pod(ADDON_RESOURCES.jaeger, undefined));
    if (a.kiali.enabled) parts.push(pod(ADDON_RESOURCES.kiali, undefined));
    if (a.expose.includes("jaeger")) parts.push(pod(ADDON_RESOURCES.jaegerAuth, undefined));
    return parts.reduce(add, ZERO);
}

/** What a class of `attendees` asks for in all: the shared part and every namespace (one, the demo, without attendees). */
export function classDemand(settings: Pick<Settings, "istio" | "addons">, sizing: Pick<MeshSizing, "istiod">, attendees: number, perNamespace: Demand): Demand {
    return add(sharedDemand(settings, sizing.istiod), times(perNamespace, Math.max(1, attendees)));
}

/** Allocatable CPU (millicores) and memory (MiB) of a node, as the EKS AMI reserves them for the kubelet. */
export function allocatable(t: InstanceType): { cpuMilli: number; memoryMi: number } {
    const cores = t.vcpu;
    const reservedCpu = 60 + (cores > 1 ? 10 : 0) + Math.max(0, Math.min(cores, 4) - 2) * 5 + Math.max(0, cores - 4) * 2.5;
    const reservedMemory = 255 + 11 * t.maxPods + 100; // kube-reserved, plus the 100Mi eviction threshold
    return { cpuMilli: cores * 1000 - reservedCpu, memoryMi: t.memoryGiB * 1024 - reservedMemory };
}

/**
 * The most memory one pod's limits may add up to (each attendee's LimitRange): what the capacity model plans to fill
 * of a node of the type, so no pod's limits exceed the node it lands on. Undefined for a type not in the table.
 */
export function podCeiling(instanceType: string, perNode: Demand = ZERO): { readonly memoryMi: number } | undefined {
    const t = INSTANCE_TYPES[instanceType];
    if (!t) return undefined;
    const a = allocatable(t);
    const down = (x: number, step: number) => Math.floor(x / step) * step;
    return { memoryMi: down(a.memoryMi * TARGET_UTILISATION - SYSTEM_PER_NODE.memoryMi - perNode.memoryMi, 64) };
}

/**
 * Nodes of a type needed for a demand, at the target utilisation, never fewer than `minimum`; `perNode` is what
 * every node runs besides Kubernetes' own pods (the mesh's DaemonSets, `meshPerNode`).
 */
export function nodesFor(d: Demand, t: InstanceType, minimum = 2, perNode: Demand = ZERO): number {
    const a = allocatable(t);
    const cpuPerNode = a.cpuMilli * TARGET_UTILISATION - SYSTEM_PER_NODE.cpuMilli - perNode.cpuMilli;
    const memPerNode = a.memoryMi * TARGET_UTILISATION - SYSTEM_PER_NODE.memoryMi - perNode.memoryMi;
    const podsPerNode = t.maxPods - SYSTEM_PER_NODE.pods - perNode.pods;
    return Math.max(minimum, Math.ceil(d.cpuMilli / cpuPerNode), Math.ceil(d.memoryMi / memPerNode), Math.ceil(d.pods / podsPerNode));
}

export interface CapacityEstimate {
    readonly attendees: number;
    readonly demand: Demand;
    readonly perNamespace: Demand;
    readonly instanceType: string;
    readonly nodes: number;
    /** The known instance type that holds the demand most cheaply. */
    readonly suggestion: { readonly instanceType: string; readonly nodes: number; readonly nodesPerHour: number };
    /** USD per hour (EKS only); what makes it up. */
    readonly cost?: {
        readonly perHour: number;
        readonly perAttendeeHour?: number;
        readonly parts: Readonly<Record<string, number>>;
        readonly pricesAsOf: string;
        /** What the estimate leaves out: charges by use or by month it cannot size (`costExclusions`). */
        readonly excludes: readonly string[];
    };
}

/** The length of a workshop day the plan prices (the stack running from the end of its first `up` to its destroy). */
export const WORKSHOP_DAY_HOURS = 8;

/**
 * What the hourly estimate leaves out, for an EKS stack: AWS charges by use (data) or by month, or for parts it does
 * not price, that the plan cannot size. Named, not priced.
 */
export function costExclusions(cluster: Pick<Settings["cluster"], "imageCache">): string[] {
    return [
        "data transfer (the NAT gateways' processing per GB, traffic out to the internet, between zones)",
        "the nodes' EBS volumes",
        "public IPv4 addresses (the NAT gateways' Elastic IPs, the load balancer's)",
        "the KMS key's monthly fee",
        ...(cluster.imageCache === "ecr" ? ["the ECR cache's storage"] : []),
        "the hours of the first up and of the destroy",
    ];
}

const round = (x: number) => Math.round(x * 10000) / 10000;

/** The whole stack's demand (every namespace asking `perNamespace`), its node count and its hourly cost. */
export function estimateCapacity(
    settings: Pick<Settings, "cluster" | "istio" | "addons" | "attendees" | "classroom">,
    sizing: Pick<MeshSizing, "istiod">,
    perNamespace: Demand,
): CapacityEstimate {
    const ids = attendeeIds(settings.attendees);
    const demand = classDemand(settings, sizing, ids.length, perNamespace);
    const c = settings.cluster;
    const p = { ...DEFAULT_PRICES, ...withoutUndefined(settings.classroom.pricing) };
    const instances: Record<string, InstanceType> = { ...INSTANCE_TYPES };
    for (const [type, price] of Object.entries(settings.classroom.pricing.instances ?? {})) {
        if (instances[type]) instances[type] = { ...instances[type], onDemandPerHour: price };
    }
    const spot = c.nodeGroup.capacityType === "spot";
    const nodePrice = (t: InstanceType) => t.onDemandPerHour * (spot ? p.spotShare : 1);
    const chosen = instances[c.nodeGroup.instanceType];
    const perNode = meshPerNode(settings.istio);
    const nodes = c.nodeGroup.desiredSize ?? (chosen ? nodesFor(demand, chosen, 2, perNode) : 2);
    const suggestion = Object.entries(instances)
        .map(([instanceType, t]) => ({ instanceType, nodes: nodesFor(demand, t, 2, perNode), nodesPerHour: round(nodesFor(demand, t, 2, perNode) * nodePrice(t)) }))
        .sort((a, b) => a.nodesPerHour - b.nodesPerHour || a.nodes - b.nodes)[0];

    let cost: CapacityEstimate["cost"];
    if (c.mode === "eks") {
        const nodePerHour = chosen ? nodePrice(chosen) : undefined;
        const instanceOverride = settings.classroom.pricing.instances?.[c.nodeGroup.instanceType];
        const perNode = nodePerHour ?? (instanceOverride !== undefined ? instanceOverride * (spot ? p.spotShare : 1) : undefined);
        if (perNode !== undefined) {
            const parts = {
                controlPlane: p.controlPlanePerHour,
                nodes: round(nodes * perNode),
                natGateways: round((c.natGateways === "single" ? 1 : c.availabilityZones) * p.natGatewayPerHour),
                loadBalancer: settings.istio.ingress.serviceType === "LoadBalancer" ? p.loadBalancerPerHour : 0,
            };
            const perHour = round(Object.values(parts).reduce((a, b) => a + b, 0));
            cost = { perHour, perAttendeeHour: ids.length > 0 ? round(perHour / ids.length) : undefined, parts, pricesAsOf: PRICES_AS_OF, excludes: costExclusions(c) };
        }
    }
    return { attendees: ids.length, demand, perNamespace, instanceType: c.nodeGroup.instanceType, nodes, suggestion, cost };
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && typeof v === "number")) as Partial<T>;
}

/** Node-group sizes: what the stack pins, the rest derived (desired from the estimate, max with 25 % headroom). */
export function nodeGroupSizes(
    ng: { readonly minSize?: number; readonly desiredSize?: number; readonly maxSize?: number },
    estimatedNodes: number,
): { minSize: number; desiredSize: number; maxSize: number } {
    const desiredSize = ng.desiredSize ?? Math.max(ng.minSize ?? 0, Math.min(estimatedNodes, ng.maxSize ?? Infinity));
    const minSize = ng.minSize ?? Math.min(desiredSize, Math.max(1, estimatedNodes));
    const maxSize = ng.maxSize ?? Math.max(desiredSize, desiredSize + Math.max(1, Math.ceil(desiredSize / 4)));
    return { minSize, desiredSize, maxSize };
}

/**
 * The AWS quotas of the account and Region an EKS stack draws on, at the node group's largest size (the node group
 * may grow to it): vCPUs of its instances (on-demand or spot: separate quotas), Elastic IPs (one per NAT gateway),
 * network load balancers (the gateway's), network interfaces (each node's, as many as the VPC CNI attaches to reach
 * its pods, each NAT gateway's, and the load balancer's one per zone), VPCs and NAT gateways. Undefined off EKS.
 */
export function awsQuotaNeeds(settings: Pick<Settings, "cluster" | "istio">, e: CapacityEstimate): string | undefined {
    const c = settings.cluster;
    const t = INSTANCE_TYPES[c.nodeGroup.instanceType];
    if (c.mode !== "eks" || !t) return undefined;
    const nodes = nodeGroupSizes(c.nodeGroup, e.nodes).maxSize;
    const nats = c.natGateways === "single" ? 1 : c.availabilityZones;
    const lb = settings.istio.ingress.serviceType === "LoadBalancer" ? 1 : 0;
    const enisPerNode = Math.ceil((t.maxPods - 2) / (t.ipsPerEni - 1));
    const vcpus = `${nodes * t.vcpu} vCPUs of ${c.nodeGroup.capacityType === "spot" ? "Spot Instance requests" : "On-Demand Standard instances"} (${nodes} × ${c.nodeGroup.instanceType} at the node group's largest size)`;
    return `AWS quotas it needs in the Region: ${vcpus}, ${nats} Elastic IP${nats === 1 ? "" : "s"}, ${lb} Network Load Balancer${lb === 1 ? "" : "s"}, up to ${nodes * enisPerNode + nats + lb * c.availabilityZones} network interfaces, 1 VPC, ${nats} NAT gateway${nats === 1 ? "" : "s"} (docs/operations.md, "AWS quotas")`;
}

/** Plan lines describing the estimate. */
export function describeCapacity(e: CapacityEstimate): string[] {
    const gib = (mi: number) => `${(mi / 1024).toFixed(1)} GiB`;
    const lines = [
        `Workload: ${e.demand.pods} pods requesting ${(e.demand.cpuMilli / 1000).toFixed(2)} vCPU and ${gib(e.demand.memoryMi)}` +
            (e.attendees > 0 ? ` (${e.attendees} attendees; ${e.perNamespace.pods} pods, ${(e.perNamespace.cpuMilli / 1000).toFixed(2)} vCPU, ${gib(e.perNamespace.memoryMi)} each)` : ""),
        `Nodes: ${e.nodes} × ${e.instanceType}; cheapest fit: ${e.suggestion.nodes} × ${e.suggestion.instanceType} ($${e.suggestion.nodesPerHour.toFixed(2)}/h for nodes)`,
    ];
    if (e.cost) {
        const parts = Object.entries(e.cost.parts)
            .map(([k, v]) => `${k} $${v.toFixed(3)}`)
            .join(", ");
        lines.push(
            `Cost: $${e.cost.perHour.toFixed(2)}/hour` +
                (e.cost.perAttendeeHour !== undefined ? `, $${e.cost.perAttendeeHour.toFixed(3)} per attendee-hour` : "") +
                ` (${parts}; prices as of ${e.cost.pricesAsOf}, override in classroom.pricing)`,
            `One day of ${WORKSHOP_DAY_HOURS} hours: $${(e.cost.perHour * WORKSHOP_DAY_HOURS).toFixed(2)}; not counted: ${e.cost.excludes.join(", ")}`,
        );
    }
    return lines;
}

/**
 * Limits of one cluster that the sizing runs into first. Amazon EKS service
 * quotas: at most 450 nodes per managed node group (the stack has one).
 * Kubernetes' scalability thresholds (sig-scalability): 110 pods per node,
 * 150,000 pods and 10,000 Services per cluster (this design reaches the node
 * group's limit long before those).
 */
export const CLUSTER_LIMITS = { nodesPerManagedNodeGroup: 450, podsPerCluster: 150_000, servicesPerCluster: 10_000 } as const;

/**
 * The most attendees one stack's cluster holds with this design: the largest
 * class whose node group, with its 25 % headroom, stays within the quota.
 * `nodesFor(n)` gives the nodes `n` attendees need (their demand, not a pinned size).
 */
export function maxAttendeesPerCluster(nodesFor: (attendees: number) => number, limit: number = CLUSTER_LIMITS.nodesPerManagedNodeGroup): number {
    const fits = (n: number) => nodeGroupSizes({}, nodesFor(n)).maxSize <= limit;
    if (!fits(1)) return 0;
    // Every attendee adds at least one pod, and a node holds at most 250 with any CNI: the answer is below this.
    const ceiling = limit * 250;
    let lo = 1;
    let hi = 1;
    while (hi < ceiling && fits(hi * 2)) hi *= 2;
    hi *= 2;
    while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (fits(mid)) lo = mid;
        else hi = mid;
    }
    return lo;
}

/**
 * Addresses the VPC's private subnets hold, as `awsx.ec2.Vpc`'s "Auto" layout
 * cuts them (`src/cluster/clusterSpec.ts`): the VPC split evenly between the
 * zones (rounded up to a power of two), each zone's range between its public
 * and its private subnet; AWS keeps 5 addresses of every subnet.
 */
export function privateSubnetAddresses(vpcCidr: string, availabilityZones: number): number {
    const vpcMask = Number(vpcCidr.split("/")[1]);
    const subnetMask = vpcMask + Math.ceil(Math.log2(availabilityZones)) + 1;
    return availabilityZones * (2 ** (32 - subnetMask) - 5);
}

/**
 * Addresses the class takes from the private subnets with the VPC CNI: every
 * pod has a VPC address; every node its own, and a spare network interface's
 * worth kept warm (the CNI's default `WARM_ENI_TARGET=1`).
 */
export function addressesNeeded(pods: number, nodes: number, t: InstanceType): number {
    return pods + nodes * t.ipsPerEni;
}
