/**
 * The `attendees` and `classroom` sections: who attends, at which stages, with which tokens, domain and prices.
 */
import { z } from "zod";
import { DNS_LABEL, INSTANCE_TYPE, intIn, numberIn, section } from "./primitives";
import { LESSON_KEYS, type LessonKey } from "./stages";
import TLDS from "tlds";
import { stageOf } from "./apps";

/** Settings accept up to this many; what one cluster holds is smaller and depends on the instance type (the plan warns). */
export const MAX_ATTENDEES = 1000;
/** Namespaces an attendee id (which names the attendee's namespace) must not take. */
// workshop-external: the egress lesson's stand-in for an outside host (EXTERNAL_NAMESPACE; settings import nothing, a test holds them equal).
export const RESERVED_NAMESPACES = ["default", "demo", "workshop-external"];
/**
 * Namespaces well-known add-ons of EKS and Kubernetes install into: an attendee's namespace of that name would
 * collide with the add-on's the day the organiser installs it (and its RBAC would be the attendee's).
 */
export const ADDON_NAMESPACES = [
    "amazon-cloudwatch", "amazon-guardduty", "aws-observability", "cert-manager", "kubernetes-dashboard", "karpenter", "external-dns",
    "ingress-nginx", "gatekeeper-system", "kyverno", "calico-system", "calico-apiserver", "tigera-operator", "local-path-storage", "monitoring", "argocd", "flux-system",
];
/**
 * Names the cluster's DNS would answer for outside the cluster: a pod's lookup of `<x>.<id>` tries
 * `<x>.<id>.svc.cluster.local` first (the search path, ndots 5), which is Service `x` of namespace `id`. So an
 * attendee named after a top-level domain (IANA's list, the `tlds` package) or a special-use name (RFC 6761,
 * `.internal`, the cluster's own labels) could answer every pod's lookup of `github.com` or `grafana.com`.
 */
export const SPECIAL_USE_NAMES: readonly string[] = ["local", "localhost", "internal", "svc", "cluster", "example", "test", "invalid", "home", "lan", "corp", "intranet", "private"];

/** Whether a name is a top-level domain or a special-use name: what no attendee id may be. */
export function namesDomain(id: string): boolean {
    return TLDS.includes(id) || SPECIAL_USE_NAMES.includes(id);
}
/** Namespaces the stack or Kubernetes owns: never the apps' namespace. */
export const SYSTEM_NAMESPACE = /^(kube|istio)-|^default$/;
/** The paths the exposed UIs (and Prometheus) take on the gateway: no attendee's path may start like them. */
export const ADDON_PATH_WORDS = ["kiali", "grafana", "jaeger", "prometheus"] as const;
const attendeeId = z
    .string({ error: "must be a DNS label" })
    .max(40, { error: "must be at most 40 characters (it prefixes Kubernetes names)" })
    .regex(DNS_LABEL, { error: "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit" });

export const attendeesSchema = z
    .union(
        [
            intIn(0, MAX_ATTENDEES),
            z.array(attendeeId).max(MAX_ATTENDEES, { error: `must list at most ${MAX_ATTENDEES} attendees` }),
        ],
        { error: `must be a number from 0 to ${MAX_ATTENDEES} or a list of attendee ids` },
    )
    .superRefine((a, ctx) => {
        if (!Array.isArray(a)) return;
        const seen = new Set<string>();
        a.forEach((id, i) => {
            if (seen.has(id)) ctx.addIssue({ code: "custom", path: [i], input: id, message: "is a duplicate attendee id" });
            seen.add(id);
        });
    })
    .default(0);

const money = (what: string) => numberIn(0, 1000).describe(what);
const HOSTNAME = /^(?=.{1,200}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/;

/** EKS issues service account tokens for at most a day. */
export const MAX_TOKEN_HOURS = 24;

/** Per attendee, per lesson: a stage other than the class's. */
export const attendeeStagesSchema = z
    .record(
        z.string(),
        section(Object.fromEntries(LESSON_KEYS.map((k) => [k, stageOf(k).optional()])) as Record<LessonKey, z.ZodOptional<ReturnType<typeof stageOf>>>),
        { error: "must map attendee ids to { <lesson>: <stage> }" },
    )
    .default({});

export const classroomSchema = section({
    /** Attendees who are at another stage than the class, lesson by lesson. */
    stages: attendeeStagesSchema,
    /** Hours an attendee's token (minted by `npm run kubeconfigs`) stays valid: one workshop day by default. */
    tokenHours: intIn(1, MAX_TOKEN_HOURS).default(12),
    /** With a domain, each attendee's gateway routes use host `<id>.<domain>` instead of the path prefix `/<id>`. */
    domain: z.string({ error: "must be a DNS domain such as workshop.example.com" }).regex(HOSTNAME, { error: "must be a DNS domain such as workshop.example.com" }).optional(),
    /** Hourly prices in USD, overriding the dated table in src/workshop/capacity.ts. */
    pricing: section({
        controlPlanePerHour: money("EKS control plane").optional(),
        natGatewayPerHour: money("one NAT gateway").optional(),
        loadBalancerPerHour: money("one network load balancer").optional(),
        /** Spot price as a share of the on-demand price. */
        spotShare: numberIn(0.05, 1).optional(),
        instances: z.record(z.string().regex(INSTANCE_TYPE, { error: "must be an EC2 instance type" }), money("instance"), { error: "must map instance types to hourly prices" }).optional(),
    }).prefault({}),
});

/** What each key of the section does, by dotted path (the configuration reference and the stack file schema print them). */
export const CLASSROOM_DOCS: Readonly<Record<string, string>> = {
    attendees: "A count (ids `attendee-01`, …) or a list of unique ids (DNS labels of at most 40 characters, not `default`, `demo`, `workshop-external`, `kube-*`, `istio-*`, `apps.namespace`, a well-known add-on's namespace (`cert-manager`, `amazon-cloudwatch`, …), a top-level domain or special-use name (`com`, `dev`, `bo`, `local`, `internal`: cluster DNS would answer `github.<id>` from the attendee's Service), nor starting with an addon's name). `0` or `[]`: the single lessons namespace. The plan refuses more than one cluster holds.",
    classroom: "The classroom: stages per attendee, tokens, routing by domain, prices.",
    "classroom.stages": "`{ <attendee id>: { <lesson>: <stage> } }`: attendees at another stage than the class.",
    "classroom.tokenHours": "Hours an attendee's token (from `npm run kubeconfigs`) stays valid; EKS issues none for longer than a day.",
    "classroom.domain": "A DNS domain: attendee routes use host `<id>.<domain>` instead of the prefix `/<id>` (point a wildcard record at the gateway).",
    "classroom.pricing": "Prices for the cost estimate, USD.",
    "classroom.pricing.controlPlanePerHour": "EKS control plane per hour; default 0.10.",
    "classroom.pricing.natGatewayPerHour": "NAT gateway per hour; default 0.045.",
    "classroom.pricing.loadBalancerPerHour": "Network load balancer per hour; default 0.0225.",
    "classroom.pricing.spotShare": "Spot price as a share of on-demand; default 0.35.",
    "classroom.pricing.instances": "`{ <instance type>: <USD per hour> }`; default the table in `src/workshop/capacity.ts`.",
};
