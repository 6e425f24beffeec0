import { strict as assert } from "assert";
import { DEFAULT_ISTIO_VERSION } from "../src/settings/istio";
import { ISTIO_CHART_REPO, gatewayApiManifest, gatewayApiRelease, gatewayValues, ingressServiceSpec, istiodValues, meshPeerAuthentication, meshReleases, meshTelemetry, workshopGateway } from "../src/mesh/meshSpec";
import { INGRESS_GATEWAY, GATEWAY_CERT_SECRET } from "../src/model/platform";
import { workshopFrom } from "../src/workshop/resolve";
import { EKS_RAW, EXPOSED_RAW, TEST_CERTIFICATE, settingsFor } from "./helpers";

describe("mesh spec (pure)", () => {
    const dev = settingsFor(EKS_RAW);
    const local = settingsFor({ cluster: { mode: "existing", context: "kind-istio-workshop" } });
    const devSizing = workshopFrom(dev).lessons.mesh;

    it("installs base, the CNI plugin, istiod and the ingress gateway from the official repository at one version", () => {
        const r = meshReleases(dev.istio, devSizing);
        assert.deepEqual(
            [r.base, r.cni, r.istiod, r.ingress].map((x) => [x.name, x.chart, x.namespace, x.version, x.repositoryOpts.repo, x.atomic, x.timeout]),
            [
                ["istio-base", "base", "istio-system", DEFAULT_ISTIO_VERSION, ISTIO_CHART_REPO, true, 600],
                ["istio-cni", "cni", "istio-system", DEFAULT_ISTIO_VERSION, ISTIO_CHART_REPO, true, 600],
                ["istiod", "istiod", "istio-system", DEFAULT_ISTIO_VERSION, ISTIO_CHART_REPO, true, 600],
                ["istio-ingressgateway", "gateway", "istio-ingress", DEFAULT_ISTIO_VERSION, ISTIO_CHART_REPO, true, 600],
            ],
        );
        assert.equal(r.egress, undefined);
        const withEgress = meshReleases(settingsFor({ ...EKS_RAW, istio: { egressGateway: true, version: "1.29.2", gatewayApi: { crds: "cluster" } } }).istio, devSizing);
        assert.deepEqual(
            [withEgress.egress?.name, withEgress.egress?.chart, withEgress.egress?.namespace, withEgress.egress?.version],
            ["istio-egressgateway", "gateway", "istio-egress", "1.29.2"],
        );
    });

    it("names the Gateway API manifest of the release Istio builds against, and reads a release's manifest URL back; none with crds: cluster", () => {
        const url = gatewayApiManifest(settingsFor(EKS_RAW).istio)!;
        assert.equal(url, "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml");
        assert.deepEqual(gatewayApiRelease(url), { version: "v1.5.1", channel: "standard" });
        assert.deepEqual(gatewayApiRelease(url.replace("standard-install", "experimental-install")), { version: "v1.5.1", channel: "experimental" });
        assert.equal(gatewayApiRelease("https://example.com/releases/download/v1.5.1/standard-install.yaml"), undefined);
        assert.equal(gatewayApiManifest(settingsFor({ ...EKS_RAW, istio: { gatewayApi: { crds: "cluster" } } }).istio), undefined);
    });

    it("configures istiod: access logs, OpenTelemetry tracing to Jaeger, proxies sized by the model, native sidecars", () => {
        assert.deepEqual(istiodValues(dev.istio, devSizing), {
            global: { proxy: { resources: { requests: { cpu: "10m", memory: "48Mi" }, limits: { cpu: "500m", memory: "128Mi" } } } },
            pilot: {
                autoscaleEnabled: false,
                replicaCount: 1,
                resources: { requests: { cpu: "150m", memory: "256Mi" }, limits: { memory: "1024Mi" } },
                env: { ENABLE_NATIVE_SIDECARS: "true", PILOT_SCOPE_GATEWAY_TO_NAMESPACE: "true", BLOCKED_CIDRS_IN_JWKS_URIS: "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,127.0.0.0/8,169.254.0.0/16,0.0.0.0/8,::1/128,fc00::/7,fe80::/10" },
                cni: { enabled: true },
            },
            sidecarInjectorWebhook: { rewriteAppHTTPProbe: true },
            meshConfig: {
                accessLogFile: "/dev/stdout",
                accessLogEncoding: "TEXT",
                defaultServiceExportTo: ["."],
                defaultVirtualServiceExportTo: ["."],
                defaultDestinationRuleExportTo: ["."],
                enablePrometheusMerge: true,
                extensionProviders: [
                    { name: "otel-tracing", opentelemetry: { service: "jaeger-collector.istio-system.svc.cluster.local", port: 4317 } },
                ],
            },
        });
        const quiet = istiodValues(settingsFor({ ...EKS_RAW, istio: { accessLogs: false } }).istio, devSizing) as any;
        assert.equal(quiet.meshConfig.accessLogFile, "");
    });

    it("labels the gateway pods as the Gateways of this stack select them, and leaves the Service to the stack", () => {
        assert.deepEqual(gatewayValues("ingress"), {
            labels: { app: "istio-ingressgateway", istio: "ingressgateway" },
            resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
            autoscaling: { enabled: false },
            replicaCount: 1,
            service: { type: "None" },
        });
        assert.deepEqual(INGRESS_GATEWAY.selector, { istio: "ingressgateway" });
        for (const [k, v] of Object.entries(INGRESS_GATEWAY.selector)) assert.equal((INGRESS_GATEWAY.labels as Record<string, string>)[k], v);
    });

    it("serves the ingress gateway through an AWS NLB on ports 80 and 443 on EKS", () => {
        assert.deepEqual(ingressServiceSpec(dev.cluster, dev.istio), {
            metadata: {
                name: "istio-ingressgateway",
                namespace: "istio-ingress",
                labels: { app: "istio-ingressgateway", istio: "ingressgateway" },
                annotations: {
                    "networking.istio.io/exportTo": "*",
                    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
                },
            },
            spec: {
                type: "LoadBalancer",
                selector: { app: "istio-ingressgateway", istio: "ingressgateway" },
                ports: [
                    { name: "http2", port: 80, targetPort: 80, protocol: "TCP" },
                    { name: "https", port: 443, targetPort: 443, protocol: "TCP" },
                ],
                loadBalancerSourceRanges: ["0.0.0.0/0"],
                externalTrafficPolicy: "Cluster",
            },
        });
    });

    it("with a certificate, ends TLS at the load balancer on 443 (TLS 1.2+) and serves it to the gateway as HTTP on 8443", () => {
        const tls = settingsFor(EXPOSED_RAW);
        const svc = ingressServiceSpec(tls.cluster, tls.istio);
        assert.deepEqual(
            Object.entries(svc.metadata.annotations).filter(([k]) => k.includes("ssl")),
            [
                ["service.beta.kubernetes.io/aws-load-balancer-ssl-cert", TEST_CERTIFICATE],
                ["service.beta.kubernetes.io/aws-load-balancer-ssl-ports", "https"],
                ["service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy", "ELBSecurityPolicy-TLS13-1-2-2021-06"],
            ],
        );
        assert.deepEqual(svc.spec.ports.map((p) => [p.name, p.port, p.targetPort]), [["http2", 80, 80], ["https", 443, 8443]]);
        assert.deepEqual(workshopGateway(tls.istio).spec.servers.map((x) => [x.port.number, x.port.protocol]), [[80, "HTTP"], [443, "HTTP"]]);
        // Without one, the gateway ends TLS on 443 itself, with the certificate the workshop's CA signs.
        assert.deepEqual(workshopGateway(settingsFor(EKS_RAW).istio).spec.servers.map((x) => [x.port.number, x.port.protocol, x.tls?.credentialName]), [
            [80, "HTTP", undefined],
            [443, "HTTPS", GATEWAY_CERT_SECRET],
        ]);
    });

    it("uses fixed node ports on an existing cluster", () => {
        const svc = ingressServiceSpec(local.cluster, local.istio);
        assert.deepEqual(svc.metadata.annotations, { "networking.istio.io/exportTo": "*" });
        assert.deepEqual(svc.spec, {
            type: "NodePort",
            selector: { app: "istio-ingressgateway", istio: "ingressgateway" },
            ports: [
                { name: "http2", port: 80, targetPort: 80, protocol: "TCP", nodePort: 30080 },
                { name: "https", port: 443, targetPort: 443, protocol: "TCP", nodePort: 30443 },
            ],
        });
    });

    it("builds the mesh-wide PeerAuthentication and Telemetry from settings", () => {
        assert.deepEqual(meshPeerAuthentication(settingsFor({ ...EKS_RAW, istio: { mtls: "PERMISSIVE" } }).istio), {
            apiVersion: "security.istio.io/v1",
            kind: "PeerAuthentication",
            metadata: { name: "default", namespace: "istio-system" },
            spec: { mtls: { mode: "PERMISSIVE" } },
        });
        assert.deepEqual(meshTelemetry(settingsFor({ ...EKS_RAW, istio: { tracing: { samplingPercent: 5 } } }).istio), {
            apiVersion: "telemetry.istio.io/v1",
            kind: "Telemetry",
            metadata: { name: "mesh-default", namespace: "istio-system" },
            spec: { tracing: [{ providers: [{ name: "otel-tracing" }], randomSamplingPercentage: 5 }] },
        });
    });
});
