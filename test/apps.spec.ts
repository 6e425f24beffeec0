import { strict as assert } from "assert";
import { PORT_NAME } from "../src/lessons/analyze";
import { DEFAULT_KUBERNETES_VERSION } from "../src/settings/cluster";
import type { Plan, PlannedResource } from "../src/judgement/plan/plan";
import { EKS_RAW, names, planIndex, resource } from "./helpers";

const RELEASE = "classroom-demo-lessons";
/** The objects the demo namespace's lessons release installs. */
const objects = (plan: Plan) => plan.resources.filter((r) => r.renderedBy === resource(plan, RELEASE).urn);
const ofKind = (plan: Plan, kind: string) => objects(plan).filter((r) => r.type.endsWith(`:${kind}`));
/** An object of the demo namespace, by kind and Kubernetes name. */
function obj(plan: Plan, kind: string, name: string): PlannedResource {
    const found = ofKind(plan, kind).filter((r) => r.name === `lessons:demo/${name}`);
    assert.equal(found.length, 1, `${kind} ${name}`);
    return found[0];
}

describe("LessonsNamespace (mocks)", () => {
    let plan: Plan;
    before(async () => {
        plan = await planIndex(EKS_RAW);
    });

    it("puts all four lessons in one injected namespace under Pod Security restricted, as one Helm release of the lessons chart after istiod and the gateway", () => {
        const ns = resource(plan, "classroom-demo-ns");
        const restricted = (mode: string) => ({
            [`pod-security.kubernetes.io/${mode}`]: "restricted",
            [`pod-security.kubernetes.io/${mode}-version`]: `v${DEFAULT_KUBERNETES_VERSION}`,
        });
        assert.deepEqual(ns.inputs.metadata, {
            labels: { "istio-injection": "enabled", ...restricted("enforce"), ...restricted("warn"), ...restricted("audit") },
            name: "demo",
        });
        assert.deepEqual(names(ns.dependsOn), ["mesh-istiod"]);
        const release = resource(plan, RELEASE);
        // mesh-gateway-ca: the workshop CA's certificate travels in the release (myApp's tls stage checks HTTPS by it).
        assert.deepEqual(names(release.dependsOn), ["classroom-demo-ns", "mesh-gateway", "mesh-gateway-ca", "mesh-ingressgateway", "mesh-istiod"]);
        const inputs = release.inputs as any;
        assert.deepEqual([inputs.name, inputs.chart, inputs.namespace, inputs.atomic, inputs.timeout], ["lessons", "./charts/lessons", "demo", false, 1200]);
        assert.equal(inputs.values.objects, objects(plan).length, "the plan lists every object the release carries");
        const apps = new Set(ofKind(plan, "Deployment").map((d) => (d.inputs as any).metadata.labels.app));
        for (const app of ["helloworld", "curl", "curl1", "productpage", "details", "ratings", "reviews", "my-app", "nginx-proxy", "grpc-echo", "grpc-client"]) {
            assert.ok(apps.has(app), app);
        }
    });

    it("makes every verification Job a hook that Helm runs once every other object is applied and ready", () => {
        const jobs = ofKind(plan, "Job");
        assert.deepEqual(jobs.map((j) => j.name.split("/").pop()).sort(), [
            "verify-bookinfo-gw-1",
            "verify-details-1",
            "verify-grpc-echo-mtls",
            "verify-grpc-ping",
            "verify-helloworld-1",
            "verify-helloworld-2",
            "verify-my-app-gw-1",
            "verify-my-app-gw-2",
            "verify-productpage-1",
            "verify-ratings-1",
            "verify-reviews-1",
        ]);
        for (const j of jobs) {
            assert.deepEqual((j.inputs as any).metadata.annotations, { "helm.sh/hook": "post-install,post-upgrade", "helm.sh/hook-delete-policy": "before-hook-creation" }, j.name);
        }
        // Everything else is a plain object of the release (Helm waits for it before the hooks).
        for (const o of objects(plan).filter((r) => !r.type.endsWith(":Job"))) assert.equal((o.inputs as any).metadata.annotations?.["helm.sh/hook"], undefined, o.name);
    });

    it("runs every workload with app and version labels, no privilege escalation, requests and limits", () => {
        for (const d of ofKind(plan, "Deployment")) {
            const tpl = (d.inputs as any).spec.template;
            assert.ok(tpl.metadata.labels.app && tpl.metadata.labels.version, `${d.name} labels`);
            for (const c of tpl.spec.containers) {
                assert.equal(c.securityContext.allowPrivilegeEscalation, false, d.name);
                assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] }, d.name);
                assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, `${d.name} resources`);
            }
        }
        for (const j of ofKind(plan, "Job")) {
            const c = (j.inputs as any).spec.template.spec.containers[0];
            assert.equal(c.securityContext.runAsNonRoot, true, j.name);
            assert.equal(c.terminationMessagePolicy, "FallbackToLogsOnError");
        }
        for (const s of ofKind(plan, "Service")) {
            for (const p of (s.inputs as any).spec.ports) assert.match(p.name, PORT_NAME, `${s.name} port ${p.port}`);
        }
    });

    it("traffic off: no generators, idle curl clients, no gRPC client; verify off: no Jobs", async () => {
        const quiet = await planIndex({ ...EKS_RAW, apps: { traffic: { enabled: false }, verify: { enabled: false } } });
        assert.equal(ofKind(quiet, "Deployment").some((d) => d.name.includes("traffic-")), false);
        assert.deepEqual((obj(quiet, "Deployment", "curl").inputs as any).spec.template.spec.containers[0].command, ["sh", "-c", "while true; do sleep 3600; done"]);
        assert.equal((obj(quiet, "Deployment", "grpc-client").inputs as any).spec.replicas, 0);
        assert.deepEqual(ofKind(quiet, "Job"), []);
    });

    it("a lesson switched off leaves nothing behind", async () => {
        const onlyGrpc = await planIndex({ ...EKS_RAW, apps: { helloworld: false, bookinfo: false, myApp: false } });
        assert.deepEqual(objects(onlyGrpc).map((r) => `${r.type.split(":").pop()}/${r.name.split("/").pop()}`).sort(), [
            // The script of grpc's check of what its server sees.
            "ConfigMap/verify-script",
            "Deployment/grpc-client",
            "Deployment/grpc-echo",
            "Job/verify-grpc-echo-mtls",
            "Job/verify-grpc-ping",
            "Service/grpc-echo",
            "ServiceAccount/grpc-client",
            "ServiceAccount/grpc-echo",
            "ServiceAccount/verify",
            "Sidecar/default",
        ]);
    });
});
