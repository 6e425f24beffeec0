/**
 * The stages of each lesson, by name, in teaching order, and the one a class
 * starts at. A stage is a complete desired state of the lesson (its routes,
 * whether its workloads have sidecars) with the verification that proves it;
 * `catalog.ts` defines each stage, and a test keeps the two lists equal.
 */
export const STAGES = {
    helloworld: { names: ["round-robin", "source-v1"], default: "source-v1" },
    bookinfo: { names: ["no-sidecars", "no-rules", "all-v1", "jason-v2", "reviews-v1-v3", "reviews-v3", "ratings-delay", "ratings-abort", "reviews-timeout", "retries", "circuit-breaker", "mirror", "authz", "jwt", "rate-limit"], default: "reviews-v1-v3" },
    myApp: { names: ["gateway", "tls"], default: "gateway" },
    grpc: { names: ["no-sidecar", "mesh"], default: "mesh" },
    mtls: { names: ["permissive", "strict"], default: "strict" },
    tcp: { names: ["all-v1", "v1-v2-80-20"], default: "v1-v2-80-20" },
    egress: { names: ["allow-any", "registry-only", "service-entry", "egress-gateway"], default: "service-entry" },
    ambient: { names: ["ingress", "enrolled", "l4-authz", "waypoint", "l7-authz", "traffic-shift"], default: "traffic-shift" },
} as const;

/** Lessons written for ambient mode (`istio.dataplane: ambient`); every other lesson is written for sidecars. */
export const AMBIENT_LESSONS: readonly string[] = ["ambient"];

/** Lessons a stack runs unless its config turns them off; the others only when turned on. */
export const LESSONS_ON_BY_DEFAULT: readonly string[] = ["helloworld", "bookinfo", "myApp", "grpc"];

export type LessonKey = keyof typeof STAGES;
export const LESSON_KEYS = Object.keys(STAGES) as LessonKey[];

/**
 * The stages of sidecar lessons that run in ambient mode too, routed by HTTPRoutes on a waypoint (`src/lessons/ambientForm.ts`),
 * and why each other stage does not, with what to use instead. A sidecar lesson not listed does not run in ambient.
 */
export const AMBIENT_STAGES: Partial<Record<LessonKey, { readonly runs: readonly string[]; readonly refused: Readonly<Record<string, string>> }>> = {
    bookinfo: {
        runs: ["no-rules", "all-v1", "jason-v2", "reviews-v1-v3", "reviews-v3"],
        refused: {
            "no-sidecars": "shows bookinfo without sidecars, which ambient never injects: apps.ambient at stage ingress shows bookinfo outside the mesh",
            "ratings-delay": "injects a delay, which in ambient only a VirtualService on a waypoint does (alpha in Istio 1.30), and HTTPRoute has no fault field: keep istio.dataplane: sidecar for this stage",
            "ratings-abort": "injects an abort, which in ambient only a VirtualService on a waypoint does (alpha in Istio 1.30), and HTTPRoute has no fault field: keep istio.dataplane: sidecar for this stage",
            "reviews-timeout": "outlives its timeout with an injected ratings delay, which HTTPRoute cannot inject: keep istio.dataplane: sidecar for this stage",
            retries: "needs HTTPRoute's retry field, which the Gateway API v1.5.1 has in its experimental channel only (the stack installs the standard channel): keep istio.dataplane: sidecar for this stage",
            "circuit-breaker": "limits connections with a DestinationRule, which this project verifies at sidecars only, not at a waypoint: keep istio.dataplane: sidecar for this stage",
            mirror: "proves the mirrored copies by the caller's sidecar's counters, which an ambient caller does not have: keep istio.dataplane: sidecar for this stage",
            authz: "selects its L7 policies by workload labels, which ztunnel cannot enforce (it drops all traffic): use apps.ambient at stage l7-authz, whose policy a waypoint enforces",
            jwt: "validates tokens with RequestAuthentication selected by workload labels, which only a waypoint enforces in ambient: keep istio.dataplane: sidecar for this stage",
            "rate-limit": "is an EnvoyFilter, which Istio does not apply on waypoints: keep istio.dataplane: sidecar for this stage",
        },
    },
};
