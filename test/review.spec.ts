/** What a reviewer sees: plan diffs, validation of the whole plan, the mesh chart, CI workflows. */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { COMMENT_MARKER, renderComment } from "../scripts/pr-comment";
import { meshGraph } from "../scripts/lib/graph";
import { diffPlans, formatDiff } from "../scripts/lib/planDiff";
import type { Plan, PlannedResource } from "../scripts/lib/recorder";
import { podSecurityProblems } from "../scripts/lib/clusterChecks";
import { validatePlan } from "../scripts/lib/validatePlan";
import { EKS_RAW, planIndex } from "./helpers";
import { istioCrds, needUpstream } from "./upstream";

const ROOT = path.resolve(__dirname, "..");
const res = (name: string, inputs: Record<string, unknown>, extra: Partial<PlannedResource> = {}): PlannedResource => ({
    urn: `urn:pulumi:s::p::t::${name}`,
    type: "kubernetes:core/v1:ConfigMap",
    name,
    parent: null,
    custom: true,
    provider: null,
    dependsOn: [],
    inputs,
    ...extra,
});
const plan = (resources: PlannedResource[]): Plan => ({ project: "p", stack: "s", resources, outputs: {} });

describe("plan diff", () => {
    it("reports added, removed and changed resources with the changed input paths", () => {
        const before = plan([
            res("a", { data: { k: "1", keep: "x" }, password: "[secret]" }),
            res("gone", {}),
            res("b", { list: [1, 2] }, { dependsOn: ["urn:x"] }),
        ]);
        const after = plan([
            res("a", { data: { k: "2", keep: "x", extra: true }, password: "[secret]" }),
            res("b", { list: [1, 2, 3] }, { dependsOn: ["urn:x", "urn:y"] }),
            res("new", { v: 1 }),
        ]);
        assert.equal(
            formatDiff(diffPlans(before, after), before, after),
            [
                "Plan diff for s: 1 to add, 1 to remove, 2 to change",
                "+ kubernetes:core/v1:ConfigMap  new",
                "- kubernetes:core/v1:ConfigMap  gone",
                "~ kubernetes:core/v1:ConfigMap  a",
                '    inputs.data.extra: (absent) -> true',
                '    inputs.data.k: "1" -> "2"',
                "~ kubernetes:core/v1:ConfigMap  b",
                '    dependsOn: ["urn:x"] -> ["urn:x","urn:y"]',
                "    inputs.list: [1,2] -> [1,2,3]",
            ].join("\n"),
        );
        assert.equal(formatDiff(diffPlans(before, before), before, before), "No changes between the plans of s (3 resources).");
    });

    it("--expect-no-changes passes on identical plans and fails on a one-field change", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-diff-"));
        const run = (...args: string[]) =>
            spawnSync(process.execPath, ["-r", "sucrase/register/ts", path.join(ROOT, "scripts/plan.ts"), "--stack", "local", ...args], {
                cwd: ROOT,
                encoding: "utf8",
            });
        assert.equal(run("--json", `${dir}/old.json`).status, 0);
        const same = run("--diff", `${dir}/old.json`, "--expect-no-changes");
        assert.equal(same.status, 0, same.stderr);
        assert.match(same.stdout, /No changes between the plans of local/);
        const old = JSON.parse(fs.readFileSync(`${dir}/old.json`, "utf8"));
        old.resources.find((r: any) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "istiod").inputs.version = "1.29.0";
        fs.writeFileSync(`${dir}/changed.json`, JSON.stringify(old));
        const changed = run("--diff", `${dir}/changed.json`, "--expect-no-changes");
        assert.equal(changed.status, 3);
        assert.match(changed.stdout, /1 to change\n~ kubernetes:helm\.sh\/v3:Release {2}mesh-istiod\n {4}inputs\.version: "1\.29\.0" -> "1\.30\.3"/);
    });
});

