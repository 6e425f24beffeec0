/**
 * The program against upstream artifacts, not against its own model
 * (`../shared/upstream`, see its README): Istio 1.30.3's CRDs, the pinned
 * charts' values and default renders, the chart repositories' indexes, Istio's
 * sample manifests and the apps' replies, Jaeger's own configs. Each check
 * here would have failed on the first version of this program.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { ISTIO_DASHBOARDS, dashboardsFor, istioDashboardUrl, jaegerConfig, JAEGER_METRICS_PORT, kialiValues, prometheusValues } from "../src/addons/addonsSpec";
import { PLATFORM_NAMESPACES, UNTRUSTED_SCRAPE_LIMITS } from "../src/addons/prometheusScrape";
import { ISTIOD_POD_LABELS, KIALI_POD_LABELS, PROMETHEUS_SERVER_POD_LABELS } from "../src/model/endpoints";
import { OPEN_SYSTEM_PORTS } from "../src/mesh/platformIsolation";
import { GATEWAY_PEER, GATEWAY_PRINCIPAL } from "../src/model/peers";
import { CONFIG_SCHEMAS, PUBLISHED_DIGESTS, archiveName, manifestCachePath, repositoryOf, stackReleases } from "../src/workshop/charts";
import { DOCKER_HUB_ONLY, IMAGES, imageRepository, unpinned } from "../src/model/images";
import { DEFAULT_ISTIO_VERSION, ISTIO_RELEASES } from "../src/settings/istio";
import { ADDON_VERSIONS } from "../src/settings/addons";
import { settingsFromConfig } from "../src/settings/parse";
import { workshopFrom } from "../src/workshop/resolve";
import { addressProblems, duplicateProblems, gatewayServiceProblems, planObjects, podTemplates, scrapePortProblems, serviceOfHost } from "../src/judgement/checks/clusterChecks";
import { CrdValidator } from "../src/judgement/checks/crdSchemas";
import type { Plan, PlannedResource } from "../src/judgement/plan/plan";
import { CLUSTER_SCOPED_KINDS, isLessonsRelease, renderedEntries, stackMade } from "../src/judgement/plan/planEntries";
import { releaseInputs } from "../src/judgement/plan/render";
import { listStacks, loadStackConfig } from "../src/settings/stackFile";
import { checkPlan, schemaProblems } from "../src/judgement/checks/validatePlan";
import { READ_UNDECLARED, declarationProblems, leafPaths } from "../src/judgement/checks/valuesCheck";
import { AMBIENT_RAW, EKS_RAW, EXPOSED_RAW, planIndex, settingsFor } from "./helpers";
import { ISTIO_DATA_VERSION, UPSTREAM, istioCrds, needUpstream, upstreamText, upstreamYamlDocs } from "./upstream";
import { heldIstioVersion, upstreamBaseCrds, upstreamGatewayApi } from "../src/judgement/cluster/replay";
import { jobsScraping } from "../src/judgement/attacks/prometheusTargets";
import { cacheManifest } from "../src/tooling/manifestCache";
import { cachedManifests } from "../src/judgement/plan/manifests";

import { CNI_RESOURCES, ISTIO_CHART_REPO, ZTUNNEL_RESOURCES, gatewayApiManifest } from "../src/mesh/meshSpec";
import { gatewayApiFor } from "../src/settings/istio";

const ROOT = path.resolve(__dirname, "..");
const RELEASE = "kubernetes:helm.sh/v3:Release";

/** The plans these checks read: the shipped dev stack, a classroom, and every option on. */
const plans: Record<string, Plan> = {};
async function loadPlans() {
    plans.dev ??= await planIndex(EKS_RAW, "dev");
    plans.classroom ??= await planIndex({ ...EKS_RAW, attendees: ["ana", "ben"], classroom: { domain: "workshop.example.com" } });
    plans.everything ??= await planIndex({ ...EXPOSED_RAW, istio: { ...EXPOSED_RAW.istio, egressGateway: true } });
    plans.ambient ??= await planIndex(AMBIENT_RAW);
}
const allPlans = () => Object.entries(plans);
/** The plans that run lessons (the ambient one runs none yet). */
const lessonPlans = () => allPlans().filter(([name]) => name !== "ambient");

/** Where the upstream data keeps a chart's files, or undefined when it has none for that version. */
function chartValuesDir(repoUrl: string, chart: string, version: string): string | undefined {
    const dir = path.join(UPSTREAM, "chart-values", repositoryOf(repoUrl).name, `${chart}-${version}`);
    return fs.existsSync(dir) ? dir : undefined;
}

/**
 * The version whose upstream data stands for a release's chart: its own, or for an Istio patch release the data
 * does not hold (one published after it was taken), the newest patch of that minor it holds (ISTIO_DATA_VERSION).
 */
function dataVersion(repoUrl: string, chart: string, version: string): string {
    if (repoUrl !== ISTIO_CHART_REPO || chartValuesDir(repoUrl, chart, version)) return version;
    return heldIstioVersion(UPSTREAM, version) ?? version;
}

/**
 * The releases' objects as their charts create them with default values (the
 * upstream renders, made with the same release names and namespaces as the
 * stack's): a stand-in for what the releases install, for checks of names the
 * stack's values do not change. One default object the stack's values turn off
 * is left out: the gateway chart's Service (`service.type: None`; the stack owns
 * that Service). With the chart cache, test/render.spec.ts checks the real renders.
 */
/** The release name each upstream default render was made with (its README). */
const DEFAULT_RENDER_RELEASES: Record<string, string> = {
    base: "istio-base",
    istiod: "istiod",
    gateway: "istio-ingressgateway",
    prometheus: "prometheus",
    grafana: "grafana",
    "kiali-server": "kiali",
};

