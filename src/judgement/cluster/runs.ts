/**
 * The runs of `npm run test:cluster`: which stack file each applies to the real control plane, with which keys
 * changed for the run, and what it does once the class is up.
 */
import type { RecoverySpec } from "./recovery";
import { AMBIENT_STAGES, STAGES } from "../../settings/stages";

/** A run: a stack file of this project, with keys changed for the run. */
export interface ClusterRun {
    readonly name: string;
    readonly stack: string;
    readonly overrides?: Readonly<Record<string, unknown>>;
    /** After the class is up: one attendee's route broken by hand, the class moved on, the edit undone (`recovery.ts`). */
    readonly recovery?: RecoverySpec;
    /** After the class is up: the class moved through these keys, one `up` each (`walk.ts`), e.g. a lesson's stages. */
    readonly walk?: readonly Readonly<Record<string, unknown>>[];
}

/** Moves through every stage of a lesson but the one the stack starts at, in teaching order. */
const stagesOf = (lesson: string, names: readonly string[], start: string) => names.filter((n) => n !== start).map((stage) => ({ apps: { [lesson]: { stage } } }));

/** What `npm run test:cluster` runs without `--stack`: the local stack with every lesson, with Gateway API ingress, ambient (its lesson, bookinfo, a classroom), two sidecar classrooms. */
export const CLUSTER_RUNS: readonly ClusterRun[] = [
    { name: "local-every-lesson", stack: "local", overrides: { apps: { mtls: true, tcp: true, egress: true } } },
    { name: "local-gateway-api", stack: "local", overrides: { istio: { ingress: { api: "gateway-api" } } } },
    // The ambient lesson applied at its start (traffic-shift), then walked through its other stages, in order.
    { name: "ambient", stack: "ambient", walk: stagesOf("ambient", STAGES.ambient.names, STAGES.ambient.default) },
    // bookinfo in ambient mode (its routes HTTPRoutes on a waypoint) at its default stage, then through the others it runs there.
    { name: "ambient-bookinfo", stack: "ambient", overrides: { apps: { ambient: false, bookinfo: true } }, walk: stagesOf("bookinfo", AMBIENT_STAGES.bookinfo!.runs, STAGES.bookinfo.default) },
    // An ambient classroom of three: ztunnel's HBONE across their isolation, waypoints an admission rail keeps to their shape.
    { name: "ambient-classroom", stack: "ambient", overrides: { attendees: ["ana", "ben", "cyd"] } },
    // Attendees' own HTTPRoutes on the shared Gateway, held to its admission rail by the API server (myApp at tls: both listeners).
    { name: "local-classroom-gateway-api", stack: "local", overrides: { attendees: ["ana", "ben", "cyd"], istio: { ingress: { api: "gateway-api" } }, apps: { myApp: { stage: "tls" } } } },
    {
        name: "local-classroom",
        stack: "local",
        overrides: {
            attendees: ["ana", "ben", "cyd", "di"],
            apps: { tcp: true },
            // ben at authz (allow-nothing beside the namespace's other lessons), di at ratings-delay (jason's 7 s): the
            // stages the classroom's certain failures were in.
            classroom: {
                stages: {
                    ben: { bookinfo: "authz", helloworld: "round-robin", tcp: "all-v1" },
                    cyd: { bookinfo: "rate-limit", grpc: "no-sidecar" },
                    di: { bookinfo: "ratings-delay", myApp: "tls", tcp: "v1-v2-80-20" },
                },
            },
        },
        // ana sends her reviews route to v2 by hand; the class moves helloworld to round-robin (ben is there already:
        // his release is not touched).
        recovery: { attendee: "ana", route: { name: "reviews", wrongSubset: "v2" }, move: { apps: { helloworld: { stage: "round-robin" } } } },
    },
];

/**
 * Runs `npm run test:cluster -- --run <name>` offers besides the default ones: the shipped `workshop` classroom
 * (20 attendees, every lesson at its default stage, m6i.xlarge) in existing-cluster mode (about six minutes on two
 * cores).
 */
export const EXTRA_CLUSTER_RUNS: readonly ClusterRun[] = [
    { name: "workshop-classroom", stack: "local", overrides: { attendees: 20, cluster: { nodeGroup: { instanceType: "m6i.xlarge" } } } },
];
