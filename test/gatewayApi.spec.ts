/**
 * Gateway API ingress (`istio.ingress.api: gateway-api`): the shared Gateway and the lessons' HTTPRoutes the stack
 * writes, held to the Gateway API's CRDs and to Istio's own Gateway API sample for bookinfo; and the data-plane
 * model's reading of them (`src/judgement/dataplane/gatewayApi.ts`), rule by rule, each case one of the Gateway
 * API's or istiod's stated behaviours.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { ISTIO_DEFAULTS, Mesh, drawsFrom, type MeshConfig } from "../src/judgement/dataplane/mesh";
import { loadReplies, planMeshConfig, podsOfDeployments, worldOf } from "../src/judgement/dataplane/world";
import { planObjects } from "../src/judgement/checks/clusterChecks";
import { CrdValidator } from "../src/judgement/checks/crdSchemas";
import type { Plan } from "../src/judgement/plan/plan";
import { NotModelled, type ModelPod } from "../src/judgement/dataplane/apps";
import { GATEWAY_ROUTES_LABELS } from "../src/model/platform";
import { AMBIENT_RAW, EKS_RAW, TEST_CERTIFICATE, planIndex, settingsFor } from "./helpers";
import { UPSTREAM, needUpstream, upstreamYamlDocs } from "./upstream";
import { checkPlan } from "../src/judgement/checks/validatePlan";
import { upstreamGatewayApi } from "../src/judgement/cluster/replay";
import { gatewayApiManifest } from "../src/mesh/meshSpec";
import { parseSettings, SettingsError } from "../src/settings/parse";
import { workshopFrom } from "../src/workshop/resolve";
import { buildNamespace, namespaceManifests } from "../src/lessons/build";
import { IMAGES } from "../src/model/images";

const REPLIES = loadReplies(path.join(__dirname, "fixtures", "replies"));
const RAW = { ...EKS_RAW, istio: { ingress: { api: "gateway-api" } } };
const GATEWAY_URL = "http://istio-ingressgateway.istio-ingress.svc.cluster.local";

/** A client pod outside the mesh, in the lessons' namespace (as a verification Job's, without its sidecar). */
const client: ModelPod = { name: "client", namespace: "demo", labels: { app: "client" }, serviceAccount: "client", image: "curl", env: {}, args: [], sidecar: false };

/**
 * The status each path answers at the gateway, in a world of these objects; where the app behind it is not modelled
 * for that path (productpage's static files), what the model says instead, so two worlds still compare.
 */
function statuses(objects: readonly any[], mesh: MeshConfig, paths: readonly string[], headers: Record<string, string> = {}): Record<string, number | string> {
    const { world } = worldOf(objects, podsOfDeployments(objects), REPLIES, mesh);
    const m = new Mesh(world, drawsFrom("gateway-api"));
    const status = (p: string) => {
        try {
            return m.request(client, `${GATEWAY_URL}${p}`, headers, 60).status;
        } catch (e) {
            if (e instanceof NotModelled) return `reached the app, not modelled: ${e.message}`;
            throw e;
        }
    };
    return Object.fromEntries(paths.map((p) => [p, status(p)]));
}

