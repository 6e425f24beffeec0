/**
 * Stack settings: the only module that reads stack config.
 *
 * `parseSettings(raw)` is pure: it takes the project's config keys (without the
 * `istio-workshop:` namespace) and returns typed settings with every default
 * resolved, or throws one `SettingsError` that lists every problem, each naming
 * the key, the value received and what is allowed.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { LESSONS_ON_BY_DEFAULT, LESSON_KEYS, STAGES, type LessonKey } from "./stages";

export const PROJECT = "istio-workshop";

/**
 * EKS Kubernetes versions this program accepts, with the last day of EKS
 * standard support (checked 2026-11-22). After that day a cluster runs on
 * extended support, which AWS bills at six times the standard control-plane
 * price; the cluster is created with upgradePolicy STANDARD so it is upgraded
 * rather than silently moved to extended support.
 */
export const EKS_STANDARD_SUPPORT_END: Readonly<Record<string, string | undefined>> = {
    "1.33": "2026-07-29",
    "1.34": "2026-12-02",
    "1.35": "2027-03-27",
    "1.36": undefined, // released on EKS in 2026; 14 months of standard support from its EKS release
};
export const DEFAULT_KUBERNETES_VERSION = "1.35";
export const DEFAULT_ISTIO_VERSION = "1.30.3";

const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

// ---------------------------------------------------------------------------
// Small schema builders: each carries the "what is allowed" half of its error.

const quoted = (v: unknown) => JSON.stringify(v);

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
    return z.enum(values, { error: `must be one of ${values.map(quoted).join(", ")}` });
}

function intIn(min: number, max: number) {
    const error = `must be an integer from ${min} to ${max}`;
    return z.int({ error }).min(min, { error }).max(max, { error });
}

function numberIn(min: number, max: number) {
    const error = `must be a number from ${min} to ${max}`;
    return z.number({ error }).min(min, { error }).max(max, { error });
}

const bool = () => z.boolean({ error: "must be true or false" });

const cidr = () => z.cidrv4({ error: "must be an IPv4 CIDR such as 203.0.113.4/32" });

