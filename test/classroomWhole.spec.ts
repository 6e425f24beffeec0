/**
 * The classroom as a whole: what makes a class fail to come up, or a stage
 * fail for certain, with every lesson of a namespace present and in the order
 * Pulumi and Helm apply things. Each test here failed on the code before its fix.
 */
import { strict as assert } from "assert";
import { checkPlans, delayBehind } from "../src/lessons/checks";
import { BOOKINFO_LABELS } from "../src/lessons/catalog/bookinfo";
import { atStage, resolveScenarios } from "../src/lessons/resolve";
import { selects } from "../src/lessons/model";
import { ISTIOD_STEP_PROXIES } from "../src/mesh/meshScale";
import { istiodSteadyRange } from "../src/workshop/lessons";
import { workshopFrom } from "../src/workshop/resolve";
import { EKS_RAW, planIndex, settingsFor } from "./helpers";
import { runCheck } from "./verifyRunner";
import { CHECK_BUDGET_SECONDS, describeCheckTimes, namespaceCheckTimes } from "../src/judgement/checks/checkTimes";
import { planObjects } from "../src/judgement/checks/clusterChecks";
import { planMeshConfig } from "../src/judgement/dataplane/world";

describe("the classroom as a whole: the certain failures", () => {
    it("an attendee's root route exists before the lessons release whose checks call the gateway through it (no deadlock on the first up)", async function () {
        this.timeout(120_000);
        const plan = await planIndex({ ...EKS_RAW, attendees: ["ana", "ben"] });
        for (const id of ["ana", "ben"]) {
            const route = plan.resources.find((r) => r.name === `classroom-${id}-routes`)!;
            const release = plan.resources.find((r) => r.name === `classroom-${id}-apps-lessons`)!;
            assert.ok(route && release, id);
            assert.ok(release.dependsOn.includes(route.urn), `${id}'s lessons release waits for its root route`);
            assert.ok(!route.dependsOn.includes(release.urn), `${id}'s root route does not wait for the release`);
            // Its checks do call the gateway under the attendee's prefix: without the route they would get 404.
            const objects = plan.resources.filter((r) => r.renderedBy === release.urn).map((r) => r.inputs as any);
            const gatewayChecks = objects.filter((o) => o.kind === "Job" && (o.spec.template.spec.containers[0].env ?? []).some((e: any) => e.name === "VERIFY_URL" && e.value.includes(`/${id}/`)));
            assert.ok(gatewayChecks.length > 0, `${id} has checks through the gateway`);
        }
    });

    it("authz: every policy of the stage selects bookinfo's pods only, never another lesson's in the same namespace", () => {
        const apps = settingsFor({ ...EKS_RAW, apps: { mtls: true, tcp: true, egress: true } }).apps;
        const lessons = resolveScenarios(apps);
        const bookinfo = lessons.find((s) => s.name === "bookinfo")!;
        const authz = atStage(bookinfo, "authz");
        const others = lessons.filter((s) => s.name !== "bookinfo").flatMap((s) => s.workloads);
        for (const p of authz.policies ?? []) {
            if (p.kind !== "AuthorizationPolicy") continue;
            assert.ok(p.selector, `${p.name} has a selector`);
            assert.deepEqual(others.filter((w) => selects(p.selector!, w.labels)).map((w) => w.name), [], `${p.name} selects no other lesson's pods`);
            assert.ok(authz.workloads.some((w) => selects(p.selector!, w.labels)), `${p.name} selects bookinfo's pods`);
        }
        assert.ok(authz.workloads.every((w) => selects(BOOKINFO_LABELS, w.labels)), "every bookinfo pod carries the lesson's label");
    });

    it("ratings-delay: the checks of a service wait out the delay injected behind it (reviews v2 waits for ratings' 7 s)", () => {
        const apps = settingsFor({ ...EKS_RAW, apps: { bookinfo: { stage: "ratings-delay" } } }).apps;
        const bookinfo = resolveScenarios(apps).find((s) => s.name === "bookinfo")!;
        assert.equal(delayBehind(bookinfo, "reviews"), 7);
        assert.equal(delayBehind(bookinfo, "productpage"), 7, "productpage calls reviews");
        assert.equal(delayBehind(bookinfo, "ratings"), 0);
        const reviewsChecks = checkPlans(bookinfo, 100).filter((c) => c.url.startsWith("http://reviews:"));
        assert.ok(reviewsChecks.length > 0);
        for (const c of reviewsChecks) assert.ok((c.timeoutSeconds ?? 5) > 7, `${c.name}: ${c.timeoutSeconds ?? 5} s is more than ratings' 7 s delay`);
    });

    it("a failing check fails once: one pod, one bounded readiness wait (3 minutes), never a second attempt that waits again", async function () {
        this.timeout(120_000);
        const plan = await planIndex({ ...EKS_RAW, attendees: ["ana"], apps: { mtls: true, tcp: true, egress: true } });
        const jobs = plan.resources.filter((r) => r.renderedBy && (r.inputs as any).kind === "Job").map((r) => r.inputs as any);
        assert.ok(jobs.length > 10);
        for (const j of jobs) assert.equal(j.spec.backoffLimit, 0, j.metadata.name);
        // The script's one wait is 3 minutes by the clock: 2 s between tries, each try as long as curl waits for it.
        const check = checkPlans(resolveScenarios(settingsFor(EKS_RAW).apps).find((l) => l.name === "helloworld")!, 100)[0];
        const tries = (run: ReturnType<typeof runCheck>) => run.curlCalls.filter((c) => c.includes("-o /dev/null")).length;
        const quick = runCheck(check, [], { readyStatus: 503 });
        assert.match(quick.stdout, /^FAIL verify-helloworld-1: http:\/\/helloworld:5000\/hello did not answer as the stage does within 3 minutes$/m);
        assert.equal(tries(quick), 91, "answered at once: a try every 2 s");
        const slow = runCheck(check, [], { readyStatus: "000", readyTrySeconds: 30 });
        assert.equal(slow.status, 1);
        // Each try cut at curl's --max-time (5 s), then 2 s: 26 tries, not 90 (which took 10.5 minutes).
        assert.equal(tries(slow), 26);
    });

    it("times each namespace's checks by the model's clock: attendees at the same stages alike, the one at ratings-delay the longest", async function () {
        this.timeout(120_000);
        const plan = await planIndex({ ...EKS_RAW, attendees: ["ana", "ben", "cyd", "di", "eve", "fay"], classroom: { stages: { ben: { bookinfo: "ratings-delay" } } } });
        const times = namespaceCheckTimes(planObjects(plan).map((p) => p.o), planMeshConfig(plan));
        assert.deepEqual(times.map((t) => t.namespace), ["ana", "ben", "cyd", "di", "eve", "fay"]);
        const of = (ns: string) => times.find((t) => t.namespace === ns)!;
        assert.equal(of("ana").seconds, of("cyd").seconds);
        // Twenty requests that each wait out jason's 7 s, and the other checks: longer, still within the budget.
        assert.ok(of("ben").seconds > of("ana").seconds + 140 && of("ben").seconds <= CHECK_BUDGET_SECONDS, JSON.stringify(of("ben")));
        assert.deepEqual(of("ben").longest?.check, "verify-reviews-1");
        assert.deepEqual(of("ana").notTimed, ["verify-grpc-ping"]);
        const lines = describeCheckTimes(times);
        assert.match(lines[1], /^  6 namespaces, from 0m\d\ds to [23]m\d\ds; the longest:$/);
        assert.match(lines[2], /^  ben: [23]m\d\ds for \d+ checks, longest verify-reviews-1 14\d s \(not timed: verify-grpc-ping\)$/);
    });

    it("one attendee more or less leaves istiod's release alone inside a step: 6 and 7 attendees (the class the review measured) get the same istiod", () => {
        const istiodOf = (n: number) => workshopFrom(settingsFor({ ...EKS_RAW, attendees: n })).lessons.mesh.istiod;
        assert.deepEqual(istiodOf(6), istiodOf(7));
        // It changes only where the class crosses a step of proxies, and the plan can say where.
        const settings = settingsFor({ ...EKS_RAW, attendees: 7 });
        const lessons = resolveScenarios(settings.apps);
        const range = istiodSteadyRange(settings, lessons, 7);
        assert.ok(range.from <= 6 && range.to >= 7, JSON.stringify(range));
        assert.notDeepEqual(istiodOf(range.to + 1), istiodOf(7), "it does change past the step");
        assert.equal(range.proxies % ISTIOD_STEP_PROXIES, 0);
    });
});
