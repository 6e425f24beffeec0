/**
 * The `apps` section: which lessons run, at which stage, with which routes.
 */
import { z } from "zod";
import { bool, dnsName, intIn, labels, numberIn, oneOf, section, urlPath } from "./primitives";
import { LESSONS_ON_BY_DEFAULT, STAGES, type LessonKey } from "./stages";

/** Routing rules one host may have: far above any lesson, well below what bloats every proxy's route table. */
export const MAX_RULES_PER_HOST = 50;

/** One routing rule: an optional match, then weights per subset or a destination service. */
export const routeRuleSchema = section({
    match: section({
        sourceLabels: labels("labels of the calling pods").optional(),
        prefix: urlPath().optional(),
        /** The whole path, exactly; at most one of prefix and exact. */
        exact: urlPath().optional(),
        headers: z
            .record(z.string().regex(/^[A-Za-z0-9-]+$/, { error: "must be an HTTP header name" }), z.string({ error: "must be a string" }), {
                error: "must be a mapping of header names to exact values",
            })
            .optional(),
    })
        .superRefine((m, ctx) => {
            if (m.prefix !== undefined && m.exact !== undefined) {
                ctx.addIssue({ code: "custom", path: ["exact"], input: m.exact, message: "give either match.prefix or match.exact, not both" });
            }
        })
        .optional(),
    weights: z.record(dnsName("a subset name"), intIn(0, 100), { error: "must be a mapping of subset names to percentages" }).optional(),
    to: dnsName("a service in the scenario").optional(),
});

/** A stage of a lesson, by name: one of the lesson's own (`src/settings/stages.ts`). */
export const stageOf = (lesson: LessonKey) => oneOf(STAGES[lesson].names as unknown as [string, ...string[]]);

/** A lesson: `true`/`false`, or a mapping that also sets its stage and overrides its routes and subsets. */
export const scenarioSchema = (lesson: LessonKey) =>
    z
        .union(
            [
                bool(),
                section({
                    enabled: bool().default(true),
                    /** The stage the class is at; default: the lesson's own (its end state). */
                    stage: stageOf(lesson).default(STAGES[lesson].default),
                    /** Routes per host (a service, or `gateway`), replacing the lesson's defaults for that host. */
                    routes: z
                        .record(
                            z.string(),
                            z
                                .array(routeRuleSchema)
                                .min(1, { error: "must list at least one rule" })
                                .max(MAX_RULES_PER_HOST, { error: `must list at most ${MAX_RULES_PER_HOST} rules per host (every proxy that calls the host holds them all)` }),
                            { error: "must be a mapping of hosts to rule lists" },
                        )
                        .optional(),
                    /** Subsets per host, replacing the lesson's defaults for that host. */
                    subsets: z
                        .record(z.string(), z.record(dnsName("a subset name"), labels("pod labels of the subset")), { error: "must be a mapping of hosts to subsets" })
                        .optional(),
                }),
            ],
            { error: "must be true, false or a mapping { enabled, routes, subsets }" },
        )
        .default(LESSONS_ON_BY_DEFAULT.includes(lesson))
        .transform((a) => (typeof a === "boolean" ? { enabled: a, stage: STAGES[lesson].default as string } : a));

export const appsSchema = section({
    /** Namespace of the demo apps when there are no attendees. */
    namespace: dnsName("a namespace").default("demo"),
    /**
     * Hands-on: the stack deploys the workloads and Services; the attendee applies each stage's
     * routing objects from the hand-out and runs the checks.
     */
    handsOn: bool().default(false),
    traffic: section({
        enabled: bool().default(true),
        /** Requests per second each traffic generator sends. */
        requestsPerSecond: numberIn(0.1, 50).default(1),
    }).prefault({}),
    verify: section({
        enabled: bool().default(true),
        /** Requests each verification Job sends. */
        requests: intIn(20, 10000).default(100),
    }).prefault({}),
    helloworld: scenarioSchema("helloworld"),
    bookinfo: scenarioSchema("bookinfo"),
    myApp: scenarioSchema("myApp"),
    grpc: scenarioSchema("grpc"),
    /** Istio's mutual-TLS migration task (off unless turned on). */
    mtls: scenarioSchema("mtls"),
    /** Istio's TCP traffic-shifting task (off unless turned on). */
    tcp: scenarioSchema("tcp"),
    /** Istio's egress-control tasks against an in-cluster stand-in host (off unless turned on). */
    egress: scenarioSchema("egress"),
    /** Istio's ambient Getting Started on bookinfo (off unless turned on; needs istio.dataplane: ambient and istio.ingress.api: gateway-api). */
    ambient: scenarioSchema("ambient"),
});

/** What each key of the section does, by dotted path (the configuration reference and the stack file schema print them); `<lesson>` stands for every lesson. */
export const APPS_DOCS: Readonly<Record<string, string>> = {
    apps: "The lessons: which run, at which stage, with which routes.",
    "apps.namespace": "Namespace of the lessons without attendees; not `default`, `kube-*` or `istio-*`.",
    "apps.handsOn": "The stack deploys workloads and Services only; attendees apply each stage's routing and policy objects from their hand-out and start the checks (docs/classroom.md).",
    "apps.traffic": "Traffic generators.",
    "apps.traffic.enabled": "Traffic generators on or off.",
    "apps.traffic.requestsPerSecond": "Requests per second per generator.",
    "apps.verify": "Verification Jobs.",
    "apps.verify.enabled": "Verification Jobs on or off.",
    "apps.verify.requests": "Requests per check (more requests, tighter tolerance).",
    "apps.<lesson>": "The lesson on or off, or a mapping (`enabled`, `stage`, `routes`, `subsets`). The seed lessons are on by default, the others off.",
    "apps.<lesson>.enabled": "The lesson on or off.",
    "apps.<lesson>.stage": "The class's stage of the lesson (docs/lessons.md walks each).",
    "apps.<lesson>.routes": "Per host (a Service of the lesson, or `gateway`): at most 50 rules `{ match: { sourceLabels, prefix, exact, headers }, weights: { <subset>: <percent> }, to: <service> }` replacing the stage's routes for that host; weights add up to 100.",
    "apps.<lesson>.subsets": "Per host: `{ <subset>: { <label>: <value> } }` replacing that host's subsets.",
};