function withDefaultRenders(plan: Plan): Plan {
    const added = plan.resources
        .filter((r) => r.type === RELEASE)
        .flatMap((r) => {
            const rel = releaseInputs(r);
            const file = `rendered/${rel.chart}-${dataVersion(rel.repo, rel.chart, rel.version)}.default.yaml`;
            // Only where the upstream render used this release's name (the egress gateway has none).
            if (!fs.existsSync(path.join(UPSTREAM, file)) || DEFAULT_RENDER_RELEASES[rel.chart] !== rel.name) return [];
            const turnedOff = (o: any) => rel.chart === "gateway" && (rel.values as any).service?.type === "None" && o.kind === "Service";
            const objects = upstreamYamlDocs(file)
                .filter((o) => !turnedOff(o))
                .map((o) => (CLUSTER_SCOPED_KINDS.has(o.kind) || o.metadata?.namespace ? o : { ...o, metadata: { ...o.metadata, namespace: rel.namespace } }));
            return renderedEntries(r, objects);
        });
    return { ...plan, resources: [...plan.resources, ...added] };
}

const copyOf = (plan: Plan): Plan => JSON.parse(JSON.stringify(plan));
/** An object the stack itself writes (its own resource, or one its lessons releases carry), by kind and name. */
const own = (plan: Plan, kind: string, name: string): PlannedResource => {
    const ours = stackMade(plan);
    return plan.resources.find((r) => ours(r) && r.type.endsWith(`:${kind}`) && (r.inputs as any).metadata?.name === name)!;
};

describe("upstream: Istio objects against Istio 1.30.3's CRDs", () => {
    before(async function () {
        needUpstream(this);
        await loadPlans();
    });

    it("the CRDs are the ones the pinned base chart installs", () => {
        const fromChart = upstreamYamlDocs(`rendered/base-${ISTIO_DATA_VERSION}.default.yaml`).filter((o) => o.kind === "CustomResourceDefinition");
        assert.deepEqual(
            fromChart.map((c) => c.metadata.name).sort(),
            istioCrds().map((c) => c.metadata.name).sort(),
        );
        assert.deepEqual(fromChart.find((c) => c.metadata.name === "virtualservices.networking.istio.io").spec.versions.map((v: any) => v.name), ["v1", "v1alpha3", "v1beta1"]);
    });

    it("every Istio object of the dev, classroom, all-options and ambient plans is valid: schema, CEL rules, no unknown field", () => {
        for (const [name, plan] of allPlans()) {
            const crds = new CrdValidator(istioCrds());
            const result = schemaProblems(plan, crds);
            assert.deepEqual(result.problems, [], name);
            assert.deepEqual(result.unchecked, [], name);
            const istio = planObjects(plan).filter(({ o }) => o.apiVersion.includes("istio.io"));
            assert.ok(istio.length >= (name === "ambient" ? 4 : 10), `${name}: ${istio.length} Istio objects`);
        }
    });

    it("refuses what the API server would, naming the object and the field", () => {
        const crds = new CrdValidator(istioCrds());
        const plan = copyOf(plans.dev);
        const vs = own(plan, "VirtualService", "reviews").inputs as any;
        vs.spec.http[0].timeout = "0s"; // CEL: duration(self) >= duration('1ms')
        vs.spec.http[0].route[0].weight = "fifty";
        vs.spec.http[0].retry = { attempts: 3 }; // the field is `retries`
        (own(plan, "PeerAuthentication", "default").inputs as any).spec.mtls.mode = "STRICTEST";
        assert.deepEqual(schemaProblems(plan, crds).problems.sort(), [
            "IST0106 SchemaValidationError: PeerAuthentication istio-system/default (mesh-peer-authentication): spec/mtls/mode must be equal to one of the allowed values (UNSET, DISABLE, PERMISSIVE, STRICT)",
            "IST0106 SchemaValidationError: VirtualService demo/reviews (lessons:demo/reviews): spec/http/0/retry is not a field of VirtualService (networking.istio.io/v1) (the API server would drop it)",
            "IST0106 SchemaValidationError: VirtualService demo/reviews (lessons:demo/reviews): spec/http/0/route/0/weight must be integer",
            "IST0106 SchemaValidationError: VirtualService demo/reviews (lessons:demo/reviews): spec/http/0/timeout must be a valid duration greater than 1ms",
        ]);
        assert.deepEqual(crds.violations({ apiVersion: "networking.istio.io/v2", kind: "Gateway", metadata: { name: "g" }, spec: {} }), [
            "networking.istio.io/v2 is not a version the Gateway CRD defines",
        ]);
        assert.deepEqual(crds.violations({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "p" }, spec: { portLevelMtls: { "80": { mode: "DISABLE" } } } }), [
            "spec portLevelMtls requires selector",
        ]);
    });

    it("without CRDs, says the Istio objects were not checked rather than passing them", () => {
        const result = schemaProblems(plans.dev, new CrdValidator([]));
        assert.deepEqual(result.problems, []);
        assert.deepEqual(result.unchecked, [
            "networking.istio.io/v1 DestinationRule",
            "networking.istio.io/v1 Gateway",
            "networking.istio.io/v1 Sidecar",
            "networking.istio.io/v1 VirtualService",
            "security.istio.io/v1 PeerAuthentication",
            "telemetry.istio.io/v1 Telemetry",
        ]);
    });
});

