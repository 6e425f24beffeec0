/**
 * Ambient mode's waypoint in the data-plane model (`src/judgement/dataplane/waypoint.ts`) and the ambient lesson that
 * teaches it: which Services send through a waypoint, the L7 policies it enforces, the Service routes it carries
 * out, the identity the pod's ztunnel then judges; the lesson's objects against the upstream CRDs, its settings.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { ISTIO_DEFAULTS, Mesh, drawsFrom } from "../src/judgement/dataplane/mesh";
import { loadReplies, modelPod, worldOf } from "../src/judgement/dataplane/world";
import { NotModelled } from "../src/judgement/dataplane/apps";
import { waypointOf } from "../src/judgement/dataplane/waypoint";
import { IMAGES } from "../src/model/images";
import { CrdValidator } from "../src/judgement/checks/crdSchemas";
import { validatePlan } from "../src/judgement/checks/validatePlan";
import { attendeeJudge, isolationReport, suiteOf } from "../src/judgement/attacks/attackSuite";
import { planObjects } from "../src/judgement/checks/clusterChecks";
import { buildScenario, namespaceManifests } from "../src/lessons/build";
import { SCENARIOS, atStage, resolveScenarios } from "../src/lessons/resolve";
import { AMBIENT_STAGES, STAGES } from "../src/settings/stages";
import { parseSettings, SettingsError } from "../src/settings/parse";
import type { Plan } from "../src/judgement/plan/plan";
import { AMBIENT_LESSON_RAW, AMBIENT_RAW, EKS_RAW, planIndex, settingsFor } from "./helpers";
import { istioCrds, needUpstream, upstreamYamlDocs } from "./upstream";

const REPLIES = loadReplies(path.join(__dirname, "fixtures", "replies"));
const ns = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
const AMBIENT_NS = ns("amb", { "istio.io/dataplane-mode": "ambient" });
const template = (labels: Record<string, string>, sa: string, image: string) => ({ metadata: { labels }, spec: { serviceAccountName: sa, containers: [{ name: "c", image }] } });
const service = (name: string, selector: Record<string, string>, labels: Record<string, string> = {}) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "amb", labels },
    spec: { selector, ports: [{ name: "http", port: 8080, targetPort: 8080 }] },
});
const WAYPOINT = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "waypoint", namespace: "amb" }, spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] } };
const USES = { "istio.io/use-waypoint": "waypoint" };
const policy = (name: string, spec: Record<string, unknown>) => ({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace: "amb" }, spec });
const l4 = (...principals: string[]) => policy("hello-l4", { selector: { matchLabels: { app: "hello" } }, rules: [{ from: [{ source: { principals } }] }] });
const principal = (sa: string) => `cluster.local/ns/amb/sa/${sa}`;

/** What a client (running as `sa`, in `namespace`) gets from `hello` in a world of these objects: status and body. */
function call(extra: readonly any[], o: { sa?: string; namespace?: string; seed?: string } = {}): { status: number; body: string } {
    const objects = [AMBIENT_NS, ns("side", { "istio-injection": "enabled" }), ...extra];
    const pods = [
        modelPod(objects, "amb", "hello-v1-1", template({ app: "hello", version: "v1" }, "hello", IMAGES.helloApp("1.0"))),
        modelPod(objects, "amb", "hello-v2-1", template({ app: "hello", version: "v2" }, "hello", IMAGES.helloApp("2.0"))),
    ];
    const caller = modelPod(objects, o.namespace ?? "amb", "curl-1", template({ app: "curl" }, o.sa ?? "curl", "quay.io/curl/curl:8.16.0"));
    const { world } = worldOf(objects, [...pods, caller], REPLIES, ISTIO_DEFAULTS);
    const a = new Mesh(world, drawsFrom(o.seed ?? "waypoint")).request(caller, "http://hello.amb:8080/", {}, 30);
    return { status: a.status, body: a.body };
}
const status = (extra: readonly any[], o: Parameters<typeof call>[1] = {}) => call(extra, o).status;

