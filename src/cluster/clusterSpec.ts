/**
 * Pure builders for the cluster part: what the VPC, the EKS cluster and the node
 * group look like for given settings. No resources are created here.
 */
import type { ClusterEndpoint } from "../model/platform";
import type { ClusterSettings, Settings } from "../settings/schema";

/** Tags every AWS resource carries (set once, as provider default tags). */
export function awsTags(settings: Pick<Settings, "project" | "stack">): Record<string, string> {
    return {
        "istio-workshop:project": settings.project,
        "istio-workshop:stack": settings.stack,
        "managed-by": "pulumi",
    };
}

/** Subnet tags that let Kubernetes place internet-facing and internal load balancers. */
export const PUBLIC_SUBNET_TAGS = { "kubernetes.io/role/elb": "1" } as const;
export const PRIVATE_SUBNET_TAGS = { "kubernetes.io/role/internal-elb": "1" } as const;

/** Arguments for `awsx.ec2.Vpc`: public and private subnets in each zone, NAT as chosen. */
export function vpcSpec(c: ClusterSettings) {
    return {
        cidrBlock: c.vpcCidr,
        numberOfAvailabilityZones: c.availabilityZones,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        natGateways: { strategy: c.natGateways === "single" ? ("Single" as const) : ("OnePerAz" as const) },
        subnetStrategy: "Auto" as const,
        subnetSpecs: [
            { type: "Public" as const, tags: { ...PUBLIC_SUBNET_TAGS } },
            { type: "Private" as const, tags: { ...PRIVATE_SUBNET_TAGS } },
        ],
    };
}

/**
 * AWS-managed policies a managed node needs: join the cluster, run the VPC CNI. Not AWS's ECR read-only
 * policy (every repository of the account, to any pod that names one): the nodes' image pulls are
 * `nodeImagePolicy` (`src/cluster/imageCache.ts`).
 */
export const NODE_POLICIES: Readonly<Record<string, string>> = {
    worker: "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    cni: "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
};

export const EC2_ASSUME_ROLE_POLICY = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

export const CLUSTER_ADMIN_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

/** EKS access entries granting cluster-admin to the principals listed in settings. */
export function adminAccessEntries(principalArns: readonly string[]) {
    return Object.fromEntries(
        principalArns.map((principalArn, i) => [
            `admin-${i + 1}`,
            { principalArn, accessPolicies: { admin: { policyArn: CLUSTER_ADMIN_POLICY_ARN, accessScope: { type: "cluster" } } } },
        ]),
    );
}

/**
 * Launch template for the managed nodes: IMDSv2 only with a hop limit of 1 (pods
 * cannot borrow the node's IAM role through the metadata service), an encrypted
 * gp3 root volume. Security groups are added by the component.
 */
export function launchTemplateSpec(c: ClusterSettings) {
    return {
        description: `Managed nodes of ${c.name}: IMDSv2 only, encrypted root volume`,
        updateDefaultVersion: true,
        metadataOptions: {
            httpEndpoint: "enabled",
            httpTokens: "required",
            httpPutResponseHopLimit: 1,
            instanceMetadataTags: "disabled",
        },
        blockDeviceMappings: [
            {
                deviceName: "/dev/xvda",
                ebs: { volumeSize: c.nodeGroup.diskSizeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
            },
        ],
        tagSpecifications: [{ resourceType: "instance", tags: { Name: `${c.name}-node` } }],
    };
}

export function nodeGroupScaling(c: { readonly nodeGroup: { readonly minSize: number; readonly desiredSize: number; readonly maxSize: number } }) {
    return { minSize: c.nodeGroup.minSize, desiredSize: c.nodeGroup.desiredSize, maxSize: c.nodeGroup.maxSize };
}

export function capacityType(c: ClusterSettings): "ON_DEMAND" | "SPOT" {
    return c.nodeGroup.capacityType === "spot" ? "SPOT" : "ON_DEMAND";
}

/** The commands a user runs after `pulumi up`, in order. */
export function nextSteps(settings: Pick<Settings, "stack" | "cluster" | "awsProfile">): string[] {
    const c = settings.cluster;
    const stack = `--stack ${settings.stack}`;
    if (c.mode === "existing") {
        const ctx = c.context ? ` --context ${c.context}` : "";
        return [`kubectl${ctx} get nodes`, `kubectl${ctx} get pods -n istio-system`];
    }
    return [
        `aws eks update-kubeconfig --region ${c.region} --name ${c.name}${settings.awsProfile ? ` --profile ${settings.awsProfile}` : ""}`,
        `# or: npm run -s pulumi -- stack output kubeconfig --show-secrets ${stack} > kubeconfig.json && export KUBECONFIG=$PWD/kubeconfig.json`,
        "kubectl get nodes",
        "kubectl get pods -n istio-system",
    ];
}

/** The API server and its CA from a kubeconfig document (the given context, or the current one). */
export function endpointFromKubeconfig(doc: any, context?: string): ClusterEndpoint | undefined {
    const ctxName = context ?? doc?.["current-context"];
    const ctx = (doc?.contexts ?? []).find((c: any) => c?.name === ctxName)?.context ?? (doc?.contexts?.length === 1 ? doc.contexts[0].context : undefined);
    const cluster = (doc?.clusters ?? []).find((c: any) => c?.name === ctx?.cluster)?.cluster;
    const server = cluster?.server;
    const ca = cluster?.["certificate-authority-data"];
    return typeof server === "string" && typeof ca === "string" ? { server, certificateAuthorityData: ca } : undefined;
}
