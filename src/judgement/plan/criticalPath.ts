/**
 * The provisioning critical path of a plan: the longest chain of resources that
 * must be created one after another, each weighted by a typical creation time.
 * A resource starts when everything it depends on (its dependencies and its
 * provider) is done; a component is done when its last child is.
 */
import { isLessonsRelease } from "./planEntries";
import type { Plan, PlannedResource } from "./plan";

/**
 * Typical creation times in seconds, by resource type (observed orders of
 * magnitude on AWS and EKS; a model, not a measurement). Types not listed take 1 s;
 * components take no time of their own.
 */
export const CREATE_SECONDS: Readonly<Record<string, number>> = {
    "awsx:ec2:Vpc": 150, // VPC, subnets, internet and NAT gateways
    "eks:index:Cluster": 600, // EKS control plane
    "eks:index:ManagedNodeGroup": 240, // nodes join and turn Ready
    "aws:kms/key:Key": 5,
    "aws:iam/role:Role": 3,
    "aws:ec2/launchTemplate:LaunchTemplate": 5,
    "kubernetes:helm.sh/v3:Release": 60, // install and wait for readiness
    "kubernetes:apps/v1:Deployment": 45, // image pull, sidecar, readiness
    "kubernetes:batch/v1:Job": 60, // verification: 100 requests and the wait for the route
    "kubernetes:core/v1:Namespace": 2,
    "pulumi:providers:aws": 0,
    "pulumi:providers:kubernetes": 0,
    "random:index/randomPassword:RandomPassword": 0,
    "random:index/randomString:RandomString": 0,
};

/** Remote components whose work is their own (not visible as children in a plan). */
const OPAQUE_COMPONENTS = new Set(["awsx:ec2:Vpc", "eks:index:Cluster", "eks:index:ManagedNodeGroup"]);

/** A lessons release: its objects ready (image pull, sidecar, readiness), then its verification hooks. */
export const LESSONS_RELEASE_SECONDS = 45 + 60;

export function createSeconds(r: PlannedResource): number {
    if (!r.custom && !OPAQUE_COMPONENTS.has(r.type)) return 0;
    if (isLessonsRelease(r)) return LESSONS_RELEASE_SECONDS;
    return CREATE_SECONDS[r.type] ?? 1;
}

export interface CriticalPath {
    readonly seconds: number;
    /** Resource names along the path, first to last. */
    readonly path: string[];
}

export function criticalPath(plan: Plan): CriticalPath {
    // What a Helm release renders is installed by the release (its time is the release's own).
    const resources = plan.resources.filter((r) => !r.renderedBy);
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const children = new Map<string, string[]>();
    for (const r of resources) if (r.parent && byUrn.has(r.parent)) children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]);
    const done = new Map<string, { at: number; via?: string }>();

    const finish = (urn: string, stack = new Set<string>()): number => {
        const known = done.get(urn);
        if (known) return known.at;
        if (stack.has(urn)) throw new Error(`dependency cycle through ${urn}`);
        stack.add(urn);
        const r = byUrn.get(urn)!;
        const deps = [...r.dependsOn, ...(r.provider ? [r.provider] : [])].filter((d) => byUrn.has(d));
        let start = 0;
        let via: string | undefined;
        for (const d of deps) {
            const t = finish(d, stack);
            if (t > start) [start, via] = [t, d];
        }
        let at = start + createSeconds(r);
        for (const c of children.get(urn) ?? []) {
            const t = finish(c, stack);
            if (t > at) [at, via] = [t, c];
        }
        stack.delete(urn);
        done.set(urn, { at, via });
        return at;
    };

    let end = "";
    let seconds = 0;
    for (const r of resources) {
        const t = finish(r.urn);
        if (t > seconds) [seconds, end] = [t, r.urn];
    }
    const path: string[] = [];
    for (let u: string | undefined = end; u; u = done.get(u)?.via) path.unshift(byUrn.get(u)!.name);
    return { seconds, path };
}
