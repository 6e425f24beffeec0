import { strict as assert } from "assert";
import type { Plan, PlannedResource } from "../src/judgement/plan/plan";
import { EKS_RAW, EXPOSED_RAW, names, planIndex, resource } from "./helpers";

const addonResources = (plan: Plan) => plan.resources.filter((r) => r.urn.includes("istio-workshop:addons:ObservabilityAddons$"));
const release = (plan: Plan, name: string) =>
    plan.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === name) as PlannedResource | undefined;
const svcUrl = (name: unknown, namespace: unknown, port: unknown) => `http://${name}.${namespace}.svc.cluster.local:${port}`;

describe("ObservabilityAddons (mocks)", () => {
    let plan: Plan;
    before(async () => {
        plan = await planIndex(EKS_RAW);
    });

    it("installs the four addons at their pinned versions, after istiod", () => {
        assert.deepEqual(
            ["prometheus", "grafana", "kiali"].map((n) => [n, release(plan, n)?.inputs.version]),
            [["prometheus", "27.42.2"], ["grafana", "11.6.1"], ["kiali", "2.29.0"]],
        );
        const jaeger = resource(plan, "addons-jaeger").inputs as any;
        assert.equal(jaeger.spec.template.spec.containers[0].image, "quay.io/jaegertracing/jaeger:2.20.0");
        for (const r of addonResources(plan).filter((r) => r.custom && r.type.startsWith("kubernetes:"))) {
            assert.ok(names(r.dependsOn).includes("mesh-istiod"), `${r.name} waits for istiod`);
        }
    });

    it("wires Kiali to the in-cluster URLs of the Prometheus, Grafana and Jaeger services this plan creates", () => {
        const kiali = (release(plan, "kiali")!.inputs.values as any).external_services;
        const prom = release(plan, "prometheus")!.inputs as any;
        assert.equal(kiali.prometheus.url, svcUrl(prom.values.server.fullnameOverride, prom.namespace, prom.values.server.service.servicePort));
        const grafana = release(plan, "grafana")!.inputs as any;
        assert.ok(kiali.grafana.internal_url.startsWith(svcUrl(grafana.values.fullnameOverride, grafana.namespace, grafana.values.service.port) + "/"));
        const query = resource(plan, "addons-jaeger-query").inputs as any;
        const grpc = query.spec.ports.find((p: any) => p.name === "grpc-query");
        assert.ok(kiali.tracing.internal_url.startsWith(svcUrl(query.metadata.name, query.metadata.namespace, grpc.port) + "/"));
        assert.equal(kiali.tracing.use_grpc, true);
    });

    it("sends the mesh's traces to the Jaeger collector service this plan creates", () => {
        const collector = resource(plan, "addons-jaeger-collector").inputs as any;
        const provider = (resource(plan, "mesh-istiod").inputs.values as any).meshConfig.extensionProviders[0].opentelemetry;
        assert.equal(provider.service, `${collector.metadata.name}.${collector.metadata.namespace}.svc.cluster.local`);
        assert.ok(collector.spec.ports.some((p: any) => p.port === provider.port && p.name.startsWith("grpc")));
    });

    it("never lets Kiali be anonymous, and sets Grafana's dashboards and generated password", () => {
        assert.equal((release(plan, "kiali")!.inputs.values as any).auth.strategy, "token");
        const grafana = release(plan, "grafana")!.inputs.values as any;
        assert.equal(Object.keys(grafana.dashboards.istio).length, 6);
        const secret = resource(plan, "addons-grafana-admin").inputs as any;
        assert.equal(grafana.admin.existingSecret, secret.metadata.name);
        assert.equal(secret.stringData, "[secret]", "the Secret's data is a Pulumi secret");
        assert.deepEqual(names(resource(plan, "addons-grafana-admin").dependsOn), ["addons-grafana-password", "mesh-istiod"]);
        assert.equal(plan.outputs.grafanaAdminPassword, "[secret]");
        assert.equal(plan.outputs.kialiLogin, "kubectl -n istio-system create token workshop-mesh-viewer --duration=8h");
    });

    it("exposes nothing by default: every addon Service is ClusterIP and no route is bound", () => {
        for (const r of addonResources(plan).filter((r) => r.type === "kubernetes:core/v1:Service")) {
            assert.equal((r.inputs as any).spec.type, "ClusterIP", r.name);
        }
        assert.equal(addonResources(plan).some((r) => r.type.includes("VirtualService")), false);
        assert.deepEqual(Object.keys(plan.outputs.portForwards as object), ["grafana", "jaeger", "kiali", "prometheus"]);
    });

    it("disabling an addon removes it and Kiali's link to it", async () => {
        const lean = await planIndex({ ...EKS_RAW, addons: { jaeger: false, grafana: false } });
        assert.equal(release(lean, "grafana"), undefined);
        assert.equal(lean.resources.some((r) => /addons-(jaeger|grafana)/.test(r.name)), false);
        const kiali = (release(lean, "kiali")!.inputs.values as any).external_services;
        assert.deepEqual([kiali.grafana, kiali.tracing], [{ enabled: false }, { enabled: false }]);
        assert.deepEqual(Object.keys(lean.outputs.portForwards as object), ["kiali", "prometheus"]);
        const noKiali = await planIndex({ ...EKS_RAW, addons: { kiali: false } });
        assert.equal(release(noKiali, "kiali"), undefined);
        assert.equal(noKiali.outputs.kialiLogin, undefined);
    });

    it("expose: true routes Kiali, Grafana and Jaeger (behind basic auth) through the gateway, never Prometheus", async () => {
        const exposed = await planIndex(EXPOSED_RAW);
        const routes = resource(exposed, "addons-routes");
        const hosts = ((routes.inputs as any).spec.http as any[]).filter((h) => h.route).map((h) => h.route[0].destination.host);
        assert.deepEqual(hosts, ["kiali.istio-system.svc.cluster.local", "grafana.istio-system.svc.cluster.local", "jaeger-auth.istio-system.svc.cluster.local"]);
        assert.ok(names(routes.dependsOn).includes("mesh-gateway"));
        assert.ok(names(routes.dependsOn).includes("addons-jaeger-auth"));
        const auth = resource(exposed, "addons-jaeger-auth-service").inputs as any;
        assert.equal(`${auth.metadata.name}.${auth.metadata.namespace}.svc.cluster.local`, hosts[2]);
        assert.equal(exposed.outputs.jaegerPassword, "[secret]");
        assert.equal(JSON.stringify(routes.inputs).includes("prometheus"), false);
    });
});