describe("upstream: the Gateway API release the stack installs", () => {
    before(function () {
        needUpstream(this);
    });

    it("is the standard channel of the release Istio 1.30.3 builds against (its go.mod: v1.5.1), and the replay's stand-in holds exactly it", () => {
        const url = gatewayApiManifest(settingsFor(EKS_RAW).istio)!;
        const standIn = upstreamGatewayApi(UPSTREAM)(url)!;
        const crds = standIn.objects.filter((o: any) => o.kind === "CustomResourceDefinition") as any[];
        assert.deepEqual(crds.map((c) => c.spec.names.kind).sort(), ["BackendTLSPolicy", "GRPCRoute", "Gateway", "GatewayClass", "HTTPRoute", "ListenerSet", "ReferenceGrant", "TLSRoute"]);
        for (const c of crds) {
            assert.equal(c.metadata.annotations["gateway.networking.k8s.io/bundle-version"], "v1.5.1", c.metadata.name);
            assert.equal(c.metadata.annotations["gateway.networking.k8s.io/channel"], "standard", c.metadata.name);
        }
        // The release's own upgrade guard comes with it (the manifest concatenates config/crd/standard/gateway*.yaml).
        assert.deepEqual(standIn.objects.filter((o: any) => o.kind !== "CustomResourceDefinition").map((o: any) => `${o.kind} ${o.metadata.name}`), [
            "ValidatingAdmissionPolicy safe-upgrades.gateway.networking.k8s.io",
            "ValidatingAdmissionPolicyBinding safe-upgrades.gateway.networking.k8s.io",
        ]);
        assert.equal(upstreamGatewayApi(UPSTREAM)("https://example.com/standard-install.yaml"), undefined);
        assert.equal(gatewayApiFor("1.30.3"), "v1.5.1");
    });

    it("the replay installs the base chart's CRDs of the version deployed, or of the newest patch of its minor the data holds, saying which", () => {
        const crds = upstreamBaseCrds(UPSTREAM);
        const held = crds({ chart: "base", version: ISTIO_DATA_VERSION })!;
        assert.equal(held.source, `upstream/chart-values/istio/base-${ISTIO_DATA_VERSION}/files/crd-all.gen.yaml`);
        assert.deepEqual(held.objects.map((o: any) => o.metadata.name), istioCrds().map((o) => o.metadata.name));
        const newer = crds({ chart: "base", version: DEFAULT_ISTIO_VERSION })!;
        if (DEFAULT_ISTIO_VERSION !== ISTIO_DATA_VERSION) assert.equal(newer.source, `${held.source} (standing in for ${DEFAULT_ISTIO_VERSION})`);
        assert.equal(crds({ chart: "base", version: "1.31.0" }), undefined);
        assert.equal(crds({ chart: "istiod", version: ISTIO_DATA_VERSION }), undefined);
    });

    it("npm run charts keeps the release's manifest only when it is that release's, written whole; the plan checks it from the cache, or says it did not", async () => {
        const url = gatewayApiManifest(settingsFor(EKS_RAW).istio)!;
        const text = upstreamGatewayApi(UPSTREAM)(url)!.objects.map((o) => YAML.stringify(o)).join("---\n");
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "iw-manifests-"));
        let fetched = 0;
        const serve = (body: string, status = 200) => (async () => { fetched++; return new Response(body, { status }); }) as unknown as typeof fetch;
        // Another release's CRDs under this release's URL: refused, nothing kept.
        const older = await cacheManifest(cache, url, serve(text.replace(/bundle-version: v1\.5\.1/g, "bundle-version: v1.4.0")));
        assert.match(older.problems.join(), /ManifestNotTheRelease: CRD backendtlspolicies\.gateway\.networking\.k8s\.io of .* is bundle v1\.4\.0 \(standard\), not v1\.5\.1 \(standard\)/);
        assert.equal(fs.existsSync(manifestCachePath(cache, url)), false);
        assert.deepEqual((await cacheManifest(cache, url, serve("", 404))).problems, [`${url}: HTTP 404`]);
        const kept = await cacheManifest(cache, url, serve(text));
        assert.deepEqual(kept.problems, []);
        assert.match(kept.line, /^✓ manifests\/github\.com\/kubernetes-sigs\/gateway-api\/releases\/download\/v1\.5\.1\/standard-install\.yaml  10 objects$/);
        // A second run reads the cache and fetches nothing.
        const before = fetched;
        await cacheManifest(cache, url, serve(""));
        assert.equal(fetched, before);
        // The plan: not checked without the cache; checked, and passing, with it.
        const plan = await planIndex(EKS_RAW);
        assert.ok(checkPlan(plan).notChecked.some((n) => n.startsWith(`manifest ${url}: the provider reads it at deploy time`)));
        const withCache = checkPlan(plan, { manifests: cachedManifests(plan, cache) });
        assert.ok(!withCache.notChecked.some((n) => n.startsWith("manifest ")));
        assert.ok(!withCache.problems.some((p) => p.startsWith("ManifestNotTheRelease")));
    });
});

