import { strict as assert } from "assert";
import { DEFAULT_ISTIO_VERSION } from "../src/settings/istio";
import { workshopFrom } from "../src/workshop/resolve";
import { WorkshopCluster } from "../src/cluster/workshopCluster";
import { IstioMesh } from "../src/mesh/istioMesh";
import { diffPlans } from "../src/judgement/plan/planDiff";
import { recordProgram } from "../src/judgement/plan/recorder";
import { type Plan } from "../src/judgement/plan/plan";
import { AMBIENT_RAW, EKS_RAW, cloudMocks, names, planIndex, resource, settingsFor } from "./helpers";
import { type ClusterConfig } from "../src/settings/schema";

const meshResources = (plan: Plan) => plan.resources.filter((r) => r.urn.includes("istio-workshop:mesh:IstioMesh"));

describe("IstioMesh (mocks)", () => {
    let plan: Plan;
    before(async () => {
        plan = await planIndex(EKS_RAW);
    });

    it("registers the namespaces, the four releases, the ingress service, the mesh-wide policies and istio-system's NetworkPolicies", () => {
        assert.deepEqual(
            meshResources(plan).map((r) => `${r.type} ${r.name}`),
            [
                "istio-workshop:mesh:IstioMesh mesh",
                "kubernetes:core/v1:Namespace mesh-ingress-ns",
                "kubernetes:core/v1:Namespace mesh-system-ns",
                "kubernetes:core/v1:Secret mesh-gateway-cert-secret",
                "kubernetes:core/v1:Service mesh-ingress-service",
                "kubernetes:helm.sh/v3:Release mesh-base",
                "kubernetes:helm.sh/v3:Release mesh-cni",
                "kubernetes:helm.sh/v3:Release mesh-ingressgateway",
                "kubernetes:helm.sh/v3:Release mesh-istiod",
                "kubernetes:networking.istio.io/v1:Gateway mesh-gateway",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy mesh-open-collector",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy mesh-open-istiod",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy mesh-platform-default",
                "kubernetes:security.istio.io/v1:PeerAuthentication mesh-peer-authentication",
                "kubernetes:telemetry.istio.io/v1:Telemetry mesh-telemetry",
                // The Gateway API's CRDs, from the release's own manifest (a component of the provider's: opaque here).
                "kubernetes:yaml/v2:ConfigFile mesh-gateway-api",
                // The workshop CA and the gateway's certificate (the gateway ends TLS itself: no ACM certificate here).
                "tls:index/certRequest:CertRequest mesh-gateway-csr",
                "tls:index/locallySignedCert:LocallySignedCert mesh-gateway-cert",
                "tls:index/privateKey:PrivateKey mesh-gateway-ca-key",
                "tls:index/privateKey:PrivateKey mesh-gateway-key",
                "tls:index/selfSignedCert:SelfSignedCert mesh-gateway-ca",
            ],
        );
        const k8sProvider = resource(plan, "workshop-k8s").urn;
        for (const r of meshResources(plan).filter((r) => r.custom)) assert.equal(r.provider, k8sProvider, r.name);
    });

    it("orders base and the CNI plugin -> istiod (after the port rules) -> gateway -> load balancer and Gateway, and policies after istiod", () => {
        const deps = (n: string) => names(resource(plan, n).dependsOn);
        assert.deepEqual(deps("mesh-base"), ["mesh-system-ns"]);
        assert.deepEqual(deps("mesh-cni"), ["mesh-system-ns"]);
        assert.deepEqual(deps("mesh-istiod"), ["mesh-base", "mesh-cni", "mesh-gateway-api", "workshop-istio-webhook", "workshop-istio-xds"]);
        // The standard channel of the Gateway API release Istio 1.30 builds against, from its official manifest.
        assert.deepEqual(resource(plan, "mesh-gateway-api").inputs, { file: "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml" });
        assert.deepEqual(deps("mesh-ingressgateway"), ["mesh-ingress-ns", "mesh-istiod"]);
        assert.deepEqual(deps("mesh-ingress-service"), ["mesh-ingressgateway"]);
        assert.deepEqual(deps("mesh-peer-authentication"), ["mesh-istiod"]);
        assert.deepEqual(deps("mesh-telemetry"), ["mesh-istiod"]);
        // The Gateway names its certificate's Secret: the Secret first.
        assert.deepEqual(deps("mesh-gateway"), ["mesh-gateway-cert-secret", "mesh-ingressgateway"]);
        assert.deepEqual(deps("mesh-gateway-cert-secret"), ["mesh-gateway-cert", "mesh-gateway-key", "mesh-ingress-ns"]);
    });

    it("in ambient mode adds ztunnel after istiod and the CNI plugin, and the lessons' namespace is enrolled in ambient and waits for ztunnel", async () => {
        const ambient = await planIndex(AMBIENT_RAW);
        const deps = (n: string) => names(resource(ambient, n).dependsOn);
        assert.deepEqual(deps("mesh-ztunnel"), ["mesh-cni", "mesh-istiod"]);
        const values = (n: string) => resource(ambient, n).inputs.values as any;
        assert.equal(values("mesh-ztunnel").profile, "ambient");
        assert.equal(values("mesh-istiod").profile, "ambient");
        assert.equal(values("mesh-cni").profile, "ambient");
        assert.equal(values("mesh-base").profile, undefined);
        const labels = (p: Plan) => (resource(p, "classroom-demo-ns").inputs as any).metadata.labels;
        assert.equal(labels(ambient)["istio.io/dataplane-mode"], "ambient");
        assert.equal(labels(ambient)["istio-injection"], undefined);
        assert.deepEqual(deps("classroom-demo-ns"), ["mesh-ztunnel"]);
        assert.ok(deps("classroom-demo-lessons").includes("mesh-ztunnel"));
        // With sidecars: no ztunnel, no profile, and the namespace waits for istiod, which injects its pods.
        assert.equal(plan.resources.find((r) => r.name === "mesh-ztunnel"), undefined);
        assert.equal((resource(plan, "mesh-istiod").inputs.values as any).profile, undefined);
        assert.equal(labels(plan)["istio-injection"], "enabled");
        assert.deepEqual(names(resource(plan, "classroom-demo-ns").dependsOn), ["mesh-istiod"]);
    });

    it("labels the gateway namespace for injection and puts the tracing provider in istiod's values", () => {
        assert.deepEqual(resource(plan, "mesh-ingress-ns").inputs.metadata, { labels: { "istio-injection": "enabled" }, name: "istio-ingress" });
        const values = resource(plan, "mesh-istiod").inputs.values as any;
        assert.deepEqual(values.meshConfig.extensionProviders, [
            { name: "otel-tracing", opentelemetry: { port: 4317, service: "jaeger-collector.istio-system.svc.cluster.local" } },
        ]);
        assert.deepEqual((resource(plan, "mesh-peer-authentication").inputs as any).spec, { mtls: { mode: "STRICT" } });
        assert.deepEqual((resource(plan, "mesh-telemetry").inputs as any).spec.tracing[0].providers, [{ name: "otel-tracing" }]);
        assert.deepEqual((resource(plan, "mesh-gateway").inputs as any).spec, {
            selector: { istio: "ingressgateway" },
            servers: [
                { hosts: ["*"], port: { name: "http", number: 80, protocol: "HTTP" } },
                { hosts: ["*"], port: { name: "https", number: 443, protocol: "HTTPS" }, tls: { mode: "SIMPLE", credentialName: "workshop-gateway-cert" } },
            ],
        });
    });

    it("exports the Istio version, an unknown gateway address and the mesh checks", () => {
        assert.equal(plan.outputs.istioVersion, DEFAULT_ISTIO_VERSION);
        assert.equal(plan.outputs.ingressGatewayAddress, "[unknown]");
        assert.deepEqual(plan.outputs.meshChecks, [
            "kubectl get pods -n istio-system",
            "kubectl get pods -n istio-ingress",
            "istioctl proxy-status",
            "istioctl analyze --all-namespaces",
        ]);
    });

    it("changing istio.version changes every Istio chart's version, the release's Grafana dashboards, and nothing else", async () => {
        const bumped = await planIndex({ ...EKS_RAW, istio: { version: "1.30.4" } });
        const diff = diffPlans(plan, bumped);
        assert.deepEqual(diff.added, []);
        assert.deepEqual(diff.removed, []);
        const byResource = diff.changed.map((c) => [c.urn.split("::").pop(), c.changes] as const);
        assert.deepEqual(
            byResource.filter(([n]) => n !== "addons-grafana"),
            ["mesh-base", "mesh-cni", "mesh-ingressgateway", "mesh-istiod"].map((n) => [n, [{ path: "inputs.version", old: DEFAULT_ISTIO_VERSION, new: "1.30.4" }]]),
        );
        const grafana = byResource.find(([n]) => n === "addons-grafana")![1];
        assert.equal(grafana.length, 6);
        for (const c of grafana) {
            assert.match(c.path, /^inputs\.values\.dashboards\.istio\.[a-z-]+\.url$/);
            assert.equal(c.new, String(c.old).replace(`/istio/istio/${DEFAULT_ISTIO_VERSION}/`, "/istio/istio/1.30.4/"));
        }
    });

    it("adds an egress gateway after istiod when asked", async () => {
        const withEgress = await planIndex({ ...EKS_RAW, istio: { egressGateway: true } });
        const diff = diffPlans(plan, withEgress);
        assert.deepEqual(diff.added.map((u) => u.split("::").pop()), ["mesh-egress-ns", "mesh-egress-service", "mesh-egressgateway"]);
        assert.deepEqual(names(resource(withEgress, "mesh-egressgateway").dependsOn), ["mesh-egress-ns", "mesh-istiod"]);
        // The chart's own Service is off: the stack's in-cluster Service selects the egress gateway's pods.
        const svc = resource(withEgress, "mesh-egress-service").inputs as any;
        assert.deepEqual([svc.metadata.namespace, svc.spec.type, svc.spec.selector], ["istio-egress", "ClusterIP", { app: "istio-egressgateway", istio: "egressgateway" }]);
    });

    it("on an existing cluster istiod waits only for base and the CNI plugin, and the gateway is a NodePort", async () => {
        const local = await planIndex({ cluster: { mode: "existing", context: "kind-istio-workshop" } });
        assert.deepEqual(names(resource(local, "mesh-istiod").dependsOn), ["mesh-base", "mesh-cni", "mesh-gateway-api"]);
        assert.equal((resource(local, "mesh-ingress-service").inputs as any).spec.type, "NodePort");
        assert.equal(local.outputs.ingressGatewayAddress, "any node's address, ports 30080 (http) and 30443 (https)");
    });

    it("reports the load balancer's hostname once AWS has made it", async () => {
        const deployed = await recordProgram({
            project: "istio-workshop",
            stack: "test",
            config: {},
            preview: false,
            mocks: {
                ...cloudMocks,
                newResource: (args) =>
                    args.type === "kubernetes:core/v1:Service"
                        ? { id: "svc", state: { ...args.inputs, status: { loadBalancer: { ingress: [{ hostname: "abc.elb.eu-west-1.amazonaws.com" }] } } } }
                        : cloudMocks.newResource(args),
            },
            program: () => {
                const cluster = new WorkshopCluster("workshop", { cluster: EKS_RAW.cluster as ClusterConfig, stack: "test" });
                const mesh = new IstioMesh("mesh", { provider: cluster.provider, cluster: { mode: "eks" }, portRules: cluster.istioPortRules, sizing: workshopFrom(settingsFor(EKS_RAW)).lessons.mesh });
                return { address: mesh.ingressAddress };
            },
        });
        assert.deepEqual(deployed.outputs, { address: "abc.elb.eu-west-1.amazonaws.com" });
    });
});
