import { strict as assert } from "assert";
import { SCENARIOS, appsAt, atStage, resolveScenarios, type ScenarioKey } from "../src/lessons/resolve";
import { buildScenario, namespaceManifests } from "../src/lessons/build";
import { checkPlans } from "../src/lessons/checks";
import { virtualService } from "../src/lessons/routing";
import { CrdValidator } from "../src/judgement/checks/crdSchemas";
import { bookinfo } from "../src/lessons/catalog/bookinfo";
import { helloworld } from "../src/lessons/catalog/helloworld";
import { MeshCheckError, analyzeScenarios } from "../src/lessons/analyze";
import { workshopFrom } from "../src/workshop/resolve";
import { NO_INJECTION_LABEL } from "../src/lessons/model";
import { AMBIENT_LESSONS, STAGES } from "../src/settings/stages";
import { SettingsError } from "../src/settings/parse";
import { diffPlans } from "../src/judgement/plan/planDiff";
import { AMBIENT_LESSON_RAW, EKS_RAW, planIndex, settingsFor } from "./helpers";
import { istioCrds, needUpstream, reply, replyPath, upstreamYamlDocs } from "./upstream";
import { runCheck } from "./verifyRunner";

// With an egress gateway, so that every stage (egress-gateway too) can work; an ambient lesson in ambient mode, as it needs.
const appsWith = (lessons: Record<string, unknown>) =>
    settingsFor(
        Object.keys(lessons).some((k) => AMBIENT_LESSONS.includes(k))
            ? { ...AMBIENT_LESSON_RAW, apps: { ...AMBIENT_LESSON_RAW.apps, ...lessons } }
            : { ...EKS_RAW, istio: { egressGateway: true }, apps: lessons },
    ).apps;
const stream = (counts: Record<string, number>) => Object.entries(counts).flatMap(([f, n]) => Array<string>(n).fill(replyPath(f)));