describe("plan validation", () => {
    let dev: Plan;
    before(async () => {
        dev = await planIndex(EKS_RAW, "dev");
    });
    const edit = (fn: (resources: PlannedResource[]) => void): Plan => {
        const copy: Plan = JSON.parse(JSON.stringify(dev));
        fn(copy.resources);
        return copy;
    };
    const find = (rs: PlannedResource[], kind: string, name: string) => rs.find((r) => r.type.endsWith(`:${kind}`) && r.name.endsWith(`/${name}`))!;

    it("passes the shipped dev plan, Istio objects checked against Istio 1.30.3's CRDs", function () {
        needUpstream(this);
        assert.deepEqual(validatePlan(dev, { crds: istioCrds() }), []);
    });

    it("names an Istio object with a wrong type or an unknown enum value", function () {
        needUpstream(this);
        const bad = edit((rs) => {
            (find(rs, "VirtualService", "reviews").inputs as any).spec.http[0].route[0].weight = "fifty";
            (rs.find((r) => r.type.endsWith(":PeerAuthentication"))!.inputs as any).spec.mtls.mode = "STRICTEST";
        });
        assert.deepEqual(validatePlan(bad, { crds: istioCrds() }).slice(0, 2).sort(), [
            "IST0106 SchemaValidationError: PeerAuthentication istio-system/default (mesh-peer-authentication): spec/mtls/mode must be equal to one of the allowed values (UNSET, DISABLE, PERMISSIVE, STRICT)",
            "IST0106 SchemaValidationError: VirtualService demo/reviews (lessons:demo/reviews): spec/http/0/route/0/weight must be integer",
        ]);
    });

    it("names a core object that breaks its schema", () => {
        const bad = edit((rs) => void ((find(rs, "Deployment", "curl").inputs as any).spec.replicas = "one"));
        assert.deepEqual(validatePlan(bad), ["SchemaValidationError: Deployment demo/curl (lessons:demo/curl): spec/replicas must be integer"]);
    });

    it("names a workload its namespace's Pod Security level would refuse, and passes every lesson pod", () => {
        assert.deepEqual(podSecurityProblems(dev), []);
        const bad = edit((rs) => {
            const spec = (find(rs, "Deployment", "curl").inputs as any).spec.template.spec;
            spec.hostNetwork = true;
            spec.containers[0].securityContext.privileged = true;
        });
        assert.deepEqual(validatePlan(bad), [
            'PodSecurity: Deployment demo/curl (lessons:demo/curl) would be refused by Pod Security "restricted:v1.35" of its namespace (hostNamespaces): the pod sets hostNetwork=true',
            'PodSecurity: Deployment demo/curl (lessons:demo/curl) would be refused by Pod Security "restricted:v1.35" of its namespace (privileged): container "curl" sets securityContext.privileged=true',
            // The policy pack says the same of the stack's own workloads, wherever they run.
            "policy pod-security-restricted: lessons:demo/curl: fails Pod Security restricted (hostNamespaces): the pod sets hostNetwork=true",
            'policy pod-security-restricted: lessons:demo/curl: fails Pod Security restricted (privileged): container "curl" sets securityContext.privileged=true',
        ]);
    });

    it("names what a proxy would not see: a gateway route not exported to the gateway, a Service the gateway routes to, the tracing collector", () => {
        const bad = edit((rs) => {
            delete (find(rs, "VirtualService", "my-app-gateway").inputs as any).spec.exportTo;
            delete (find(rs, "Service", "productpage").inputs as any).metadata.annotations;
            delete (rs.find((r) => r.name === "addons-jaeger-collector")!.inputs as any).metadata.annotations;
        });
        assert.deepEqual(validatePlan(bad).filter((p) => p.startsWith("NotVisible")), [
            'NotVisible: mesh extension provider "otel-tracing" sends to Service istio-system/jaeger-collector, which is not exported to namespace demo: its proxies would drop what they send',
            'NotVisible: mesh extension provider "otel-tracing" sends to Service istio-system/jaeger-collector, which is not exported to namespace istio-ingress: its proxies would drop what they send',
            "NotVisible: VirtualService demo/bookinfo-gateway (lessons:demo/bookinfo-gateway) routes gateway traffic to Service demo/productpage, which is not exported to namespace istio-ingress: its proxies would answer 503",
            "NotVisible: VirtualService demo/my-app-gateway (lessons:demo/my-app-gateway) is bound to a gateway in namespace istio-ingress but not exported there: the gateway never sees it",
        ]);
    });

    it("names a delegate Istio would ignore or a delegate route it would drop, as istiod merges roots and delegates", async () => {
        const classroom = await planIndex({ ...EKS_RAW, attendees: ["ana", "bo"] });
        assert.deepEqual(validatePlan(classroom), []);
        const copy: Plan = JSON.parse(JSON.stringify(classroom));
        const vs = (ns: string, n: string) => copy.resources.find((r) => r.type.endsWith(":VirtualService") && r.name.endsWith(`${ns}/${n}`))!.inputs as any;
        // ana claims bo's path; bo's my-app delegate is no longer exported to the gateway's namespace.
        vs("ana", "bookinfo-gateway").spec.http[0].match = [{ uri: { exact: "/bo/productpage" } }];
        vs("bo", "my-app-gateway").spec.exportTo = ["."];
        assert.deepEqual(validatePlan(copy).filter((p) => p.startsWith("DelegateRouteDropped")), [
            'DelegateRouteDropped: VirtualService ana/bookinfo-gateway (lessons:ana/bookinfo-gateway) http[0] matches [{"uri":{"exact":"/bo/productpage"}}], outside VirtualService istio-ingress/attendee-ana (classroom-ana-routes) http[0]\'s match [{"uri":{"prefix":"/ana/"}}]: Istio drops the route',
            "DelegateRouteDropped: VirtualService istio-ingress/attendee-bo (classroom-bo-routes) http[1] hands over to VirtualService bo/my-app-gateway, which is not exported to namespace istio-ingress: Istio ignores it",
        ]);
    });

    it("names a route to a subset no DestinationRule defines", () => {
        const bad = edit((rs) => void ((find(rs, "VirtualService", "reviews").inputs as any).spec.http[0].route[1].destination.subset = "v9"));
        assert.deepEqual(validatePlan(bad), [
            'IST0101 ReferencedResourceNotFound: VirtualService demo/reviews (lessons:demo/reviews) http[0]: subset "v9" of host reviews is not defined by a DestinationRule; Istio would answer 503',
        ]);
    });

    it("draws every route and weight of the dev mesh", () => {
        const chart = meshGraph(dev);
        for (const edge of [
            'demo_reviews -- "50%" --> demo_reviews_v1',
            'demo_reviews -- "50%" --> demo_reviews_v3',
            'demo_helloworld -- "from app=curl: 100%" --> demo_helloworld_v1',
            'demo_helloworld -- "everyone else: shared" --> demo_helloworld_v2',
            'demo_details -- "100%" --> demo_details_v1',
            'demo_productpage -- "100%" --> demo_productpage_v1',
            'demo_ratings -- "100%" --> demo_ratings_v1',
            'gateway -- "= /productpage" --> demo_productpage',
            'gateway -- "/static" --> demo_productpage',
            'gateway -- "= /login" --> demo_productpage',
            'gateway -- "/v1" --> demo_my_app_v1',
            'gateway -- "/v2" --> demo_my_app_v2',
        ]) {
            assert.ok(chart.includes(edge), edge);
        }
        assert.match(chart, /^flowchart LR\n/);
    });

    it("renders the pull-request comment: validation, changes and the chart per stack", () => {
        const changed = edit((rs) => void ((find(rs, "VirtualService", "reviews").inputs as any).spec.http[0].route[0].weight = 80));
        const body = renderComment([
            { stack: "dev", base: dev, head: changed },
            { stack: "broken", headLog: "Invalid stack config (Pulumi.broken.yaml):\n - attendees: must be ..." },
        ]);
        assert.ok(body.startsWith(COMMENT_MARKER));
        assert.match(body, /\| `dev` \| ❌ 1 problems \| 0 \| 0 \| 1 \|/);
        assert.match(body, /WeightsNot100: VirtualService demo\/reviews \(lessons:demo\/reviews\) http\[0\]: weights add up to 130, not 100/);
        assert.match(body, /inputs\.spec\.http\[0\]\.route\[0\]\.weight: 50 -> 80/);
        assert.match(body, /```mermaid\nflowchart LR/);
        assert.match(body, /### `broken`: the plan failed\n\n```text\nInvalid stack config/);
    });
});