describe("upstream: the pinned charts and what they create", () => {
    before(async function () {
        needUpstream(this);
        await loadPlans();
    });

    it("every chart version of every shipped stack exists upstream, and the plan names each chart's source", () => {
        const known = (repoUrl: string, chart: string, version: string): boolean => {
            if (chartValuesDir(repoUrl, chart, version)) return true;
            // Istio's releases after the snapshot are known from its release notes (the README's table; held to it below).
            if (repositoryOf(repoUrl).name === "istio" && upstreamText("README.md").includes(`| ${version} |`)) return true;
            const repo = repositoryOf(repoUrl).name;
            const index =
                repo === "istio"
                    ? YAML.parse(upstreamText("index/istio.from-git-tags.yaml")).entries.istio
                    : repo === "prometheus-community"
                      ? YAML.parse(upstreamText("index/prometheus-community.from-git-tags.yaml")).entries[chart]
                      : YAML.parse(upstreamText(`index/${repo}.yaml`)).entries[chart];
            return (index ?? []).some((e: any) => e.version === version);
        };
        for (const stack of listStacks(ROOT)) {
            const cfg = loadStackConfig(ROOT, stack);
            const prepared = workshopFrom(settingsFromConfig(cfg.config, { stack }));
            for (const r of stackReleases(prepared.settings, prepared.lessons.mesh)) {
                assert.ok(known(r.repositoryOpts.repo, r.chart, r.version), `${stack}: ${r.chart} ${r.version} from ${r.repositoryOpts.repo} is in no upstream source`);
            }
        }
        assert.equal(known("https://kiali.org/helm-charts", "kiali-server", "2.31.0"), false, "the first version's Kiali pin exists nowhere");
    });

    it("knows Istio's 1.30 releases as the upstream notes date them (security or not), defaults to the newest, and Kiali to the newest kiali.org indexes", () => {
        // The README's table of patch releases: version | tag → commit (…; tagged date) | note publishdate | security release? | ids.
        const rows = upstreamText("README.md")
            .split("\n")
            .filter((l) => /^\| 1\.30\.\d+ \|/.test(l))
            .map((l) => l.split("|").map((c) => c.trim()));
        const fromNotes = rows.map(([, version, tag, published, security]) => {
            const date = /^\d{4}-\d{2}-\d{2}$/.test(published) ? published : /tagged (\d{4}-\d{2}-\d{2})/.exec(tag)![1];
            const advisory = /^(\*\*)?yes/.test(security) ? /ISTIO-SECURITY-\d{4}-\d{3}/.exec(security)![0] : undefined;
            return { version, date, ...(advisory ? { security: advisory } : {}) };
        });
        assert.deepEqual(ISTIO_RELEASES, fromNotes);
        // Every tagged 1.30 release is in the table, and the default is the newest release.
        const tagged = YAML.parse(upstreamText("index/istio.from-git-tags.yaml"))
            .entries.istio.map((e: any) => e.version as string)
            .filter((v: string) => /^1\.30\.\d+$/.test(v));
        assert.deepEqual(tagged.filter((v: string) => !ISTIO_RELEASES.some((r) => r.version === v)), []);
        assert.equal(DEFAULT_ISTIO_VERSION, fromNotes.at(-1)!.version);
        const kiali = stackReleases(settingsFor(EKS_RAW), workshopFrom(settingsFor(EKS_RAW)).lessons.mesh).find((r) => r.chart === "kiali-server")!;
        assert.equal(kiali.version, YAML.parse(upstreamText("index/kiali.yaml")).entries["kiali-server"][0].version);
    });

    it("runs the newest Jaeger v2 the upstream data holds", () => {
        const held = fs.readdirSync(path.join(UPSTREAM, "jaeger")).map((d) => /^v(2\.\d+\.\d+)$/.exec(d)?.[1]).filter((v): v is string => v !== undefined);
        const newest = held.sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1])).at(-1);
        assert.equal(ADDON_VERSIONS.jaeger, newest);
    });

    it("the published digests the project checks archives against are the repositories' own", () => {
        const schemaCharts = new Set(Object.values(CONFIG_SCHEMAS).map((c) => c.chart));
        for (const [name, digest] of Object.entries(PUBLISHED_DIGESTS)) {
            const [repo, file] = name.split("/");
            const m = /^(.*)-(\d+\.\d+\.\d+)\.tgz$/.exec(file)!;
            const entries = YAML.parse(upstreamText(`index/${repo}.yaml`)).entries[m[1]];
            if (entries === undefined) {
                // The index excerpt keeps the installed charts only; a schema chart is released with its chart, at its version.
                assert.ok(schemaCharts.has(m[1]), `${name}: no index entry to check it against`);
                assert.ok(Object.keys(PUBLISHED_DIGESTS).some((n) => n.startsWith(`${repo}/`) && n.endsWith(`-${m[2]}.tgz`) && n !== name), name);
                continue;
            }
            assert.equal(entries.find((e: any) => e.version === m[2])?.digest, digest, name);
        }
        assert.equal(archiveName("https://kiali.org/helm-charts", "kiali-server", "2.29.0"), "kiali/kiali-server-2.29.0.tgz");
    });

    it("no object of the stack collides with an object a pinned chart creates (the charts' upstream renders)", () => {
        for (const [name, plan] of allPlans()) {
            const whole = withDefaultRenders(plan);
            assert.ok(whole.resources.some((r) => r.renderedBy && (r.inputs as any).kind === "ClusterRole" && (r.inputs as any).metadata.name === "kiali-viewer"), name);
            assert.deepEqual(duplicateProblems(whole), [], name);
        }
    });

    it("names both sides of a collision: the first version's kiali-viewer objects against the Kiali chart's", () => {
        const whole = withDefaultRenders(copyOf(plans.dev));
        for (const r of whole.resources.filter((x) => !x.renderedBy && (x.inputs as any).metadata?.name === "workshop-mesh-viewer" && /Cluster/.test(x.type))) {
            (r.inputs as any).metadata.name = "kiali-viewer";
        }
        assert.deepEqual(duplicateProblems(whole), [
            "DuplicateObject: ClusterRole kiali-viewer is created twice, by addons-kiali-viewer-role and by release istio-system/kiali (chart kiali-server 2.29.0): the second apply would fail (Helm: invalid ownership metadata; Kubernetes: AlreadyExists)",
            "DuplicateObject: ClusterRoleBinding kiali-viewer is created twice, by addons-kiali-viewer-binding and by release istio-system/kiali (chart kiali-server 2.29.0): the second apply would fail (Helm: invalid ownership metadata; Kubernetes: AlreadyExists)",
        ]);
    });

    it("every values key each release sets is declared by its chart's values.yaml, or read by a template READ_UNDECLARED names", () => {
        for (const [name, plan] of allPlans()) {
            for (const r of plan.resources.filter((x) => x.type === RELEASE && !isLessonsRelease(x))) {
                const rel = releaseInputs(r);
                const dir = chartValuesDir(rel.repo, rel.chart, dataVersion(rel.repo, rel.chart, rel.version))!;
                assert.ok(dir, `${rel.chart} ${rel.version}: no upstream values`);
                assert.deepEqual(declarationProblems(rel.chart, rel.values, YAML.parse(fs.readFileSync(path.join(dir, "values.yaml"), "utf8"))), [], `${name} ${rel.chart}`);
            }
        }
    });

    it("ambient mode: the ambient profile goes to exactly the charts whose upstream render it changes, ztunnel joins them, and the node pods request what the charts default to", () => {
        const releases = plans.ambient.resources.filter((x) => x.type === RELEASE && !isLessonsRelease(x)).map(releaseInputs);
        const istio = releases.filter((r) => r.repo === ISTIO_CHART_REPO);
        // The upstream renders with and without profile=ambient (the README's pipeline): base's are the same file.
        const changedByProfile = ["base", "istiod", "cni", "ztunnel"].filter((chart) => fs.existsSync(path.join(UPSTREAM, `rendered/${chart}-${ISTIO_DATA_VERSION}.ambient.yaml`)));
        assert.deepEqual(changedByProfile, ["istiod", "cni", "ztunnel"]);
        assert.deepEqual(istio.filter((r) => (r.values as any).profile === "ambient").map((r) => r.chart).sort(), [...changedByProfile].sort());
        // The chart each profile file comes from is the helm profile Istio publishes, verbatim (a 4-line header aside).
        const profile = upstreamText("chart-values/istio/manifests@1.30.3/helm-profiles/ambient.yaml");
        for (const chart of changedByProfile) {
            assert.ok(upstreamText(`chart-values/istio/${chart}-${ISTIO_DATA_VERSION}/files/profile-ambient.yaml`).endsWith(profile), chart);
        }
        // What the capacity model counts on every node is what each chart requests by default.
        for (const [chart, resources] of [["cni", CNI_RESOURCES], ["ztunnel", ZTUNNEL_RESOURCES]] as const) {
            const defaults = YAML.parse(upstreamText(`chart-values/istio/${chart}-${ISTIO_DATA_VERSION}/values.yaml`))._internal_defaults_do_not_set.resources;
            assert.deepEqual(defaults.requests, resources.requests, chart);
            assert.deepEqual((istio.find((r) => r.chart === chart)!.values as any).resources, resources, chart);
        }
        // ztunnel's pods are annotated for Prometheus's annotated-pods job, on the port they serve their metrics on.
        const ztunnel = upstreamYamlDocs(`rendered/ztunnel-${ISTIO_DATA_VERSION}.ambient.yaml`).find((o) => o.kind === "DaemonSet");
        assert.equal(ztunnel.spec.template.metadata.annotations["prometheus.io/scrape"], "true");
        const port = Number(ztunnel.spec.template.metadata.annotations["prometheus.io/port"]);
        assert.ok(ztunnel.spec.template.spec.containers[0].ports.some((p: any) => p.containerPort === port));
        // ...and the plan's Prometheus has a pod job that takes annotated pods of ztunnel's namespace (the graph Kiali draws for ambient reads them).
        assert.ok(jobsScraping(plans.ambient, ztunnel.metadata.namespace ?? "istio-system").length > 0);
        // The sidecar stacks install no ztunnel.
        assert.ok(!plans.dev.resources.some((x) => x.type === RELEASE && releaseInputs(x).chart === "ztunnel"));
    });

    it("refuses a key the chart does not declare: the first version's kiali.istio_namespace", () => {
        const kiali = releaseInputs(plans.dev.resources.find((r) => r.type === RELEASE && (r.inputs as any).chart === "kiali-server")!);
        const defaults = YAML.parse(upstreamText("chart-values/kiali/kiali-server-2.29.0/values.yaml"));
        assert.deepEqual(declarationProblems("kiali-server", { ...kiali.values, istio_namespace: "istio-system" }, defaults), [
            "chart kiali-server: values key istio_namespace is not declared by the chart's values.yaml: Helm would ignore it",
        ]);
    });

    it("READ_UNDECLARED holds only keys the stack sets, so no exception outlives its use", () => {
        const set = new Map<string, Set<string>>();
        for (const [, plan] of allPlans()) {
            for (const r of plan.resources.filter((x) => x.type === RELEASE)) {
                const rel = releaseInputs(r);
                const keys = set.get(rel.chart) ?? new Set<string>();
                for (const p of leafPaths(rel.values)) keys.add((rel.chart === "istiod" && p[0] === "pilot" ? p.slice(1) : p).join("."));
                set.set(rel.chart, keys);
            }
        }
        for (const [chart, entries] of Object.entries(READ_UNDECLARED)) {
            for (const key of Object.keys(entries)) {
                assert.ok([...(set.get(chart) ?? [])].some((k) => k === key || k.startsWith(`${key}.`)), `${chart}: ${key} is set by no plan`);
            }
        }
    });

    it("every in-cluster address the stack's own objects name resolves to a Service and port; the charts' addresses wait for a render", () => {
        for (const [name, plan] of allPlans()) {
            const { problems, unverified } = addressProblems(plan, false);
            assert.deepEqual(problems, [], name);
            // Prometheus', Grafana's and Kiali's Services are their charts': only a render shows them.
            assert.ok(unverified.every((u) => /no Service istio-system\/(prometheus|grafana|kiali) in the plan$/.test(u)), `${name}: ${unverified.join("; ")}`);
        }
        assert.deepEqual(serviceOfHost("reviews", "demo"), { service: "reviews", namespace: "demo" });
        assert.deepEqual(serviceOfHost("jaeger-collector.istio-system.svc.cluster.local", "x"), { service: "jaeger-collector", namespace: "istio-system" });
        assert.equal(serviceOfHost("raw.githubusercontent.com", "x"), undefined);
        assert.equal(serviceOfHost("127.0.0.1", "x"), undefined);
    });

    it("names both sides of an address that resolves to nothing", () => {
        const plan = copyOf(plans.dev);
        const istiod = plan.resources.find((r) => r.type === RELEASE && (r.inputs as any).chart === "istiod")!;
        (istiod.inputs as any).values.meshConfig.extensionProviders[0].opentelemetry.port = 4319;
        (own(plan, "ConfigMap", "nginx-proxy").inputs as any).data["default.conf"] = "server { location /v1 { proxy_pass http://my-app-v3; } }";
        assert.deepEqual(addressProblems(plan, true).problems.filter((p) => !/istio-system\/(prometheus|grafana)/.test(p)), [
            "UnresolvedAddress: jaeger-collector.istio-system.svc.cluster.local:4319 (release istio-system/istiod value meshConfig.extensionProviders[0].opentelemetry): Service istio-system/jaeger-collector (addons-jaeger-collector) has no port 4319 (ports: 4317)",
            "UnresolvedAddress: http://my-app-v3 (ConfigMap demo/nginx-proxy (lessons:demo/nginx-proxy) default.conf proxy_pass): no Service demo/my-app-v3 in the plan",
        ]);
    });
});