describe("lessons in stages", () => {
    it("each lesson defines exactly the stages the settings offer, in that order, starting where the settings start", () => {
        for (const key of Object.keys(SCENARIOS) as ScenarioKey[]) {
            const lesson = SCENARIOS[key]({ rate: 1 });
            assert.deepEqual(lesson.stages?.map((x) => x.name), [...STAGES[key].names], key);
            assert.equal(lesson.stage, STAGES[key].default, key);
        }
    });

    it("every stage of every lesson passes the mesh checks and has something to verify", () => {
        for (const key of Object.keys(SCENARIOS) as ScenarioKey[]) {
            for (const stage of STAGES[key].names) {
                const scenarios = resolveScenarios(appsWith({ [key]: { stage } }));
                assert.deepEqual(analyzeScenarios(scenarios, { serverHosts: ["*"], routeHosts: ["*"] }), [], `${key} at ${stage}`);
                const lesson = scenarios.find((s) => s.stage === stage)!;
                assert.ok(checkPlans(lesson, 100).length > 0 || (lesson.extraChecks ?? []).length > 0, `${key} at ${stage} verifies nothing`);
            }
        }
    });

    it("before the routing lessons: no rule, and each version answers in proportion to its pods", () => {
        const hello = atStage(helloworld({}), "round-robin");
        assert.deepEqual(hello.routing, []);
        assert.deepEqual(
            checkPlans(hello, 100).map((c) => [c.name, c.expectations.map((e) => [e.version, e.share])]),
            [
                ["verify-helloworld-balanced", [["v1", 0.5], ["v2", 0.5]]],
                // What the next stage changes, not yet changed: the requests of pods labelled app: curl are balanced too.
                ["verify-helloworld-from-curl", [["v1", 0.5], ["v2", 0.5]]],
            ],
        );
        const noRules = checkPlans(atStage(bookinfo(), "no-rules"), 100).find((c) => c.name === "verify-reviews-balanced")!;
        assert.deepEqual(noRules.expectations.map((e) => [e.version, e.share]), [["v1", 1 / 3], ["v2", 1 / 3], ["v3", 1 / 3]]);
        // On real bookinfo replies: round robin passes; a mesh still routing everything to v1 fails.
        assert.equal(runCheck(noRules, stream({ "reviews-v1.json": 34, "reviews-v2.json": 33, "reviews-v3.json": 33 })).status, 0);
        assert.equal(runCheck(noRules, stream({ "reviews-v1.json": 100 })).status, 1);
    });

    it("no-sidecars and no-sidecar: the lesson's workloads run outside the mesh, at that stage only", () => {
        for (const [key, stage] of [["bookinfo", "no-sidecars"], ["grpc", "no-sidecar"]] as const) {
            const all = resolveScenarios(appsWith({ [key]: { stage } }));
            const out = all.find((s) => s.stage === stage)!;
            assert.ok(out.workloads.every((w) => w.labels[NO_INJECTION_LABEL] === "false"), key);
            // A lesson's own client check runs as its workloads do: grpc's ping from a pod without a sidecar (it had one).
            const built = buildScenario(out, { namespace: "demo", verify: true, requests: 100 });
            for (const c of built.checks.filter((x) => !x.usesScript)) assert.equal((c.job as any).spec.template.metadata.labels[NO_INJECTION_LABEL], "false", `${key} ${c.name}`);
            const others = all.filter((s) => s.name !== out.name);
            assert.ok(others.every((s) => s.workloads.every((w) => w.labels[NO_INJECTION_LABEL] === undefined)));
        }
        assert.ok(resolveScenarios(appsWith({})).every((s) => s.workloads.every((w) => w.labels[NO_INJECTION_LABEL] === undefined)));
    });

    it("jason-v2: the user jason is routed to reviews v2 and everyone else to v1, checked on real replies", () => {
        const checks = checkPlans(atStage(bookinfo(), "jason-v2"), 100).filter((c) => c.name.startsWith("verify-reviews-"));
        assert.deepEqual(
            checks.map((c) => [c.name, c.headers, c.expectations.filter((e) => e.share > 0).map((e) => e.version)]),
            [
                ["verify-reviews-1", { "end-user": "jason" }, ["v2"]],
                ["verify-reviews-2", {}, ["v1"]],
            ],
        );
        assert.equal(runCheck(checks[0], stream({ "reviews-v2.json": 90, "reviews-v2-ratings-unavailable.json": 10 })).status, 0);
        assert.equal(runCheck(checks[0], stream({ "reviews-v1.json": 100 })).status, 1);
        assert.ok(reply("reviews-v2.json").includes('"podname": "reviews-v2-'));
    });

    it("ratings-delay: jason's calls to ratings take at least the injected 7 s, everyone else's less, measured per request", () => {
        const checks = checkPlans(atStage(bookinfo(), "ratings-delay"), 100).filter((c) => c.name.startsWith("verify-ratings-"));
        assert.deepEqual(
            checks.map((c) => [c.name, c.headers, c.timeoutSeconds, c.requests, c.parallel, c.expectations.map((e) => [e.version, e.contains, e.share])]),
            [
                // Every answer waits 7 s and is certain: 20 requests prove it, 10 at a time (only their times are read).
                ["verify-ratings-1", { "end-user": "jason" }, 12, 20, 10, [["delayed-7s", "@time>=7", 1], ["v1", "ratings", 0]]],
                ["verify-ratings-2", {}, 12, 100, undefined, [["delayed-7s", "@time>=7", 0], ["v1", "ratings", 1]]],
            ],
        );
        const ratings = "ratings-v1.json";
        const answers = (n: number, seconds: number) => Array.from({ length: n }, () => ({ file: replyPath(ratings), seconds }));
        assert.equal(runCheck(checks[0], answers(20, 7.03)).status, 0);
        assert.match(runCheck(checks[0], answers(20, 0.02)).stdout, /^FAIL verify-ratings-1: .*measured delayed-7s=0 v1=0 other=20$/m);
        // One answer in twenty not delayed fails it too.
        assert.match(runCheck(checks[0], [...answers(19, 7.03), ...answers(1, 0.02)]).stdout, /^FAIL verify-ratings-1: .*measured delayed-7s=19 v1=0 other=1$/m);
        assert.equal(runCheck(checks[1], answers(100, 0.02)).status, 0);
        assert.match(runCheck(checks[1], [...answers(99, 0.02), ...answers(1, 7.01)]).stdout, /^FAIL verify-ratings-2: .*measured delayed-7s=1 v1=99 other=0$/m);
    });

    it("ratings-abort: jason's calls to ratings answer HTTP 500, everyone else's the ratings reply", () => {
        const checks = checkPlans(atStage(bookinfo(), "ratings-abort"), 100).filter((c) => c.name.startsWith("verify-ratings-"));
        assert.deepEqual(
            checks.map((c) => [c.name, c.readyStatus, c.expectations.map((e) => [e.version, e.contains, e.share])]),
            [
                ["verify-ratings-1", 500, [["aborted-500", "@status=500", 1], ["v1", "ratings", 0]]],
                ["verify-ratings-2", undefined, [["v1", "ratings", 1]]],
            ],
        );
        // The fault's own answer has a body of Envoy's; only its status counts. Before the rule applies, ratings answers 200.
        const aborted = Array.from({ length: 100 }, () => ({ file: replyPath("ratings-v1.json"), status: 500 }));
        assert.equal(runCheck(checks[0], aborted, 500).status, 0);
        assert.equal(runCheck(checks[0], Array(100).fill(replyPath("ratings-v1.json")), 500).status, 1);
    });

    it("reviews-timeout: every call to reviews answers 504 within its 0.5 s timeout, because ratings behind it takes 2 s", () => {
        const checks = checkPlans(atStage(bookinfo(), "reviews-timeout"), 100);
        const reviews = checks.find((c) => c.name === "verify-reviews-1")!;
        assert.deepEqual(
            [reviews.readyStatus, reviews.timeoutSeconds, reviews.expectations.filter((e) => e.share > 0).map((e) => [e.version, e.contains, e.share])],
            // Its curl waits as long as ratings' delay behind reviews could make an answer take (the route's timeout answers first).
            [504, 7, [["timed-out-0.5s", "@status=504&time<1.5", 1]]],
        );
        const ratings = checks.find((c) => c.name === "verify-ratings-1")!;
        assert.deepEqual(ratings.expectations.filter((e) => e.share > 0).map((e) => e.contains), ["@time>=2"]);
        const answer = (status: number, seconds: number, n = 100) => Array.from({ length: n }, () => ({ file: replyPath("reviews-v2.json"), status, seconds }));
        assert.equal(runCheck(reviews, answer(504, 0.51), 504).status, 0);
        assert.equal(runCheck(reviews, answer(200, 0.02), 504).status, 1, "no timeout");
        assert.equal(runCheck(reviews, [...answer(504, 0.51, 99), ...answer(504, 2.5, 1)], 504).status, 1, "a 504 after the timeout's bound");
        const vs = virtualService(atStage(bookinfo(), "reviews-timeout").routing.find((r) => r.host === "reviews")!, bookinfo(), "demo");
        assert.equal(vs.spec.http![0].timeout, "0.5s");
    });

    it("the stages' VirtualServices are the routes of Istio's own sample files, rule for rule", function () {
        needUpstream(this);
        const sample = (file: string) => upstreamYamlDocs(`istio-samples/bookinfo/networking/${file}`).filter((d) => d.kind === "VirtualService");
        // Istio's files route to one destination without a weight, and name no rule: compare what routes.
        const normal = (spec: any) =>
            (spec.http ?? []).map((h: any) => ({
                match: h.match ?? null,
                fault: h.fault ? JSON.parse(JSON.stringify(h.fault).replace(/"value":100(\.0)?/g, '"value":100')) : null,
                route: h.route.map((d: any) => ({ host: d.destination.host, subset: d.destination.subset, weight: h.route.length === 1 ? 100 : d.weight })),
            }));
        const ours = (stage: string, host: string) => {
            const lesson = atStage(bookinfo(), stage);
            return normal(virtualService(lesson.routing.find((r) => r.host === host)!, lesson, "demo").spec);
        };
        for (const [stage, file] of [
            ["jason-v2", "virtual-service-reviews-test-v2.yaml"],
            ["reviews-v1-v3", "virtual-service-reviews-50-v3.yaml"],
            ["reviews-v3", "virtual-service-reviews-v3.yaml"],
            ["ratings-delay", "virtual-service-ratings-test-delay.yaml"],
            ["ratings-abort", "virtual-service-ratings-test-abort.yaml"],
            ["all-v1", "virtual-service-all-v1.yaml"],
        ]) {
            for (const vs of sample(file)) assert.deepEqual(ours(stage, vs.metadata.name), normal(vs.spec), `${stage}: ${vs.metadata.name} against ${file}`);
        }
    });

    it("every stage's objects are valid Istio 1.30, Gateway API v1.5.1 and Kubernetes objects (the CRDs' schemas and CEL rules)", function () {
        needUpstream(this);
        const crds = new CrdValidator([...istioCrds(), ...["gateways", "httproutes"].flatMap((k) => upstreamYamlDocs(`gateway-api/v1.5.1/standard/gateway.networking.k8s.io_${k}.yaml`))]);
        for (const key of Object.keys(SCENARIOS) as ScenarioKey[]) {
            for (const stage of STAGES[key].names) {
                const lesson = resolveScenarios(appsWith({ [key]: { stage } })).find((s) => s.stage === stage)!;
                const objects = namespaceManifests([buildScenario(lesson, { namespace: "ana", verify: true, requests: 100 })], "ana");
                const istio = objects.filter((x: any) => crds.defines(x));
                assert.ok(istio.length > 0 || key === "grpc", `${key} at ${stage}: no Istio or Gateway API object checked`);
                for (const o of istio) assert.deepEqual(crds.violations(o), [], `${key} at ${stage}: ${(o as any).kind} ${(o as any).metadata.name}`);
            }
        }
    });

    it("refuses a stage that cannot work before anything registers: jason's stages without the sign-in routes", () => {
        const noSignIn = { routes: { gateway: [{ match: { exact: "/productpage" }, to: "productpage" }] } };
        assert.throws(
            () => workshopFrom(settingsFor({ ...EKS_RAW, apps: { bookinfo: { stage: "jason-v2", ...noSignIn } } })),
            (e: Error) => e instanceof MeshCheckError && /StageCannotWork: bookinfo at stage jason-v2 needs the gateway to route \/login and \/logout to productpage/.test(e.message),
        );
        assert.throws(
            () => workshopFrom(settingsFor({ ...EKS_RAW, attendees: ["ana"], apps: { bookinfo: noSignIn }, classroom: { stages: { ana: { bookinfo: "ratings-abort" } } } })),
            /StageCannotWork: bookinfo at stage ratings-abort needs .* \(classroom\.stages\.ana\)/,
        );
        // The same routes at a stage that needs no sign-in are fine.
        assert.equal(workshopFrom(settingsFor({ ...EKS_RAW, apps: { bookinfo: { stage: "all-v1", ...noSignIn } } })).lessons.attendees.length, 0);
    });

    it("refuses a stage a lesson does not have, and a per-attendee stage for someone not in the class, naming the allowed values", () => {
        assert.throws(() => settingsFor({ ...EKS_RAW, apps: { bookinfo: { stage: "jason" } } }), (e: Error) =>
            e instanceof SettingsError && /apps\.bookinfo\.stage: must be one of "no-sidecars", "no-rules", "all-v1", "jason-v2", "reviews-v1-v3", "reviews-v3", "ratings-delay", "ratings-abort", "reviews-timeout", "retries", "circuit-breaker", "mirror", "authz", "jwt", "rate-limit", got "jason"/.test(e.message),
        );
        assert.throws(() => settingsFor({ ...EKS_RAW, attendees: ["ana"], classroom: { stages: { ben: { bookinfo: "all-v1" } } } }), /classroom\.stages\.ben: names no attendee of this stack \(attendees: ana\)/);
        assert.throws(() => settingsFor({ ...EKS_RAW, attendees: ["ana"], classroom: { stages: { ana: { helloworld: "all-v1" } } } }), /classroom\.stages\.ana\.helloworld: must be one of "round-robin", "source-v1"/);
    });

    it("moving one attendee to another stage changes only that attendee's objects; the class's stage moves everyone", async () => {
        const raw = { ...EKS_RAW, cluster: { ...EKS_RAW.cluster, nodeGroup: { desiredSize: 4, minSize: 4, maxSize: 6 } }, attendees: ["ana", "ben"] };
        const before = await planIndex(raw);
        const boMoved = await planIndex({ ...raw, classroom: { stages: { ben: { bookinfo: "all-v1" } } } });
        const diff = diffPlans(before, boMoved);
        assert.ok(diff.changed.length > 0);
        // Its Pulumi resources (classroom-ben-…) and the objects its release installs (lessons:ben/…): the stage's checks come and go.
        for (const urn of [...diff.added, ...diff.removed, ...diff.changed.map((c) => c.urn)]) assert.match(urn.split("::").pop()!, /^classroom-ben-|^lessons:ben\//, urn);
        assert.equal(appsAt(settingsFor(raw).apps, { bookinfo: "all-v1" }).bookinfo.stage, "all-v1");
        const classMoved = await planIndex({ ...raw, apps: { bookinfo: { stage: "all-v1" } } });
        const namespaces = new Set(diffPlans(before, classMoved).changed.map((c) => /^classroom-(ana|ben)-|^lessons:(ana|ben)\//.exec(c.urn.split("::").pop()!)?.slice(1).find(Boolean)));
        assert.deepEqual([...namespaces].sort(), ["ana", "ben"]);
    });
});