/** The settings' refusal of a stack's keys, or undefined when they are accepted. */
function refusal(raw: Record<string, unknown>): string | undefined {
    try {
        parseSettings(raw, { stack: "test" });
        return undefined;
    } catch (e) {
        assert.ok(e instanceof SettingsError, String(e));
        return e.message;
    }
}

describe("ambient mode in the mesh model: the waypoint", () => {
    it("a Service sends through the waypoint its label names, or its namespace's does; `none` opts a Service out; no such Gateway, no waypoint", () => {
        const hello = service("hello", { app: "hello" }, USES);
        assert.equal(waypointOf([AMBIENT_NS, WAYPOINT, hello], hello)?.metadata.name, "waypoint");
        assert.equal(waypointOf([AMBIENT_NS, hello], hello), undefined);
        const byNamespace = service("hello", { app: "hello" });
        assert.equal(waypointOf([ns("amb", USES), WAYPOINT, byNamespace], byNamespace)?.metadata.name, "waypoint");
        const optedOut = service("hello", { app: "hello" }, { "istio.io/use-waypoint": "none" });
        assert.equal(waypointOf([ns("amb", USES), WAYPOINT, optedOut], optedOut), undefined);
    });

    it("behind a waypoint, the pod's ztunnel judges the waypoint's identity: an L4 policy naming the caller refuses the call (the waypoint answers 503); naming the waypoint admits it", () => {
        const hello = service("hello", { app: "hello" }, USES);
        // Without the waypoint, the policy sees the caller itself.
        assert.equal(status([hello, l4(principal("curl"))]), 200);
        assert.equal(status([service("hello", { app: "hello" }), l4(principal("other"))]), 0, "ztunnel resets a caller the policy does not name");
        assert.equal(status([hello, WAYPOINT, l4(principal("curl"))]), 503);
        assert.equal(status([hello, WAYPOINT, l4(principal("waypoint"))]), 200);
    });

    it("enforces the L7 policies attached to the Service or to the waypoint's Gateway (targetRefs): 403 for a caller or method they do not admit", () => {
        const hello = service("hello", { app: "hello" }, USES);
        const onService = policy("hello-get", { targetRefs: [{ group: "", kind: "Service", name: "hello" }], rules: [{ from: [{ source: { principals: [principal("curl")] } }], to: [{ operation: { methods: ["GET"] } }] }] });
        assert.equal(status([hello, WAYPOINT, onService]), 200);
        assert.deepEqual(call([hello, WAYPOINT, onService], { sa: "other" }), { status: 403, body: "RBAC: access denied" });
        const onGateway = policy("deny-curl", { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }], action: "DENY", rules: [{ from: [{ source: { principals: [principal("curl")] } }] }] });
        assert.equal(status([hello, WAYPOINT, onGateway]), 403);
        // The same policy on another Service's name, or with no waypoint in the path, is not this call's.
        assert.equal(status([hello, WAYPOINT, policy("x", { targetRefs: [{ group: "", kind: "Service", name: "other" }], rules: [] })]), 200);
        assert.equal(status([service("hello", { app: "hello" }), onService], { sa: "other" }), 200);
    });

    it("carries out the HTTPRoutes whose parent is the Service: weights to per-version Services; without the waypoint they do nothing", () => {
        const hello = service("hello", { app: "hello" }, USES);
        const versions = [service("hello-v1", { app: "hello", version: "v1" }), service("hello-v2", { app: "hello", version: "v2" })];
        const route = (w1: number, w2: number) => ({
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "HTTPRoute",
            metadata: { name: "hello", namespace: "amb" },
            spec: { parentRefs: [{ group: "", kind: "Service", name: "hello", port: 8080 }], rules: [{ backendRefs: [{ name: "hello-v1", port: 8080, weight: w1 }, { name: "hello-v2", port: 8080, weight: w2 }] }] },
        });
        const bodies = (extra: readonly any[]) => new Set(Array.from({ length: 20 }, (_, i) => /Version: [0-9.]+/.exec(call(extra, { seed: `draw-${i}` }).body)?.[0]));
        assert.deepEqual(bodies([hello, WAYPOINT, ...versions, route(0, 1)]), new Set(["Version: 2.0.0"]));
        assert.deepEqual(bodies([hello, WAYPOINT, ...versions, route(1, 0)]), new Set(["Version: 1.0.0"]));
        assert.equal(status([hello, WAYPOINT, ...versions, route(0, 0)]), 500, "only zero weights: istiod's conversion answers 500");
        assert.equal(bodies([service("hello", { app: "hello" }), ...versions, route(0, 1)]).size, 2, "no waypoint: Kubernetes' balancing over both versions");
    });

    it("a caller outside the mesh goes to the pod itself, not the waypoint; a sidecar's call to such a Service is not modelled", () => {
        const hello = service("hello", { app: "hello" }, USES);
        assert.throws(() => status([hello, WAYPOINT], { namespace: "side" }), NotModelled);
        // A caller outside the mesh goes to the pod, whose ztunnel (PERMISSIVE) admits it.
        assert.equal(status([hello, WAYPOINT, l4(principal("waypoint"))], { namespace: "out" }), 0, "no identity: the L4 policy refuses");
        assert.equal(status([hello, WAYPOINT], { namespace: "out" }), 200);
    });
});

