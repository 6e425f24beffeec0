/**
 * The `cluster` section: where the workshop runs, a new EKS cluster or a cluster you have.
 */
import { z } from "zod";
import { DNS_LABEL, IAM_PRINCIPAL_ARN, INSTANCE_TYPE, REGION, bool, cidr, intIn, oneOf, prefixLength, quoted, secretArn, section } from "./primitives";

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

export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

export const nodeGroupSchema = section({
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

/** Where the workshop runs: a new EKS cluster, or a cluster you have. */
const clusterMode = oneOf(["eks", "existing"]);

/** An EKS version in standard support, as a quoted string. */
const kubernetesVersion = () =>
    z
            .enum(Object.keys(EKS_STANDARD_SUPPORT_END) as [string, ...string[]], {
                error: (issue) =>
                    typeof issue.input === "number"
                        ? `must be a quoted string (YAML reads 1.30 as the number 1.3); one of ${Object.keys(EKS_STANDARD_SUPPORT_END).map(quoted).join(", ")}`
                        : `must be one of ${Object.keys(EKS_STANDARD_SUPPORT_END).map(quoted).join(", ")} (EKS versions in standard support)`,
            })
            .default(DEFAULT_KUBERNETES_VERSION);

/**
 * The cluster as a component that does not create it knows it: its mode (what
 * the mesh expects of it: an AWS load balancer, enforced NetworkPolicies) and
 * its Kubernetes version. Default: an existing cluster at the default version.
 */
export const clusterFactsSchema = section({
    mode: clusterMode.default("existing"),
    kubernetesVersion: kubernetesVersion(),
});

export const clusterSchema = section({
    /** `eks` creates a VPC and an EKS cluster; `existing` uses a cluster you already have (kind, minikube, ...). */
    mode: clusterMode.default("eks"),
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
    kubernetesVersion: kubernetesVersion(),
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

/** What each key of the section does, by dotted path (the configuration reference and the stack file schema print them). */
export const CLUSTER_DOCS: Readonly<Record<string, string>> = {
    cluster: "Where the workshop runs: a new EKS cluster, or a cluster you already have.",
    "cluster.mode": "`eks` creates a VPC and an EKS cluster; `existing` deploys to a cluster you have (kind, minikube, Docker Desktop) and creates no AWS resource.",
    "cluster.name": "EKS cluster name (eks only); default `istio-workshop-<stack>`.",
    "cluster.region": "AWS region of the VPC and cluster (eks only). A stack file's `aws:region`, if any, must be the same.",
    "cluster.kubernetesVersion": "Kubernetes version of the EKS cluster; quote it (YAML reads 1.30 as 1.3). The plan warns when a version has left EKS standard support (extended support costs six times as much per cluster hour).",
    "cluster.vpcCidr": "The VPC's IPv4 range, /16 to /20 (room for a public and a private subnet per zone).",
    "cluster.availabilityZones": "Zones the VPC and node group span.",
    "cluster.natGateways": "`single` NAT gateway (cheapest) or `onePerAz` (survives the loss of a zone).",
    "cluster.nodeGroup": "The managed node group the workshop runs on.",
    "cluster.nodeGroup.instanceType": "EC2 instance type of the nodes: one of the capacity table (`src/workshop/capacity.ts`), or another with `desiredSize` and `maxSize` pinned.",
    "cluster.nodeGroup.minSize": "Fewest nodes; default sized from the workload (any one of the three sizes you pin is kept).",
    "cluster.nodeGroup.desiredSize": "Nodes to start with; default the capacity estimate for the attendees and lessons; min ≤ desired ≤ max.",
    "cluster.nodeGroup.maxSize": "Most nodes; default the estimate plus 25 %.",
    "cluster.nodeGroup.capacityType": "`on-demand`, or `spot` (cheaper, may be reclaimed mid-workshop).",
    "cluster.nodeGroup.diskSizeGiB": "Encrypted gp3 root volume per node.",
    "cluster.adminCidrs": "**Required for eks**: IPv4 CIDRs that may reach the Kubernetes API endpoint. No default, so the endpoint is never public by accident; `[\"0.0.0.0/0\"]` makes it public on purpose (IAM authentication still applies, and the plan warns).",
    "cluster.adminPrincipalArns": "IAM roles or users given cluster-admin through EKS access entries (the identity that runs `up` is admin already).",
    "cluster.controlPlaneLogs": "EKS control-plane log types sent to CloudWatch.",
    "cluster.protect": "Protect the EKS cluster from deletion; default true in every stack but `dev` (eks only). `destroy` then refuses until `pulumi state unprotect`.",
    "cluster.imageCache": "`ecr`: ECR pull-through cache rules for the registries the stack's images come from, every such image pulled through them (eks only); `none`: images pulled from their registries.",
    "cluster.imageCacheCredentials": "Secrets Manager secrets (names starting `ecr-pullthroughcache/`) with the credentials ECR needs to cache a registry; without one, that registry's images are pulled directly.",
    "cluster.imageCacheCredentials.docker.io": "Docker Hub credentials secret ARN.",
    "cluster.imageCacheCredentials.ghcr.io": "GitHub Container Registry credentials secret ARN.",
    "cluster.kubeconfig": "Path to the kubeconfig (existing only); default `$KUBECONFIG` or `~/.kube/config`.",
    "cluster.context": "**Required for existing**: the kubeconfig context to deploy to, never whatever is current; `npm run up` prints it and refuses one the kubeconfig does not have.",
};
