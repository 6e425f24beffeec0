import { strict as assert } from "assert";
import { DEFAULT_ISTIO_VERSION } from "../src/settings/istio";
import { DEFAULT_KUBERNETES_VERSION } from "../src/settings/cluster";
import { SettingsError, decodeConfigValue, parseSettings, settingsFromConfig, settingsWarnings } from "../src/settings/parse";
import { AMBIENT_RAW, EKS_RAW, settingsFor } from "./helpers";
import * as path from "path";
import { loadStackConfig } from "../src/settings/stackFile";

function problems(raw: Record<string, unknown>): string[] {
    try {
        parseSettings(raw, { stack: "dev" });
    } catch (err) {
        assert.ok(err instanceof SettingsError, `expected SettingsError, got ${err}`);
        return [...err.problems];
    }
    assert.fail("expected the settings to be refused");
}

describe("settings: defaults", () => {
    it("resolves every documented default for an EKS stack", () => {
        const s = settingsFor(EKS_RAW, "dev");
        assert.deepEqual(s, {
            project: "istio-workshop",
            stack: "dev",
            cluster: {
                mode: "eks",
                name: "istio-workshop-dev",
                protect: false,
                region: "eu-west-1",
                kubernetesVersion: DEFAULT_KUBERNETES_VERSION,
                vpcCidr: "10.0.0.0/16",
                availabilityZones: 2,
                natGateways: "single",
                nodeGroup: { instanceType: "t3.large", capacityType: "on-demand", diskSizeGiB: 50 },
                adminCidrs: ["203.0.113.4/32"],
                adminPrincipalArns: [],
                controlPlaneLogs: ["api", "audit", "authenticator"],
                imageCache: "none",
                imageCacheCredentials: {},
            },
            istio: {
                version: DEFAULT_ISTIO_VERSION,
                dataplane: "sidecar",
                mtls: "STRICT",
                egressGateway: false,
                gatewayApi: { crds: "install" },
                accessLogs: true,
                ingress: { api: "istio", serviceType: "LoadBalancer", sourceCidrs: ["0.0.0.0/0"], httpNodePort: 30080, httpsNodePort: 30443 },
                tracing: { samplingPercent: 100 },
            },
            addons: {
                prometheus: { enabled: true, version: "27.42.2" },
                grafana: { enabled: true, version: "11.6.1" },
                jaeger: { enabled: true, version: "2.20.0" },
                kiali: { enabled: true, version: "2.29.0" },
                expose: [],
            },
            apps: {
                namespace: "demo",
                handsOn: false,
                traffic: { enabled: true, requestsPerSecond: 1 },
                verify: { enabled: true, requests: 100 },
                helloworld: { enabled: true, stage: "source-v1" },
                bookinfo: { enabled: true, stage: "reviews-v1-v3" },
                myApp: { enabled: true, stage: "gateway" },
                grpc: { enabled: true, stage: "mesh" },
                mtls: { enabled: false, stage: "strict" },
                tcp: { enabled: false, stage: "v1-v2-80-20" },
                egress: { enabled: false, stage: "service-entry" },
                ambient: { enabled: false, stage: "traffic-shift" },
            },
            attendees: 0,
            classroom: { stages: {}, pricing: {}, tokenHours: 12 },
        });
    });

    it("needs no AWS key for mode existing, and keeps 0 as 0 (no || defaults)", () => {
        const s = settingsFor({ cluster: { mode: "existing", context: "kind-ws" }, attendees: 0, istio: { tracing: { samplingPercent: 0 } } });
        assert.equal(s.cluster.mode, "existing");
        assert.equal(s.cluster.context, "kind-ws");
        assert.equal(s.cluster.adminCidrs, undefined);
        assert.equal(s.attendees, 0);
        assert.equal(s.istio.tracing.samplingPercent, 0);
        assert.equal(s.istio.ingress.serviceType, "NodePort", "kind and minikube get a NodePort gateway by default");
    });

    it("accepts a list of attendee ids and an explicit cluster name", () => {
        const s = settingsFor({ cluster: { ...EKS_RAW.cluster, name: "kubecon" }, attendees: ["ana", "ben-2"] });
        assert.deepEqual(s.attendees, ["ana", "ben-2"]);
        assert.equal(s.cluster.name, "kubecon");
    });
});

