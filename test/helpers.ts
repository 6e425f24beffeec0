/** Shared test helpers: settings from raw config, lookups in a recorded plan, mocks with cloud-like outputs. */
import * as pulumi from "@pulumi/pulumi";
import { parseSettings } from "../src/settings/parse";
import { type Settings } from "../src/settings/schema";
import { workshopFrom, type PreparedSettings } from "../src/workshop/resolve";
import { recordProgram } from "../src/judgement/plan/recorder";
import { type Plan, type PlannedResource } from "../src/judgement/plan/plan";

export const EKS_RAW = { cluster: { adminCidrs: ["203.0.113.4/32"] } };
/** An ACM certificate ARN of the documented shape (no certificate exists behind it: nothing is contacted). */
export const TEST_CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0b5d3c1e-8a7f-4e2b-9c6d-1f2e3d4c5b6a";
/** An EKS stack in Istio's ambient mode: the lessons written for sidecars off, as ambient requires. */
export const AMBIENT_RAW = { ...EKS_RAW, istio: { dataplane: "ambient" }, apps: { helloworld: false, bookinfo: false, myApp: false, grpc: false } };
/** The same with the ambient lesson on, as it needs: Gateway API ingress. */
export const AMBIENT_LESSON_RAW = { ...AMBIENT_RAW, istio: { dataplane: "ambient", ingress: { api: "gateway-api" } }, apps: { ...AMBIENT_RAW.apps, ambient: true } };
/** An EKS stack whose UIs are exposed, over TLS as they must be. */
export const EXPOSED_RAW = { ...EKS_RAW, istio: { ingress: { certificateArn: TEST_CERTIFICATE } }, addons: { expose: true } };

export function settingsFor(raw: Record<string, unknown>, stack = "test"): Settings {
    return parseSettings(raw, { stack });
}

/** Settings as the program sees them: checked and sized. */
export function preparedFor(raw: Record<string, unknown>, stack = "test"): PreparedSettings {
    return workshopFrom(settingsFor(raw, stack)).settings;
}

export function resource(plan: Plan, name: string): PlannedResource {
    const found = plan.resources.filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
    return found[0];
}

export const names = (urns: readonly string[]) => urns.map((u) => u.split("::").pop()).sort();

/** Fake ids and outputs the cloud would return, so applies run (preview: false). */
export const cloudMocks: pulumi.runtime.Mocks = {
    newResource: (args) => {
        const outputs: Record<string, Record<string, unknown>> = {
            "awsx:ec2:Vpc": { vpcId: "vpc-1", publicSubnetIds: ["subnet-pub-a", "subnet-pub-b"], privateSubnetIds: ["subnet-priv-a", "subnet-priv-b"] },
            "eks:index:Cluster": { kubeconfigJson: '{"kind":"Config"}', clusterSecurityGroupId: "sg-cluster", nodeSecurityGroupId: "sg-nodes" },
            "aws:kms/key:Key": { arn: "arn:aws:kms:eu-west-1:123456789012:key/k1" },
            "aws:ec2/launchTemplate:LaunchTemplate": { latestVersion: 3 },
            "aws:iam/role:Role": { name: `${args.name}-physical` },
        };
        return { id: `${args.name}-id`, state: { ...args.inputs, ...(outputs[args.type] ?? {}) } };
    },
    call: (args) => (args.token === "aws:index/getCallerIdentity:getCallerIdentity" ? { accountId: "123456789012" } : {}),
};

/**
 * Plans the real program (index.ts) in-process for raw settings, like
 * `npm run plan` does for a stack file. A fresh copy of index.ts each time.
 */
export async function planIndex(raw: Record<string, unknown>, stack = "test", onRequest?: (request: any) => void): Promise<Plan> {
    const config = Object.fromEntries(Object.entries(raw).map(([k, v]) => [`istio-workshop:${k}`, JSON.stringify(v)]));
    return recordProgram({
        project: "istio-workshop",
        stack,
        config,
        preview: true,
        onRequest,
        program: () => {
            const entry = require.resolve("../index");
            delete require.cache[entry];
            return { ...require(entry) };
        },
    });
}