describe("the ambient lesson", function () {
    this.timeout(600_000);

    it("every object of every stage is valid against the Gateway API's v1.5.1 standard CRDs and Istio's: schema, CEL rules, no unknown field", function () {
        needUpstream(this);
        const validator = new CrdValidator([...["gateways", "httproutes"].flatMap((k) => upstreamYamlDocs(`gateway-api/v1.5.1/standard/gateway.networking.k8s.io_${k}.yaml`)), ...istioCrds()]);
        const lesson = SCENARIOS.ambient({ rate: 1 });
        const kinds = new Set<string>();
        for (const stage of lesson.stages ?? []) {
            const objects = namespaceManifests([buildScenario(atStage(lesson, stage.name), { namespace: "demo", verify: true, requests: 20, rate: 1, placement: { api: "gateway-api" } })], "demo") as any[];
            for (const o of objects.filter((x) => /istio\.io|gateway\.networking/.test(String(x.apiVersion)))) {
                kinds.add(o.kind);
                assert.deepEqual(validator.violations(o), [], `${stage.name}: ${o.kind} ${o.metadata.name}`);
            }
        }
        assert.deepEqual([...kinds].sort(), ["AuthorizationPolicy", "Gateway", "HTTPRoute", "PeerAuthentication"]);
        assert.equal(validator.cel.notEvaluated.size, 0, [...validator.cel.notEvaluated.keys()].join("; "));
    });

    it("writes the waypoint, its Service bindings, the L7 policy on the Service and reviews' split as Istio's ambient Getting Started does", () => {
        const lesson = SCENARIOS.ambient({ rate: 1 });
        const at = (stage: string) => namespaceManifests([buildScenario(atStage(lesson, stage), { namespace: "demo", verify: true, requests: 20, rate: 1, placement: { api: "gateway-api" } })], "demo") as any[];
        const shift = at("traffic-shift");
        const find = (kind: string, name: string) => shift.find((o) => o.kind === kind && o.metadata.name === name);
        assert.deepEqual(find("Gateway", "waypoint").spec, { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] });
        assert.ok(shift.filter((o) => o.kind === "Service").every((s) => s.metadata.labels["istio.io/use-waypoint"] === "waypoint"));
        assert.deepEqual(find("AuthorizationPolicy", "productpage-waypoint").spec, {
            targetRefs: [{ group: "", kind: "Service", name: "productpage" }],
            rules: [{ from: [{ source: { principals: ["cluster.local/ns/demo/sa/curl"] } }], to: [{ operation: { methods: ["GET"] } }] }],
        });
        assert.deepEqual(find("AuthorizationPolicy", "productpage-ztunnel").spec.rules[0].from[0].source.principals, ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway", "cluster.local/ns/demo/sa/waypoint"]);
        assert.deepEqual(find("HTTPRoute", "reviews").spec, {
            parentRefs: [{ group: "", kind: "Service", name: "reviews", port: 9080 }],
            rules: [{ name: "rule-1", backendRefs: [{ name: "reviews-v1", port: 9080, weight: 90 }, { name: "reviews-v2", port: 9080, weight: 10 }] }],
        });
        // No sidecar-mode routing: no VirtualService, no DestinationRule, at any stage.
        for (const stage of lesson.stages ?? []) assert.deepEqual(at(stage.name).filter((o) => o.kind === "VirtualService" || o.kind === "DestinationRule"), [], stage.name);
        // Before the waypoint stage, neither the Gateway nor the label.
        assert.ok(!at("l4-authz").some((o) => o.kind === "Gateway" || o.metadata.labels?.["istio.io/use-waypoint"]));
        // The ingress stage's lesson pods are outside the mesh in either data plane (the traffic generator, calling the gateway, is not a lesson pod).
        const lessonPods = at("ingress").filter((o) => o.kind === "Deployment" && o.metadata.name !== "traffic-ambient");
        assert.equal(lessonPods.length, 7);
        assert.ok(lessonPods.every((d) => d.spec.template.metadata.labels["istio.io/dataplane-mode"] === "none"));
    });

    it("runs only in ambient mode with Gateway API ingress: refused otherwise, naming apps.ambient", () => {
        assert.equal(refusal(AMBIENT_LESSON_RAW), undefined);
        assert.match(refusal({ ...EKS_RAW, apps: { ambient: true } }) ?? "", /apps\.ambient: is written for ambient mode \(ztunnel, waypoints\): set istio\.dataplane: ambient with apps\.ambient, or apps\.ambient: false/);
        assert.match(refusal({ ...AMBIENT_RAW, apps: { ...AMBIENT_RAW.apps, ambient: true } }) ?? "", /apps\.ambient: routes from the gateway with HTTPRoutes in ambient mode .*: set istio\.ingress\.api: gateway-api with apps\.ambient/);
    });

    it("bookinfo in ambient mode: the stages a waypoint carries run, the others are refused naming apps.bookinfo.stage, why and what instead", () => {
        const bookinfoRaw = (bookinfo: unknown, istio: Record<string, unknown> = AMBIENT_LESSON_RAW.istio) => ({ ...AMBIENT_LESSON_RAW, istio, apps: { ...AMBIENT_LESSON_RAW.apps, ambient: false, bookinfo } });
        for (const stage of AMBIENT_STAGES.bookinfo!.runs) assert.equal(refusal(bookinfoRaw({ stage })), undefined, stage);
        assert.deepEqual(Object.keys(AMBIENT_STAGES.bookinfo!.refused).sort(), STAGES.bookinfo.names.filter((n) => !AMBIENT_STAGES.bookinfo!.runs.includes(n)).sort());
        assert.match(refusal(bookinfoRaw({ stage: "rate-limit" })) ?? "", /apps\.bookinfo\.stage: is an EnvoyFilter, which Istio does not apply on waypoints: keep istio\.dataplane: sidecar for this stage \(in ambient mode bookinfo runs no-rules, all-v1, jason-v2, reviews-v1-v3, reviews-v3\), got "rate-limit"/);
        assert.match(refusal(bookinfoRaw({ stage: "authz" })) ?? "", /use apps\.ambient at stage l7-authz/);
        assert.match(refusal(bookinfoRaw(true, { dataplane: "ambient" })) ?? "", /apps\.bookinfo: routes from the gateway with HTTPRoutes in ambient mode .*: set istio\.ingress\.api: gateway-api with apps\.bookinfo/);
        assert.match(refusal(bookinfoRaw({ routes: { reviews: [{ match: { sourceLabels: { app: "x" } }, weights: { v1: 100 } }] } })) ?? "", /apps\.bookinfo\.routes\.reviews\[0\]\.match\.sourceLabels: matches the caller's labels, which an HTTPRoute on a waypoint cannot/);
        // The ambient lesson and bookinfo both run bookinfo's Services: one per namespace.
        assert.match(refusal({ ...AMBIENT_LESSON_RAW, apps: { ...AMBIENT_LESSON_RAW.apps, bookinfo: true } }) ?? "", /apps\.ambient: runs bookinfo's Services, as apps\.bookinfo does, in the same namespace: turn one of them off/);
    });

    it("bookinfo's ambient form: its Services bound to a waypoint, per-version Services, HTTPRoutes for jason's header and the weights", () => {
        const apps = settingsFor({ ...AMBIENT_LESSON_RAW, apps: { ...AMBIENT_LESSON_RAW.apps, ambient: false, bookinfo: { stage: "jason-v2" } } }).apps;
        const [lesson] = resolveScenarios(apps, "ambient");
        const objects = namespaceManifests([buildScenario(lesson, { namespace: "demo", verify: true, requests: 20, rate: 1, placement: { api: "gateway-api" } })], "demo") as any[];
        assert.deepEqual(objects.filter((o) => o.kind === "Service").map((o) => `${o.metadata.name} ${o.metadata.labels["istio.io/use-waypoint"]}`).sort(), [
            "details waypoint", "details-v1 waypoint", "productpage waypoint", "productpage-v1 waypoint", "ratings waypoint", "ratings-v1 waypoint",
            "reviews waypoint", "reviews-v1 waypoint", "reviews-v2 waypoint", "reviews-v3 waypoint",
        ]);
        assert.deepEqual(objects.find((o) => o.kind === "HTTPRoute" && o.metadata.name === "reviews").spec.rules, [
            { name: "rule-1", matches: [{ headers: [{ type: "Exact", name: "end-user", value: "jason" }] }], backendRefs: [{ name: "reviews-v2", port: 9080, weight: 100 }] },
            { name: "rule-2", backendRefs: [{ name: "reviews-v1", port: 9080, weight: 100 }] },
        ]);
        assert.deepEqual(objects.filter((o) => ["VirtualService", "DestinationRule"].includes(o.kind)), []);
        // In sidecar mode the same settings keep the lesson as it is.
        assert.equal(resolveScenarios(apps)[0].dataplane, undefined);
    });

    it("the plan refuses a mesh HTTPRoute whose parent Service it does not create", async () => {
        const plan = await planIndex(AMBIENT_LESSON_RAW);
        assert.deepEqual(validatePlan(plan), []);
        const copy: Plan = JSON.parse(JSON.stringify(plan));
        const route = copy.resources.find((r) => r.type.endsWith(":HTTPRoute") && r.name.endsWith("demo/reviews"))!.inputs as any;
        route.spec.parentRefs[0].name = "reviewz";
        assert.deepEqual(validatePlan(copy), ["IST0101 ReferencedResourceNotFound: HTTPRoute demo/reviews (lessons:demo/reviews) attaches to Service demo/reviewz port 9080, which the plan does not create"]);
    });
});

describe("an ambient classroom", function () {
    this.timeout(600_000);
    const CLASS = { ...AMBIENT_LESSON_RAW, attendees: ["ana", "ben", "cyd"] };

    it("refuses every attack, the ambient ones included, and admits every capability and lesson object, hands-on too, each judged with its CRD's defaults as the API server's admission sees it", async function () {
        needUpstream(this);
        // The Gateway API's CRDs default a listener's allowedRoutes: the waypoint rail must admit the defaulted waypoint (the API server refused it once).
        const crds = ["gateways", "httproutes"].flatMap((k) => upstreamYamlDocs(`gateway-api/v1.5.1/standard/gateway.networking.k8s.io_${k}.yaml`));
        for (const raw of [CLASS, { ...CLASS, apps: { ...CLASS.apps, handsOn: true } }, { ...CLASS, apps: { ...CLASS.apps, ambient: false, bookinfo: { stage: "jason-v2" } } }]) {
            const plan = await planIndex(raw);
            assert.deepEqual(validatePlan(plan), []);
            const report = isolationReport(plan, planObjects(plan), crds);
            assert.deepEqual([...report.problems, ...report.warnings], []);
            const { attacks, capabilities } = suiteOf(planObjects(plan));
            const ambient = attacks.filter((a) => a.dataplane === "ambient");
            const judge = attendeeJudge(plan, "ana", planObjects(plan), crds);
            assert.deepEqual(
                ambient.map((a) => judge(a.attempt("ana", "ben", "/ana")).layer),
                ["admission policy", "admission policy", "admission policy", "admission policy", "admission policy", "RBAC", "RBAC", "NetworkPolicy", "NetworkPolicy"],
            );
            assert.equal(Object.values(report.refused).reduce((a, b) => a + b, 0), attacks.length);
            assert.ok(capabilities.some((c) => c.what.startsWith("deploy or change its namespace's waypoint")));
            // Hands-on, the attendee applies the waypoint and the Service routes themselves: admitted to them.
            if ((raw.apps as any).handsOn) assert.ok(report.lessons > 30, String(report.lessons));
        }
    });

    it("each attendee's namespace: HBONE to the gateways, ztunnel's probe address in, the isolation at the waypoint, one waypoint in the quota", async () => {
        const objects = planObjects(await planIndex(CLASS)).map((x) => x.o);
        const inAna = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata?.namespace === "ana" && o.metadata.name === name);
        const np = inAna("NetworkPolicy", "attendee-isolation");
        assert.ok(np.spec.egress.some((r: any) => r.ports?.some((p: any) => p.port === 15008) && r.to.some((t: any) => t.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "istio-ingress")));
        assert.deepEqual(np.spec.ingress[1], { from: [{ ipBlock: { cidr: "169.254.7.127/32" } }] });
        assert.deepEqual(inAna("AuthorizationPolicy", "attendee-isolation-waypoint").spec.targetRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }]);
        assert.equal(inAna("ResourceQuota", "attendee-istio-quota").spec.hard["count/gateways.gateway.networking.k8s.io"], "1");
        assert.equal(objects.find((o) => o.kind === "Namespace" && o.metadata.name === "ana").metadata.labels["istio.io/dataplane-mode"], "ambient");
        // A sidecar classroom has none of it.
        const sidecar = planObjects(await planIndex({ ...EKS_RAW, attendees: ["ana", "ben"] })).map((x) => x.o);
        assert.ok(!sidecar.some((o) => o.metadata?.name === "attendee-isolation-waypoint"));
        assert.ok(!sidecar.find((o) => o.kind === "NetworkPolicy" && o.metadata.namespace === "ana").spec.egress.some((r: any) => r.ports?.some((p: any) => p.port === 15008)));
    });
});

