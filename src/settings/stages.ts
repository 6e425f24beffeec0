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
