/**
 * Checks that tell stages apart: for every lesson, the checks of each stage,
 * run in the mesh model against the world of every other stage of that lesson
 * (the platform's objects as the plan makes them, the lesson's objects at the
 * other stage), must fail, at least one of them; and pass in their own world.
 * The checks run as shipped: the namespace's own script, with the default
 * number of requests (fewer would make a weighted split's bounds too wide to
 * tell it from a single version).
 */
import { strict as assert } from "assert";
import * as path from "path";
import { CHECKS_NOT_MODELLED, checkPodOf, memoizedRunner, runCheckPod } from "../src/judgement/dataplane/checkRun";
import { loadReplies, planMeshConfig, podsOfDeployments, worldOf } from "../src/judgement/dataplane/world";
import { CHECK_BUDGET_SECONDS, beside, namespaceSidecarHosts, slowestStages } from "../src/judgement/checks/checkTimes";
import type { Plan } from "../src/judgement/plan/plan";
import type { MeshConfig } from "../src/judgement/dataplane/mesh";
import { buildScenario, namespaceManifests } from "../src/lessons/build";
import { SCENARIOS, atStage, lessonKeys, type GatewayPlacement, type ScenarioKey } from "../src/lessons/resolve";
import { AMBIENT_LESSONS, AMBIENT_STAGES } from "../src/settings/stages";
import { ambientForm } from "../src/lessons/ambientForm";
import { AMBIENT_LESSON_RAW, EKS_RAW, planIndex, settingsFor } from "./helpers";

const REPLIES = loadReplies(path.join(__dirname, "fixtures", "replies"));

/** Checks the model cannot run, with why: they neither pass nor tell stages apart here. */
const NOT_MODELLED = CHECKS_NOT_MODELLED;

/** The lessons written for sidecars: those a sidecar stack runs together. */
const SIDECAR_LESSONS = lessonKeys("sidecar");

describe("the stage matrix: each stage's checks pass in its own world and fail in every other stage's", function () {
    this.timeout(1_200_000);
    const raw = { ...EKS_RAW, apps: { mtls: true, tcp: true, egress: true }, istio: { egressGateway: true } };
    const requests = settingsFor(raw).apps.verify.requests;
    let platform: any[];
    let mesh: MeshConfig;
    let plan: Plan;
    before(async () => {
        plan = await planIndex(raw);
        // Everything but the lessons' own objects in their namespace: those come from the stage under test.
        platform = beside(plan, "demo");
        mesh = planMeshConfig(plan);
    });

    it(`a namespace holding every lesson, each at its slowest stage, verifies within ${CHECK_BUDGET_SECONDS / 60} minutes (the model's clock)`, () => {
        const { stages, seconds } = slowestStages(plan, "demo", requests);
        assert.deepEqual(stages.map((s) => s.lesson), SIDECAR_LESSONS);
        assert.ok(seconds <= CHECK_BUDGET_SECONDS, `${seconds} s: ${stages.map((s) => `${s.lesson}/${s.stage} ${s.seconds} s`).join(", ")}`);
        // The slowest is the delay lesson, and it is measured as slow: the time is the model's, not a constant.
        const slowest = [...stages].sort((a, b) => b.seconds - a.seconds)[0];
        assert.deepEqual([slowest.lesson, slowest.stage], ["bookinfo", "ratings-delay"]);
        assert.ok(slowest.seconds > 20 * 7, `${slowest.seconds} s: twenty requests that each wait 7 s`);
    });

    for (const key of SIDECAR_LESSONS) {
        it(`${key}: every stage's checks fail against every other stage`, () => {
            // The lesson's own Sidecars import what the stack's namespace imports (the egress gateway's namespace among them).
            assert.deepEqual(stageMatrix(key, platform, mesh, requests, undefined, undefined, namespaceSidecarHosts(plan, "demo")), []);
        });
    }
});

describe("the stage matrix with Gateway API ingress: the lessons that route from the gateway, through HTTPRoutes on the Gateway API's Gateway", function () {
    this.timeout(1_200_000);
    const raw = { ...EKS_RAW, istio: { ingress: { api: "gateway-api" } } };
    const requests = settingsFor(raw).apps.verify.requests;
    let platform: any[];
    let mesh: MeshConfig;
    before(async () => {
        const plan = await planIndex(raw);
        platform = beside(plan, "demo");
        mesh = planMeshConfig(plan);
        // The platform holds the Gateway API's Gateway, not Istio's.
        assert.deepEqual(platform.filter((o) => o.kind === "Gateway").map((o) => o.apiVersion), ["gateway.networking.k8s.io/v1"]);
    });

    for (const key of ["bookinfo", "myApp"] as ScenarioKey[]) {
        it(`${key}: every stage's checks pass in its own world and fail against every other stage, its gateway routes HTTPRoutes`, () => {
            assert.deepEqual(stageMatrix(key, platform, mesh, requests, { api: "gateway-api" }), []);
        });
    }
});

