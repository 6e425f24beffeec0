/**
 * The lessons beyond the seeds: TCP traffic shifting (Istio's tcp-echo sample)
 * and mutual-TLS migration (httpbin with a client outside the mesh), checked
 * against Istio's sample files and the apps' real replies.
 */
import { strict as assert } from "assert";
import { atStage } from "../src/lessons/resolve";
import { buildNamespace, buildScenario, egressGatewayRoute, namespaceManifests, standInManifests } from "../src/lessons/build";
import { checkPlans } from "../src/lessons/checks";
import { EXTERNAL_HOST, egress } from "../src/lessons/catalog/egress";
import { mtls } from "../src/lessons/catalog/mtls";
import { tcp } from "../src/lessons/catalog/tcp";
import { EXTERNAL_NAMESPACE } from "../src/model/platform";
import { sidecarEgressHosts } from "../src/mesh/meshScale";
import { NO_INJECTION_LABEL } from "../src/lessons/model";
import { EKS_RAW, planIndex, settingsFor } from "./helpers";
import { needUpstream, replyPath, upstreamYamlDocs } from "./upstream";
import { runCheck, type Answer } from "./verifyRunner";
import { resolveScenarios } from "../src/lessons/resolve";

const lines = (file: string, n: number): Answer[] => Array<Answer>(n).fill(replyPath(file));
const refused = (n: number): Answer[] => Array<Answer>(n).fill({ file: replyPath("tcp-echo-v1.txt"), status: 0 });

describe("lesson tcp: Istio's TCP traffic shifting", () => {
    it("routes as tcp-echo-all-v1.yaml and tcp-echo-20-v2.yaml do, bound to the mesh instead of a gateway port", function () {
        needUpstream(this);
        for (const [stage, file] of [["all-v1", "tcp-echo/tcp-echo-all-v1.yaml"], ["v1-v2-80-20", "tcp-echo/tcp-echo-20-v2.yaml"]]) {
            const upstream = upstreamYamlDocs(`istio-samples/${file}`).find((d: any) => d.kind === "VirtualService") as any;
            const built = buildScenario(atStage(tcp(), stage), { namespace: "demo", verify: true, requests: 100 });
            const ours = built.virtualServices[0].object.spec;
            assert.deepEqual(ours.tcp!.map((r) => r.route), upstream.spec.tcp.map((r: any) => r.route), stage);
            assert.deepEqual(ours.hosts, ["tcp-echo"]);
        }
    });

    it("runs tcp-echo v1 and v2 as tcp-echo-services.yaml does", function () {
        needUpstream(this);
        const upstream = upstreamYamlDocs("istio-samples/tcp-echo/tcp-echo-services.yaml").filter((d: any) => d.kind === "Deployment") as any[];
        for (const d of upstream) {
            const ours = tcp().workloads.find((w) => w.name === d.metadata.name)!;
            const c = d.spec.template.spec.containers[0];
            assert.deepEqual([ours.image, ours.args, ours.labels], [c.image, c.args, d.spec.template.metadata.labels]);
        }
        const svc = upstreamYamlDocs("istio-samples/tcp-echo/tcp-echo-services.yaml").find((d: any) => d.kind === "Service") as any;
        assert.deepEqual(tcp().services[0].ports.map((p) => [p.name, p.port]), svc.spec.ports.map((p: any) => [p.name, p.port]));
    });

    it("counts each connection's echo as its version: 80/20 passes, all-v1 fails it, on the app's real replies", () => {
        const [check] = checkPlans(atStage(tcp(), "v1-v2-80-20"), 100);
        assert.equal(check.url, "tcp://tcp-echo:9000");
        assert.equal(runCheck(check, [...lines("tcp-echo-v1.txt", 79), ...lines("tcp-echo-v2.txt", 21)]).status, 0);
        assert.match(runCheck(check, lines("tcp-echo-v1.txt", 100)).stdout, /^FAIL verify-tcp-echo-1: .*measured v1=98 v2=0 other=0 \(stopped after 98: already out of bounds\)$/m);
        const [allV1] = checkPlans(atStage(tcp(), "all-v1"), 100);
        assert.equal(runCheck(allV1, lines("tcp-echo-v1.txt", 100)).status, 0);
        assert.equal(runCheck(allV1, [...lines("tcp-echo-v1.txt", 99), ...lines("tcp-echo-v2.txt", 1)]).status, 1);
    });
});

