/**
 * The end-to-end run's pure parts (`npm run e2e` itself needs Docker, kind,
 * kubectl and the Pulumi CLI, and runs in the e2e workflow, not here).
 */
import { strict as assert } from "assert";
import YAML from "yaml";
import * as fs from "fs";
import * as path from "path";
import { LESSONS_CHART } from "../src/lessons/delivery";
import * as os from "os";
import { PROGRAM_FILES, formatReport, jobStates, kindConfig, productPagePaths, uiChecks, withClassroom } from "../src/tooling/e2e";
import { settingsFromConfig } from "../src/settings/parse";
import { loadStackConfig } from "../src/settings/stackFile";
import { planIndex } from "./helpers";

describe("end-to-end run: pure parts", () => {
    it("--classroom: the local stack as two attendees at different stages, each with its checks and its own product page", async function () {
        this.timeout(120_000);
        const root = path.resolve(__dirname, "..");
        const text = withClassroom(fs.readFileSync(path.join(root, "Pulumi.local.yaml"), "utf8"), "istio-workshop");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-e2e-spec-"));
        fs.copyFileSync(path.join(root, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        fs.writeFileSync(path.join(dir, "Pulumi.local.yaml"), text);
        const cfg = loadStackConfig(dir, "local");
        const settings = settingsFromConfig(cfg.config, { stack: "local", source: cfg.file });
        assert.deepEqual(settings.attendees, ["ana", "ben"]);
        // The stack's own keys stay: still the kind cluster the run creates.
        assert.equal(settings.cluster.context, "kind-istio-workshop");
        assert.deepEqual(productPagePaths(["ana", "ben"]), ["/ana/productpage", "/ben/productpage"]);
        assert.deepEqual(productPagePaths([]), ["/productpage"]);
        // Planned as up would apply it: each attendee's lessons at their own stage, with the checks of that stage.
        const plan = await planIndex(Object.fromEntries(Object.entries(cfg.config).map(([k, v]) => [k.replace(/^istio-workshop:/, ""), JSON.parse(v)])));
        const jobs = (ns: string) => plan.resources.filter((r) => r.renderedBy && (r.inputs as any).kind === "Job" && (r.inputs as any).metadata.namespace === ns).map((r) => (r.inputs as any).metadata.name);
        assert.ok(jobs("ben").includes("verify-reviews-v1-for-jason"), "ben at all-v1");
        assert.ok(!jobs("ana").includes("verify-reviews-v1-for-jason"), "ana at the class's stage");
        assert.ok(jobs("ben").includes("verify-helloworld-from-curl") && !jobs("ana").includes("verify-helloworld-from-curl"));
    });

    it("copies everything the program reads: its modules and the lessons chart", () => {
        const root = path.resolve(__dirname, "..");
        const inCopy = (file: string) => PROGRAM_FILES.some((f) => file === f || file.startsWith(`${f}/`));
        const seen = new Set<string>();
        const visit = (file: string) => {
            if (seen.has(file)) return;
            seen.add(file);
            assert.ok(inCopy(file), `${file} is read by the program but not copied`);
            for (const m of fs.readFileSync(path.join(root, file), "utf8").matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
                const target = path.relative(root, path.resolve(path.dirname(path.join(root, file)), m[1]));
                visit(fs.existsSync(path.join(root, `${target}.ts`)) ? `${target}.ts` : `${target}/index.ts`);
            }
        };
        visit("index.ts");
        visit("policy/index.ts"); // the policy pack the run deploys with
        assert.ok(seen.size > 20);
        assert.ok(inCopy(path.normalize(LESSONS_CHART)), "the lessons chart");
    });

    it("publishes the local stack's gateway node ports on the host", async () => {
        const plan = await planIndex({ cluster: { mode: "existing", context: "kind-istio-workshop" } }, "local");
        const svc = plan.resources.find((r) => r.name === "mesh-ingress-service")!.inputs as any;
        const nodePorts = Object.fromEntries(svc.spec.ports.map((p: any) => [p.name, p.nodePort]));
        const kind = YAML.parse(kindConfig({ http: nodePorts.http2, https: nodePorts.https }, { http: 8080, https: 8443 }));
        assert.deepEqual(kind.nodes[0].extraPortMappings, [
            { containerPort: 30080, hostPort: 8080, protocol: "TCP" },
            { containerPort: 30443, hostPort: 8443, protocol: "TCP" },
        ]);
        assert.equal(kind.apiVersion, "kind.x-k8s.io/v1alpha4");
    });

    it("checks each UI the stack exports a port-forward for, at its health path", async () => {
        const plan = await planIndex({ cluster: { mode: "existing", context: "kind-istio-workshop" } }, "local");
        assert.deepEqual(uiChecks(plan.outputs.portForwards as Record<string, string>), [
            { name: "grafana", namespace: "istio-system", service: "grafana", port: 3000, path: "/grafana/api/health", accept: [200] },
            { name: "jaeger", namespace: "istio-system", service: "jaeger-query", port: 16686, path: "/jaeger/", accept: [200] },
            { name: "kiali", namespace: "istio-system", service: "kiali", port: 20001, path: "/kiali/healthz", accept: [200] },
            { name: "prometheus", namespace: "istio-system", service: "prometheus", port: 9090, path: "/-/ready", accept: [200] },
        ]);
        assert.throws(() => uiChecks({ kiali: "open it somehow" }), /portForwards\.kiali: not a port-forward command/);
    });

    it("reads Jobs' results, with the failed check's own message", () => {
        // The shape of `kubectl get jobs -o json` and `kubectl get pods -o json` (batch/v1 JobStatus conditions,
        // core/v1 ContainerStateTerminated.message, the `job-name` label the Job controller sets).
        const jobs = {
            items: [
                { metadata: { name: "verify-reviews-1", namespace: "demo" }, status: { conditions: [{ type: "Failed", status: "True" }] } },
                { metadata: { name: "verify-helloworld-1", namespace: "demo" }, status: { conditions: [{ type: "Complete", status: "True" }] } },
                { metadata: { name: "verify-ratings-1", namespace: "demo" }, status: {} },
            ],
        };
        const pods = {
            items: [
                {
                    metadata: { namespace: "demo", labels: { "job-name": "verify-reviews-1" } },
                    status: { containerStatuses: [{ state: { terminated: { message: "FAIL verify-reviews-1: ... measured v1=100 v2=0 v3=0 other=0\n" } } }] },
                },
            ],
        };
        assert.deepEqual(jobStates(JSON.stringify(jobs), JSON.stringify(pods)), [
            { name: "verify-reviews-1", namespace: "demo", state: "failed", message: "FAIL verify-reviews-1: ... measured v1=100 v2=0 v3=0 other=0" },
            { name: "verify-helloworld-1", namespace: "demo", state: "succeeded" },
            { name: "verify-ratings-1", namespace: "demo", state: "running" },
        ]);
    });

    it("reports each step and the verdict", () => {
        assert.equal(
            formatReport([
                { name: "pulumi up", ok: true, seconds: 612.4 },
                { name: "kiali answers", ok: false, seconds: 61, detail: "no answer" },
            ]),
            ["PASS  pulumi up        612 s", "FAIL  kiali answers     61 s  no answer", "", "End-to-end run FAILED: 1 of 2 steps."].join("\n"),
        );
    });
});
