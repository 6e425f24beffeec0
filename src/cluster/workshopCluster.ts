/**
 * The cluster the workshop runs on.
 *
 * `mode: eks`: a dedicated VPC, an EKS cluster (API authentication, OIDC
 * provider, Secrets encrypted with a KMS key, control-plane logs, standard
 * support only), a managed node group on IMDSv2, the Istio port rules, and a
 * Kubernetes provider built from the cluster's kubeconfig.
 * `mode: existing`: only a Kubernetes provider for the kubeconfig/context given;
 * no AWS resource at all.
 */
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import type { ClusterEndpoint } from "../model/platform";
import {
    EC2_ASSUME_ROLE_POLICY,
    NODE_POLICIES,
    adminAccessEntries,
    awsTags,
    capacityType,
    endpointFromKubeconfig,
    launchTemplateSpec,
    nextSteps,
    nodeGroupScaling,
    vpcSpec,
} from "./clusterSpec";
import { cacheRepositories, cacheRules, nodeImagePolicy, pullThroughPolicy } from "./imageCache";
import type { ImageCache } from "../model/imageCache";
import { ISTIO_PORT_RULES, ingressRuleSpecs } from "./istioPorts";
import { type ClusterConfig } from "../settings/schema";
import { resolveWorkshop, type ClusterSizing } from "../workshop/resolve";
import { PROJECT, parseClusterSettings } from "../settings/parse";

export interface WorkshopClusterArgs {
    /**
     * The cluster, as a stack file's `cluster` section (docs/configuration.md): `mode`, and
     * `adminCidrs` for eks or `context` for existing (required), every other key optional,
     * with its default. Validated on its own: a mistake is a `SettingsError` naming the key.
     */
    readonly cluster: ClusterConfig;
    /**
     * What the cluster is built for: the node group's sizes (where `cluster.nodeGroup` does not
     * pin them) and the images an image cache covers, from a resolved workshop (`resolveWorkshop(...).cluster`).
     * Default: sized for one namespace of the default lessons and addons.
     */
    readonly sizing?: ClusterSizing;
    /** Names the cluster by default (`istio-workshop-<stack>`); default the Pulumi stack's name. */
    readonly stack?: string;
    /** The AWS profile of the cluster's AWS provider and of its kubeconfig's token command; default the environment's credentials. */
    readonly awsProfile?: string;
}

export class WorkshopCluster extends pulumi.ComponentResource {
    /** Kubernetes provider every Kubernetes object of the stack must use. */
    readonly provider: k8s.Provider;
    /** Kubeconfig of the EKS cluster (secret); undefined for `mode: existing`. */
    readonly kubeconfig?: pulumi.Output<string>;
    readonly clusterName: pulumi.Output<string>;
    readonly region?: pulumi.Output<string>;
    /** Security-group rules Istio needs; whatever installs Istio depends on them. Empty for `mode: existing`. */
    readonly istioPortRules: pulumi.Resource[];
    readonly nextSteps: pulumi.Output<string[]>;
    /** API server address and CA, for the attendees' kubeconfigs; undefined when they cannot be read. */
    readonly endpoint: pulumi.Output<ClusterEndpoint | undefined>;
    /** The ECR pull-through cache images go through (`cluster.imageCache: ecr`); undefined otherwise. */
    readonly imageCache: pulumi.Output<ImageCache | undefined>;