describe("settings: refusals name the key, the value and what is allowed", () => {
    it("installs the Gateway API's CRDs only for an Istio whose Gateway API release is known; otherwise one refusal says to set cluster", () => {
        assert.throws(
            () => settingsFor({ ...EKS_RAW, istio: { version: "1.31.0" } }),
            /istio\.gatewayApi\.crds: no Gateway API release is known for Istio 1\.31\.0 \(known: 1\.30 → v1\.5\.1\): set it to cluster and install the CRDs that Istio release supports yourself, got "install"/,
        );
        assert.equal(settingsFor({ ...EKS_RAW, istio: { version: "1.31.0", gatewayApi: { crds: "cluster" } } }).istio.gatewayApi.crds, "cluster");
        assert.throws(() => settingsFor({ ...EKS_RAW, istio: { gatewayApi: { crds: "yes" } } }), /istio\.gatewayApi\.crds: must be one of "install", "cluster", got "yes"/);
    });

    it("refuses a namespace the stack or Kubernetes owns for the apps, and attendee ids that start like an addon's path", () => {
        for (const ns of ["istio-system", "kube-system", "default", "istio-ingress"]) {
            assert.deepEqual(problems({ ...EKS_RAW, apps: { namespace: ns } }), [
                `apps.namespace: names a namespace the stack or Kubernetes owns (default, kube-*, istio-*): pick one of the lessons' own, such as "demo", got "${ns}"`,
            ]);
        }
        assert.deepEqual(problems({ ...EKS_RAW, attendees: ["ana", "kiali", "grafana-fans", "jaeger1", "prometheus"] }), [
            'attendees[1]: starts like the gateway path /kiali of an addon: attendee ids may not start with kiali, grafana, jaeger, prometheus, got "kiali"',
            'attendees[2]: starts like the gateway path /grafana of an addon: attendee ids may not start with kiali, grafana, jaeger, prometheus, got "grafana-fans"',
            'attendees[3]: starts like the gateway path /jaeger of an addon: attendee ids may not start with kiali, grafana, jaeger, prometheus, got "jaeger1"',
            'attendees[4]: starts like the gateway path /prometheus of an addon: attendee ids may not start with kiali, grafana, jaeger, prometheus, got "prometheus"',
        ]);
    });

    it("refuses a typo in the config namespace and keys JavaScript would drop, instead of ignoring them", () => {
        const refused = (config: Record<string, string>) => {
            try {
                settingsFromConfig(config, { stack: "dev", source: "Pulumi.dev.yaml" });
            } catch (err) {
                assert.ok(err instanceof SettingsError);
                return [...err.problems];
            }
            return assert.fail("expected a refusal");
        };
        const cluster = JSON.stringify(EKS_RAW.cluster);
        assert.deepEqual(refused({ "istio-workshop:cluster": cluster, "istio-worksop:attendees": "20" }), [
            'istio-worksop:attendees: unknown config namespace "istio-worksop" (did you mean "istio-workshop"?): this project reads istio-workshop:*, and its providers aws:*, kubernetes:*, eks:*, awsx:*, random:*, pulumi:*',
        ]);
        assert.deepEqual(refused({ "istio-workshop:cluster": cluster, "grafana:admin": "x" }), [
            'grafana:admin: unknown config namespace "grafana": this project reads istio-workshop:*, and its providers aws:*, kubernetes:*, eks:*, awsx:*, random:*, pulumi:*',
        ]);
        assert.deepEqual(refused({ "istio-workshop:cluster": cluster, "istio-workshop:apps": '{"bookinfo":{"routes":{"__proto__":[{"to":"x"}]}}}' }), [
            'apps.bookinfo.routes.__proto__: a key named "__proto__" is not allowed (JavaScript would not read it as config)',
        ]);
        assert.deepEqual(refused({ "istio-workshop:cluster": cluster, "istio-workshop:classroom": '{"pricing":{"instances":{"constructor":1}}}' }), [
            'classroom.pricing.instances.constructor: a key named "constructor" is not allowed (JavaScript would not read it as config)',
        ]);
        assert.equal(settingsFromConfig({ "istio-workshop:cluster": cluster, "aws:region": "eu-west-1", "pulumi:tags": "{}" }, { stack: "dev" }).cluster.mode, "eks");
    });

    it("caps the rules of one host, naming the limit", () => {
        const rules = Array.from({ length: 51 }, () => ({ weights: { v1: 100 } }));
        const [only, ...more] = problems({ ...EKS_RAW, apps: { bookinfo: { routes: { reviews: rules } } } });
        assert.deepEqual(more, []);
        assert.match(only, /^apps\.bookinfo\.routes\.reviews: must list at most 50 rules per host \(every proxy that calls the host holds them all\), got \[/);
    });

    it("refuses a wrong type", () => {
        assert.deepEqual(problems({ ...EKS_RAW, addons: { expose: "yes" } }), ['addons.expose: must be true, false or a list of kiali, grafana, jaeger, got "yes"']);
        assert.deepEqual(problems({ ...EKS_RAW, addons: { kiali: "yes" } }), ['addons.kiali: must be true, false or a mapping { enabled, version }, got "yes"']);
    });

    it("refuses unknown keys at every level, listing the keys allowed", () => {
        assert.deepEqual(problems({ ...EKS_RAW, istoi: {}, addons: { grafanna: true } }), [
            'addons.grafanna: unknown key (allowed keys: prometheus, grafana, jaeger, kiali, expose), got true',
            "istoi: unknown key (allowed keys: cluster, istio, addons, apps, attendees, classroom), got {}",
        ]);
    });

    it("refuses out-of-range numbers and inconsistent node-group sizes", () => {
        assert.deepEqual(
            problems({ cluster: { ...EKS_RAW.cluster, availabilityZones: 1, nodeGroup: { minSize: 3, desiredSize: 2, maxSize: 200 } } }),
            [
                "cluster.availabilityZones: must be an integer from 2 to 4, got 1",
                "cluster.nodeGroup.maxSize: must be an integer from 1 to 100, got 200",
                "cluster.nodeGroup.minSize: must not exceed nodeGroup.desiredSize (2), got 3",
            ],
        );
        assert.deepEqual(problems({ cluster: { ...EKS_RAW.cluster, nodeGroup: { minSize: 3, desiredSize: 2, maxSize: 2 } } }), [
            "cluster.nodeGroup.minSize: must not exceed nodeGroup.desiredSize (2), got 3",
        ]);
    });

    it("requires adminCidrs for EKS instead of defaulting to the whole internet", () => {
        assert.deepEqual(problems({}), [
            'cluster.adminCidrs: is required when cluster.mode is "eks": list the CIDRs that may reach the Kubernetes API, e.g. ["203.0.113.4/32"]; write ["0.0.0.0/0"] to make the endpoint public on purpose (IAM authentication still applies)',
        ]);
    });

    it("explains an unquoted Kubernetes version that YAML read as a number", () => {
        assert.deepEqual(problems({ cluster: { ...EKS_RAW.cluster, kubernetesVersion: 1.3 } }), [
            'cluster.kubernetesVersion: must be a quoted string (YAML reads 1.30 as the number 1.3); one of "1.33", "1.34", "1.35", "1.36", got 1.3',
        ]);
    });

    it("refuses an existing cluster without a named kube context: the current one is never assumed", () => {
        assert.deepEqual(problems({ cluster: { mode: "existing" } }), [
            'cluster.context: is required when cluster.mode is "existing": name the kubeconfig context to deploy to, e.g. "kind-istio-workshop" (`kubectl config get-contexts` lists them); the current context is never assumed',
        ]);
    });

    it("refuses keys that belong to the other cluster mode", () => {
        assert.deepEqual(problems({ cluster: { mode: "existing", context: "kind-ws", adminCidrs: ["10.0.0.0/8"] } }), [
            'cluster.adminCidrs: only applies when cluster.mode is "eks" (mode is "existing"), got ["10.0.0.0/8"]',
        ]);
    });

    it("lists every problem in one error, with the stack file named", () => {
        let message = "";
        try {
            parseSettings(
                { cluster: { mode: "k8s", adminCidrs: ["10.0.0.0/33"], region: "Europe" }, istio: { version: "latest" }, attendees: ["a", "a", "B"] },
                { stack: "dev", source: "Pulumi.dev.yaml" },
            );
        } catch (err) {
            message = (err as Error).message;
        }
        assert.equal(
            message,
            [
                "Invalid stack config (Pulumi.dev.yaml):",
                ' - cluster.mode: must be one of "eks", "existing", got "k8s"',
                ' - cluster.region: must be an AWS region such as "eu-west-1", got "Europe"',
                " - cluster.adminCidrs[0]: must be an IPv4 CIDR such as 203.0.113.4/32, got \"10.0.0.0/33\"",
                ' - istio.version: must be an Istio release version such as "1.30.3", got "latest"',
                " - attendees[2]: must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, got \"B\"",
                ' - attendees[1]: is a duplicate attendee id, got "a"',
            ].join("\n"),
        );
    });

    it("ambient mode refuses the lessons written for sidecars without an ambient form, each by its key, and accepts a stack without them, a classroom included", () => {
        const message = (lesson: string) =>
            `apps.${lesson}: is written for sidecars (its stages rely on the Envoy beside each workload, which istio.dataplane: ambient does not inject): set apps.${lesson}: false with ambient, or keep istio.dataplane: sidecar, got true`;
        assert.deepEqual(problems({ ...EKS_RAW, istio: { dataplane: "ambient" } }), [
            message("helloworld"),
            "apps.bookinfo: routes from the gateway with HTTPRoutes in ambient mode (Istio's ambient Getting Started): set istio.ingress.api: gateway-api with apps.bookinfo, got true",
            message("myApp"),
            message("grpc"),
        ]);
        assert.deepEqual(problems({ ...AMBIENT_RAW, apps: { ...AMBIENT_RAW.apps, tcp: true }, attendees: 3 }), [message("tcp")]);
        assert.equal(settingsFor({ ...AMBIENT_RAW, attendees: 3 }).attendees, 3);
        assert.equal(settingsFor(AMBIENT_RAW).istio.dataplane, "ambient");
        assert.equal(settingsFor(EKS_RAW).istio.dataplane, "sidecar");
        assert.deepEqual(problems({ ...EKS_RAW, istio: { dataplane: "ztunnel" } }), ['istio.dataplane: must be one of "sidecar", "ambient", got "ztunnel"']);
    });

    it("refuses a non-mapping section and a negative attendee count", () => {
        assert.deepEqual(problems({ ...EKS_RAW, istio: "1.30.3", attendees: -1 }), [
            'istio: must be a mapping with the keys version, dataplane, mtls, egressGateway, accessLogs, ingress, tracing, gatewayApi, got "1.30.3"',
            "attendees: must be an integer from 0 to 1000, got -1",
        ]);
    });
});

describe("settings: addons", () => {
    it("accepts true/false or { enabled, version } per addon", () => {
        const s = settingsFor({ ...EKS_RAW, addons: { jaeger: false, kiali: { version: "2.32.0" } } });
        assert.deepEqual(s.addons.jaeger, { enabled: false, version: "2.20.0" });
        assert.deepEqual(s.addons.kiali, { enabled: true, version: "2.32.0" });
    });

    it("refuses Kiali or Grafana without Prometheus, and a version that is not one", () => {
        assert.deepEqual(problems({ ...EKS_RAW, addons: { prometheus: false, grafana: false, kiali: { version: "latest" } } }), [
            'addons.kiali.version: must be a version such as "1.2.3", got "latest"',
            "addons.prometheus: must stay enabled while addons.kiali is enabled (it reads every graph from Prometheus), got false",
        ]);
        assert.deepEqual(problems({ ...EKS_RAW, addons: { prometheus: false, grafana: false } }), [
            "addons.prometheus: must stay enabled while addons.kiali is enabled (it reads every graph from Prometheus), got false",
        ]);
    });
});

describe("settings: reading stack config", () => {
    it("decodes config strings as the CLI encodes them", () => {
        assert.deepEqual(decodeConfigValue('{"mode":"existing"}'), { mode: "existing" });
        assert.equal(decodeConfigValue("12"), 12);
        assert.equal(decodeConfigValue("eu-west-1"), "eu-west-1");
    });

    it("reads only this project's namespace from a full config map", () => {
        const s = settingsFromConfig(
            { "kubernetes:enableServerSideApply": "true", "istio-workshop:cluster": '{"mode":"existing","context":"kind-ws"}', "istio-workshop:attendees": "3" },
            { stack: "x" },
        );
        assert.equal(s.cluster.mode, "existing");
        assert.equal(s.attendees, 3);
        // aws:region is no longer silently ignored: an existing cluster has no AWS provider to give it to.
        assert.throws(() => settingsFromConfig({ "aws:region": "us-east-1", "istio-workshop:cluster": '{"mode":"existing","context":"kind-ws"}' }, { stack: "x" }), /aws:region: an existing cluster/);
    });
});

describe("settings: warnings", () => {
    it("warns about a public API endpoint and a version past standard support", () => {
        const s = settingsFor({ cluster: { adminCidrs: ["0.0.0.0/0"], kubernetesVersion: "1.34" } });
        assert.deepEqual(settingsWarnings(s, new Date("2026-12-03T00:00:00Z")), [
            "cluster.adminCidrs includes 0.0.0.0/0: the Kubernetes API endpoint is reachable from the whole internet (IAM authentication still applies)",
            'cluster.kubernetesVersion "1.34" left EKS standard support on 2026-12-02: the cluster will be upgraded by AWS; pick a newer version',
        ]);
        assert.deepEqual(settingsWarnings(settingsFor(EKS_RAW), new Date("2026-11-22T00:00:00Z")), []);
    });

    it("warns when istio.version is behind a security release, naming the advisories and the version to move to", () => {
        const warn = (version: string) => settingsWarnings(settingsFor({ ...EKS_RAW, istio: { version, gatewayApi: { crds: "cluster" } } }), new Date("2026-11-22T00:00:00Z"));
        assert.deepEqual(warn("1.30.3"), [
            'istio.version "1.30.3" is behind the security release 1.30.4 (2026-08-26, ISTIO-SECURITY-2026-006): set istio.version to 1.30.5, the newest 1.30 release',
        ]);
        assert.deepEqual(warn("1.30.1"), [
            'istio.version "1.30.1" is behind the security release 1.30.4 (2026-08-26, ISTIO-SECURITY-2026-005, ISTIO-SECURITY-2026-006): set istio.version to 1.30.5, the newest 1.30 release',
        ]);
        assert.deepEqual(warn("1.30.4"), []);
        assert.deepEqual(warn(DEFAULT_ISTIO_VERSION), []);
        assert.deepEqual(warn("1.30.9"), ['istio.version "1.30.9" is newer than the releases this project knows (to 1.30.5): it is checked only against the chart cache\'s charts']);
        assert.match(warn("1.29.2")[0], /^istio.version "1.29.2" is not a minor this project was built with \(1.30\)/);
        // No shipped stack pins a version behind a security release.
        const shipped = ["dev", "local", "workshop"].flatMap((stack) => settingsWarnings(settingsFromConfig(loadStackConfig(path.resolve(__dirname, ".."), stack).config, { stack })));
        assert.deepEqual(shipped.filter((w) => w.startsWith("istio.")), []);
    });
});