/** A strict mapping: unknown keys are errors that list the keys allowed. */
function section<S extends z.ZodRawShape>(shape: S) {
    const allowed = Object.keys(shape).join(", ");
    return z.strictObject(shape, {
        error: (issue) =>
            issue.code === "unrecognized_keys"
                ? `unknown key (allowed keys: ${allowed})`
                : `must be a mapping with the keys ${allowed}`,
    });
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const ACM_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:ecr-pullthroughcache\/[\w+=,.@/-]+$/;
const secretArn = () =>
    z
        .string({ error: "must be a Secrets Manager secret ARN whose name starts with ecr-pullthroughcache/" })
        .regex(SECRET_ARN, { error: "must be a Secrets Manager secret ARN whose name starts with ecr-pullthroughcache/" });
const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:(role|user|assumed-role)\/[\w+=,.@/-]+$/;

// ---------------------------------------------------------------------------
// The schema. Every optional key has its default here; docs/configuration.md is generated from it.

const nodeGroupSchema = section({
    /** EC2 instance type of the workers. */
    instanceType: z
        .string({ error: "must be an EC2 instance type such as \"t3.large\"" })
        .regex(INSTANCE_TYPE, { error: "must be an EC2 instance type such as \"t3.large\"" })
        .default("t3.large"),
    /** Node counts: pin them, or leave them out and they are sized from the workload (`src/workshop/capacity.ts`). */
    minSize: intIn(1, 100).optional(),
    desiredSize: intIn(1, 100).optional(),
    maxSize: intIn(1, 100).optional(),
    /** `on-demand` or `spot` (cheaper, may be reclaimed mid-workshop). */
    capacityType: oneOf(["on-demand", "spot"]).default("on-demand"),
    /** Encrypted gp3 root volume size per node. */
    diskSizeGiB: intIn(20, 1000).default(50),
})
    .superRefine((ng, ctx) => {
        if (ng.minSize !== undefined && ng.desiredSize !== undefined && ng.minSize > ng.desiredSize) {
            ctx.addIssue({
                code: "custom",
                path: ["minSize"],
                input: ng.minSize,
                message: `must not exceed nodeGroup.desiredSize (${ng.desiredSize})`,
            });
        }
        if (ng.desiredSize === undefined && ng.minSize !== undefined && ng.maxSize !== undefined && ng.minSize > ng.maxSize) {
            ctx.addIssue({
                code: "custom",
                path: ["minSize"],
                input: ng.minSize,
                message: `must not exceed nodeGroup.maxSize (${ng.maxSize})`,
            });
        }
        if (ng.desiredSize !== undefined && ng.maxSize !== undefined && ng.desiredSize > ng.maxSize) {
            ctx.addIssue({
                code: "custom",
                path: ["desiredSize"],
                input: ng.desiredSize,
                message: `must not exceed nodeGroup.maxSize (${ng.maxSize})`,
            });
        }
    });

const clusterSchema = section({
    /** `eks` creates a VPC and an EKS cluster; `existing` uses a cluster you already have (kind, minikube, ...). */
    mode: oneOf(["eks", "existing"]).default("eks"),
    /** EKS cluster name; default `<project>-<stack>`. */
    name: z
        .string({ error: "must be a DNS label of 1 to 100 characters" })
        .max(100, { error: "must be a DNS label of 1 to 100 characters" })
        .regex(DNS_LABEL, { error: "must be a DNS label of 1 to 100 characters (a-z, 0-9, '-')" })
        .optional(),
    region: z
        .string({ error: "must be an AWS region such as \"eu-west-1\"" })
        .regex(REGION, { error: "must be an AWS region such as \"eu-west-1\"" })
        .default("eu-west-1"),
    kubernetesVersion: z
        .enum(Object.keys(EKS_STANDARD_SUPPORT_END) as [string, ...string[]], {
            error: (issue) =>
                typeof issue.input === "number"
                    ? `must be a quoted string (YAML reads 1.30 as the number 1.3); one of ${Object.keys(EKS_STANDARD_SUPPORT_END).map(quoted).join(", ")}`
                    : `must be one of ${Object.keys(EKS_STANDARD_SUPPORT_END).map(quoted).join(", ")} (EKS versions in standard support)`,
        })
        .default(DEFAULT_KUBERNETES_VERSION),
    vpcCidr: cidr()
        .refine((c) => prefixLength(c) >= 16 && prefixLength(c) <= 20, {
            error: "must be an IPv4 CIDR from /16 to /20 (room for a public and a private subnet per zone)",
        })
        .default("10.0.0.0/16"),
    availabilityZones: intIn(2, 4).default(2),
    /** `single` NAT gateway (cheapest) or `onePerAz` (survives the loss of a zone). */
    natGateways: oneOf(["single", "onePerAz"]).default("single"),
    nodeGroup: nodeGroupSchema.prefault({}),
    /**
     * Who may reach the Kubernetes API endpoint. Required for `mode: eks`: there is
     * no default, so the endpoint is never public by accident.
     */
    adminCidrs: z.array(cidr(), { error: "must be a list of IPv4 CIDRs" }).min(1, { error: "must list at least one CIDR" }).optional(),
    /** IAM roles or users given cluster-admin through EKS access entries (the creator is admin already). */
    adminPrincipalArns: z
        .array(
            z
                .string({ error: "must be an IAM role or user ARN" })
                .regex(IAM_PRINCIPAL_ARN, { error: "must be an IAM role or user ARN such as arn:aws:iam::123456789012:role/admins" }),
            { error: "must be a list of IAM role or user ARNs" },
        )
        .default([]),
    /** EKS control-plane log types sent to CloudWatch. */
    controlPlaneLogs: z
        .array(oneOf(CONTROL_PLANE_LOG_TYPES), { error: `must be a list drawn from ${CONTROL_PLANE_LOG_TYPES.map(quoted).join(", ")}` })
        .default(["api", "audit", "authenticator"]),
    /** Protect the EKS cluster from deletion (default: every stack but `dev`); `pulumi destroy` then refuses until unprotected. */
    protect: bool().optional(),
    /**
     * `ecr`: an ECR pull-through cache rule per upstream registry the stack's images come from
     * (and ECR supports), every such image pulled through it; `none`: images pulled from their registries.
     */
    imageCache: oneOf(["none", "ecr"]).default("none"),
    /** Secrets Manager ARNs (`ecr-pullthroughcache/...`) of the credentials ECR needs for Docker Hub and GitHub. */
    imageCacheCredentials: section({
        "docker.io": secretArn().optional(),
        "ghcr.io": secretArn().optional(),
    }).prefault({}),
    /** `mode: existing` only: path to a kubeconfig file; default: $KUBECONFIG or ~/.kube/config. */
    kubeconfig: z.string({ error: "must be a path to a kubeconfig file" }).min(1, { error: "must be a path to a kubeconfig file" }).optional(),
    /** `mode: existing` only, and required there: the kubeconfig context to deploy to (never whatever is current). */
    context: z.string({ error: "must be a kubeconfig context name" }).min(1, { error: "must be a kubeconfig context name" }).optional(),
}).superRefine((c, ctx) => {
    const required = (key: string, message: string) => ctx.addIssue({ code: "custom", path: [key], params: { missing: true }, message });
    if (c.mode === "eks" && c.adminCidrs === undefined) {
        required(
            "adminCidrs",
            'is required when cluster.mode is "eks": list the CIDRs that may reach the Kubernetes API, e.g. ["203.0.113.4/32"]; ' +
                'write ["0.0.0.0/0"] to make the endpoint public on purpose (IAM authentication still applies)',
        );
    }
    if (c.mode === "existing" && c.context === undefined) {
        required(
            "context",
            'is required when cluster.mode is "existing": name the kubeconfig context to deploy to, e.g. "kind-istio-workshop" (`kubectl config get-contexts` lists them); the current context is never assumed',
        );
    }
    const eksOnly = { adminCidrs: c.adminCidrs, name: c.name, protect: c.protect, imageCache: c.imageCache === "ecr" ? c.imageCache : undefined } as const;
    const existingOnly = { kubeconfig: c.kubeconfig, context: c.context } as const;
    const misplaced = c.mode === "eks" ? existingOnly : eksOnly;
    for (const [key, value] of Object.entries(misplaced)) {
        if (value !== undefined) {
            ctx.addIssue({
                code: "custom",
                path: [key],
                input: value,
                message: `only applies when cluster.mode is "${c.mode === "eks" ? "existing" : "eks"}" (mode is "${c.mode}")`,
            });
        }
    }
});

const istioSchema = section({
    /** One Istio version for every Istio chart. */
    version: z
        .string({ error: "must be an Istio release version such as \"1.30.3\"" })
        .regex(SEMVER, { error: "must be an Istio release version such as \"1.30.3\"" })
        .default(DEFAULT_ISTIO_VERSION),
    /** Mesh-wide mutual TLS mode. */
    mtls: oneOf(["STRICT", "PERMISSIVE", "DISABLE"]).default("STRICT"),
    egressGateway: bool().default(false),
    accessLogs: bool().default(true),
    ingress: section({
        /** `LoadBalancer` (an AWS network load balancer on EKS) or `NodePort` (kind, minikube); default by cluster mode. */
        serviceType: oneOf(["LoadBalancer", "NodePort"]).optional(),
        /** Who may reach the gateway's load balancer on ports 80 and 443. */
        sourceCidrs: z.array(cidr(), { error: "must be a list of IPv4 CIDRs" }).min(1, { error: "must list at least one CIDR" }).default(["0.0.0.0/0"]),
        httpNodePort: intIn(30000, 32767).default(30080),
        httpsNodePort: intIn(30000, 32767).default(30443),
        /**
         * An ACM certificate for the load balancer's 443 listener (TLS ends at the load balancer):
         * required by `addons.expose`, so the UIs' logins never cross the internet in clear text.
         */
        certificateArn: z.string({ error: "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)" }).regex(ACM_ARN, { error: "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)" }).optional(),
    })
        .superRefine((i, ctx) => {
            if (i.httpNodePort === i.httpsNodePort) {
                ctx.addIssue({ code: "custom", path: ["httpsNodePort"], input: i.httpsNodePort, message: "must differ from istio.ingress.httpNodePort" });
            }
        })
        .prefault({}),
    tracing: section({
        /** Share of requests traced, in percent. */
        samplingPercent: numberIn(0, 100).default(100),
    }).prefault({}),
});

/**
 * Pinned addon versions: Helm chart versions for Prometheus, Grafana and Kiali,
 * the image tag for Jaeger (plain Kubernetes objects).
 */
export const ADDON_VERSIONS = {
    prometheus: "27.42.2", // prometheus-community/prometheus chart (Prometheus 3.7)
    grafana: "11.6.1", // grafana-community/grafana chart (Grafana 12.4)
    jaeger: "2.17.0", // jaegertracing/jaeger image (Jaeger v2)
    kiali: "2.29.0", // kiali/kiali-server chart (the newest in kiali.org's chart index)
} as const;

/** An addon: `true`/`false`, or `{ enabled, version }` to pin another version. */
function addonSchema(version: string) {
    const versionSchema = z
        .string({ error: "must be a version such as \"1.2.3\"" })
        .regex(SEMVER, { error: "must be a version such as \"1.2.3\"" })
        .default(version);
    return z
        .union([bool(), section({ enabled: bool().default(true), version: versionSchema })], {
            error: 'must be true, false or a mapping { enabled, version }',
        })
        .default(true)
        .transform((a) => (typeof a === "boolean" ? { enabled: a, version } : a));
}

const addonsSchema = section({
    prometheus: addonSchema(ADDON_VERSIONS.prometheus),
    grafana: addonSchema(ADDON_VERSIONS.grafana),
    jaeger: addonSchema(ADDON_VERSIONS.jaeger),
    kiali: addonSchema(ADDON_VERSIONS.kiali),
    /** Serve Kiali, Grafana and Jaeger through the ingress gateway, each behind a login (never Prometheus). */
    expose: bool().default(false),
}).superRefine((a, ctx) => {
    for (const needsPrometheus of ["kiali", "grafana"] as const) {
        if (a[needsPrometheus].enabled && !a.prometheus.enabled) {
            ctx.addIssue({
                code: "custom",
                path: ["prometheus"],
                input: false,
                message: `must stay enabled while addons.${needsPrometheus} is enabled (it reads every graph from Prometheus)`,
            });
        }
    }
});

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const labels = (what: string) =>
    z.record(
        z.string().regex(LABEL_KEY, { error: `must be a Kubernetes label key (${what})` }),
        z.string({ error: "must be a Kubernetes label value" }).regex(LABEL_VALUE, { error: "must be a Kubernetes label value" }),
        { error: `must be a mapping of label keys to values (${what})` },
    );
const dnsName = (what: string) =>
    z.string({ error: `must be a DNS label (${what})` }).max(63, { error: `must be a DNS label (${what})` }).regex(DNS_LABEL, { error: `must be a DNS label (${what})` });

const urlPath = () => z.string({ error: "must be a URL path starting with /" }).regex(/^\/[^\s]*$/, { error: "must be a URL path starting with /" });

/** Routing rules one host may have: far above any lesson, well below what bloats every proxy's route table. */
export const MAX_RULES_PER_HOST = 50;

/** One routing rule: an optional match, then weights per subset or a destination service. */
const routeRuleSchema = section({
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
const stageOf = (lesson: LessonKey) => oneOf(STAGES[lesson].names as unknown as [string, ...string[]]);

/** A lesson: `true`/`false`, or a mapping that also sets its stage and overrides its routes and subsets. */
const scenarioSchema = (lesson: LessonKey) =>
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

const appsSchema = section({
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
});

/** Settings accept up to this many; what one cluster holds is smaller and depends on the instance type (the plan warns). */
const MAX_ATTENDEES = 1000;
/** Namespaces an attendee id (which names the attendee's namespace) must not take. */
const RESERVED_NAMESPACES = ["default", "demo"];
/** Namespaces the stack or Kubernetes owns: never the apps' namespace. */
const SYSTEM_NAMESPACE = /^(kube|istio)-|^default$/;
/** The paths the exposed UIs (and Prometheus) take on the gateway: no attendee's path may start like them. */
export const ADDON_PATH_WORDS = ["kiali", "grafana", "jaeger", "prometheus"] as const;
const attendeeId = z
    .string({ error: "must be a DNS label" })
    .max(40, { error: "must be at most 40 characters (it prefixes Kubernetes names)" })
    .regex(DNS_LABEL, { error: "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit" });

const attendeesSchema = z
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
const attendeeStagesSchema = z
    .record(
        z.string(),
        section(Object.fromEntries(LESSON_KEYS.map((k) => [k, stageOf(k).optional()])) as Record<LessonKey, z.ZodOptional<ReturnType<typeof stageOf>>>),
        { error: "must map attendee ids to { <lesson>: <stage> }" },
    )
    .default({});

const classroomSchema = section({
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

export const rawSchema = section({
    cluster: clusterSchema.prefault({}),
    istio: istioSchema.prefault({}),
    addons: addonsSchema.prefault({}),
    apps: appsSchema.prefault({}),
    attendees: attendeesSchema,
    classroom: classroomSchema.prefault({}),
}).superRefine((s, ctx) => {
    if (SYSTEM_NAMESPACE.test(s.apps.namespace)) {
        ctx.addIssue({
            code: "custom",
            path: ["apps", "namespace"],
            input: s.apps.namespace,
            message: "names a namespace the stack or Kubernetes owns (default, kube-*, istio-*): pick one of the lessons' own, such as \"demo\"",
        });
    }
    // TLS ends at an AWS load balancer, so a certificate needs one, and exposed UIs need a certificate.
    const loadBalancer = (s.istio.ingress.serviceType ?? (s.cluster.mode === "eks" ? "LoadBalancer" : "NodePort")) === "LoadBalancer" && s.cluster.mode === "eks";
    if (s.istio.ingress.certificateArn !== undefined && !loadBalancer) {
        ctx.addIssue({
            code: "custom",
            path: ["istio", "ingress", "certificateArn"],
            input: s.istio.ingress.certificateArn,
            message: "needs the AWS load balancer: cluster.mode eks with istio.ingress.serviceType LoadBalancer",
        });
    }
    if (s.addons.expose && s.istio.ingress.certificateArn === undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["addons", "expose"],
            input: true,
            message: loadBalancer
                ? "needs istio.ingress.certificateArn (an ACM certificate for the load balancer's 443 listener): the UIs' logins never cross the internet in clear text; or keep it false and open the UIs with the portForwards output"
                : "serves the UIs over TLS only, which needs the AWS load balancer (cluster.mode eks) and istio.ingress.certificateArn; on this cluster keep it false and open the UIs with the portForwards output",
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
});

type Parsed = z.output<typeof rawSchema>;

/** The attendee ids of the `attendees` setting, in order: a list as given, a count as attendee-01 … */
export function attendeeIds(attendees: Parsed["attendees"]): string[] {
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

// ---------------------------------------------------------------------------

/** A user mistake in stack config: Pulumi prints its message without a stack trace. */
export class SettingsError extends pulumi.RunError {
    constructor(
        readonly source: string,
        readonly problems: readonly string[],
    ) {
        super(`Invalid stack config (${source}):\n${problems.map((p) => ` - ${p}`).join("\n")}`);
        this.name = "SettingsError";
    }
}

export interface ParseContext {
    /** Stack name: names the cluster by default. */
    readonly stack: string;
    /** Where the config came from, for the error message. */
    readonly source?: string;
}

/** Validates raw config (keys without namespace) and resolves every default. */
export function parseSettings(raw: Record<string, unknown>, context: ParseContext): Settings {
    const forbidden = forbiddenKeys(raw);
    if (forbidden.length > 0) throw new SettingsError(context.source ?? `Pulumi.${context.stack}.yaml`, forbidden);
    const result = rawSchema.safeParse(raw, { reportInput: true });
    if (!result.success) {
        throw new SettingsError(context.source ?? `Pulumi.${context.stack}.yaml`, result.error.issues.flatMap(describeIssue));
    }
    const parsed = result.data;
    return {
        ...parsed,
        project: PROJECT,
        stack: context.stack,
        cluster: {
            ...parsed.cluster,
            name: parsed.cluster.name ?? `${PROJECT}-${context.stack}`.slice(0, 100),
            protect: parsed.cluster.protect ?? (parsed.cluster.mode === "eks" && context.stack !== "dev"),
        },
        istio: {
            ...parsed.istio,
            ingress: {
                ...parsed.istio.ingress,
                serviceType: parsed.istio.ingress.serviceType ?? (parsed.cluster.mode === "eks" ? "LoadBalancer" : "NodePort"),
            },
        },
    };
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
    // A value of the union's mapping form that breaks inside: say what inside, not that the union failed.
    if (issue.code === "invalid_union" && typeof issue.input === "object" && issue.input !== null) {
        const inner = issue.errors.find((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
        if (inner) return inner.flatMap((i) => describeIssue({ ...i, path: [...issue.path, ...i.path] } as z.core.$ZodIssue));
    }
    if (issue.code === "unrecognized_keys") {
        return issue.keys.map(
            (key) => `${keyPath([...issue.path, key])}: ${issue.message}, got ${render((issue.input as Record<string, unknown> | undefined)?.[key])}`,
        );
    }
    const key = issue.path.length > 0 ? keyPath(issue.path) : "(top level)";
    const missing = issue.code === "custom" && issue.params?.missing === true;
    const got = missing ? "" : issue.input !== undefined ? `, got ${render(issue.input)}` : ", got nothing";
    return [`${key}: ${issue.message}${got}`];
}

/** `cluster.adminCidrs[0]`: the way the key reads in a stack file. */
function keyPath(path: readonly PropertyKey[]): string {
    return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

function render(value: unknown): string {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function prefixLength(c: string): number {
    return Number(c.split("/")[1]);
}

/** Reads this project's keys from the stack config and parses them. */
export function loadSettings(): Settings {
    return settingsFromConfig(pulumi.runtime.allConfig(), { stack: pulumi.getStack() });
}

/** This project's keys of a full config map, decoded: the plain config the components take. */
export function projectConfig(config: Record<string, string>): Record<string, unknown> {
    const prefix = `${PROJECT}:`;
    return Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), decodeConfigValue(v)]));
}

/**
 * Parses the project's keys out of a full config map (`namespace:key` to string),
 * the form in which the CLI hands stack config to a program.
 */
export function settingsFromConfig(config: Record<string, string>, context: ParseContext): Settings {
    const source = context.source ?? `Pulumi.${context.stack}.yaml`;
    const raw = projectConfig(config);
    const problems: string[] = [];
    const aws: { region?: unknown; profile?: unknown } = {};
    for (const [key, value] of Object.entries(config)) {
        if (key.startsWith(`${PROJECT}:`)) continue;
        // The stack's AWS provider is its own (region from cluster.region): aws:profile is honoured,
        // aws:region must agree with cluster.region, any other aws:* key would be silently ignored, so it is refused.
        if (key === "aws:region" || key === "aws:profile") {
            aws[key === "aws:region" ? "region" : "profile"] = decodeConfigValue(value);
            continue;
        }
        if (key.startsWith("aws:")) {
            problems.push(`${key}: the stack's AWS provider takes only aws:profile (and aws:region equal to ${PROJECT}:cluster.region) from the stack file: set the others through the environment (AWS_*) or remove it`);
            continue;
        }
        const namespace = key.includes(":") ? key.slice(0, key.indexOf(":")) : key;
        if (!PROVIDER_CONFIG_NAMESPACES.includes(namespace)) {
            const near = editDistance(namespace, PROJECT) <= 3 ? ` (did you mean "${PROJECT}"?)` : "";
            problems.push(
                `${key}: unknown config namespace "${namespace}"${near}: this project reads ${PROJECT}:*, and its providers ${PROVIDER_CONFIG_NAMESPACES.map((n) => `${n}:*`).join(", ")}`,
            );
        }
    }
    problems.push(...forbiddenKeys(raw));
    if (problems.length > 0) throw new SettingsError(source, problems);
    const settings = parseSettings(raw, context);
    if (aws.profile !== undefined && (typeof aws.profile !== "string" || aws.profile === "")) throw new SettingsError(source, [`aws:profile: must be the name of an AWS profile, got ${JSON.stringify(aws.profile)}`]);
    if (aws.region !== undefined) {
        const region = settings.cluster.mode === "eks" ? settings.cluster.region : undefined;
        if (aws.region !== region) {
            throw new SettingsError(source, [
                region === undefined
                    ? `aws:region: an existing cluster deploys through its kube context, with no AWS provider: remove aws:region`
                    : `aws:region: ${JSON.stringify(aws.region)} differs from ${PROJECT}:cluster.region ${JSON.stringify(region)}: the stack deploys to cluster.region; remove aws:region or make the two equal`,
            ]);
        }
    }
    return aws.profile === undefined ? settings : { ...settings, awsProfile: aws.profile as string };
}

/** Config namespaces besides the project's that a stack file may set: the providers' and Pulumi's own. */
export const PROVIDER_CONFIG_NAMESPACES: readonly string[] = ["aws", "kubernetes", "eks", "awsx", "random", "pulumi"];

/** Keys JavaScript gives a meaning of their own: a mapping with one would be changed or dropped on the way, never read. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Every key named `__proto__`, `constructor` or `prototype`, anywhere in the config, as a problem. */
export function forbiddenKeys(value: unknown, at = ""): string[] {
    if (Array.isArray(value)) return value.flatMap((v, i) => forbiddenKeys(v, `${at}[${i}]`));
    if (typeof value !== "object" || value === null) return [];
    return Object.keys(value).flatMap((k) => {
        const here = at ? `${at}.${k}` : k;
        return FORBIDDEN_KEYS.has(k)
            ? [`${here}: a key named "${k}" is not allowed (JavaScript would not read it as config)`]
            : forbiddenKeys((value as Record<string, unknown>)[k], here);
    });
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const cur = [i];
        for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = cur;
    }
    return prev[b.length];
}

/** Config values are strings; objects, lists, numbers and booleans are JSON-encoded. */
export function decodeConfigValue(value: string): unknown {
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/** Non-fatal findings worth printing (the plan shows them; `pulumi up` logs them). */
export function settingsWarnings(settings: Settings, today: Date = new Date()): string[] {
    const warnings: string[] = [];
    const c = settings.cluster;
    if (c.mode === "eks") {
        if (c.adminCidrs?.some((x) => prefixLength(x) === 0)) {
            warnings.push(
                "cluster.adminCidrs includes 0.0.0.0/0: the Kubernetes API endpoint is reachable from the whole internet (IAM authentication still applies)",
            );
        }
        const end = EKS_STANDARD_SUPPORT_END[c.kubernetesVersion];
        if (end !== undefined && new Date(`${end}T00:00:00Z`).getTime() < today.getTime()) {
            warnings.push(
                `cluster.kubernetesVersion "${c.kubernetesVersion}" left EKS standard support on ${end}: the cluster will be upgraded by AWS; pick a newer version`,
            );
        }
    }
    return warnings;
}