    constructor(name: string, args: WorkshopClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-workshop:cluster:WorkshopCluster", name, {}, opts);
        const stack = args.stack ?? pulumi.getStack();
        const own = parseClusterSettings(args.cluster, { stack });
        const sizing = args.sizing ?? resolveWorkshop({ cluster: args.cluster }, stack).cluster;
        // What cluster.nodeGroup pins wins; the rest comes from the sizing.
        const ng = own.nodeGroup;
        const sizes = { minSize: ng.minSize ?? sizing.nodeGroup.minSize, desiredSize: ng.desiredSize ?? sizing.nodeGroup.desiredSize, maxSize: ng.maxSize ?? sizing.nodeGroup.maxSize };
        const c = { ...own, nodeGroup: { ...ng, ...sizes } };
        const settings = { project: PROJECT, stack, cluster: c, ...(args.awsProfile !== undefined ? { awsProfile: args.awsProfile } : {}) };
        this.nextSteps = pulumi.output(nextSteps(settings));

        if (c.mode === "existing") {
            this.provider = new k8s.Provider(
                `${name}-k8s`,
                { kubeconfig: c.kubeconfig, context: c.context, enableServerSideApply: true },
                { parent: this },
            );
            this.clusterName = pulumi.output(c.context ?? "current kubeconfig context");
            this.endpoint = pulumi.output(localEndpoint(c.kubeconfig, c.context));
            this.istioPortRules = [];
            this.imageCache = pulumi.output<ImageCache | undefined>(undefined);
            this.registerOutputs({ clusterName: this.clusterName });
            return;
        }

        const awsProvider = new aws.Provider(
            `${name}-aws`,
            { region: c.region as aws.Region, ...(settings.awsProfile ? { profile: settings.awsProfile } : {}), defaultTags: { tags: awsTags(settings) } },
            { parent: this },
        );
        const awsOpts = { parent: this, provider: awsProvider };

        const vpc = new awsx.ec2.Vpc(`${name}-vpc`, vpcSpec(c), { parent: this, providers: { aws: awsProvider } });

        const secretsKey = new aws.kms.Key(
            `${name}-secrets-key`,
            { description: `Envelope encryption of Kubernetes Secrets in ${c.name}`, enableKeyRotation: true, deletionWindowInDays: 7 },
            awsOpts,
        );

        const cluster = new eks.Cluster(
            `${name}-eks`,
            {
                name: c.name,
                version: c.kubernetesVersion,
                upgradePolicy: { supportType: "STANDARD" },
                vpcId: vpc.vpcId,
                publicSubnetIds: vpc.publicSubnetIds,
                privateSubnetIds: vpc.privateSubnetIds,
                nodeAssociatePublicIpAddress: false,
                skipDefaultNodeGroup: true,
                authenticationMode: eks.AuthenticationMode.Api,
                accessEntries: adminAccessEntries(c.adminPrincipalArns),
                createOidcProvider: true,
                endpointPublicAccess: true,
                endpointPrivateAccess: true,
                publicAccessCidrs: c.adminCidrs,
                encryptionConfigKeyArn: secretsKey.arn,
                enabledClusterLogTypes: c.controlPlaneLogs,
                // The VPC CNI's network policy agent: NetworkPolicies are enforced, not just stored.
                vpcCniOptions: { enableNetworkPolicy: true },
                // The kubeconfig's token command (`aws eks get-token`) uses the stack's aws:profile too.
                ...(settings.awsProfile ? { providerCredentialOpts: { profileName: settings.awsProfile } } : {}),
            },
            // Losing the cluster loses the classroom: protected in every stack but dev (cluster.protect).
            { parent: this, providers: { aws: awsProvider }, protect: c.protect },
        );

        const nodeRole = new aws.iam.Role(`${name}-node-role`, { assumeRolePolicy: EC2_ASSUME_ROLE_POLICY }, awsOpts);
        const policyAttachments = Object.entries(NODE_POLICIES).map(
            ([key, policyArn]) => new aws.iam.RolePolicyAttachment(`${name}-node-${key}`, { role: nodeRole.name, policyArn }, awsOpts),
        );

        // With cluster.imageCache: ecr, a pull-through cache rule per upstream registry, and the nodes' right to fill it.
        const rules = cacheRules(c, sizing.images);
        const repositories = cacheRepositories(sizing.images, rules.map((r) => r.registry));
        const account = aws.getCallerIdentityOutput({}, { parent: this, provider: awsProvider }).accountId;
        // What the nodes may pull from ECR: EKS's images and, in this account, the stack's cached images only.
        const imagePulls = new aws.iam.RolePolicy(`${name}-node-image-pulls`, { role: nodeRole.name, policy: account.apply((a) => nodeImagePolicy(c.region, a, repositories)) }, awsOpts);
        const cacheResources: pulumi.Resource[] = [imagePulls];
        if (rules.length > 0) {
            for (const { registry: _, ...rule } of rules) {
                cacheResources.push(new aws.ecr.PullThroughCacheRule(`${name}-cache-${rule.ecrRepositoryPrefix}`, rule, awsOpts));
            }
            cacheResources.push(
                new aws.iam.RolePolicy(
                    `${name}-node-pull-through`,
                    { role: nodeRole.name, policy: account.apply((a) => pullThroughPolicy(c.region, a, repositories)) },
                    awsOpts,
                ),
            );
            this.imageCache = account.apply((a) => ({ host: `${a}.dkr.ecr.${c.region}.amazonaws.com`, registries: rules.map((r) => r.registry) }));
        } else {
            this.imageCache = pulumi.output<ImageCache | undefined>(undefined);
        }

        const launchTemplate = new aws.ec2.LaunchTemplate(
            `${name}-node-template`,
            { ...launchTemplateSpec(c), vpcSecurityGroupIds: [cluster.nodeSecurityGroupId] },
            awsOpts,
        );

        const nodeGroup = new eks.ManagedNodeGroup(
            `${name}-nodes`,
            {
                cluster,
                nodeRole,
                subnetIds: vpc.privateSubnetIds,
                instanceTypes: [c.nodeGroup.instanceType],
                capacityType: capacityType(c),
                scalingConfig: nodeGroupScaling(c),
                launchTemplate: { id: launchTemplate.id, version: pulumi.interpolate`${launchTemplate.latestVersion}` },
            },
            { parent: this, providers: { aws: awsProvider }, dependsOn: [cluster, ...policyAttachments, ...cacheResources] },
        );

        this.istioPortRules = ingressRuleSpecs(`${name}-istio`, ISTIO_PORT_RULES, {
            cluster: cluster.clusterSecurityGroupId,
            nodes: cluster.nodeSecurityGroupId,
        }).map(({ name: ruleName, ...rule }) => new aws.vpc.SecurityGroupIngressRule(ruleName, rule, awsOpts));

        this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
        this.endpoint = cluster.kubeconfigJson.apply((k) => endpointFromKubeconfig(JSON.parse(k)));
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: this.kubeconfig, enableServerSideApply: true },
            // Kubernetes objects wait for nodes to exist: Helm releases wait for pods.
            { parent: this, dependsOn: [nodeGroup] },
        );
        this.clusterName = pulumi.output(c.name);
        this.region = pulumi.output(c.region);
        this.registerOutputs({ kubeconfig: this.kubeconfig, clusterName: this.clusterName, region: this.region });
    }
}

/** The endpoint of an existing cluster, from the kubeconfig file the Kubernetes provider also reads. */
function localEndpoint(file: string | undefined, context: string | undefined): ClusterEndpoint | undefined {
    const candidate = file ?? process.env.KUBECONFIG?.split(path.delimiter)[0] ?? path.join(os.homedir(), ".kube", "config");
    try {
        return endpointFromKubeconfig(YAML.parse(fs.readFileSync(candidate, "utf8")), context);
    } catch {
        return undefined;
    }
}
