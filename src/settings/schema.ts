/**
 * The whole of a stack file's `istio-workshop` keys: every section, and the rules
 * that need more than one section. Every optional key has its default in its
 * section; docs/configuration.md is generated from them.
 */
import { z } from "zod";
import { section } from "./primitives";
import { clusterFactsSchema, clusterSchema } from "./cluster";
import { istioSchema } from "./istio";
import { addonsSchema, exposedUis, type ExposedUi } from "./addons";
import { appsSchema } from "./apps";
import { AMBIENT_LESSONS, AMBIENT_STAGES, LESSON_KEYS } from "./stages";
import { ADDON_NAMESPACES, ADDON_PATH_WORDS, RESERVED_NAMESPACES, SYSTEM_NAMESPACE, namesDomain, attendeesSchema, classroomSchema } from "./classroom";

/** Every section but the cluster's, each with its defaults. */
const SECTIONS = {
    istio: istioSchema.prefault({}),
    addons: addonsSchema.prefault({}),
    apps: appsSchema.prefault({}),
    attendees: attendeesSchema,
    classroom: classroomSchema.prefault({}),
};
const sections = z.object(SECTIONS);

/** What the rules across sections read: every section, and of the cluster only its mode. */
type CrossSections = z.output<typeof sections> & { readonly cluster: { readonly mode: "eks" | "existing" } };

/** A stack file's `istio-workshop` keys: every section, checked on its own and across sections. */
export const rawSchema = section({ cluster: clusterSchema.prefault({}), ...SECTIONS })
    .superRefine((s, ctx) => {
        crossSectionRules(s, ctx);
        // A whole stack's lessons and class (a component's sections leave them at their defaults, which it does not run).
        if (s.istio.dataplane === "ambient") ambientRules(s, ctx);
        else ambientLessonRules(s, ctx);
        if (s.istio.ingress.api === "gateway-api") gatewayApiRules(s, ctx);
    })
    .transform(withExposedUis);

/**
 * The keys a component that does not create the cluster takes: every section
 * but the cluster's, which is only the facts it needs (`clusterFactsSchema`),
 * under the same rules across sections; what is left out takes its default.
 */
export const componentSchema = section({ cluster: clusterFactsSchema.prefault({}), ...SECTIONS })
    .superRefine((s, ctx) => crossSectionRules(s, ctx))
    .transform(withExposedUis);

/** `addons.expose` resolved to the list of UIs the gateway serves (its default reads the class: `exposedUis`). */
function withExposedUis<S extends { readonly addons: z.output<typeof addonsSchema>; readonly attendees: z.output<typeof attendeesSchema> }>(
    s: S,
): Omit<S, "addons"> & { readonly addons: Omit<z.output<typeof addonsSchema>, "expose"> & { readonly expose: readonly ExposedUi[] } } {
    const addons = { ...s.addons, expose: exposedUis(s.addons, attendeeIds(s.attendees).length) };
    return { ...s, addons };
}