describe("Gateway API ingress", function () {
    this.timeout(600_000);
    let plan: Plan;
    let objects: any[];
    let mesh: MeshConfig;
    before(async () => {
        plan = await planIndex(RAW);
        objects = planObjects(plan).map((x) => x.o);
        mesh = planMeshConfig(plan);
    });

    it("writes the shared Gateway of class istio on the stack's own gateway Service, and every lesson's gateway routes as HTTPRoutes, no gateway-bound VirtualService", () => {
        const gateways = objects.filter((o) => o.kind === "Gateway");
        assert.deepEqual(gateways.map((g) => `${g.apiVersion} ${g.metadata.namespace}/${g.metadata.name}`), ["gateway.networking.k8s.io/v1 istio-ingress/workshop-gateway"]);
        assert.deepEqual(gateways[0].spec.addresses, [{ type: "Hostname", value: "istio-ingressgateway.istio-ingress.svc.cluster.local" }]);
        assert.deepEqual(gateways[0].spec.listeners.map((l: any) => `${l.name} ${l.port} ${l.protocol}`), ["http 80 HTTP", "https 443 HTTPS"]);
        assert.deepEqual(
            objects.filter((o) => o.kind === "HTTPRoute").map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort(),
            ["demo/bookinfo-gateway", "demo/my-app-gateway"],
        );
        assert.deepEqual(objects.filter((o) => o.kind === "VirtualService" && o.spec?.gateways).map((o) => o.metadata.name), []);
        // The lessons' namespace is the one the listeners accept routes from.
        const demo = objects.find((o) => o.kind === "Namespace" && o.metadata.name === "demo");
        assert.equal(demo.metadata.labels["istio-workshop/gateway-routes"], "allowed");
    });

    it("every Gateway API object of the plan is valid against the Gateway API's v1.5.1 standard CRDs: schema, CEL rules, no unknown field", function () {
        needUpstream(this);
        const crds = ["gateways", "httproutes"].flatMap((k) => upstreamYamlDocs(`gateway-api/v1.5.1/standard/gateway.networking.k8s.io_${k}.yaml`));
        const validator = new CrdValidator(crds);
        const api = objects.filter((o) => String(o.apiVersion).startsWith("gateway.networking.k8s.io/"));
        assert.ok(api.length >= 3);
        for (const o of api) assert.deepEqual(validator.violations(o), [], `${o.kind} ${o.metadata.name}`);
        // And at the myApp lesson's tls stage: one HTTPRoute per listener (its redirects on http, its routes on https).
        const tls = objectsOf(settingsFor({ ...RAW, apps: { myApp: { stage: "tls" } } }));
        assert.deepEqual(tls.map((o) => `${o.metadata.name} ${o.spec.parentRefs[0].sectionName ?? "every listener"}`).sort(), ["bookinfo-gateway every listener", "my-app-gateway-443 https", "my-app-gateway-80 http"]);
        for (const o of tls) assert.deepEqual(validator.violations(o), [], o.metadata.name);
    });

    it("the CRD validator reads a oneOf branch as Kubernetes does: values checked, fields it does not name not refused; a field no property declares still refused", function () {
        needUpstream(this);
        const validator = new CrdValidator(upstreamYamlDocs("gateway-api/v1.5.1/standard/gateway.networking.k8s.io_gateways.yaml"));
        const gateway = (address: Record<string, unknown>) => ({
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "Gateway",
            metadata: { name: "g", namespace: "n" },
            spec: { gatewayClassName: "istio", addresses: [address], listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
        });
        assert.deepEqual(validator.violations(gateway({ type: "Hostname", value: "gw.n.svc.cluster.local" })), []);
        assert.deepEqual(validator.violations(gateway({ type: "Hostname", value: "gw.n.svc.cluster.local", port: 80 })), ["spec/addresses/0/port is not a field of Gateway (gateway.networking.k8s.io/v1) (the API server would drop it)"]);
        // The item's own rules still hold: a Hostname address is checked by the CRD's CEL rule.
        assert.ok(validator.violations(gateway({ type: "Hostname", value: "Not_A_Host" })).some((v) => v.includes("Hostname value must be empty or contain only valid characters")));
    });

    it("applies the CRDs' defaults before their rules, as the API server does: the parentRef rules read the defaulted group and kind", function () {
        needUpstream(this);
        const validator = new CrdValidator(upstreamYamlDocs("gateway-api/v1.5.1/standard/gateway.networking.k8s.io_httproutes.yaml"));
        const ours = objects.find((o) => o.kind === "HTTPRoute" && o.metadata.name === "bookinfo-gateway");
        assert.deepEqual(validator.violations(ours), []);
        const before = validator.cel.notEvaluated.size;
        // The same parent twice, neither naming a listener: the CRD's rule (over group, kind, name, namespace) refuses it.
        const twice = { ...ours, spec: { ...ours.spec, parentRefs: [ours.spec.parentRefs[0], ours.spec.parentRefs[0]] } };
        assert.ok(validator.violations(twice).some((v) => /must be unique/.test(v)), JSON.stringify(validator.violations(twice)));
        assert.equal(validator.cel.notEvaluated.size, before, [...validator.cel.notEvaluated.keys()].join("; "));
    });

    it("the plan checks the Gateway API's objects against the CRDs of its manifest when the chart cache has it, and says so when it has not", function () {
        needUpstream(this);
        const url = gatewayApiManifest(settingsFor(RAW).istio)!;
        const standIn = upstreamGatewayApi(UPSTREAM)(url)!.objects;
        const gatewaySchemas = (notChecked: readonly string[]) => notChecked.filter((n) => n.startsWith("schema of gateway.networking.k8s.io"));
        assert.deepEqual(gatewaySchemas(checkPlan(plan).notChecked), [
            "schema of gateway.networking.k8s.io/v1 Gateway: no CustomResourceDefinition for it in the plan (the Gateway API's manifest is not in the chart cache)",
            "schema of gateway.networking.k8s.io/v1 HTTPRoute: no CustomResourceDefinition for it in the plan (the Gateway API's manifest is not in the chart cache)",
        ]);
        const cached = checkPlan(plan, { manifests: new Map([[url, standIn]]) });
        assert.deepEqual(gatewaySchemas(cached.notChecked), []);
        assert.deepEqual(cached.notChecked.filter((n) => n.startsWith("CEL rule")), []);
        assert.deepEqual(cached.problems, []);
    });

    it("bookinfo's HTTPRoute matches the paths of Istio's bookinfo Gateway API sample, and the model answers every path alike for both", function () {
        needUpstream(this);
        const sample = upstreamYamlDocs("istio-samples/bookinfo/gateway-api/bookinfo-gateway.yaml").find((o) => o.kind === "HTTPRoute");
        const ours = objects.find((o) => o.kind === "HTTPRoute" && o.metadata.name === "bookinfo-gateway");
        const key = (m: any) => `${m.path.type} ${m.path.value}`;
        assert.deepEqual(ours.spec.rules.flatMap((r: any) => r.matches.map(key)).sort(), sample.spec.rules.flatMap((r: any) => r.matches.map(key)).sort());
        // The sample's route, attached to this stack's Gateway instead of its own, in place of ours.
        const theirs = { ...sample, metadata: { name: "bookinfo", namespace: "demo" }, spec: { ...sample.spec, parentRefs: [{ name: "workshop-gateway", namespace: "istio-ingress" }] } };
        const paths = ["/productpage", "/productpage/", "/productpagex", "/static/bootstrap.css", "/static", "/staticx", "/login", "/logout", "/api/v1/products", "/api/v1/products/0", "/api/v1/productsx", "/", "/details/0"];
        const withOurs = statuses(objects, mesh, paths);
        const withTheirs = statuses([...objects.filter((o) => o !== ours), theirs], mesh, paths);
        assert.deepEqual(withOurs, withTheirs);
        // Elements of a path, not characters: /staticx is not under /static; an exact path takes no suffix.
        assert.deepEqual([withOurs["/staticx"], withOurs["/productpagex"], withOurs["/api/v1/productsx"], withOurs["/"]], [404, 404, 404, 404]);
        assert.equal(withOurs["/productpage"], 200);
    });

    it("the listeners accept routes only from the lessons' namespaces: without the label the same routes serve nothing", () => {
        const unlabelled = objects.map((o) =>
            o.kind === "Namespace" && o.metadata.name === "demo" ? { ...o, metadata: { ...o.metadata, labels: Object.fromEntries(Object.entries(o.metadata.labels).filter(([k]) => !(k in GATEWAY_ROUTES_LABELS))) } } : o,
        );
        assert.deepEqual(statuses(unlabelled, mesh, ["/productpage", "/v1"]), { "/productpage": 404, "/v1": 404 });
        assert.deepEqual(statuses(objects, mesh, ["/productpage", "/v1"]), { "/productpage": 200, "/v1": 200 });
    });

    it("refuses what Gateway API ingress does not carry, each by its key; a classroom and exposed UIs are not among them", () => {
        const refused = (raw: Record<string, unknown>) => {
            try {
                parseSettings(raw, { stack: "dev" });
            } catch (e) {
                return (e as SettingsError).problems;
            }
            return [];
        };
        assert.deepEqual(refused({ ...RAW, attendees: 2 }), []);
        // The exposed UIs are HTTPRoutes of their own there (`exposedHttpRoutes`).
        assert.deepEqual(refused({ ...RAW, addons: { expose: true }, istio: { ingress: { api: "gateway-api", certificateArn: TEST_CERTIFICATE } } }), []);
        assert.deepEqual(refused({ ...RAW, apps: { bookinfo: { routes: { gateway: [{ weights: { v1: 100 } }, { match: { sourceLabels: { app: "x" } }, to: "productpage" }] } } } }).map((p) => p.split(":")[0]), [
            "apps.bookinfo.routes.gateway[0].weights",
            "apps.bookinfo.routes.gateway[1].match.sourceLabels",
        ]);
        assert.deepEqual(refused({ ...AMBIENT_RAW, istio: { dataplane: "ambient", ingress: { api: "gateway-api" } } }), []);
    });
});

/** The HTTPRoutes the stack writes for these settings, built as the plan builds them. */
function objectsOf(settings: ReturnType<typeof settingsFor>): any[] {
    const ns = workshopFrom(settings).lessons.namespaces[0];
    return (namespaceManifests(buildNamespace(ns), ns.namespace) as any[]).filter((o) => o.kind === "HTTPRoute");
}

describe("the Gateway API model at a gateway pod, rule by rule", () => {
    const gatewayPod: ModelPod = { name: "gw", namespace: "istio-ingress", labels: { app: "gw" }, serviceAccount: "gw", image: "gateway", env: {}, args: [], sidecar: true };
    const svc = (name: string, ns: string, selector: Record<string, string>, port: number) => ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns }, spec: { selector, ports: [{ name: "http", port, targetPort: port }] } });
    // Google's hello-app answers every path with its version (the recorded replies): which backend answered shows.
    const deployment = (name: string, ns: string, labels: Record<string, string>, tag: string) => ({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace: ns },
        spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { serviceAccountName: name, containers: [{ name, image: IMAGES.helloApp(tag) }] } } },
    });
    const route = (name: string, ns: string, spec: Record<string, unknown>, created = "2026-01-01T00:00:00Z") => ({ apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name, namespace: ns, creationTimestamp: created }, spec: { parentRefs: [{ name: "gw", namespace: "istio-ingress" }], ...spec } });
    const base = (from: Record<string, unknown> = { from: "All" }) => [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "a", labels: { team: "a" } } },
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "b", labels: {} } },
        svc("gw", "istio-ingress", { app: "gw" }, 80),
        {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "Gateway",
            metadata: { name: "gw", namespace: "istio-ingress" },
            spec: { gatewayClassName: "istio", addresses: [{ type: "Hostname", value: "gw.istio-ingress.svc.cluster.local" }], listeners: [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: from } }] },
        },
        svc("one", "a", { app: "one" }, 5000),
        deployment("one", "a", { app: "one" }, "1.0"),
        svc("two", "a", { app: "two" }, 5000),
        deployment("two", "a", { app: "two" }, "2.0"),
    ];
    /** Which Service's pod answered a path ("one" or "two", by the version it answers with), or the status. */
    const who = (objects: readonly any[], p: string, headers: Record<string, string> = {}): string | number => {
        const { world } = worldOf(objects, [...podsOfDeployments(objects), gatewayPod], REPLIES, ISTIO_DEFAULTS);
        const a = new Mesh(world, drawsFrom("rules")).request(client, `http://gw.istio-ingress.svc.cluster.local${p}`, headers, 60);
        if (a.status !== 200) return a.status;
        return a.body.includes("Version: 1.") ? "one" : a.body.includes("Version: 2.") ? "two" : `answered: ${a.body}`;
    };
    const to = (name: string) => [{ name, port: 5000 }];

    it("an exact path before any prefix, a longer prefix before a shorter, whatever the order of rules or routes", () => {
        const objects = [
            ...base(),
            route("r1", "a", { rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: to("one") }, { matches: [{ path: { type: "PathPrefix", value: "/api" } }], backendRefs: to("two") }] }),
            route("r2", "a", { rules: [{ matches: [{ path: { type: "Exact", value: "/api/x" } }], backendRefs: to("one") }] }, "2026-02-01T00:00:00Z"),
        ];
        assert.deepEqual(["/api/y", "/api/x", "/apix", "/"].map((p) => who(objects, p)), ["two", "one", "one", "one"]);
    });

    it("more header matches first; on a tie the older route, then the namespace and name", () => {
        const objects = [
            ...base(),
            route("late", "a", { rules: [{ matches: [{ path: { type: "PathPrefix", value: "/h" }, headers: [{ name: "x-a", value: "1" }, { name: "x-b", value: "1" }] }], backendRefs: to("two") }] }, "2026-03-01T00:00:00Z"),
            route("early", "a", { rules: [{ matches: [{ path: { type: "PathPrefix", value: "/h" }, headers: [{ name: "x-a", value: "1" }] }], backendRefs: to("one") }] }, "2026-01-01T00:00:00Z"),
            route("same", "a", { rules: [{ matches: [{ path: { type: "PathPrefix", value: "/t" } }], backendRefs: to("two") }] }, "2026-03-01T00:00:00Z"),
            route("first", "a", { rules: [{ matches: [{ path: { type: "PathPrefix", value: "/t" } }], backendRefs: to("one") }] }, "2026-03-01T00:00:00Z"),
        ];
        assert.equal(who(objects, "/h", { "x-a": "1", "x-b": "1" }), "two");
        assert.equal(who(objects, "/h", { "x-a": "1" }), "one");
        assert.equal(who(objects, "/t"), "one", "same creation time: a/first before a/same");
    });

    it("allowedRoutes: Same admits the Gateway's namespace only, a Selector the namespaces it labels; a route elsewhere serves nothing", () => {
        const r = route("r", "a", { rules: [{ backendRefs: to("one") }] });
        assert.equal(who([...base({ from: "All" }), r], "/"), "one");
        assert.equal(who([...base({ from: "Same" }), r], "/"), 404);
        assert.equal(who([...base({ from: "Selector", selector: { matchLabels: { team: "a" } } }), r], "/"), "one");
        assert.equal(who([...base({ from: "Selector", selector: { matchLabels: { team: "b" } } }), r], "/"), 404);
    });

    it("a redirect answers 302 unless it sets its status; a route without backends 404; a backend in another namespace without a ReferenceGrant 500", () => {
        const objects = [
            ...base(),
            route("r", "a", {
                rules: [
                    { matches: [{ path: { type: "PathPrefix", value: "/r" } }], filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https" } }] },
                    { matches: [{ path: { type: "PathPrefix", value: "/p" } }], filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] },
                    { matches: [{ path: { type: "PathPrefix", value: "/n" } }] },
                    { matches: [{ path: { type: "PathPrefix", value: "/x" } }], backendRefs: [{ name: "one", namespace: "b", port: 5000 }] },
                ],
            }),
        ];
        assert.deepEqual(["/r", "/p", "/n", "/x"].map((p) => who(objects, p)), [302, 301, 404, 500]);
    });

    it("the most specific host wins: a route for the request's host hides the routes for any host", () => {
        const objects = [...base(), route("any", "a", { rules: [{ backendRefs: to("one") }] }), route("mine", "a", { hostnames: ["mine.example.com"], rules: [{ matches: [{ path: { type: "PathPrefix", value: "/only" } }], backendRefs: to("two") }] })];
        assert.equal(who(objects, "/"), "one");
        assert.equal(who(objects, "/only", { host: "mine.example.com" }), "two");
        assert.equal(who(objects, "/", { host: "mine.example.com" }), 404);
    });
});