describe("upstream: the first apply's failures, each fixed", () => {
    before(async function () {
        needUpstream(this);
        await loadPlans();
    });

    it("Jaeger serves its metrics on all interfaces at the port its pod is annotated with (upstream's default is localhost)", () => {
        const upstream = YAML.parse(upstreamText(`jaeger/v${ADDON_VERSIONS.jaeger}/all-in-one.yaml`));
        const upstreamHost = upstream.service.telemetry.metrics.readers[0].pull.exporter.prometheus.host;
        assert.equal(upstreamHost, "${env:JAEGER_LISTEN_HOST:-localhost}");
        const ours = YAML.parse(jaegerConfig());
        assert.deepEqual(ours.service.telemetry.metrics.readers[0].pull.exporter.prometheus, { host: "0.0.0.0", port: JAEGER_METRICS_PORT });
        // Every extension, receiver and exporter named exists in Jaeger's own configs at that version.
        const upstreamConfigs = ["all-in-one.yaml", "config.yaml", "config-query.yaml"].map((f) => YAML.parse(upstreamText(`jaeger/v${ADDON_VERSIONS.jaeger}/${f}`)));
        for (const section of ["extensions", "receivers", "exporters", "processors"] as const) {
            for (const key of Object.keys(ours[section])) assert.ok(upstreamConfigs.some((c) => c[section]?.[key] !== undefined), `${section}.${key}`);
        }
        assert.deepEqual(scrapePortProblems(plans.dev), []);
    });

    it("refuses a scrape annotation for a port the pod does not declare (the first version's Jaeger)", () => {
        const plan = copyOf(plans.dev);
        const jaeger = own(plan, "Deployment", "jaeger").inputs as any;
        jaeger.spec.template.spec.containers[0].ports = jaeger.spec.template.spec.containers[0].ports.filter((p: any) => p.containerPort !== 8888);
        assert.deepEqual(scrapePortProblems(plan), [
            'ScrapePortNotServed: Deployment istio-system/jaeger (addons-jaeger) is annotated prometheus.io/port "8888", which none of its containers declares (4317, 16686, 16685, 13133)',
        ]);
    });

    it("every nginx that proxies speaks HTTP/1.1 to the mesh (the sidecar refuses HTTP/1.0 with 426)", () => {
        const proxies = planObjects(plans.everything).filter(({ o }) => o.kind === "ConfigMap" && Object.values(o.data ?? {}).some((t) => /proxy_pass/.test(String(t))));
        assert.deepEqual(proxies.map(({ o }) => `${o.metadata.namespace}/${o.metadata.name}`).sort(), ["demo/nginx-proxy", "istio-system/jaeger-auth"]);
        for (const { o } of proxies) {
            for (const conf of Object.values(o.data) as string[]) {
                const servers = conf.split(/^server \{/m).slice(1);
                for (const s of servers) if (s.includes("proxy_pass")) assert.match(s, /^\s*proxy_http_version 1\.1;/m, o.metadata.name);
            }
        }
    });

    it("the egress gateway has its own Service, as the ingress gateway does", () => {
        assert.deepEqual(gatewayServiceProblems(plans.everything, planObjects(plans.everything), [
            { namespace: "istio-egress", labels: { app: "istio-egressgateway", istio: "egressgateway" }, source: "release istio-egress/istio-egressgateway" },
            { namespace: "istio-ingress", labels: { app: "istio-ingressgateway", istio: "ingressgateway" }, source: "release istio-ingress/istio-ingressgateway" },
        ]), []);
        const plan: Plan = { ...plans.everything, resources: plans.everything.resources.filter((r) => r.name !== "mesh-egress-service") };
        assert.deepEqual(gatewayServiceProblems(plan, planObjects(plan), [
            { namespace: "istio-egress", labels: { app: "istio-egressgateway", istio: "egressgateway" }, source: "release istio-egress/istio-egressgateway" },
        ]), [
            'GatewayWithoutService: release istio-egress/istio-egressgateway: no Service in namespace istio-egress selects its pods {"app":"istio-egressgateway","istio":"egressgateway"}, so nothing can send traffic to the gateway',
        ]);
    });

    it("every image is pinned, and comes from Docker Hub only when its project publishes nowhere else", () => {
        const images = new Set<string>();
        for (const [, plan] of allPlans()) {
            for (const p of podTemplates(planObjects(plan))) {
                for (const c of [...p.containers, ...(p.x.o.spec.template.spec.initContainers ?? [])]) images.add(c.image);
            }
            for (const r of plan.resources.filter((x) => x.type === RELEASE)) {
                const img = (r.inputs as any).values?.downloadDashboardsImage;
                if (img) images.add(`${img.registry}/${img.repository}:${img.tag}`);
            }
        }
        assert.ok(images.size >= 10, [...images].join(", "));
        for (const image of images) {
            assert.equal(unpinned(image), undefined, image);
            if (image.startsWith("docker.io/")) assert.ok(DOCKER_HUB_ONLY[imageRepository(image)], `${image} is pulled from Docker Hub`);
        }
        assert.deepEqual([unpinned("quay.io/x/y"), unpinned("quay.io/x/y:latest"), unpinned("quay.io/x/y:1.27-alpine")], [
            "has no tag (Kubernetes pulls :latest)",
            'has the moving tag ":latest"',
            'has tag ":1.27-alpine", which names no exact version',
        ]);
    });

    it("the lessons run Istio 1.30.3's sample images, as its samples deploy them", () => {
        const upstreamImages = new Set(
            ["bookinfo/platform/kube/bookinfo.yaml", "helloworld/helloworld.yaml"].flatMap((f) =>
                upstreamYamlDocs(`istio-samples/${f}`).flatMap((o) => (o.spec?.template?.spec?.containers ?? []).map((c: any) => c.image)),
            ),
        );
        for (const svc of ["productpage", "details", "ratings"]) assert.ok(upstreamImages.has(IMAGES.bookinfo(svc, "v1")), svc);
        for (const v of ["v1", "v2", "v3"]) assert.ok(upstreamImages.has(IMAGES.bookinfo("reviews", v)), v);
        for (const v of ["v1", "v2"]) assert.ok(upstreamImages.has(IMAGES.helloworld(v)), v);
    });

    it("Grafana loads the dashboards the Istio release being deployed publishes, titled as they are (ztunnel's in ambient mode)", () => {
        const files = upstreamText("istio-samples/FILES.tsv");
        assert.deepEqual(dashboardsFor("ambient").filter((d) => !ISTIO_DASHBOARDS.includes(d as any)).map((d) => d.file), ["ztunnel-dashboard.gen.json"]);
        for (const d of dashboardsFor("ambient")) {
            assert.match(files, new RegExp(`\tmanifests/addons/dashboards/${d.file.replace(/\./g, "\\.")}\t`), d.file);
            const json = JSON.parse(upstreamText(`istio-samples/manifests-addons/dashboards/${d.file}`));
            assert.equal(json.title, d.title, d.file);
            assert.ok(json.templating.list.some((t: any) => t.type === "datasource" && t.query === "prometheus"), `${d.file} picks its Prometheus data source itself`);
            assert.equal(istioDashboardUrl(DEFAULT_ISTIO_VERSION, d.file), `https://raw.githubusercontent.com/istio/istio/${DEFAULT_ISTIO_VERSION}/manifests/addons/dashboards/${d.file}`);
        }
    });

    it("helloworld is ready when its /health answers, not its CPU-heavy /hello", () => {
        const doc = upstreamText("istio-samples/SERVICE-RESPONSES.md");
        assert.match(doc, /`GET \/hello` → 200 `text\/html`, body `Hello version: v1, instance: <HOSTNAME>\\n`\. Each request first\n  does a CPU-heavy loop\./);
        assert.match(doc, /`GET \/health` → 200 `Helloworld is healthy`/);
        const probes = planObjects(plans.dev)
            .filter(({ o }) => o.kind === "Deployment" && o.metadata.labels?.app === "helloworld")
            .map(({ o }) => o.spec.template.spec.containers[0].readinessProbe.httpGet.path);
        assert.deepEqual(probes, ["/health", "/health"]);
    });

    it("bookinfo's gateway routes every path Istio's bookinfo-gateway.yaml routes, sign-in included", () => {
        const upstream = upstreamYamlDocs("istio-samples/bookinfo/networking/bookinfo-gateway.yaml").find((o) => o.kind === "VirtualService");
        const wanted = upstream.spec.http.flatMap((h: any) => h.match.map((m: any) => JSON.stringify(m.uri)));
        const ours = new Set(
            (own(plans.dev, "VirtualService", "bookinfo-gateway").inputs as any).spec.http.flatMap((h: any) => h.match.map((m: any) => JSON.stringify(m.uri))),
        );
        assert.deepEqual(wanted.filter((w: string) => !ours.has(w)), []);
        assert.ok(wanted.includes('{"exact":"/login"}'));
    });

    it("every lesson pod runs as a ServiceAccount of its own that exists, bookinfo's named as Istio's bookinfo.yaml names them", () => {
        for (const [name, plan] of lessonPlans()) {
            const objs = planObjects(plan);
            const accounts = new Set(objs.filter(({ o }) => o.kind === "ServiceAccount").map(({ o }) => `${o.metadata.namespace}/${o.metadata.name}`));
            const ours = stackMade(plan);
            const lessons = podTemplates(objs).filter((p) => ours(p.x.r) && !["istio-system"].includes(p.namespace));
            assert.ok(lessons.length > 10, name);
            for (const p of lessons) {
                const sa = p.x.o.spec.template.spec.serviceAccountName;
                assert.ok(sa && sa !== "default", `${name}: ${p.x.o.metadata.name} runs as ${sa ?? "default"}`);
                assert.ok(accounts.has(`${p.namespace}/${sa}`), `${name}: ServiceAccount ${p.namespace}/${sa} is not created`);
            }
        }
        const upstreamAccounts = Object.fromEntries(
            upstreamYamlDocs("istio-samples/bookinfo/platform/kube/bookinfo.yaml")
                .filter((o) => o.kind === "Deployment")
                .map((o) => [o.metadata.labels.app, o.spec.template.spec.serviceAccountName]),
        );
        for (const { o } of planObjects(plans.dev).filter(({ o }) => o.kind === "Deployment" && upstreamAccounts[o.metadata.labels?.app])) {
            assert.equal(o.spec.template.spec.serviceAccountName, upstreamAccounts[o.metadata.labels.app], o.metadata.name);
        }
    });
});

describe("upstream: isolation selects the pods and identities the charts create", () => {
    before(function () {
        needUpstream(this);
    });
    const podsOf = (file: string) => upstreamYamlDocs(`rendered/${file}`).filter((d) => d.kind === "Deployment" || d.kind === "DaemonSet");
    const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

    it("the NetworkPolicy peers and open ports select the chart's Prometheus server, istiod and the ingress gateway, nothing else of theirs", () => {
        const prometheus = podsOf("prometheus-27.42.2.default.yaml").filter((d) => selects(PROMETHEUS_SERVER_POD_LABELS, d.spec.template.metadata.labels));
        assert.deepEqual(prometheus.map((d) => d.metadata.name), ["prometheus-server"]);
        const kiali = podsOf("kiali-server-2.29.0.default.yaml").filter((d) => selects(KIALI_POD_LABELS, d.spec.template.metadata.labels));
        assert.deepEqual(kiali.map((d) => d.metadata.name), ["kiali"]);
        const istiod = podsOf("istiod-1.30.3.default.yaml").filter((d) => selects(ISTIOD_POD_LABELS, d.spec.template.metadata.labels));
        assert.deepEqual(istiod.map((d) => d.metadata.name), ["istiod"]);
        // istiod serves mTLS xDS on 15012 and the webhooks on 15017 (what the open-istiod policy admits), plaintext xDS on 15010 (what it does not).
        const ports = istiod[0].spec.template.spec.containers[0].ports.map((p: any) => p.containerPort);
        for (const p of [...OPEN_SYSTEM_PORTS.istiod.ports, 15010]) assert.ok(ports.includes(p), `istiod port ${p}`);
        const gateway = podsOf("gateway-1.30.3.default.yaml").filter((d) => selects((GATEWAY_PEER.podSelector as { matchLabels: Record<string, string> }).matchLabels, d.spec.template.metadata.labels));
        assert.deepEqual(gateway.map((d) => d.metadata.name), ["istio-ingressgateway"]);
        // The AuthorizationPolicy's principal is the identity of the gateway's ServiceAccount in its namespace.
        const account = gateway[0].spec.template.spec.serviceAccountName;
        assert.equal(GATEWAY_PRINCIPAL, `cluster.local/ns/istio-ingress/sa/${account}`);
    });

    it("no chart brings a NetworkPolicy of its own that would admit its port from anywhere (Kiali's does by default)", () => {
        const kialiPolicy = upstreamYamlDocs("rendered/kiali-server-2.29.0.default.yaml").find((d) => d.kind === "NetworkPolicy");
        assert.deepEqual(kialiPolicy.spec.ingress, [{ ports: [{ port: 20001, protocol: "TCP" }, { port: 9090, protocol: "TCP" }] }], "upstream: no `from`, every source");
        assert.deepEqual((kialiValues({ ...settingsFor(EKS_RAW).addons }) as any).deployment.network_policy, { enabled: false });
        for (const file of ["grafana-11.6.1.default.yaml", "prometheus-27.42.2.default.yaml"]) {
            assert.deepEqual(upstreamYamlDocs(`rendered/${file}`).filter((d) => d.kind === "NetworkPolicy"), [], file);
        }
    });

    it("Prometheus' scrape jobs are the chart's, but for what a classroom's untrusted targets need, every difference listed", () => {
        const chart: any[] = YAML.parse(upstreamText("chart-values/prometheus-community/prometheus-27.42.2/values.yaml")).serverFiles["prometheus.yml"].scrape_configs;
        const ours = (prometheusValues() as any).serverFiles["prometheus.yml"].scrape_configs as any[];
        const byName = (jobs: any[]) => new Map(jobs.map((j) => [j.job_name, j]));
        const theirs = byName(chart);
        // Jobs left out: components the stack does not install, and slow variants nothing annotates for.
        assert.deepEqual(
            chart.map((j) => j.job_name).filter((n) => !byName(ours).has(n)),
            ["kubernetes-service-endpoints-slow", "prometheus-pushgateway", "kubernetes-services", "kubernetes-pods-slow"],
        );
        for (const job of ours) {
            const upstream = theirs.get(job.job_name) ?? theirs.get("kubernetes-pods");
            const { relabel_configs: ourRules, ...ourRest } = job;
            const { relabel_configs: upYaml, ...upRest } = upstream;
            // The chart writes `regex: true` unquoted: YAML's boolean, which Prometheus reads as the string.
            const upRules = (upYaml ?? []).map((r: any) => (r.regex === true ? { ...r, regex: "true" } : r));
            const platform = [{ source_labels: ["__meta_kubernetes_namespace"], action: "keep", regex: PLATFORM_NAMESPACES.join("|") }];
            if (job.job_name === "workload-pods") {
                // Every other namespace's pods: Prometheus' labels win, no redirect, bounded, no URL parameter from an annotation.
                assert.deepEqual(ourRest, { ...upRest, job_name: "workload-pods", honor_labels: false, follow_redirects: false, ...UNTRUSTED_SCRAPE_LIMITS });
                assert.deepEqual(ourRules.slice(1), upRules.filter((r: any) => !String(r.regex).includes("prometheus_io_param")));
                assert.deepEqual(ourRules[0], { ...platform[0], action: "drop" });
            } else if (job.job_name === "kubernetes-pods" || job.job_name === "kubernetes-service-endpoints") {
                // The platform's own: the chart's job, for the platform's namespaces only.
                assert.deepEqual(ourRest, upRest);
                assert.deepEqual(ourRules, [...platform, ...upRules], job.job_name);
            } else {
                assert.deepEqual(job, upstream, job.job_name);
            }
        }
    });

    it("Prometheus runs without its lifecycle API: the chart's default flag is gone, and with it the reloader that needs it", () => {
        const values = YAML.parse(upstreamText("chart-values/prometheus-community/prometheus-27.42.2/values.yaml"));
        assert.deepEqual(values.server.extraFlags, ["web.enable-lifecycle"]);
        assert.equal(values.configmapReload.prometheus.enabled, true);
        const rendered = upstreamYamlDocs("rendered/prometheus-27.42.2.default.yaml").find((d) => d.kind === "Deployment" && d.metadata.name === "prometheus-server");
        assert.ok(rendered.spec.template.spec.containers.some((c: any) => (c.args ?? []).includes("--web.enable-lifecycle")), "upstream default enables it");
        const ours = prometheusValues() as any;
        assert.deepEqual([ours.server.extraFlags, ours.configmapReload.prometheus.enabled], [[], false]);
    });
});