/** The rules that need more than one section, each naming the key it refuses. */
function crossSectionRules(s: CrossSections, ctx: z.RefinementCtx): void {
    if (SYSTEM_NAMESPACE.test(s.apps.namespace)) {
        ctx.addIssue({
            code: "custom",
            path: ["apps", "namespace"],
            input: s.apps.namespace,
            message: "names a namespace the stack or Kubernetes owns (default, kube-*, istio-*): pick one of the lessons' own, such as \"demo\"",
        });
    }
    // An ACM certificate lives on an AWS load balancer. (Exposed UIs are over TLS either way: ended there, or by the
    // gateway itself with the workshop CA's certificate.)
    const loadBalancer = (s.istio.ingress.serviceType ?? (s.cluster.mode === "eks" ? "LoadBalancer" : "NodePort")) === "LoadBalancer" && s.cluster.mode === "eks";
    if (s.istio.ingress.certificateArn !== undefined && !loadBalancer) {
        ctx.addIssue({
            code: "custom",
            path: ["istio", "ingress", "certificateArn"],
            input: s.istio.ingress.certificateArn,
            message: "needs the AWS load balancer: cluster.mode eks with istio.ingress.serviceType LoadBalancer",
        });
    }
    const ids = new Set(attendeeIds(s.attendees));
    for (const id of Object.keys(s.classroom.stages)) {
        if (!ids.has(id)) {
            ctx.addIssue({
                code: "custom",
                path: ["classroom", "stages", id],
                input: s.classroom.stages[id],
                message: `names no attendee of this stack (attendees: ${[...ids].slice(0, 5).join(", ")}${ids.size > 5 ? ", …" : ""}${ids.size === 0 ? "none" : ""})`,
            });
        }
    }
    // A stage for one attendee in a lesson the stack turns off would move nothing: refused rather than ignored.
    for (const [id, stages] of Object.entries(s.classroom.stages)) {
        for (const [lesson, stage] of Object.entries(stages)) {
            if (stage !== undefined && !s.apps[lesson as (typeof LESSON_KEYS)[number]].enabled) {
                ctx.addIssue({ code: "custom", path: ["classroom", "stages", id, lesson], input: stage, message: `moves ${id} in a lesson this stack turns off: set apps.${lesson}: true, or remove classroom.stages.${id}.${lesson}` });
            }
        }
    }
    // Stages that need something of the mesh besides the lesson: refused for the class and for every attendee moved there.
    const stageNeeds = (lesson: "egress" | "myApp", stage: string, message: string) => {
        if (s.apps[lesson].stage === stage) ctx.addIssue({ code: "custom", path: ["apps", lesson, "stage"], input: stage, message });
        for (const [id, stages] of Object.entries(s.classroom.stages)) {
            if (stages[lesson] === stage) ctx.addIssue({ code: "custom", path: ["classroom", "stages", id, lesson], input: stage, message });
        }
    };
    // The egress-gateway stage routes through the platform's egress gateway: the mesh must have one.
    if (s.apps.egress.enabled && !s.istio.egressGateway) {
        stageNeeds("egress", "egress-gateway", "needs istio.egressGateway: true (the platform's egress gateway the stage's calls leave through)");
    }
    // The tls stage needs the gateway to end TLS itself, which it does unless the load balancer does (an ACM certificate).
    if (s.apps.myApp.enabled && s.istio.ingress.certificateArn !== undefined) {
        stageNeeds(
            "myApp",
            "tls",
            "needs the gateway to end TLS itself, with the workshop CA's certificate; with istio.ingress.certificateArn set the load balancer ends TLS instead: remove it, or keep myApp at stage gateway",
        );
    }
    if (!Array.isArray(s.attendees)) return;
    s.attendees.forEach((id, i) => {
        if (RESERVED_NAMESPACES.includes(id) || /^(kube|istio)-/.test(id) || id === s.apps.namespace) {
            ctx.addIssue({
                code: "custom",
                path: ["attendees", i],
                input: id,
                message: `names a namespace the stack or Kubernetes already uses (${[...RESERVED_NAMESPACES, "kube-*", "istio-*", "apps.namespace"].join(", ")})`,
            });
        }
        if (ADDON_NAMESPACES.includes(id)) {
            ctx.addIssue({ code: "custom", path: ["attendees", i], input: id, message: `names the namespace a well-known add-on installs into (${ADDON_NAMESPACES.join(", ")})` });
        }
        if (namesDomain(id)) {
            ctx.addIssue({
                code: "custom",
                path: ["attendees", i],
                input: id,
                message: `is a top-level domain or special-use name: cluster DNS answers a pod's lookup of <name>.${id} (say github.${id}) with Service <name> of namespace ${id} before the real one, so that attendee would answer every pod's; choose another id (a first name with a letter or digit more, e.g. ${id}1)`,
            });
        }
        const word = ADDON_PATH_WORDS.find((w) => id.startsWith(w));
        if (word !== undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["attendees", i],
                input: id,
                message: `starts like the gateway path /${word} of an addon: attendee ids may not start with ${ADDON_PATH_WORDS.join(", ")}`,
            });
        }
    });
}

/**
 * What ambient mode runs, each refusal naming its key: the ambient lessons and bookinfo's ambient form need Gateway
 * API ingress (their gateway routes are HTTPRoutes), one of them per namespace (both run bookinfo's Services);
 * bookinfo's stages a waypoint cannot carry are refused with why (`AMBIENT_STAGES`), for the class and per attendee;
 * the other lessons written for sidecars are refused (their stages route, fail, retry and check with the Envoy
 * beside each workload, which ambient has not).
 */
function ambientRules(s: CrossSections, ctx: z.RefinementCtx): void {
    const issue = (path: (string | number)[], input: unknown, message: string) => ctx.addIssue({ code: "custom", path, input, message });
    const on = LESSON_KEYS.filter((k) => s.apps[k].enabled);
    for (const lesson of on) {
        const form = AMBIENT_STAGES[lesson];
        if ((AMBIENT_LESSONS.includes(lesson) || form) && s.istio.ingress.api !== "gateway-api") {
            issue(["apps", lesson], true, `routes from the gateway with HTTPRoutes in ambient mode (Istio's ambient Getting Started): set istio.ingress.api: gateway-api with apps.${lesson}`);
        }
        if (AMBIENT_LESSONS.includes(lesson)) {
            // Both teach on bookinfo's Services: one namespace holds one of them.
            for (const other of on.filter((k) => AMBIENT_STAGES[k])) issue(["apps", lesson], true, `runs bookinfo's Services, as apps.${other} does, in the same namespace: turn one of them off`);
            continue;
        }
        if (form) {
            const refuse = (path: (string | number)[], stage: string) => {
                if (form.refused[stage] !== undefined) issue(path, stage, `${form.refused[stage]} (in ambient mode ${lesson} runs ${form.runs.join(", ")})`);
            };
            refuse(["apps", lesson, "stage"], s.apps[lesson].stage);
            for (const [id, stages] of Object.entries(s.classroom.stages)) if (stages[lesson] !== undefined) refuse(["classroom", "stages", id, lesson], stages[lesson]!);
            Object.entries(s.apps[lesson].routes ?? {}).forEach(([host, rules]) =>
                rules.forEach((rule, i) => {
                    if (rule.match?.sourceLabels !== undefined) issue(["apps", lesson, "routes", host, i, "match", "sourceLabels"], rule.match.sourceLabels, "matches the caller's labels, which an HTTPRoute on a waypoint cannot: in ambient mode match on path or headers");
                }),
            );
            continue;
        }
        ctx.addIssue({
            code: "custom",
            path: ["apps", lesson],
            input: true,
            message: `is written for sidecars (its stages rely on the Envoy beside each workload, which istio.dataplane: ambient does not inject): set apps.${lesson}: false with ambient, or keep istio.dataplane: sidecar`,
        });
    }
}

