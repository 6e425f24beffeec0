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
    readonly env?: Readonly<Record<string, string>>;
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
    /**
     * The share of requests the app itself fails, and with which status (bookinfo's
     * ratings as `v-faulty`: half of them, 503): what retries are measured against.
     */
    readonly fails?: { readonly share: number; readonly status: number };
    /** ConfigMap mounted read-only: name, mount path, files. */
    readonly config?: { readonly name: string; readonly mountPath: string; readonly files: Readonly<Record<string, string>> };
    /** The lesson's Services it calls while answering (bookinfo's productpage: details and reviews): their delays are its callers' to wait out. */
    readonly calls?: readonly string[];
}

export interface ServiceDef {
    readonly name: string;
    readonly selector: Labels;
    readonly ports: readonly PortDef[];
    /** Namespaces whose proxies see it besides its own and the ingress gateway's (the egress gateway's, for the stand-in host). */
    readonly exportTo?: readonly string[];
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
    /** The gateway port the request came in on (gateway routes): 80 plain HTTP, 443 HTTPS ended at the gateway. */
    readonly port?: number;
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
    /** Retries of failed requests (Istio's `retries`): further attempts, on which failures. */
    readonly retries?: { readonly attempts: number; readonly retryOn: string; readonly perTryTimeoutSeconds?: number };
    /** A copy of every matched request (fire and forget) to this subset of the same host. */
    readonly mirror?: { readonly subset: string; readonly percent: number };
    /** Instead of a route: send the client elsewhere (301), e.g. the same path over HTTPS. */
    readonly redirect?: { readonly scheme: "https"; readonly port: number };
}

/** Connection limits and ejection (a DestinationRule's trafficPolicy): Istio's circuit breaker. */
export interface TrafficPolicyDef {
    readonly maxConnections?: number;
    readonly maxPendingRequests?: number;
    readonly maxRequestsPerConnection?: number;
    /** Eject a pod after this many consecutive 5xx, for `ejectSeconds`. */
    readonly consecutive5xxErrors?: number;
    readonly ejectSeconds?: number;
}

/**
 * A security policy of a stage, as Istio's tasks write them. Identities are
 * ServiceAccounts of the lesson's namespace; the builder writes them as the
 * mesh's principals (`cluster.local/ns/<namespace>/sa/<name>`).
 */
export type PolicyDef =
    | {
          readonly kind: "AuthorizationPolicy";
          readonly name: string;
          /** Pods the policy applies to (pod labels); omitted: the whole namespace. */
          readonly selector?: Labels;
          /** Ambient: the Service whose waypoint enforces the policy (`targetRefs`), instead of the pods' ztunnel. */
          readonly targetService?: string;
          readonly action?: "ALLOW" | "DENY";
          /** No rule: an ALLOW policy that allows nothing (`allow-nothing`). Each rule: callers and methods it admits. */
          readonly rules: ReadonlyArray<{
              /** ServiceAccounts of the lesson's namespace, or `<namespace>/<name>` of another (the shared gateway's). */
              readonly fromServiceAccounts?: readonly string[];
              /** Request principals (`<issuer>/<subject>` of a validated JWT); `*`: any valid token. */
              readonly requestPrincipals?: readonly string[];
              readonly methods?: readonly string[];
          }>;
      }
    | {
          /** The JWTs a workload validates (Istio's RequestAuthentication): an issuer and its keys (JWKS, inline). */
          readonly kind: "RequestAuthentication";
          readonly name: string;
          readonly selector: Labels;
          readonly issuer: string;
          readonly jwks: string;
      }
    | { readonly kind: "PeerAuthentication"; readonly name: string; readonly selector?: Labels; readonly mode: "STRICT" | "PERMISSIVE" }
    | {
          /** Outbound traffic of the namespace's proxies: to hosts of the mesh's registry only, or anywhere. */
          readonly kind: "OutboundPolicy";
          readonly name: string;
          /** The pods it applies to (the lesson's client and its checks). */
          readonly selector: Labels;
          readonly mode: "ALLOW_ANY" | "REGISTRY_ONLY";
      }
    | {
          /** A host outside the mesh, made known to the namespace's proxies (Istio's ServiceEntry). */
          readonly kind: "ServiceEntry";
          readonly name: string;
          readonly host: string;
          readonly port: { readonly number: number; readonly name: string; readonly protocol: string };
      }
    | {
          /**
           * Calls from the namespace's proxies to an outside host sent to a gateway
           * instead (the mesh half of Istio's egress gateway task; the gateway's
           * half, from the gateway to the host, is the platform's).
           */
          readonly kind: "EgressRoute";
          readonly name: string;
          readonly host: string;
          readonly port: number;
          readonly via: { readonly host: string; readonly port: number };
      }
    | {
          /**
           * Envoy's local rate limit on the selected pods' inbound requests (Istio's
           * rate-limit task): a token bucket per proxy that holds `maxTokens`, gains
           * `tokensPerFill` every `fillIntervalSeconds`, and answers 429 when empty.
           * Written as an EnvoyFilter, which only the platform may create: the stack
           * installs it even in hands-on mode.
           */
          readonly kind: "LocalRateLimit";
          readonly name: string;
          readonly selector: Labels;
          readonly maxTokens: number;
          readonly tokensPerFill: number;
          readonly fillIntervalSeconds: number;
      };