describe("per-attendee stages the stack cannot run", () => {
    it("a stage for a lesson the stack turns off is refused, naming the key, not ignored; in ambient mode, a stage bookinfo does not run there", () => {
        assert.match(refusal({ ...EKS_RAW, attendees: ["ana"], classroom: { stages: { ana: { tcp: "all-v1" } } } }) ?? "", /classroom\.stages\.ana\.tcp: moves ana in a lesson this stack turns off: set apps\.tcp: true, or remove classroom\.stages\.ana\.tcp, got "all-v1"/);
        assert.equal(refusal({ ...EKS_RAW, attendees: ["ana"], apps: { tcp: true }, classroom: { stages: { ana: { tcp: "all-v1" } } } }), undefined);
        const ambientClass = { ...AMBIENT_LESSON_RAW, attendees: ["ana"], apps: { ...AMBIENT_LESSON_RAW.apps, ambient: false, bookinfo: true } };
        assert.match(refusal({ ...ambientClass, classroom: { stages: { ana: { bookinfo: "mirror" } } } }) ?? "", /classroom\.stages\.ana\.bookinfo: proves the mirrored copies by the caller's sidecar's counters/);
        assert.equal(refusal({ ...ambientClass, classroom: { stages: { ana: { bookinfo: "jason-v2" } } } }), undefined);
    });
});
