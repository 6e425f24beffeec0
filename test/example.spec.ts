/**
 * The example program (`examples/existing-cluster`): two components from the
 * package's entry point, with plain arguments, on a cluster you have, run
 * under Pulumi's mocks as the program Pulumi would run.
 */
import { strict as assert } from "assert";
import { DEFAULT_ISTIO_VERSION } from "../src/settings/istio";
import * as path from "path";
import { recordProgram } from "../src/judgement/plan/recorder";
import { type Plan } from "../src/judgement/plan/plan";
import { cloudMocks } from "./helpers";
import * as entry from "../src";

const EXAMPLE = path.join(__dirname, "..", "examples", "existing-cluster", "index.ts");

async function planExample(): Promise<Plan> {
    delete require.cache[require.resolve(EXAMPLE)];
    return recordProgram({
        project: "istio-workshop-example",
        stack: "dev",
        config: { "istio-workshop-example:kubeContext": "kind-istio-workshop" },
        preview: false,
        mocks: cloudMocks,
        program: () => ({ ...require(EXAMPLE) }),
    });
}

describe("the package entry point and its example program", () => {
    let plan: Plan;
    before(async () => {
        plan = await planExample();
    });

    it("exports the four components and the resolutions they are built from: the program's own, not copies", () => {
        const own: Record<string, unknown> = {
            WorkshopCluster: require("../src/cluster/workshopCluster").WorkshopCluster,
            IstioMesh: require("../src/mesh/istioMesh").IstioMesh,
            ObservabilityAddons: require("../src/addons/observabilityAddons").ObservabilityAddons,
            Classroom: require("../src/classroom/classroom").Classroom,
            resolveWorkshop: require("../src/workshop/resolve").resolveWorkshop,
            planLessons: require("../src/workshop/lessons").planLessons,
            SettingsError: require("../src/settings/parse").SettingsError,
        };
        assert.deepEqual(Object.keys(entry).sort(), Object.keys(own).sort(), "the entry point exports exactly these");
        for (const [name, value] of Object.entries(own)) assert.equal((entry as any)[name], value, name);
        // The package's exports field points at this entry point.
        assert.equal(require("../package.json").exports["."], "./src/index.ts");
    });

    it("installs Istio and the addons it asks for on the given context, every Kubernetes object through its provider", () => {
        const provider = plan.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
        assert.equal((provider.inputs as any).context, "kind-istio-workshop");
        const releases = plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release").map((r) => (r.inputs as any).name).sort();
        assert.deepEqual(releases, ["grafana", "istio-base", "istio-cni", "istio-ingressgateway", "istiod", "kiali", "prometheus"]);
        assert.ok(!plan.resources.some((r) => /jaeger/.test(r.name)), "jaeger: false");
        for (const r of plan.resources.filter((x) => x.custom && x.type.startsWith("kubernetes:"))) assert.equal(r.provider, provider.urn, r.name);
        // No AWS resource: the cluster is the caller's.
        assert.ok(!plan.resources.some((r) => r.type.startsWith("aws:") || r.type.startsWith("eks:")));
    });

    it("applies the arguments and the defaults of what it leaves out", () => {
        const istiod = plan.resources.find((r) => (r.inputs as any).name === "istiod")!.inputs as any;
        assert.equal(istiod.version, DEFAULT_ISTIO_VERSION, "the default Istio version");
        assert.equal(istiod.values.meshConfig.accessLogFile, "", "accessLogs: false");
        const telemetry = plan.resources.find((r) => r.type === "kubernetes:telemetry.istio.io/v1:Telemetry")!;
        assert.equal((telemetry.inputs as any).spec.tracing[0].randomSamplingPercentage, 10, "tracing.samplingPercent: 10");
        const peer = plan.resources.find((r) => r.type === "kubernetes:security.istio.io/v1:PeerAuthentication")!;
        assert.deepEqual((peer.inputs as any).spec, { mtls: { mode: "STRICT" } });
        const ingress = plan.resources.find((r) => r.type === "kubernetes:core/v1:Service" && (r.inputs as any).metadata.namespace === "istio-ingress")!;
        assert.equal((ingress.inputs as any).spec.type, "NodePort", "an existing cluster's default");
        assert.deepEqual(plan.outputs.istioVersion, DEFAULT_ISTIO_VERSION);
    });

    it("refuses a wrong argument with the key and the allowed values, before registering anything", () => {
        assert.throws(() => new entry.IstioMesh("bad", { provider: undefined as any, istio: { mtls: "STRICT-ish" as any } }), (e: Error) => e instanceof entry.SettingsError && /istio\.mtls: must be one of "STRICT", "PERMISSIVE", "DISABLE", got "STRICT-ish"/.test(e.message));
    });

    it("a component validates only the sections it is given: nothing of the cluster is invented for one that does not create it", () => {
        // An EKS cluster's facts are enough for the lessons: no adminCidrs, no context.
        const lessons = entry.planLessons({ cluster: { mode: "eks", kubernetesVersion: "1.35" }, attendees: ["ana", "ben"], apps: { bookinfo: { stage: "all-v1" } } });
        assert.deepEqual(lessons.namespaces.map((n) => [n.namespace, n.placement.prefix]), [["ana", "/ana"], ["ben", "/ben"]]);
        assert.equal(lessons.settings.cluster.mode, "eks");
        // A mistake names the key of the section it is in, and only sections given can hold one.
        assert.throws(() => entry.planLessons({ attendees: ["default"] }), (e: Error) => e instanceof entry.SettingsError && /attendees\[0\]: names a namespace the stack or Kubernetes already uses/.test(e.message));
        assert.throws(
            () => new entry.WorkshopCluster("bad", { cluster: { mode: "eks" } }),
            (e: Error) => e instanceof entry.SettingsError && /cluster\.adminCidrs: is required when cluster\.mode is "eks"/.test(e.message) && !/apps|istio|addons/.test(e.message),
        );
    });

    it("a Classroom on a mesh of your own: planned from plain sections, each attendee's namespace through the caller's provider", async () => {
        const recorded = await recordProgram({
            project: "istio-workshop-example",
            stack: "dev",
            config: {},
            preview: false,
            mocks: cloudMocks,
            program: () => {
                const k8s = require("@pulumi/kubernetes");
                const provider = new k8s.Provider("cluster", { context: "kind-istio-workshop" });
                const mesh = new entry.IstioMesh("mesh", { provider });
                const lessons = entry.planLessons({ attendees: ["ana"], apps: { grpc: false, myApp: false, helloworld: false } });
                const room = new entry.Classroom("room", { lessons, provider, istiod: mesh.istiod, gateway: [mesh.gateway], clusterName: "kind", endpoint: undefined });
                return { namespaces: room.namespaces };
            },
        });
        assert.deepEqual(recorded.outputs.namespaces, ["ana"]);
        const release = recorded.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any).namespace === "ana" && r.name === "room-ana-apps-lessons")!;
        assert.ok(release, "the attendee's lessons release");
        assert.equal(release.provider, recorded.resources.find((r) => r.type === "pulumi:providers:kubernetes")!.urn);
        assert.ok(recorded.resources.some((r) => r.name === "room-ana-routes"), "the attendee's root route on the shared gateway");
    });
});