describe("lesson mtls: from PERMISSIVE to STRICT with a client outside the mesh", () => {
    it("sets httpbin's PeerAuthentication per stage; the legacy client and its check run without a sidecar", () => {
        for (const [stage, mode] of [["permissive", "PERMISSIVE"], ["strict", "STRICT"]]) {
            const built = buildScenario(atStage(mtls({ rate: 1 }), stage), { namespace: "ana", verify: true, requests: 100 });
            assert.deepEqual(
                built.policies.map((p) => [p.kind, p.metadata.name, p.spec]),
                [["PeerAuthentication", "httpbin", { selector: { matchLabels: { app: "httpbin" } }, mtls: { mode } }]],
            );
            const legacy = built.deployments.find((d) => d.name === "curl-legacy")!.spec as any;
            assert.equal(legacy.spec.template.metadata.labels[NO_INJECTION_LABEL], "false");
            const job = built.checks.find((c) => c.name === "verify-httpbin-from-legacy")!.job as any;
            assert.equal(job.spec.template.metadata.labels[NO_INJECTION_LABEL], "false");
            const mesh = built.checks.find((c) => c.name === "verify-httpbin-from-mesh")!.job as any;
            assert.equal(mesh.spec.template.metadata.labels[NO_INJECTION_LABEL], undefined);
        }
    });

    it("runs httpbin as Istio's httpbin.yaml does", function () {
        needUpstream(this);
        const d = upstreamYamlDocs("istio-samples/httpbin/httpbin.yaml").find((x: any) => x.kind === "Deployment") as any;
        const ours = mtls({}).workloads.find((w) => w.name === "httpbin")!;
        const c = d.spec.template.spec.containers[0];
        assert.deepEqual([ours.image, ours.containerPort, ours.serviceAccount], [c.image, c.ports[0].containerPort, d.spec.template.spec.serviceAccountName]);
    });

    it("the legacy check passes when plaintext is answered under PERMISSIVE and refused under STRICT, and fails otherwise", () => {
        const legacy = (stage: string) => checkPlans(atStage(mtls({}), stage), 100).find((c) => c.name === "verify-httpbin-from-legacy")!;
        const answered = Array<Answer>(100).fill({ file: replyPath("helloworld-v1.txt"), status: 200 });
        assert.equal(runCheck(legacy("permissive"), answered).status, 0);
        assert.equal(runCheck(legacy("permissive"), refused(100)).status, 1);
        assert.equal(runCheck(legacy("strict"), refused(100), { readyStatus: "000" }).status, 0);
        assert.match(runCheck(legacy("strict"), answered, { readyStatus: "000" }).stdout, /^FAIL verify-httpbin-from-legacy: .*measured refused=0 other=1 \(stopped after 1: already out of bounds\)$/m);
    });
});

describe("every lesson at once", () => {
    it("all seven lessons in one namespace: no object twice", () => {
        const apps = settingsFor({ ...EKS_RAW, apps: { mtls: true, tcp: true, egress: true } }).apps;
        const manifests = namespaceManifests(buildNamespace({ namespace: "demo", apps, lessons: resolveScenarios(apps) }), "demo");
        const names = manifests.map((m) => `${m.kind}/${m.metadata.name}`);
        assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), []);
        assert.ok(names.includes("Deployment/tcp-echo-v2") && names.includes("Deployment/httpbin"));
    });
});