/**
 * A check of a stage that its routes do not imply: requests from a given
 * caller, and the share of answers each outcome must have (an outcome is the
 * text the body contains, or a measurement: `@status=403`, `@time>=7`), or,
 * where no exact share exists (a circuit breaker under load), at least one.
 */
export interface StageCheckDef {
    readonly name: string;
    /** `http://<service>:<port><path>`, or `tcp://<service>:<port>` (one line sent, the echo read back). */
    readonly url: string;
    readonly headers?: Readonly<Record<string, string>>;
    /** The ServiceAccount the caller runs as (its mesh identity); default the checks' own, `verify`. */
    readonly serviceAccount?: string;
    /** Extra labels of the caller's pod (a policy of the stage may select it by them). */
    readonly labels?: Labels;
    /** The caller has no sidecar: a client outside the mesh, talking plaintext. */
    readonly withoutSidecar?: boolean;
    readonly outcomes: ReadonlyArray<{
        readonly name: string;
        readonly contains: string;
        readonly share?: number;
        readonly atLeastOne?: boolean;
        /** A hard bound rather than a share: at most this many answers (a rate limit's tokens). */
        readonly atMost?: number;
        /** All the answers but at most this many (the requests a rate limit refuses). */
        readonly allButAtMost?: number;
    }>;
    /**
     * The requests, from the end of the wait for the stage until the last answer,
     * must take less than this many seconds, or the check fails as unsound (a rate
     * limit's bound holds within one fill interval).
     */
    readonly withinSeconds?: number;
    /**
     * Every request must also be counted by the caller's own proxy as completed
     * to this Envoy cluster (`outbound|<port>|<subset>|<host>`), e.g. the egress
     * gateway's: proof of the path a request took, not only of its answer.
     * `none`: no request may be (nothing mirrored to a subset, nothing passed through).
     */
    readonly through?: { readonly name: string; readonly cluster: string; readonly none?: boolean };
    /**
     * Every request must also be reported by the caller's own proxy (Istio's `istio_requests_total`, reporter
     * `source`) with the destination identity this ServiceAccount's certificate proves, over mTLS; `null`: with
     * none (`unknown`), the destination having no sidecar to present one. The caller must have a sidecar.
     */
    readonly peer?: { readonly name: string; readonly serviceAccount: string | null };
    /** Requests sent at once (curl --parallel), to load a connection pool. */
    readonly parallel?: number;
    /** The answer that tells the stage is in place, where it is not 2xx (`000`: the connection is refused). */
    readonly readyStatus?: string;
    /** What the check proves, for messages. */
    readonly describes: string;
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
    /** The lesson's workloads run outside the mesh (the "before" of sidecar injection, or of ambient enrolment). */
    readonly withoutSidecars?: boolean;
    /**
     * Ambient: the lesson's waypoint (a Gateway API Gateway of class `istio-waypoint`) runs, and every Service of the
     * lesson names it (`istio.io/use-waypoint`), so in-mesh calls to them pass through it.
     */
    readonly waypoint?: boolean;
    /** Workloads only this stage runs (e.g. a ratings that fails half of its answers). */
    readonly workloads?: readonly WorkloadDef[];
    /** Subsets only this stage declares, per host. */
    readonly subsets?: Readonly<Record<string, Readonly<Record<string, Labels>>>>;
    /** Traffic policy per host (circuit breaking). */
    readonly trafficPolicies?: Readonly<Record<string, TrafficPolicyDef>>;
    /** The stage's security and egress policies. */
    readonly policies?: readonly PolicyDef[];
    /** Checks beyond what the routes imply. */
    readonly checks?: readonly StageCheckDef[];
    /** What the attendee needs besides the stage's objects (the lesson's token), printed in the hand-out. */
    readonly handOutNote?: string;
    /** Headers the routing checks to a host send (`gateway`: the gateway routes'), e.g. the token a policy requires. */
    readonly checkHeaders?: Readonly<Record<string, Readonly<Record<string, string>>>>;
    /** The routing checks to a host run as this ServiceAccount: the caller the stage's policies admit. */
    readonly checkAs?: Readonly<Record<string, string>>;
    /** Why the stage cannot work with the lesson as configured (e.g. routes it needs overridden away); undefined: it can. */
    readonly cannotWork?: (lesson: ScenarioDef) => string | undefined;
}

/** What a lesson takes from its stage as it is, beside its routes, workloads and subsets (which `atStage` merges). */
export const STAGE_STATE_KEYS = ["trafficPolicies", "policies", "checks", "checkAs", "checkHeaders", "waypoint"] as const;
export type StageState = Pick<StageDef, (typeof STAGE_STATE_KEYS)[number]>;

export interface ScenarioDef extends StageState {
    readonly name: string;
    /**
     * The data plane the lesson is written for: `ambient` routes its Services with HTTPRoutes (a rule's weights go
     * to the per-version Services `<host>-<subset>`), not VirtualServices and subsets. Default: sidecars.
     */
    readonly dataplane?: "ambient";
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

/** Pod labels that keep a pod out of the mesh in either data plane: no sidecar injected, and opted out of ambient (istio/api `istio.io/dataplane-mode: none`). */
export const OUT_OF_MESH_LABELS: Labels = { [NO_INJECTION_LABEL]: "false", "istio.io/dataplane-mode": "none" };

/** The host key under which a scenario declares its gateway-bound routes. */
export const GATEWAY_HOST = "gateway";