describe("CI workflows", () => {
    const KNOWN_ACTIONS = new Set([
        "actions/checkout@v4",
        "actions/setup-node@v4",
        "marocchino/sticky-pull-request-comment@v2",
        "aws-actions/configure-aws-credentials@v4",
        "pulumi/actions@v6",
        "helm/kind-action@v1",
    ]);
    const files = fs.readdirSync(path.join(ROOT, ".github/workflows"));

    it("are valid YAML with jobs, and use only known actions at pinned major versions", () => {
        assert.deepEqual(files.sort(), ["deploy.yml", "e2e.yml", "preview.yml", "pull-request.yml"]);
        for (const f of files) {
            const doc = YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows", f), "utf8"));
            assert.ok(doc.on && Object.keys(doc.jobs).length > 0, f);
            for (const job of Object.values<any>(doc.jobs)) {
                for (const step of job.steps) if (step.uses) assert.ok(KNOWN_ACTIONS.has(step.uses), `${f}: ${step.uses}`);
            }
        }
    });

    it("run the README's test command and the offline plan on every pull request; deploy dev only from main behind an environment", () => {
        const pr = YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows/pull-request.yml"), "utf8"));
        assert.ok(pr.jobs.test.steps.some((s: any) => s.run === "npm ci && npm test"));
        assert.ok(pr.jobs["offline-plan"].steps.some((s: any) => String(s.run ?? "").includes("npm run --silent pr-comment")));
        const deploy = YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows/deploy.yml"), "utf8"));
        assert.deepEqual(deploy.on, { push: { branches: ["main"] } });
        assert.equal(deploy.jobs.up.environment, "dev");
        assert.ok(deploy.jobs.up.steps.some((s: any) => s.uses === "pulumi/actions@v6" && s.with.command === "up" && s.with["stack-name"] === "dev"));
    });

    it("preview with credentials only for this repository's branches, after an environment approval, and with the policy pack; deploy with it too", () => {
        const raw = fs.readFileSync(path.join(ROOT, ".github/workflows/preview.yml"), "utf8");
        const preview = YAML.parse(raw);
        assert.deepEqual(Object.keys(preview.on), ["pull_request"], "never pull_request_target: a fork's code never sees a secret");
        const job = preview.jobs.preview;
        assert.equal(job.if, "github.event.pull_request.head.repo.full_name == github.repository");
        assert.equal(job.environment, "preview");
        const action = job.steps.find((s: any) => s.uses === "pulumi/actions@v6");
        assert.deepEqual([action.with.command, action.with.policyPacks], ["preview", "policy"]);
        // Every secret is read inside the approved job, nowhere else.
        for (const [name, other] of Object.entries<any>(preview.jobs)) if (name !== "preview") assert.ok(!JSON.stringify(other).includes("secrets."), name);
        const deploy = YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows/deploy.yml"), "utf8"));
        assert.equal(deploy.jobs.up.steps.find((s: any) => s.uses === "pulumi/actions@v6").with.policyPacks, "policy");
        for (const f of files) assert.ok(!fs.readFileSync(path.join(ROOT, ".github/workflows", f), "utf8").includes("pull_request_target"), f);
    });

    it("fetch the pinned charts before planning, and run the end-to-end run on kind for every pull request", () => {
        const pr = YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows/pull-request.yml"), "utf8"));
        const planSteps = pr.jobs["offline-plan"].steps.map((s: any) => String(s.run ?? ""));
        assert.ok(planSteps.some((r: string) => /npm run charts\n[\s\S]*npm run --silent plan/.test(r)), "charts before the head plan");
        const e2e = YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows/e2e.yml"), "utf8"));
        assert.deepEqual(e2e.on, { pull_request: null });
        const runs = e2e.jobs.kind.steps.map((s: any) => s.run).filter(Boolean);
        assert.deepEqual(runs.slice(-3), ["npm run charts -- --stack local", "npm run plan -- --stack local", "npm run e2e -- --stack local"]);
    });
});