describe("lesson egress: a host outside the mesh, open, closed, and opened for one host", () => {
    const built = (stage: string) => buildScenario(atStage(egress({ rate: 1 }), stage), { namespace: "ana", verify: true, requests: 100, sidecarHosts: ["./*", "istio-system/*", "istio-ingress/*"] });

    it("each stage's outbound policy is a Sidecar for the lesson's client and checks only, importing what the namespace's default imports", () => {
        for (const [stage, mode] of [["allow-any", "ALLOW_ANY"], ["registry-only", "REGISTRY_ONLY"], ["service-entry", "REGISTRY_ONLY"], ["egress-gateway", "REGISTRY_ONLY"]]) {
            const b = built(stage);
            const sidecar = b.policies.find((p) => p.kind === "Sidecar")!;
            assert.deepEqual(sidecar.spec, { workloadSelector: { labels: { "istio-workshop/egress": "client" } }, egress: [{ hosts: ["./*", "istio-system/*", "istio-ingress/*"] }], outboundTrafficPolicy: { mode } }, stage);
            const selected = (labels: Record<string, string>) => Object.entries({ "istio-workshop/egress": "client" }).every(([k, v]) => labels[k] === v);
            assert.ok(selected((b.deployments.find((d) => d.name === "curl-egress")!.spec as any).spec.template.metadata.labels));
            for (const c of b.checks) assert.ok(selected((c.job as any).spec.template.metadata.labels), `${stage}: ${c.name} not under the lesson's Sidecar`);
        }
        const entry = built("service-entry").policies.find((p) => p.kind === "ServiceEntry")!;
        assert.deepEqual(entry.spec, { hosts: [EXTERNAL_HOST], exportTo: ["."], location: "MESH_EXTERNAL", resolution: "DNS", ports: [{ number: 80, name: "http", protocol: "HTTP" }] });
    });

    it("the stand-in host is outside every attendee proxy's view: its own namespace, no sidecar, imported by no namespace's Sidecar", () => {
        for (const egressGateway of [false, true]) assert.ok(!sidecarEgressHosts({ egressGateway }).some((h) => h.startsWith(`${EXTERNAL_NAMESPACE}/`) || h === "*/*"));
        const objects = standInManifests();
        const dep = objects.find((o) => o.kind === "Deployment")!;
        assert.equal((dep as any).spec.template.metadata.labels[NO_INJECTION_LABEL], "false");
        assert.equal(`${objects.find((o) => o.kind === "Service")!.metadata.name}.${EXTERNAL_NAMESPACE}.svc.cluster.local`, EXTERNAL_HOST);
    });

    it("the check passes when the stage's answer comes (200 open, 502 or a reset when closed) and fails otherwise", () => {
        const check = (stage: string) => checkPlans(atStage(egress({}), stage), 100)[0];
        const ok = Array<Answer>(100).fill({ file: replyPath("helloworld-v1.txt"), status: 200 });
        const blackHole = Array<Answer>(100).fill({ file: replyPath("helloworld-v1.txt"), status: 502 });
        // Open: every call passed through by the caller's proxy (PassthroughCluster); through a ServiceEntry: its cluster.
        const passthrough = { completed: 100, statsCluster: "PassthroughCluster" };
        const viaEntry = { completed: 100, statsCluster: `outbound|80||${EXTERNAL_HOST}` };
        assert.equal(runCheck(check("allow-any"), ok, passthrough).status, 0);
        assert.equal(runCheck(check("allow-any"), blackHole, passthrough).status, 1);
        assert.match(runCheck(check("allow-any"), ok, viaEntry).stdout, /^FAIL verify-external-host: .*passed-through=0$/m);
        assert.equal(runCheck(check("registry-only"), blackHole, { readyStatus: "502" }).status, 0);
        assert.equal(runCheck(check("registry-only"), refused(100), { readyStatus: "000" }).status, 0);
        assert.match(runCheck(check("registry-only"), ok, { readyStatus: "502" }).stdout, /^FAIL verify-external-host: .*measured blocked=0 other=1 \(stopped after 1: already out of bounds\)$/m);
        assert.equal(runCheck(check("service-entry"), ok, viaEntry).status, 0);
        assert.match(runCheck(check("service-entry"), ok, passthrough).stdout, /^FAIL verify-external-host: .*via-service-entry=0$/m);
    });

    it("egress-gateway: the namespace's route sends the host's calls to the egress gateway; the check needs each call completed there by the caller's proxy", () => {
        const b = built("egress-gateway");
        const route = b.policies.find((p) => p.kind === "VirtualService")!;
        assert.deepEqual(route.spec, {
            hosts: [EXTERNAL_HOST],
            exportTo: ["."],
            gateways: ["mesh"],
            http: [{ match: [{ port: 80 }], route: [{ destination: { host: "istio-egressgateway.istio-egress.svc.cluster.local", port: { number: 80 } } }] }],
        });
        // The gateway's half is the platform's: the stage holds no Gateway and no route bound to one.
        assert.ok(b.policies.every((p) => p.kind !== "Gateway" && ((p.spec as any).gateways ?? ["mesh"]).every((g: string) => g === "mesh")));
        const check = checkPlans(atStage(egress({}), "egress-gateway"), 100)[0];
        const gatewayCluster = "outbound|80||istio-egressgateway.istio-egress.svc.cluster.local";
        assert.deepEqual(check.completed, { name: "via-egress-gateway", cluster: `${gatewayCluster}.`, range: [100, 100] });
        assert.deepEqual(JSON.parse(check.podAnnotations!["proxy.istio.io/config"]), { proxyStatsMatcher: { inclusionPrefixes: [`cluster.${gatewayCluster}.`] } });
        const ok = Array<Answer>(100).fill({ file: replyPath("helloworld-v1.txt"), status: 200 });
        assert.equal(runCheck(check, ok, { completed: 100, statsCluster: gatewayCluster }).status, 0);
        // Answered, but straight from the host (the service-entry stage's path): the gateway counted nothing.
        assert.match(runCheck(check, ok, { completed: 0, statsCluster: gatewayCluster }).stdout, /^FAIL verify-external-host: .*via-egress-gateway=0$/m);
        // Counted for another cluster only: not the gateway's.
        assert.equal(runCheck(check, ok, { completed: 100, statsCluster: "outbound|80||httpbin.workshop-external.svc.cluster.local" }).status, 1);
    });

    it("egress-gateway: the platform's half (host, Gateway on the egress gateway, route on to the host) is installed with an egress gateway only, and the stage is refused without one", async () => {
        const [gateway, route] = egressGatewayRoute();
        assert.deepEqual([gateway.kind, route.kind], ["Gateway", "VirtualService"]);
        assert.deepEqual(gateway.spec, { selector: { istio: "egressgateway" }, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: [EXTERNAL_HOST] }] });
        assert.deepEqual((route.spec as any).gateways, [gateway.metadata.name]);
        assert.deepEqual((route.spec as any).http[0].route, [{ destination: { host: EXTERNAL_HOST, port: { number: 80 } } }]);
        assert.ok([gateway, route].every((o) => o.metadata.namespace === "istio-egress"));
        // The host's Service is seen by the egress gateway (and its own namespace, and the ingress gateway's, as every lesson Service).
        assert.equal(standInManifests().find((o) => o.kind === "Service")!.metadata.annotations["networking.istio.io/exportTo"], ".,istio-ingress,istio-egress");
        const raw = { ...EKS_RAW, attendees: ["ana", "ben"], cluster: { ...EKS_RAW.cluster, nodeGroup: { desiredSize: 4, minSize: 4, maxSize: 6 } } };
        const withGateway = await planIndex({ ...raw, istio: { egressGateway: true }, apps: { egress: { enabled: true, stage: "egress-gateway" } } });
        const platform = withGateway.resources.filter((r) => /classroom-egress-/.test(r.name)).map((r) => r.name);
        assert.deepEqual(platform.sort(), ["classroom-egress-gateway", "classroom-egress-virtualservice"]);
        const lessons = withGateway.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name.endsWith("-lessons"));
        const routeUrn = withGateway.resources.find((r) => r.name === "classroom-egress-virtualservice")!.urn;
        for (const l of lessons) assert.ok(l.dependsOn.includes(routeUrn), `${l.name} does not wait for the egress route`);
        const without = await planIndex({ ...raw, apps: { egress: true } });
        assert.deepEqual(without.resources.filter((r) => /classroom-egress-/.test(r.name)), []);
        assert.throws(() => settingsFor({ ...raw, apps: { egress: { enabled: true, stage: "egress-gateway" } } }), /apps\.egress\.stage: needs istio\.egressGateway: true/);
        assert.throws(() => settingsFor({ ...raw, apps: { egress: true }, classroom: { stages: { ben: { egress: "egress-gateway" } } } }), /classroom\.stages\.ben\.egress: needs istio\.egressGateway: true/);
    });

    it("a stack with the egress lesson installs the stand-in once, and every lesson release waits for it", async () => {
        const plan = await planIndex({ ...EKS_RAW, attendees: ["ana", "ben"], cluster: { ...EKS_RAW.cluster, nodeGroup: { desiredSize: 4, minSize: 4, maxSize: 6 } }, apps: { egress: true } });
        const release = plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name.endsWith("-external"));
        assert.equal(release.length, 1);
        const installed = plan.resources.filter((r) => r.renderedBy === release[0].urn).map((r) => `${r.type.split(":").pop()} ${r.name}`);
        assert.deepEqual(installed.sort(), ["Deployment lessons:workshop-external/httpbin", "Service lessons:workshop-external/httpbin", "ServiceAccount lessons:workshop-external/httpbin"]);
        const lessons = plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name.endsWith("-lessons"));
        assert.equal(lessons.length, 2);
        for (const l of lessons) assert.ok(l.dependsOn.includes(release[0].urn), l.name);
    });
});