/** The ambient lessons outside ambient mode: each refused, naming its key. */
function ambientLessonRules(s: CrossSections, ctx: z.RefinementCtx): void {
    for (const lesson of LESSON_KEYS.filter((k) => AMBIENT_LESSONS.includes(k) && s.apps[k].enabled)) {
        ctx.addIssue({ code: "custom", path: ["apps", lesson], input: true, message: `is written for ambient mode (ztunnel, waypoints): set istio.dataplane: ambient with apps.${lesson}, or apps.${lesson}: false` });
    }
}

/**
 * What Gateway API ingress does not carry, each refused naming its key: gateway rules Gateway API cannot express
 * (subsets, caller labels).
 */
function gatewayApiRules(s: CrossSections, ctx: z.RefinementCtx): void {
    const issue = (path: (string | number)[], input: unknown, message: string) => ctx.addIssue({ code: "custom", path, input, message });
    for (const lesson of LESSON_KEYS) {
        (s.apps[lesson].routes?.gateway ?? []).forEach((rule, i) => {
            if (rule.weights !== undefined) issue(["apps", lesson, "routes", "gateway", i, "weights"], rule.weights, "splits by subset, which Gateway API routes do not have (they send to Services): with istio.ingress.api: gateway-api route to a Service with to");
            if (rule.match?.sourceLabels !== undefined) issue(["apps", lesson, "routes", "gateway", i, "match", "sourceLabels"], rule.match.sourceLabels, "matches the caller's labels, which an HTTPRoute cannot: with istio.ingress.api: gateway-api match on path or headers");
        });
    }
}

type Parsed = z.output<typeof rawSchema>;

/** The attendee ids of the `attendees` setting, in order: a list as given, a count as attendee-01 … */
export function attendeeIds(attendees: z.output<typeof attendeesSchema>): string[] {
    if (Array.isArray(attendees)) return [...attendees];
    return Array.from({ length: attendees }, (_, i) => `attendee-${String(i + 1).padStart(2, "0")}`);
}
export type Settings = Omit<Parsed, "cluster" | "istio"> & {
    readonly project: string;
    readonly stack: string;
    /** The AWS profile of the stack file's `aws:profile`: the stack's AWS provider and its kubeconfig's token command use it. */
    readonly awsProfile?: string;
    readonly cluster: Parsed["cluster"] & { readonly name: string; readonly protect: boolean };
    readonly istio: Omit<Parsed["istio"], "ingress"> & {
        readonly ingress: Parsed["istio"]["ingress"] & { readonly serviceType: "LoadBalancer" | "NodePort" };
    };
};
export type ClusterSettings = Settings["cluster"];
export type IstioSettings = Settings["istio"];

/** A whole workshop: the keys a stack file sets under `istio-workshop:` (every one optional but the cluster's required ones). */
export type WorkshopConfig = z.input<typeof rawSchema>;
export type ClusterConfig = NonNullable<WorkshopConfig["cluster"]>;
export type IstioConfig = NonNullable<WorkshopConfig["istio"]>;
export type AddonsConfig = NonNullable<WorkshopConfig["addons"]>;
export type AppsConfig = NonNullable<WorkshopConfig["apps"]>;
export type ClassroomConfig = NonNullable<WorkshopConfig["classroom"]>;
export type AttendeesConfig = WorkshopConfig["attendees"];
/** What a component that does not create the cluster takes: every section, and of the cluster its facts. */
export type ComponentConfig = z.input<typeof componentSchema>;
/** The cluster's facts: its `mode` and `kubernetesVersion`. */
export type ClusterFacts = z.output<typeof clusterFactsSchema>;
/** What a component's settings hold: every section with its defaults, and the cluster's facts. */
export type ComponentSettings = Omit<Settings, "cluster" | "project" | "stack" | "awsProfile"> & { readonly cluster: ClusterFacts };
