/**
 * The data a scenario (one lesson of the seeds) is made of. Scenarios are
 * plain values: `catalog.ts` defines the four lessons, stack config overrides
 * their routes and subsets, `analyze.ts` checks the whole set, `build.ts`
 * turns it into Kubernetes and Istio objects.
 */

export type Labels = Readonly<Record<string, string>>;

export interface PortDef {
    /** Istio protocol selection: `<protocol>[-suffix]`, e.g. `http`, `grpc-ping`. */
    readonly name: string;
    readonly port: number;
    readonly targetPort: number;
}

export interface WorkloadDef {
    /** Deployment name. */
    readonly name: string;
    /** Pod labels: always `app` and `version`, plus any extra. */
    readonly labels: Labels & { readonly app: string; readonly version: string };
    readonly image: string;
    /** The ServiceAccount the pods run as: their mesh identity. Default: the `app` label. */
    readonly serviceAccount?: string;
    readonly replicas: number;
    readonly command?: readonly string[];
    readonly args?: readonly string[];
    readonly containerPort?: number;
    /**
     * A user id for images whose Dockerfile sets none (or a name) but that work as any user.
     * Every workload runs as non-root (Pod Security `restricted`); an image with a numeric
     * non-root USER needs none.
     */
    readonly runAsUser?: number;
    /** The image writes to its root filesystem (e.g. caches): leave it writable. */
    readonly writableRoot?: boolean;
    readonly readinessPath?: string;
    readonly resources: { readonly cpu: string; readonly memory: string; readonly memoryLimit: string };
    /** ConfigMap mounted read-only: name, mount path, files. */
    readonly config?: { readonly name: string; readonly mountPath: string; readonly files: Readonly<Record<string, string>> };
}

export interface ServiceDef {
    readonly name: string;
    readonly selector: Labels;
    readonly ports: readonly PortDef[];
}

/** What a request to a service answers, per version: how a check tells versions apart. */
export interface ProbeDef {
    readonly path: string;
    /** Text each version's answer contains, tried in order; the first match wins. */
    readonly versions: ReadonlyArray<readonly [version: string, contains: string]>;
    /** The service answers the same on any path (so a prefix route can be probed at its prefix). */
    readonly anyPath?: boolean;
}

export interface MatchDef {
    readonly sourceLabels?: Labels;
    readonly prefix?: string;
    /** The whole path, exactly (Istio's `uri.exact`); at most one of prefix and exact. */
    readonly exact?: string;
    readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteRuleDef {
    readonly match?: MatchDef;
    /** Percent per subset; omitted: route to the service without subsets. */
    readonly weights?: Readonly<Record<string, number>>;
    /** Destination service when not the VirtualService's own host (gateway routes). */
    readonly to?: string;
    /** A fault Istio injects into the matched requests: a fixed delay, or an abort with an HTTP status. */
    readonly fault?: FaultDef;
    /**
     * A request timeout; `outlived`: the stage is built so that every matched request takes
     * longer (a delay behind the destination), so each answers 504 within the timeout.
     */
    readonly timeout?: { readonly seconds: number; readonly outlived?: boolean };
}

export interface FaultDef {
    readonly delaySeconds?: number;
    readonly abortStatus?: number;
    /** Share of the matched requests, in percent. */
    readonly percent: number;
}

/** Routes of one host (a service, or `gateway` for the scenario's gateway routes). */
export interface RoutingDef {
    readonly host: string;
    readonly rules: readonly RouteRuleDef[];
    /** Where the rules came from, for messages: `apps.bookinfo.routes.reviews` or the catalog. */
    readonly origin: string;
}

/**
 * One stage of a lesson: a complete desired state (its routes, whether its
 * workloads have sidecars), verified by the checks its routes imply.
 */
export interface StageDef {
    readonly name: string;
    /** What the class sees at this stage, in a sentence. */
    readonly summary: string;
    /** The lesson's routes at this stage (a host without routes gets Kubernetes' own balancing). */
    readonly routing: readonly RoutingDef[];
    /** The lesson's workloads run without sidecars (the "before" of sidecar injection). */
    readonly withoutSidecars?: boolean;
    /** Why the stage cannot work with the lesson as configured (e.g. routes it needs overridden away); undefined: it can. */
    readonly cannotWork?: (lesson: ScenarioDef) => string | undefined;
}

export interface ScenarioDef {
    readonly name: string;
    /** The lesson's stages, in teaching order; `routing` is the one the class is at. */
    readonly stages?: readonly StageDef[];
    /** The stage `routing` and `withoutSidecars` come from. */
    readonly stage?: string;
    readonly withoutSidecars?: boolean;
    readonly workloads: readonly WorkloadDef[];
    readonly services: readonly ServiceDef[];
    /** Subsets per host: subset name to pod labels. */
    readonly subsets: Readonly<Record<string, Readonly<Record<string, Labels>>>>;
    readonly routing: readonly RoutingDef[];
    /** Probe per service name. */
    readonly probes: Readonly<Record<string, ProbeDef>>;
    /** URLs the traffic generator calls (in-cluster, relative to the scenario's namespace). */
    readonly traffic: readonly string[];
    /** Extra checks that are not routing rules (e.g. gRPC reachability): name and shell command. */
    readonly extraChecks?: ReadonlyArray<{ readonly name: string; readonly image: string; readonly command: readonly string[] }>;
}

/** The ServiceAccount a workload's pods run as. */
export function serviceAccountOf(w: Pick<WorkloadDef, "serviceAccount" | "labels">): string {
    return w.serviceAccount ?? w.labels.app;
}

/** Does a label selector select a pod with these labels? */
export function selects(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>> | undefined): boolean {
    return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Pod label that keeps Istio from injecting a sidecar. */
export const NO_INJECTION_LABEL = "sidecar.istio.io/inject";

/** The host key under which a scenario declares its gateway-bound routes. */
export const GATEWAY_HOST = "gateway";
