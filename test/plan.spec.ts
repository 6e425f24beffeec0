/**
 * The offline plan, run as a user runs it (`npm run plan -- --stack X --json F`),
 * for every stack file shipped in the repository.
 */
import { DEFAULT_ISTIO_VERSION } from "../src/settings/istio";
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Plan } from "../src/judgement/plan/plan";
import { listStacks } from "../src/settings/stackFile";
import { meshGraph } from "../src/judgement/plan/graph";
import { EKS_RAW, planIndex } from "./helpers";
import { renderComment } from "../src/judgement/plan/prComment";

const ROOT = path.resolve(__dirname, "..");
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "iw-plan-"));

function runPlan(args: string[], env: NodeJS.ProcessEnv = {}) {
    const r = spawnSync(process.execPath, ["-r", "sucrase/register/ts", path.join(ROOT, "scripts/plan.ts"), ...args], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, PULUMI_CONFIG: undefined, INIT_CWD: undefined, ...env },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const plans: Record<string, Plan> = {};
const summaries: Record<string, string> = {};
function planFor(stack: string): Plan {
    if (!plans[stack]) {
        const file = path.join(TMP, `${stack}.json`);
        const r = runPlan(["--stack", stack, "--json", file]);
        assert.equal(r.status, 0, `plan of ${stack} failed:\n${r.stderr}`);
        summaries[stack] = r.stdout;
        plans[stack] = JSON.parse(fs.readFileSync(file, "utf8"));
    }
    return plans[stack];
}

const byType = (plan: Plan, type: string) => plan.resources.filter((r) => r.type === type);

describe("offline plan of the shipped stacks", () => {
    it("ships the ambient, dev, local and workshop stack files (a user's own stack files beside them change nothing)", () => {
        const stacks = listStacks(ROOT);
        for (const shipped of ["ambient", "dev", "local", "workshop"]) assert.ok(stacks.includes(shipped), `Pulumi.${shipped}.yaml is missing`);
    });

    for (const stack of listStacks(ROOT)) {
        it(`plans ${stack} offline and writes the documented JSON shape`, () => {
            const plan = planFor(stack);
            assert.deepEqual(Object.keys(plan), ["project", "stack", "resources", "outputs"]);
            assert.equal(plan.stack, stack);
            for (const r of plan.resources) {
                const shape = ["urn", "type", "name", "parent", "custom", "provider", "dependsOn", "inputs"];
                // Objects a Helm release renders (with a chart cache) also name their release.
                assert.deepEqual(Object.keys(r), r.renderedBy ? [...shape, "renderedBy"] : shape);
                for (const dep of r.dependsOn) assert.ok(plan.resources.some((o) => o.urn === dep), `${r.name} depends on unknown ${dep}`);
            }
            assert.match(summaries[stack], new RegExp(`^Offline plan for istio-workshop / ${stack} `));
        });
    }

    it("draws the mesh and writes the pull request's comment for every shipped stack and a class of 300: every attendee's gateway routes, the ambient stack's HTTPRoutes", async function () {
        this.timeout(600_000);
        const plans: [string, Plan][] = [...listStacks(ROOT).map((stack) => [stack, planFor(stack)] as [string, Plan]), ["class-300", await planIndex({ ...EKS_RAW, attendees: 300 }, "class-300")]];
        for (const [stack, plan] of plans) {
            const graph = meshGraph(plan);
            const attendees = plan.resources.filter((r) => r.type === "kubernetes:core/v1:Namespace" && (r.inputs as any).metadata?.labels?.["istio-workshop/attendee"] === "true").map((r) => (r.inputs as any).metadata.name);
            // Every attendee's namespace has its gateway routes drawn (its delegates, in its own subgraph).
            for (const ns of attendees) assert.match(graph, new RegExp(`gateway -- "= /${ns}/productpage" --> ${ns.replace(/-/g, "_")}_productpage`), `${stack}: ${ns}`);
            assert.ok(renderComment([{ stack, head: plan }]).includes("```mermaid"), stack);
        }
        assert.match(meshGraph(planFor("ambient")), /demo_reviews -- "90%" --> demo_reviews_v1\n {2}demo_reviews -- "10%" --> demo_reviews_v2/);
        assert.equal(plans.find(([s]) => s === "workshop")![1].resources.filter((r) => (r.inputs as any).metadata?.labels?.["istio-workshop/attendee"] === "true").length, 20);
    });

    it("prints a first screen of at most 60 lines for every shipped stack, counted rather than listed, ending with the verdict; --verbose lists every resource", () => {
        for (const stack of listStacks(ROOT)) {
            planFor(stack);
            const lines = summaries[stack].trimEnd().split("\n");
            assert.ok(lines.length <= 60, `${stack}: ${lines.length} lines`);
            assert.match(lines.filter((l) => !l.startsWith("Attendee isolation")).pop()!, /^Validation passed: /, stack);
            assert.ok(lines.some((l) => l.startsWith("What it creates: ")) && lines.some((l) => l.startsWith("Capacity and cost")), stack);
        }
        // A class's namespaces, built alike, on one line.
        assert.match(summaries.workshop, /\n {2}attendee-01 … attendee-20 \(20 namespaces\): \d+ objects each \(/);
        const verbose = runPlan(["--stack", "dev", "--verbose"]);
        assert.equal(verbose.status, 0, verbose.stderr);
        assert.match(verbose.stdout, /\n {4}addons-jaeger {2}\(kubernetes:apps\/v1:Deployment\)\n/);
        assert.match(verbose.stdout, /\nOutputs:\n/);
        assert.ok(verbose.stdout.split("\n").length > summaries.dev.split("\n").length);
    });

    it("--quiet says which chart releases deploy unverified without a chart cache; --strict fails when anything was left unchecked", function () {
        const quiet = runPlan(["--stack", "dev", "--quiet"]);
        assert.equal(quiet.status, 0, quiet.stderr);
        const strict = runPlan(["--stack", "dev", "--quiet", "--strict"]);
        // Without a chart cache the releases are not rendered: --strict stops; with one (nothing left unchecked) it passes.
        if (/among them \d+ chart releases? not rendered/.test(quiet.stdout)) {
            assert.match(quiet.stdout, /Not checked: \d+ items, among them \d+ chart releases? not rendered \(no chart cache: `npm run charts`\), which deploy unverified \(`--strict` stops instead\)/);
            assert.equal(strict.status, 1);
            assert.match(strict.stderr, /\n--strict: \d+ items were not checked \(`npm run plan -- --stack dev --verbose` lists them; most need `npm run charts`\): nothing goes on from here/);
        } else assert.equal(strict.status, 0, strict.stderr);
    });

    it("writes --json and --graph where the user typed them: relative to the directory npm run was started in (INIT_CWD), and says where", () => {
        const sub = fs.mkdtempSync(path.join(TMP, "sub-"));
        const r = runPlan(["--stack", "dev", "--quiet", "--json", "out/plan.json", "--graph", "mesh.md"], { INIT_CWD: sub });
        assert.equal(r.status, 0, r.stderr);
        assert.ok(fs.existsSync(path.join(sub, "out", "plan.json")) && fs.existsSync(path.join(sub, "mesh.md")));
        assert.ok(!fs.existsSync(path.join(ROOT, "out", "plan.json")) && !fs.existsSync(path.join(ROOT, "mesh.md")));
        assert.ok(r.stdout.includes(`Plan written to ${path.join(sub, "out", "plan.json")}`) && r.stdout.includes(`written to ${path.join(sub, "mesh.md")}`), r.stdout);
    });

    it("dev holds the VPC, the EKS cluster, the node group and the Istio port rules with their dependencies", () => {
        const plan = planFor("dev");
        const [vpc] = byType(plan, "awsx:ec2:Vpc");
        const [eks] = byType(plan, "eks:index:Cluster");
        const [nodes] = byType(plan, "eks:index:ManagedNodeGroup");
        assert.ok(vpc && eks && nodes);
        assert.ok(eks.dependsOn.includes(vpc.urn));
        assert.ok(nodes.dependsOn.includes(eks.urn) && nodes.dependsOn.includes(vpc.urn));
        assert.equal(eks.inputs.vpcId, "[unknown]", "the VPC id is only known to the cloud");
        assert.deepEqual(eks.inputs.publicAccessCidrs, ["0.0.0.0/0"]);
        assert.equal(nodes.inputs.capacityType, "SPOT");

        const rules = byType(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
        assert.deepEqual(rules.map((r) => r.inputs.fromPort).sort(), [15012, 15017]);
        for (const rule of rules) {
            assert.deepEqual(rule.dependsOn, [eks.urn], "sourced from the cluster's security groups");
            assert.equal(rule.inputs.referencedSecurityGroupId, "[unknown]");
            assert.equal(rule.inputs.cidrIpv4, undefined);
        }
        assert.equal(plan.outputs.kubeconfig, "[secret]");
        assert.equal(plan.outputs.clusterName, "istio-workshop-dev");
    });

    it("nothing is open to 0.0.0.0/0 but the API endpoint and the gateway's ports 80 and 443, both on purpose", () => {
        for (const stack of listStacks(ROOT)) {
            for (const r of planFor(stack).resources) {
                const text = JSON.stringify(r.inputs);
                if (r.type === "eks:index:Cluster") continue;
                if (r.type === "kubernetes:core/v1:Service" && (r.inputs.spec as any).type === "LoadBalancer") {
                    assert.deepEqual((r.inputs.spec as any).ports.map((p: any) => p.port), [80, 443], `${stack}: ${r.name} exposes only 80 and 443`);
                    continue;
                }
                assert.ok(!text.includes("0.0.0.0/0"), `${stack}: ${r.name} mentions 0.0.0.0/0`);
            }
        }
        assert.match(summaries.dev, /Warnings:\n {2}! cluster\.adminCidrs includes 0\.0\.0\.0\/0/);
    });

    it("dev holds Istio's releases at one version, in order, with mTLS, telemetry and tracing", () => {
        const plan = planFor("dev");
        const releases = byType(plan, "kubernetes:helm.sh/v3:Release").filter((r) => r.urn.includes("IstioMesh"));
        assert.deepEqual(releases.map((r) => [r.inputs.name, r.inputs.chart, r.inputs.version]), [
            ["istio-base", "base", DEFAULT_ISTIO_VERSION],
            ["istio-cni", "cni", DEFAULT_ISTIO_VERSION],
            ["istio-ingressgateway", "gateway", DEFAULT_ISTIO_VERSION],
            ["istiod", "istiod", DEFAULT_ISTIO_VERSION],
        ]);
        for (const r of releases) assert.deepEqual(r.inputs.repositoryOpts, { repo: "https://istio-release.storage.googleapis.com/charts" });
        const [base, cni, gateway, istiod] = releases;
        const rules = byType(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => r.urn);
        const gatewayApi = byType(plan, "kubernetes:yaml/v2:ConfigFile").map((r) => r.urn);
        assert.deepEqual(istiod.dependsOn, [...rules, base.urn, cni.urn, ...gatewayApi].sort());
        assert.ok(gateway.dependsOn.includes(istiod.urn));
        assert.deepEqual((byType(plan, "kubernetes:security.istio.io/v1:PeerAuthentication")[0].inputs as any).spec, { mtls: { mode: "STRICT" } });
        assert.equal(byType(plan, "kubernetes:telemetry.istio.io/v1:Telemetry").length, 1);
        assert.equal((istiod.inputs.values as any).meshConfig.extensionProviders[0].name, "otel-tracing");
    });

    it("dev holds the four lessons with routes, traffic and a verification Job per rule", () => {
        const plan = planFor("dev");
        const kinds = (type: string) => byType(plan, type).map((r) => (r.inputs as any).metadata.name);
        assert.deepEqual(kinds("kubernetes:networking.istio.io/v1:VirtualService").sort(), [
            "bookinfo-gateway",
            "details",
            "helloworld",
            "my-app-gateway",
            "productpage",
            "ratings",
            "reviews",
        ]);
        assert.deepEqual(kinds("kubernetes:networking.istio.io/v1:DestinationRule").sort(), ["details", "helloworld", "productpage", "ratings", "reviews"]);
        assert.ok(kinds("kubernetes:apps/v1:Deployment").includes("traffic-bookinfo"));
        const jobs = byType(plan, "kubernetes:batch/v1:Job");
        assert.equal(jobs.length, 11);
        const release = plan.resources.find((r) => r.name === "classroom-demo-lessons")!;
        for (const job of jobs) {
            // Hooks of the namespace's lessons release: Helm runs them once everything else is applied and ready.
            assert.equal(job.renderedBy, release.urn, job.name);
            assert.equal((job.inputs as any).metadata.annotations["helm.sh/hook"], "post-install,post-upgrade", job.name);
        }
        assert.equal((plan.outputs.verificationChecks as string[]).length, 11);
    });

    it("local holds no AWS resource", () => {
        const plan = planFor("local");
        assert.deepEqual(
            plan.resources.filter((r) => /^(aws|awsx|eks):|^pulumi:providers:aws$/.test(r.type)),
            [],
        );
        assert.equal(plan.outputs.kubeconfig, undefined);
    });

    it("workshop uses a NAT gateway per zone over three zones and a node group sized for its 20 attendees", () => {
        const plan = planFor("workshop");
        const [vpc] = byType(plan, "awsx:ec2:Vpc");
        assert.deepEqual(vpc.inputs.natGateways, { strategy: "OnePerAz" });
        assert.equal(vpc.inputs.numberOfAvailabilityZones, 3);
        const [nodes] = byType(plan, "eks:index:ManagedNodeGroup");
        assert.deepEqual(nodes.inputs.scalingConfig, { desiredSize: 8, maxSize: 10, minSize: 8 });
        assert.match(summaries.workshop, /Nodes: 8 × m6i\.xlarge/);
        assert.equal(byType(plan, "kubernetes:core/v1:Namespace").filter((n) => String((n.inputs as any).metadata.name).startsWith("attendee-")).length, 20);
        assert.equal(nodes.inputs.capacityType, "ON_DEMAND");
    });
});

describe("offline plan refusals", () => {
    function badProject(stackYaml: string): string {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-bad-"));
        fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), stackYaml);
        return dir;
    }

    it("fails with one message naming every bad key: wrong type, unknown key, out-of-range number", () => {
        const dir = badProject(
            [
                "config:",
                "  istio-workshop:cluster:",
                "    adminCidrs: [10.1.0.0/16]",
                "    nodeGroup: { maxSize: 500 }",
                "  istio-workshop:addons:",
                "    kiali: maybe",
                "  istio-workshop:extra: 1",
            ].join("\n"),
        );
        const r = runPlan(["--stack", "bad", "--dir", dir]);
        assert.equal(r.status, 1);
        assert.equal(r.stdout, "", "nothing is planned");
        assert.equal(
            r.stderr,
            [
                "Invalid stack config (Pulumi.bad.yaml):",
                " - cluster.nodeGroup.maxSize: must be an integer from 1 to 100, got 500",
                ' - addons.kiali: must be true, false or a mapping { enabled, version }, got "maybe"',
                " - extra: unknown key (allowed keys: cluster, istio, addons, apps, attendees, classroom), got 1",
                "",
            ].join("\n"),
        );
    });

    it("fails with the mesh checks when routes are wrong, registering nothing", () => {
        const r = runPlan([
            "--stack",
            "bad",
            "--dir",
            badProject(
                [
                    "config:",
                    "  istio-workshop:cluster: { mode: existing, context: kind-istio-workshop }",
                    "  istio-workshop:apps:",
                    "    bookinfo:",
                    "      routes:",
                    "        reviews:",
                    "          - weights: { v1: 90, v2: 20 }",
                ].join("\n"),
            ),
        ]);
        assert.equal(r.status, 1);
        assert.equal(r.stdout, "");
        assert.equal(
            r.stderr,
            "Mesh checks failed (as istioctl analyze would), nothing was registered:\n" +
                " - WeightsNot100: apps.bookinfo.routes.reviews[0]: weights must add up to 100, got v1=90 + v2=20 = 110\n",
        );
    });

    it("fails cleanly on malformed YAML and on a missing stack", () => {
        const r = runPlan(["--stack", "bad", "--dir", badProject("config:\n  istio-workshop:cluster: {mode: eks\n")]);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^Pulumi\.bad\.yaml is not valid YAML:\n - /);
        assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
        const missing = runPlan(["--stack", "nope"]);
        assert.equal(missing.status, 1);
        assert.equal(missing.stderr, `No stack file Pulumi.nope.yaml: the stacks here are ${listStacks(ROOT).join(", ")} (a new one starts as a copy of one of their files, then \`npm run stack-init -- --stack nope\`)\n`);
    });
});
