/** What a reviewer sees: plan diffs, validation of the whole plan, the mesh chart, CI workflows. */
import { strict as assert } from "assert";
import { DEFAULT_ISTIO_VERSION } from "../src/settings/istio";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { COMMENT_MARKER, LOG_LINES, fence, inline, renderComment } from "../src/judgement/plan/prComment";
import { meshGraph } from "../src/judgement/plan/graph";
import { diffPlans, formatDiff } from "../src/judgement/plan/planDiff";
import type { Plan, PlannedResource } from "../src/judgement/plan/plan";
import { podSecurityProblems } from "../src/judgement/checks/clusterChecks";
import { validatePlan } from "../src/judgement/checks/validatePlan";
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

    it("says why istiod's size changed where the stack file does not say it: the mesh's proxies, which a class's size or a stage moves", () => {
        const istiod = (cpu: string) => res("mesh-istiod", { chart: "istiod", values: { pilot: { resources: { requests: { cpu } } } } }, { type: "kubernetes:helm.sh/v3:Release" });
        const [before, after] = [plan([istiod("300m")]), plan([istiod("350m")])];
        assert.equal(
            formatDiff(diffPlans(before, after), before, after),
            [
                "Plan diff for s: 0 to add, 0 to remove, 1 to change",
                "~ kubernetes:helm.sh/v3:Release  mesh-istiod",
                '    inputs.values.pilot.resources.requests.cpu: "300m" -> "350m"',
                "    why: istiod is sized from the mesh's proxies (every pod with a sidecar, or ztunnel's): a class's size or a lesson's stage moves them (docs/operations.md, \"Operations at scale\")",
            ].join("\n"),
        );
    });

    it("says a change every attendee's namespace makes once, naming how many and whose; a change of one attendee as it is", () => {
        const ns = (id: string) => res(`ns-${id}`, { apiVersion: "v1", kind: "Namespace", metadata: { name: id, labels: { "istio-workshop/attendee": "true" } } }, { type: "kubernetes:core/v1:Namespace" });
        const ids = ["ana", "ben", "cyd", "di"];
        const before = plan([...ids.map(ns), ...ids.map((id) => res(`${id}/reviews`, { data: { v: "1" } }))]);
        const after = plan([...ids.map(ns), ...ids.map((id) => res(`${id}/reviews`, { data: { v: id === "di" ? "3" : "2" } })), ...ids.map((id) => res(`${id}/verify-reviews-2`, {}))]);
        assert.equal(
            formatDiff(diffPlans(before, after), before, after),
            [
                "Plan diff for s: 4 to add, 0 to remove, 4 to change",
                "+ kubernetes:core/v1:ConfigMap  <attendee>/verify-reviews-2  (4 attendees: ana … di)",
                "~ kubernetes:core/v1:ConfigMap  <attendee>/reviews  (3 attendees: ana, ben, cyd)",
                '    inputs.data.v: "1" -> "2"',
                "~ kubernetes:core/v1:ConfigMap  di/reviews",
                '    inputs.data.v: "1" -> "3"',
            ].join("\n"),
        );
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
        assert.ok(changed.stdout.includes(`1 to change\n~ kubernetes:helm.sh/v3:Release  mesh-istiod\n    inputs.version: "1.29.0" -> "${DEFAULT_ISTIO_VERSION}"`), changed.stdout.slice(-600));
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

    it("passes the shipped dev plan, Istio objects checked against Istio's CRDs (the newest 1.30 data)", function () {
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
        const classroom = await planIndex({ ...EKS_RAW, attendees: ["ana", "ben"] });
        assert.deepEqual(validatePlan(classroom), []);
        const copy: Plan = JSON.parse(JSON.stringify(classroom));
        const vs = (ns: string, n: string) => copy.resources.find((r) => r.type.endsWith(":VirtualService") && r.name.endsWith(`${ns}/${n}`))!.inputs as any;
        // ana claims ben's path; ben's my-app delegate is no longer exported to the gateway's namespace.
        vs("ana", "bookinfo-gateway").spec.http[0].match = [{ uri: { exact: "/ben/productpage" } }];
        vs("ben", "my-app-gateway").spec.exportTo = ["."];
        assert.deepEqual(validatePlan(copy).filter((p) => p.startsWith("DelegateRouteDropped")), [
            'DelegateRouteDropped: VirtualService ana/bookinfo-gateway (lessons:ana/bookinfo-gateway) http[0] matches [{"uri":{"exact":"/ben/productpage"}}], outside VirtualService istio-ingress/attendee-ana (classroom-ana-routes) http[0]\'s match [{"uri":{"exact":"/ana/productpage"}},{"uri":{"prefix":"/ana/static"}},{"uri":{"exact":"/ana/login"}},{"uri":{"exact":"/ana/logout"}},{"uri":{"prefix":"/ana/api/v1/products"}}]: Istio drops the route',
            "DelegateRouteDropped: VirtualService istio-ingress/attendee-ben (classroom-ben-routes) http[1] hands over to VirtualService ben/my-app-gateway, which is not exported to namespace istio-ingress: Istio ignores it",
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
        assert.match(body, /\| dev \| ❌ 1 problems \| 0 \| 0 \| 1 \|/);
        assert.ok(body.includes(`- ${inline("WeightsNot100: VirtualService demo/reviews (lessons:demo/reviews) http[0]: weights add up to 130, not 100")}`));
        assert.match(body, /inputs\.spec\.http\[0\]\.route\[0\]\.weight: 50 -> 80/);
        assert.match(body, /```mermaid\nflowchart LR/);
        assert.match(body, /### broken: the plan failed\n\n```text\nInvalid stack config/);
    });

    it("posts nothing of a pull request's own making as markup: its text escaped, its output fenced so no line closes the fence, bounded", () => {
        const hostile = "@org/admins see [this](https://evil.example) <img src=x> **approved**";
        assert.equal(inline(hostile), "\\@org/admins see \\[this\\]\\(https\\://evil.example\\) &lt;img src=x&gt; \\*\\*approved\\*\\*");
        const log = "ok\n```\n## Approved by security\n````";
        assert.equal(fence("text", log), "`````text\nok\n```\n## Approved by security\n````\n`````");
        const body = renderComment([{ stack: "x](https://evil.example)", headLog: Array.from({ length: 1000 }, (_, i) => `line ${i}`).join("\n") }], "not-a-sha");
        assert.ok(!body.includes("](https://evil"), body.slice(0, 300));
        assert.ok(body.includes(`(the last ${LOG_LINES} of 1000 lines)`) && !body.includes("line 799\n") && body.includes("line 999"));
        assert.ok(!body.includes("not-a-sha"));
    });
});

describe("CI workflows", () => {
    /** Who publishes the actions the workflows may use (publishers, not versions: those are pinned in the files). */
    const PUBLISHERS = new Set(["actions", "aws-actions", "pulumi", "marocchino", "helm"]);
    const files = fs.readdirSync(path.join(ROOT, ".github/workflows"));
    const workflow = (f: string) => YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows", f), "utf8"));
    const steps = (doc: any) => Object.values<any>(doc.jobs).flatMap((j) => j.steps ?? []);
    const uses = (doc: any, action: string) => steps(doc).find((s: any) => String(s.uses ?? "").startsWith(`${action}@`));

    it("are valid YAML with jobs, and pin every action by commit, with the release it is named beside it, the same everywhere", () => {
        assert.deepEqual(files.sort(), ["deploy.yml", "e2e.yml", "pr-comment.yml", "preview.yml", "pull-request.yml"]);
        const pins = new Map<string, string>();
        for (const f of files) {
            const doc = workflow(f);
            assert.ok(doc.on && Object.keys(doc.jobs).length > 0, f);
            const raw = fs.readFileSync(path.join(ROOT, ".github/workflows", f), "utf8");
            for (const line of raw.split("\n").filter((l) => /^\s*(- )?uses:/.test(l))) {
                const m = /uses: ([\w-]+)\/([\w-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$/.exec(line.trim().replace(/^- /, ""));
                assert.ok(m, `${f}: "${line.trim()}" is not pinned by a full commit SHA with its release as a comment`);
                assert.ok(PUBLISHERS.has(m[1]), `${f}: ${m[1]}/${m[2]} is not from a publisher this project uses`);
                const key = `${m[1]}/${m[2]}`;
                const pin = `${m[3]} ${m[4]}`;
                assert.equal(pins.get(key) ?? pin, pin, `${f}: ${key} pinned differently from another workflow`);
                pins.set(key, pin);
            }
        }
        assert.ok(pins.size >= 6);
    });

    it("test on every Node.js the project supports, and the engines field says the same", () => {
        const pr = workflow("pull-request.yml");
        const matrix: number[] = pr.jobs.test.strategy.matrix.node;
        const engines: string = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).engines.node;
        assert.deepEqual(matrix, [22, 24]);
        // Every alternative of the range names its major: 22 and 24 are in it (and 20.19, which still runs the tests).
        const majors = engines.split("||").map((r) => Number(/(\d+)\./.exec(r)![1]));
        for (const n of matrix) assert.ok(majors.includes(n), `engines ${engines} leaves out Node ${n}`);
    });

    it("cancel a pull request's superseded runs, never a running Pulumi operation; a first preview creates its stack", () => {
        assert.deepEqual(workflow("pull-request.yml").concurrency.group.includes("pull_request.number") && workflow("pull-request.yml").concurrency["cancel-in-progress"], true);
        const preview = workflow("preview.yml").jobs.preview;
        const deploy = workflow("deploy.yml").jobs.up;
        assert.equal(preview.concurrency.group, "pulumi-${{ matrix.stack }}");
        assert.equal(deploy.concurrency.group, "pulumi-dev");
        for (const job of [preview, deploy]) assert.equal(job.concurrency["cancel-in-progress"], false);
        assert.equal(uses(workflow("preview.yml"), "pulumi/actions").with.upsert, true);
    });

    it("give a fork's pull request its plan comment without running its code where a write token is", () => {
        const pr = workflow("pull-request.yml");
        assert.deepEqual(pr.permissions, { contents: "read" }, "the pull request's own run can write nothing");
        assert.ok(!JSON.stringify(pr).includes("secrets."));
        assert.equal(uses(pr, "actions/upload-artifact").with.name, "offline-plan-comment");
        const comment = workflow("pr-comment.yml");
        assert.deepEqual(comment.on, { workflow_run: { workflows: ["pull request"], types: ["completed"] } });
        assert.equal(comment.permissions["pull-requests"], "write");
        const all = steps(comment);
        assert.ok(!all.some((s: any) => String(s.uses ?? "").startsWith("actions/checkout@")), "the comment workflow checks nothing out");
        assert.ok(!all.some((s: any) => /\bnpm\b|\bnode\b/.test(String(s.run ?? ""))), "and runs nothing of the pull request");
        assert.equal(uses(comment, "actions/download-artifact").with["run-id"], "${{ github.event.workflow_run.id }}");
        assert.equal(uses(comment, "marocchino/sticky-pull-request-comment").with.number, "${{ steps.pr.outputs.number }}");
        assert.match(all.find((s: any) => s.id === "pr").run, /case ",\$known," in/, "the artifact's number must be the run's own pull request");
        // The branch name goes to the API as an encoded field, never into the URL.
        assert.match(all.find((s: any) => s.id === "pr").run, /gh api -X GET "repos\/\$\{\{ github\.repository \}\}\/pulls" -f state=open -f "head=\$owner:\$HEAD_BRANCH"/);
        assert.ok(!/pulls\?[^"]*HEAD_BRANCH/.test(all.find((s: any) => s.id === "pr").run));
        // The comment's text is rendered by the base branch's checkout, the pull request's plans read as data.
        const render = pr.jobs["offline-plan"].steps.find((s: any) => String(s.run ?? "").includes("npm run --silent pr-comment"));
        assert.equal(render["working-directory"], "base");
    });

    it("run the README's test command and the offline plan on every pull request; deploy dev only from main behind an environment", () => {
        const pr = YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows/pull-request.yml"), "utf8"));
        assert.ok(pr.jobs.test.steps.some((s: any) => s.run === "npm ci && npm test"));
        assert.ok(pr.jobs["offline-plan"].steps.some((s: any) => String(s.run ?? "").includes("npm run --silent pr-comment")));
        const deploy = YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows/deploy.yml"), "utf8"));
        assert.deepEqual(deploy.on, { push: { branches: ["main"] } });
        assert.equal(deploy.jobs.up.environment, "dev");
        assert.ok(deploy.jobs.up.steps.some((s: any) => String(s.uses).startsWith("pulumi/actions@") && s.with.command === "up" && s.with["stack-name"] === "dev"));
    });

    it("preview with credentials only for this repository's branches, after an environment approval, and with the policy pack; deploy with it too", () => {
        const raw = fs.readFileSync(path.join(ROOT, ".github/workflows/preview.yml"), "utf8");
        const preview = YAML.parse(raw);
        assert.deepEqual(Object.keys(preview.on), ["pull_request"], "never pull_request_target: a fork's code never sees a secret");
        const job = preview.jobs.preview;
        assert.equal(job.if, "github.event.pull_request.head.repo.full_name == github.repository");
        assert.equal(job.environment, "preview");
        const action = job.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@"));
        assert.deepEqual([action.with.command, action.with.policyPacks], ["preview", "policy"]);
        // Every secret is read inside the approved job, nowhere else.
        for (const [name, other] of Object.entries<any>(preview.jobs)) if (name !== "preview") assert.ok(!JSON.stringify(other).includes("secrets."), name);
        const deploy = YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows/deploy.yml"), "utf8"));
        assert.equal(deploy.jobs.up.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@")).with.policyPacks, "policy");
        for (const f of files) assert.ok(!fs.readFileSync(path.join(ROOT, ".github/workflows", f), "utf8").includes("pull_request_target"), f);
    });

    it("fetch the pinned charts before planning, and run the end-to-end run on kind for every pull request", () => {
        const pr = YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows/pull-request.yml"), "utf8"));
        const planSteps = pr.jobs["offline-plan"].steps.map((s: any) => String(s.run ?? ""));
        assert.ok(planSteps.some((r: string) => /npm run charts\n[\s\S]*npm run --silent plan/.test(r)), "charts before the head plan");
        const e2e = YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows/e2e.yml"), "utf8"));
        assert.deepEqual(e2e.on, { pull_request: null });
        const runs = e2e.jobs.kind.steps.map((s: any) => s.run).filter(Boolean);
        assert.deepEqual(runs.slice(-3), ["npm run charts -- --stack local", "npm run plan -- --stack local", "npm run e2e -- --stack local ${{ matrix.variant }}"]);
        // As the stack is, and as a class of two attendees at different stages.
        assert.deepEqual(e2e.jobs.kind.strategy.matrix.variant, ["", "--classroom"]);
    });
});
