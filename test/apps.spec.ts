import { strict as assert } from "assert";
import { PORT_NAME } from "../components/scenarios/analyze";
import type { Plan } from "../scripts/lib/recorder";
import { EKS_RAW, names, planIndex, resource } from "./helpers";

const appsResources = (plan: Plan) => plan.resources.filter((r) => r.urn.includes("istio-workshop:apps:DemoApps$"));
const ofType = (plan: Plan, type: string) => appsResources(plan).filter((r) => r.type === type);

describe("DemoApps (mocks)", () => {
    let plan: Plan;
    before(async () => {
        plan = await planIndex(EKS_RAW);
    });

    it("puts all four lessons in one injected namespace, after istiod", () => {
        const ns = resource(plan, "classroom-demo-ns");
        assert.deepEqual(ns.inputs.metadata, { labels: { "istio-injection": "enabled" }, name: "demo" });
        assert.deepEqual(names(ns.dependsOn), ["mesh-istiod"]);
        const apps = new Set(ofType(plan, "kubernetes:apps/v1:Deployment").map((d) => (d.inputs as any).metadata.labels.app));
        for (const app of ["helloworld", "curl", "curl1", "productpage", "details", "ratings", "reviews", "my-app", "nginx-proxy", "grpc-echo", "grpc-client"]) {
            assert.ok(apps.has(app), app);
        }
    });

    it("makes each verification Job wait for the routes and the apps it checks", () => {
        const deps = (n: string) => names(resource(plan, n).dependsOn);
        assert.deepEqual(deps("classroom-demo-job-verify-reviews-1"), [
            "classroom-demo-deploy-reviews-v1",
            "classroom-demo-deploy-reviews-v2",
            "classroom-demo-deploy-reviews-v3",
            "classroom-demo-dr-reviews",
            "classroom-demo-ns",
            "classroom-demo-svc-reviews",
            "classroom-demo-vs-reviews",
        ]);
        assert.deepEqual(deps("classroom-demo-job-verify-my-app-gw-1"), [
            "classroom-demo-deploy-my-app-v1",
            "classroom-demo-ns",
            "classroom-demo-svc-my-app-v1",
            "classroom-demo-vs-my-app-gateway",
            "mesh-gateway",
            "mesh-ingressgateway",
        ]);
        assert.deepEqual(
            ofType(plan, "kubernetes:batch/v1:Job").map((j) => j.name),
            [
                "classroom-demo-job-verify-bookinfo-gw-1",
                "classroom-demo-job-verify-details-1",
                "classroom-demo-job-verify-grpc-ping",
                "classroom-demo-job-verify-helloworld-1",
                "classroom-demo-job-verify-helloworld-2",
                "classroom-demo-job-verify-my-app-gw-1",
                "classroom-demo-job-verify-my-app-gw-2",
                "classroom-demo-job-verify-productpage-1",
                "classroom-demo-job-verify-ratings-1",
                "classroom-demo-job-verify-reviews-1",
            ],
        );
        assert.deepEqual(names(resource(plan, "classroom-demo-vs-bookinfo-gateway").dependsOn), ["classroom-demo-ns", "mesh-gateway", "mesh-ingressgateway"]);
    });

    it("runs every workload with app and version labels, no privilege escalation, requests and limits", () => {
        for (const d of ofType(plan, "kubernetes:apps/v1:Deployment")) {
            const tpl = (d.inputs as any).spec.template;
            assert.ok(tpl.metadata.labels.app && tpl.metadata.labels.version, `${d.name} labels`);
            for (const c of tpl.spec.containers) {
                assert.equal(c.securityContext.allowPrivilegeEscalation, false, d.name);
                assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] }, d.name);
                assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, `${d.name} resources`);
            }
        }
        for (const j of ofType(plan, "kubernetes:batch/v1:Job")) {
            const c = (j.inputs as any).spec.template.spec.containers[0];
            assert.equal(c.securityContext.runAsNonRoot, true, j.name);
            assert.equal(c.terminationMessagePolicy, "FallbackToLogsOnError");
        }
        for (const s of ofType(plan, "kubernetes:core/v1:Service")) {
            for (const p of (s.inputs as any).spec.ports) assert.match(p.name, PORT_NAME, `${s.name} port ${p.port}`);
        }
    });

    it("traffic off: no generators, idle curl clients, no gRPC client; verify off: no Jobs", async () => {
        const quiet = await planIndex({ ...EKS_RAW, apps: { traffic: { enabled: false }, verify: { enabled: false } } });
        const deployments = ofType(quiet, "kubernetes:apps/v1:Deployment");
        assert.equal(deployments.some((d) => d.name.includes("traffic-")), false);
        assert.deepEqual((resource(quiet, "classroom-demo-deploy-curl").inputs as any).spec.template.spec.containers[0].command, ["sh", "-c", "while true; do sleep 3600; done"]);
        assert.equal((resource(quiet, "classroom-demo-deploy-grpc-client").inputs as any).spec.replicas, 0);
        assert.deepEqual(ofType(quiet, "kubernetes:batch/v1:Job"), []);
    });

    it("a lesson switched off leaves nothing behind", async () => {
        const onlyGrpc = await planIndex({ ...EKS_RAW, apps: { helloworld: false, bookinfo: false, myApp: false } });
        assert.deepEqual(
            appsResources(onlyGrpc).map((r) => r.name).sort(),
            ["classroom-demo-deploy-grpc-client", "classroom-demo-deploy-grpc-echo", "classroom-demo-job-verify-grpc-ping", "classroom-demo-ns", "classroom-demo-svc-grpc-echo"],
        );
    });
});
