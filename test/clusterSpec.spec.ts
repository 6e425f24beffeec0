import { strict as assert } from "assert";
import { adminAccessEntries, awsTags, capacityType, launchTemplateSpec, nextSteps, vpcSpec } from "../src/cluster/clusterSpec";
import { EKS_RAW, settingsFor } from "./helpers";

describe("cluster spec (pure)", () => {
    const dev = settingsFor(EKS_RAW, "dev");

    it("builds a two-zone VPC with one NAT gateway and load-balancer subnet tags", () => {
        assert.deepEqual(vpcSpec(dev.cluster), {
            cidrBlock: "10.0.0.0/16",
            numberOfAvailabilityZones: 2,
            enableDnsHostnames: true,
            enableDnsSupport: true,
            natGateways: { strategy: "Single" },
            subnetStrategy: "Auto",
            subnetSpecs: [
                { type: "Public", tags: { "kubernetes.io/role/elb": "1" } },
                { type: "Private", tags: { "kubernetes.io/role/internal-elb": "1" } },
            ],
        });
    });

    it("switches to one NAT gateway per zone", () => {
        const s = settingsFor({ cluster: { ...EKS_RAW.cluster, natGateways: "onePerAz", availabilityZones: 3 } });
        assert.deepEqual(vpcSpec(s.cluster).natGateways, { strategy: "OnePerAz" });
        assert.equal(vpcSpec(s.cluster).numberOfAvailabilityZones, 3);
    });

    it("requires IMDSv2 with hop limit 1 and an encrypted root volume", () => {
        const lt = launchTemplateSpec(dev.cluster);
        assert.deepEqual(lt.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" });
        assert.deepEqual(lt.blockDeviceMappings, [
            { deviceName: "/dev/xvda", ebs: { volumeSize: 50, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } },
        ]);
    });

    it("maps capacity types and admin principals", () => {
        assert.equal(capacityType(dev.cluster), "ON_DEMAND");
        assert.equal(capacityType(settingsFor({ cluster: { ...EKS_RAW.cluster, nodeGroup: { capacityType: "spot" } } }).cluster), "SPOT");
        assert.deepEqual(adminAccessEntries(["arn:aws:iam::123456789012:role/admins"]), {
            "admin-1": {
                principalArn: "arn:aws:iam::123456789012:role/admins",
                accessPolicies: {
                    admin: { policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", accessScope: { type: "cluster" } },
                },
            },
        });
    });

    it("tags every AWS resource with project and stack", () => {
        assert.deepEqual(awsTags(dev), { "istio-workshop:project": "istio-workshop", "istio-workshop:stack": "dev", "managed-by": "pulumi" });
    });

    it("tells the user what to run next, per mode", () => {
        assert.equal(nextSteps(dev)[0], "aws eks update-kubeconfig --region eu-west-1 --name istio-workshop-dev");
        assert.deepEqual(nextSteps(settingsFor({ cluster: { mode: "existing", context: "kind-ws" } })), [
            "kubectl --context kind-ws get nodes",
            "kubectl --context kind-ws get pods -n istio-system",
        ]);
    });
});
