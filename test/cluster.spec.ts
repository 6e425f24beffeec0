import { strict as assert } from "assert";
import { WorkshopCluster } from "../src/cluster/workshopCluster";
import { recordProgram } from "../src/judgement/plan/recorder";
import { type Plan } from "../src/judgement/plan/plan";
import { EKS_RAW, cloudMocks, names, resource } from "./helpers";
import { type ClusterConfig, type WorkshopConfig } from "../src/settings/schema";
import { resolveWorkshop } from "../src/workshop/resolve";

async function planCluster(raw: Record<string, unknown>): Promise<Plan> {
    return recordProgram({
        project: "istio-workshop",
        stack: "test",
        config: {},
        preview: false,
        mocks: cloudMocks,
        program: () => {
            const c = new WorkshopCluster("ws", { cluster: raw.cluster as ClusterConfig, stack: "test", sizing: resolveWorkshop(raw as WorkshopConfig, "test").cluster });
            return { kubeconfig: c.kubeconfig, clusterName: c.clusterName };
        },
    });
}

describe("WorkshopCluster on EKS (mocks)", () => {
    let plan: Plan;
    before(async () => {
        plan = await planCluster({ cluster: { ...EKS_RAW.cluster, adminPrincipalArns: ["arn:aws:iam::123456789012:role/admins"] } });
    });

    it("registers exactly the cluster's resources, named after the component", () => {
        assert.deepEqual(
            plan.resources.map((r) => `${r.type} ${r.name}`),
            [
                "istio-workshop:cluster:WorkshopCluster ws",
                "aws:ec2/launchTemplate:LaunchTemplate ws-node-template",
                "aws:iam/role:Role ws-node-role",
                "aws:iam/rolePolicy:RolePolicy ws-node-image-pulls",
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment ws-node-cni",
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment ws-node-worker",
                "aws:kms/key:Key ws-secrets-key",
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule ws-istio-webhook",
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule ws-istio-xds",
                "awsx:ec2:Vpc ws-vpc",
                "eks:index:Cluster ws-eks",
                "eks:index:ManagedNodeGroup ws-nodes",
                "pulumi:providers:aws ws-aws",
                "pulumi:providers:kubernetes ws-k8s",
            ],
        );
    });

    it("parents every child to the component and gives every AWS resource the stack's AWS provider", () => {
        const component = resource(plan, "ws");
        const awsProvider = resource(plan, "ws-aws");
        for (const r of plan.resources.filter((r) => r !== component)) {
            assert.equal(r.parent, component.urn, r.name);
            const isAws = r.type.startsWith("aws:") || r.type.startsWith("awsx:") || r.type.startsWith("eks:");
            assert.equal(r.provider, isAws ? awsProvider.urn : null, r.name);
        }
        assert.deepEqual(awsProvider.inputs.region, "eu-west-1");
    });

    it("opens 15017 and 15012 into the node security group from the cluster security group, after the cluster", () => {
        for (const [name, port] of [["ws-istio-webhook", 15017], ["ws-istio-xds", 15012]] as const) {
            const rule = resource(plan, name);
            assert.equal(rule.inputs.securityGroupId, "sg-nodes");
            assert.equal(rule.inputs.referencedSecurityGroupId, "sg-cluster");
            assert.equal(rule.inputs.fromPort, port);
            assert.equal(rule.inputs.toPort, port);
            assert.equal(rule.inputs.ipProtocol, "tcp");
            assert.equal(rule.inputs.cidrIpv4, undefined);
            assert.deepEqual(names(rule.dependsOn), ["ws-eks"]);
        }
    });

    it("creates the EKS cluster in the VPC with API auth, OIDC, encrypted Secrets, logs, standard support and enforced NetworkPolicies", () => {
        const eks = resource(plan, "ws-eks");
        assert.deepEqual(eks.inputs, {
            accessEntries: {
                "admin-1": {
                    accessPolicies: {
                        admin: { accessScope: { type: "cluster" }, policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" },
                    },
                    principalArn: "arn:aws:iam::123456789012:role/admins",
                },
            },
            authenticationMode: "API",
            createOidcProvider: true,
            enabledClusterLogTypes: ["api", "audit", "authenticator"],
            encryptionConfigKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k1",
            endpointPrivateAccess: true,
            endpointPublicAccess: true,
            name: "istio-workshop-test",
            nodeAssociatePublicIpAddress: false,
            privateSubnetIds: ["subnet-priv-a", "subnet-priv-b"],
            publicAccessCidrs: ["203.0.113.4/32"],
            publicSubnetIds: ["subnet-pub-a", "subnet-pub-b"],
            skipDefaultNodeGroup: true,
            upgradePolicy: { supportType: "STANDARD" },
            version: "1.35",
            // The VPC CNI add-on with its network policy agent (the SDK adds its conflict defaults).
            vpcCniOptions: { enableNetworkPolicy: true, resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "OVERWRITE" },
            vpcId: "vpc-1",
        });
        assert.deepEqual(names(eks.dependsOn), ["ws-secrets-key", "ws-vpc"]);
    });

    it("runs the managed nodes in private subnets from an IMDSv2 launch template in the node security group", () => {
        const nodes = resource(plan, "ws-nodes");
        assert.deepEqual(nodes.inputs, {
            capacityType: "ON_DEMAND",
            cluster: resource(plan, "ws-eks").urn,
            instanceTypes: ["t3.large"],
            launchTemplate: { id: "ws-node-template-id", version: "3" },
            nodeRole: resource(plan, "ws-node-role").urn,
            scalingConfig: { desiredSize: 2, maxSize: 3, minSize: 2 },
            subnetIds: ["subnet-priv-a", "subnet-priv-b"],
        });
        assert.deepEqual(names(nodes.dependsOn), ["ws-eks", "ws-node-cni", "ws-node-image-pulls", "ws-node-template", "ws-node-worker", "ws-vpc"]);
        const lt = resource(plan, "ws-node-template");
        assert.deepEqual(lt.inputs.vpcSecurityGroupIds, ["sg-nodes"]);
        assert.equal((lt.inputs.metadataOptions as Record<string, unknown>).httpTokens, "required");
    });

    it("builds the Kubernetes provider from the cluster's kubeconfig, as a secret, once nodes exist", () => {
        const k8s = resource(plan, "ws-k8s");
        assert.equal(k8s.inputs.kubeconfig, "[secret]");
        assert.deepEqual(names(k8s.dependsOn), ["ws-eks", "ws-nodes"]);
        assert.deepEqual(plan.outputs, { clusterName: "istio-workshop-test", kubeconfig: "[secret]" });
    });
});

describe("WorkshopCluster on an existing cluster (mocks)", () => {
    it("creates no AWS resource, only a Kubernetes provider for the given kubeconfig and context", async () => {
        const plan = await planCluster({ cluster: { mode: "existing", kubeconfig: "/home/me/.kube/kind", context: "kind-ws" } });
        assert.deepEqual(
            plan.resources.map((r) => `${r.type} ${r.name}`),
            ["istio-workshop:cluster:WorkshopCluster ws", "pulumi:providers:kubernetes ws-k8s"],
        );
        assert.deepEqual(resource(plan, "ws-k8s").inputs, { context: "kind-ws", enableServerSideApply: "true", kubeconfig: "/home/me/.kube/kind" });
        assert.deepEqual(plan.outputs, { clusterName: "kind-ws" });
    });
});
