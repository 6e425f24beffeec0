import { strict as assert } from "assert";
import { createHash } from "crypto";
import fc from "fast-check";
import YAML from "yaml";
import {
    ADDON_RESOURCES,
    ISTIO_DASHBOARDS,
    addonReleases,
    grafanaValues,
    jaegerConfig,
    jaegerObjects,
    kialiValues,
    portForwards,
    prometheusValues,
} from "../src/addons/addonsSpec";
import { exposedHttpRoutes, exposedRouteObjects, exposedRoutes, htpasswdLine } from "../src/addons/exposure";
import { EKS_RAW, EXPOSED_RAW, TEST_CERTIFICATE, settingsFor } from "./helpers";

const addonsOf = (addons: Record<string, unknown>) => settingsFor({ ...EXPOSED_RAW, addons }).addons;

describe("addons spec (pure)", () => {
    it("pins every addon and installs the chart-based ones from their upstream repositories", () => {
        const r = addonReleases(addonsOf({}), "1.30.3");
        assert.deepEqual(
            [r.prometheus, r.grafana, r.kiali].map((x) => [x?.name, x?.chart, x?.version, x?.namespace, x?.repositoryOpts.repo]),
            [
                ["prometheus", "prometheus", "27.42.2", "istio-system", "https://prometheus-community.github.io/helm-charts"],
                ["grafana", "grafana", "11.6.1", "istio-system", "https://grafana-community.github.io/helm-charts"],
                ["kiali", "kiali-server", "2.29.0", "istio-system", "https://kiali.org/helm-charts"],
            ],
        );
        assert.equal(jaegerObjects("2.20.0").deployment.spec.template.spec.containers[0].image, "quay.io/jaegertracing/jaeger:2.20.0");
        assert.equal(addonReleases(addonsOf({ kiali: { version: "2.32.1" } }), "1.30.3").kiali?.version, "2.32.1");
    });

    it("runs the Prometheus server alone, as service prometheus:9090, sized for a workshop", () => {
        const v = prometheusValues() as any;
        assert.deepEqual([v.alertmanager.enabled, v["kube-state-metrics"].enabled, v["prometheus-node-exporter"].enabled, v["prometheus-pushgateway"].enabled], [false, false, false, false]);
        assert.equal(v.server.fullnameOverride, "prometheus");
        assert.equal(v.server.service.servicePort, 9090);
        assert.deepEqual(v.server.resources, { requests: { cpu: "100m", memory: "512Mi" }, limits: { memory: "2Gi" } });
    });

    it("gives Grafana a login (no anonymous access), Prometheus and Jaeger as data sources and Istio's six dashboards", () => {
        const v = grafanaValues(addonsOf({}), "1.30.3") as any;
        assert.deepEqual(v.admin, { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
        assert.deepEqual(v["grafana.ini"]["auth.anonymous"], { enabled: false });
        assert.deepEqual(
            v.datasources["datasources.yaml"].datasources.map((d: any) => [d.name, d.url]),
            [
                ["Prometheus", "http://prometheus.istio-system.svc.cluster.local:9090"],
                ["Jaeger", "http://jaeger-query.istio-system.svc.cluster.local:16686/jaeger"],
            ],
        );
        assert.deepEqual(Object.keys(v.dashboards.istio), [
            "istio-mesh",
            "istio-service",
            "istio-workload",
            "istio-control-plane",
            "istio-performance",
            "istio-wasm-extension",
        ]);
        assert.deepEqual(v.dashboards.istio["istio-mesh"], {
            url: "https://raw.githubusercontent.com/istio/istio/1.30.3/manifests/addons/dashboards/istio-mesh-dashboard.gen.json",
        });
        assert.deepEqual(v.downloadDashboardsImage, { registry: "quay.io", repository: "curl/curl", tag: "8.16.0" });
        assert.equal(ISTIO_DASHBOARDS.length, 6);
        // In ambient mode, ztunnel's dashboard as well, from the same release.
        assert.deepEqual((grafanaValues(addonsOf({}), "1.30.3", "ambient") as any).dashboards.istio["istio-ztunnel"], {
            url: "https://raw.githubusercontent.com/istio/istio/1.30.3/manifests/addons/dashboards/ztunnel-dashboard.gen.json",
        });
        assert.deepEqual(
            (grafanaValues(addonsOf({ jaeger: false }), "1.30.3") as any).datasources["datasources.yaml"].datasources.map((d: any) => d.name),
            ["Prometheus"],
        );
    });

    it("wires Kiali explicitly, with token login", () => {
        assert.deepEqual(kialiValues(addonsOf({})), {
            auth: { strategy: "token" },
            server: { port: 20001, web_root: "/kiali" },
            kubernetes_config: { cache_token_namespace_duration: 300 },
            deployment: {
                instance_name: "kiali",
                service_type: "ClusterIP",
                ingress: { enabled: false },
                network_policy: { enabled: false },
                view_only_mode: false,
                pod_labels: { "sidecar.istio.io/inject": "false" },
                resources: ADDON_RESOURCES.kiali,
            },
            external_services: {
                prometheus: { url: "http://prometheus.istio-system.svc.cluster.local:9090" },
                grafana: {
                    enabled: true,
                    internal_url: "http://grafana.istio-system.svc.cluster.local:3000/grafana",
                    external_url: "http://localhost:3000/grafana",
                    auth: { type: "basic", username: "admin", password: "secret:grafana-admin:admin-password" },
                },
                tracing: {
                    enabled: true,
                    provider: "jaeger",
                    use_grpc: true,
                    internal_url: "http://jaeger-query.istio-system.svc.cluster.local:16685/jaeger",
                    external_url: "http://localhost:16686/jaeger",
                },
            },
        });
    });

    it("drops Kiali's link to a disabled addon, and points links at the gateway when exposed", () => {
        const off = kialiValues(addonsOf({ grafana: false, jaeger: false })) as any;
        assert.deepEqual(off.external_services.grafana, { enabled: false });
        assert.deepEqual(off.external_services.tracing, { enabled: false });
        const exposed = kialiValues(addonsOf({ expose: true })) as any;
        assert.equal(exposed.external_services.grafana.external_url, "/grafana");
        assert.equal(exposed.external_services.tracing.external_url, "/jaeger");
    });

    it("configures Jaeger v2 to receive OTLP over gRPC on 4317 only (what the proxies send) and serve its UI under /jaeger", () => {
        const cfg = YAML.parse(jaegerConfig());
        assert.deepEqual(cfg.receivers.otlp.protocols, { grpc: { endpoint: "0.0.0.0:4317" } });
        assert.equal(cfg.extensions.jaeger_query.base_path, "/jaeger");
        const objs = jaegerObjects("2.20.0");
        assert.deepEqual(objs.collectorService.spec.ports.map((p) => [p.name, p.port]), [["grpc-otlp", 4317]]);
        assert.equal(objs.deployment.spec.template.spec.containers[0].securityContext?.allowPrivilegeEscalation, false);
    });

    it("writes salted SHA-1 htpasswd lines nginx accepts", () => {
        const line = htpasswdLine("workshop", "s3cret", "pepper12");
        const [user, hash] = line.trim().split(":");
        assert.equal(user, "workshop");
        const raw = Buffer.from(hash.replace("{SSHA}", ""), "base64");
        assert.deepEqual(raw.subarray(0, 20), createHash("sha1").update("s3cret").update("pepper12").digest());
        assert.equal(raw.subarray(20).toString(), "pepper12");
    });

    it("gives a port-forward command per enabled UI", () => {
        assert.deepEqual(portForwards(addonsOf({ grafana: false, jaeger: false })), {
            kiali: "kubectl -n istio-system port-forward svc/kiali 20001:20001  # then open http://localhost:20001/kiali/",
            prometheus: "kubectl -n istio-system port-forward svc/prometheus 9090:9090  # then open http://localhost:9090/",
        });
    });

    it("exposes nothing by default, and Kiali, Grafana and Jaeger (behind its login) when asked, over TLS only", () => {
        assert.equal(exposedRoutes(addonsOf({ expose: false })), undefined);
        const vs = exposedRoutes(addonsOf({ expose: true }));
        assert.deepEqual(vs?.spec.gateways, ["istio-ingress/workshop-gateway"]);
        const [redirect, ...routes] = vs?.spec.http ?? [];
        // Plain HTTP (port 80) gets a redirect to https for every UI path, never the UI.
        assert.deepEqual(redirect, {
            name: "ui-https-only",
            match: ["/kiali", "/grafana", "/jaeger"].map((prefix) => ({ uri: { prefix }, port: 80 })),
            redirect: { scheme: "https", port: 443, redirectCode: 301 },
        });
        assert.deepEqual(
            routes.map((h) => [h.match?.[0].uri?.prefix, h.match?.[0].port, h.route?.[0].destination?.host, h.route?.[0].destination?.port?.number]),
            [
                ["/kiali", 443, "kiali.istio-system.svc.cluster.local", 20001],
                ["/grafana", 443, "grafana.istio-system.svc.cluster.local", 3000],
                ["/jaeger", 443, "jaeger-auth.istio-system.svc.cluster.local", 8080],
            ],
        );
    });

    it("exposes over TLS on every cluster (the gateway ends it with the workshop CA's certificate), and refuses a certificate without the AWS load balancer", () => {
        assert.deepEqual(settingsFor({ ...EKS_RAW, addons: { expose: true } }).addons.expose, ["kiali", "grafana", "jaeger"]);
        assert.deepEqual(settingsFor({ cluster: { mode: "existing", context: "kind-istio-workshop" }, addons: { expose: ["kiali"] } }).addons.expose, ["kiali"]);
        assert.throws(
            () => settingsFor({ cluster: { mode: "existing", context: "kind-istio-workshop" }, istio: { ingress: { certificateArn: TEST_CERTIFICATE } } }),
            /istio\.ingress\.certificateArn: needs the AWS load balancer: cluster\.mode eks with istio\.ingress\.serviceType LoadBalancer/,
        );
        assert.throws(() => settingsFor({ ...EKS_RAW, istio: { ingress: { certificateArn: "arn:aws:iam::123456789012:server-certificate/x" } } }), /istio\.ingress\.certificateArn: must be an ACM certificate ARN/);
    });

    it("exposes Kiali by default where the stack has attendees, nothing without; a list names UIs, each one that is on, once", () => {
        assert.deepEqual(settingsFor({ ...EKS_RAW, attendees: 3 }).addons.expose, ["kiali"]);
        assert.deepEqual(settingsFor({ ...EKS_RAW, attendees: 3, addons: { kiali: false } }).addons.expose, []);
        assert.deepEqual(settingsFor({ ...EKS_RAW, attendees: 3, addons: { expose: false } }).addons.expose, []);
        assert.deepEqual(settingsFor({ ...EKS_RAW }).addons.expose, []);
        // Canonical order, whatever the list's.
        assert.deepEqual(settingsFor({ ...EKS_RAW, addons: { expose: ["jaeger", "kiali"] } }).addons.expose, ["kiali", "jaeger"]);
        assert.throws(() => settingsFor({ ...EKS_RAW, addons: { grafana: false, expose: ["grafana"] } }), /addons\.expose\[0\]: names an addon this stack turns off: set addons\.grafana: true, or remove it from addons\.expose, got "grafana"/);
        assert.throws(() => settingsFor({ ...EKS_RAW, addons: { expose: ["kiali", "kiali"] } }), /addons\.expose\[1\]: names a UI twice/);
        assert.throws(() => settingsFor({ ...EKS_RAW, addons: { expose: ["prometheus"] } }), /addons\.expose\[0\]: must be true, false or a list of kiali, grafana, jaeger, got "prometheus"/);
    });

    it("keeps each login token's namespaces in Kiali for minutes, not Kiali's 10 s (an attendee's costs a GET per namespace)", () => {
        assert.deepEqual((kialiValues(addonsOf({})) as any).kubernetes_config, { cache_token_namespace_duration: 300 });
    });

    it("routes the exposed UIs with HTTPRoutes on the shared Gateway's listeners under Gateway API ingress: https to the UI, http redirected", () => {
        assert.deepEqual(exposedHttpRoutes(addonsOf({ expose: false })), []);
        // The child each becomes, by the gateway's API: one VirtualService, or the two HTTPRoutes.
        assert.deepEqual(exposedRouteObjects(addonsOf({ expose: true }), "gateway-api").map((r) => [r.key, r.object.kind, r.object.metadata.name]), [["routes-http", "HTTPRoute", "addons-http"], ["routes-https", "HTTPRoute", "addons-https"]]);
        assert.deepEqual(exposedRouteObjects(addonsOf({ expose: true }), "istio").map((r) => [r.key, r.object.kind]), [["routes", "VirtualService"]]);
        assert.deepEqual(exposedRouteObjects(addonsOf({ expose: false }), "istio"), []);
        const [http, https] = exposedHttpRoutes(addonsOf({ expose: true }));
        assert.deepEqual(http.spec.parentRefs, [{ name: "workshop-gateway", namespace: "istio-ingress", sectionName: "http" }]);
        assert.deepEqual(http.spec.rules[0].filters, [{ type: "RequestRedirect", requestRedirect: { scheme: "https", port: 443, statusCode: 301 } }]);
        assert.deepEqual(http.spec.rules[0].matches?.map((m) => m.path?.value), ["/kiali", "/grafana", "/jaeger"]);
        assert.deepEqual(https.spec.parentRefs, [{ name: "workshop-gateway", namespace: "istio-ingress", sectionName: "https" }]);
        assert.deepEqual(
            https.spec.rules.map((r) => [r.matches?.[0].path?.value, r.backendRefs?.[0].name, r.backendRefs?.[0].port]),
            [
                ["/kiali", "kiali", 20001],
                ["/grafana", "grafana", 3000],
                ["/jaeger", "jaeger-auth", 8080],
            ],
        );
    });

    it("property: whatever is enabled, exposing never routes to Prometheus nor to an addon that is off", () => {
        fc.assert(
            fc.property(fc.boolean(), fc.boolean(), fc.boolean(), (kiali, grafana, jaeger) => {
                const addons = addonsOf({ kiali, grafana, jaeger, expose: true });
                const hosts = (exposedRoutes(addons)?.spec.http ?? []).flatMap((h) => (h.route ?? []).map((r) => r.destination.host));
                assert.ok(hosts.every((h) => !h.startsWith("prometheus.")));
                assert.equal(hosts.some((h) => h.startsWith("kiali.")), kiali);
                assert.equal(hosts.some((h) => h.startsWith("grafana.")), grafana);
                assert.equal(hosts.some((h) => h.startsWith("jaeger-auth.")), jaeger);
            }),
        );
    });
});