describe("the stage matrix in ambient mode: the ambient lesson's stages, on ztunnel and a waypoint", function () {
    this.timeout(1_200_000);
    const requests = settingsFor(AMBIENT_LESSON_RAW).apps.verify.requests;
    let platform: any[];
    let mesh: MeshConfig;
    let plan: Plan;
    before(async () => {
        plan = await planIndex(AMBIENT_LESSON_RAW);
        platform = beside(plan, "demo");
        mesh = planMeshConfig(plan);
        // The lessons' namespace is enrolled in ambient mode, not injected.
        assert.equal(platform.find((o) => o.kind === "Namespace" && o.metadata.name === "demo")?.metadata.labels["istio.io/dataplane-mode"], "ambient");
    });

    it(`the ambient lessons' namespace, each lesson at its slowest stage, verifies within ${CHECK_BUDGET_SECONDS / 60} minutes (the model's clock)`, () => {
        const { stages, seconds } = slowestStages(plan, "demo", requests, "ambient");
        assert.deepEqual(stages.map((s) => s.lesson), AMBIENT_LESSONS);
        assert.ok(seconds > 0 && seconds <= CHECK_BUDGET_SECONDS, `${seconds} s: ${stages.map((s) => `${s.lesson}/${s.stage} ${s.seconds} s`).join(", ")}`);
    });

    it("ambient: every stage's checks pass in its own world and fail against every other stage", () => {
        assert.deepEqual(stageMatrix("ambient", platform, mesh, requests, { api: "gateway-api" }), []);
    });

    it(`bookinfo in ambient mode (${AMBIENT_STAGES.bookinfo!.runs.join(", ")}): every stage's checks pass in its own world and fail against every other stage`, () => {
        assert.deepEqual(ambientForm("bookinfo", SCENARIOS.bookinfo())!.stages!.map((s) => s.name), AMBIENT_STAGES.bookinfo!.runs);
        assert.deepEqual(stageMatrix("bookinfo", platform, mesh, requests, { api: "gateway-api" }, "ambient"), []);
    });
});

/** Every stage's checks of a lesson in its own world and in every other stage's: what goes wrong, listed. */
function stageMatrix(key: ScenarioKey, platform: readonly any[], mesh: MeshConfig, requests: number, placement?: GatewayPlacement, dataplane?: "ambient", sidecarHosts?: string[]): string[] {
    const base = dataplane === "ambient" ? ambientForm(key, SCENARIOS[key]({ rate: 1 }))! : SCENARIOS[key]({ rate: 1 });
    const stages = (base.stages ?? []).map((s) => s.name);
    const built = Object.fromEntries(stages.map((s) => [s, namespaceManifests([buildScenario(atStage(base, s), { namespace: "demo", verify: true, requests, rate: 1, placement, sidecarHosts })], "demo") as any[]]));
    if (placement?.api === "gateway-api") {
        for (const s of stages) assert.ok(!built[s].some((o) => o.kind === "VirtualService" && o.spec?.gateways), `${key}/${s}: a gateway-bound VirtualService`);
    }
    const worlds = Object.fromEntries(
        stages.map((b) => {
            const objects = [...platform, ...built[b]];
            return [b, { objects, world: worldOf(objects, podsOfDeployments(objects), REPLIES, mesh).world }];
        }),
    );
    // The same check against the same answers runs its script once.
    const run = memoizedRunner();
    const verdicts = (a: string, b: string) => {
        const { objects, world } = worlds[b];
        const other = new Set(built[b].filter((o) => o.kind === "Job").map((o) => o.metadata.name));
        // The checks stage b does not have first: the likeliest to tell a from b.
        const jobs = built[a].filter((o) => o.kind === "Job").sort((x, y) => Number(other.has(x.metadata.name)) - Number(other.has(y.metadata.name)));
        return jobs.map((j) => () => runCheckPod(world, checkPodOf(objects, j.metadata.name, "demo", `${j.metadata.name}-q7w3z`, j.spec.template), run));
    };
    const problems: string[] = [];
    for (const a of stages) {
        for (const v of verdicts(a, a).map((f) => f())) {
            if (v.outcome === "failed" || (v.outcome === "not-modelled" && NOT_MODELLED[v.check] === undefined)) problems.push(`${a}: ${v.check} ${v.outcome} in its own world: ${v.detail}`);
            if (v.outcome === "passed" && NOT_MODELLED[v.check] !== undefined) problems.push(`${a}: ${v.check} is listed as not modelled, but ran`);
        }
        for (const b of stages.filter((x) => x !== a)) {
            if (!verdicts(a, b).some((f) => f().outcome === "failed")) problems.push(`the checks of ${a} all pass against ${b}`);
        }
    }
    return problems;
}
