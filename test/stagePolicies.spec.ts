/**
 * The bookinfo stages beyond routing: retries, circuit breaking, mirroring,
 * authorization and end-user authentication, each checked on the apps' real reply bodies
 * (`test/fixtures/replies/`, see ORIGIN.md) and against how the mesh decides.
 */
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { analyzeScenarios } from "../src/lessons/analyze";
import { atStage, resolveScenarios } from "../src/lessons/resolve";
import { buildScenario, namespaceManifests } from "../src/lessons/build";
import { checkPlans, type CheckPlan } from "../src/lessons/checks";
import { handOutData } from "../src/lessons/handOut";
import { RATE_LIMIT, bookinfo, forged } from "../src/lessons/catalog/bookinfo";
import { LESSON_JWKS, LESSON_JWT, LESSON_JWT_ISSUER } from "../src/lessons/lessonJwt";
import { MeshCheckError } from "../src/lessons/analyze";
import { workshopFrom } from "../src/workshop/resolve";
import { attendeeAuthorizationPolicy } from "../src/classroom/isolationSpec";
import { meshRefusal } from "../src/judgement/kubernetes/network";
import { EKS_RAW, settingsFor } from "./helpers";
import { replyPath } from "./upstream";
import { runCheck, type Answer } from "./verifyRunner";

const at = (stage: string) => atStage(bookinfo(), stage);
const plan = (stage: string, name: string): CheckPlan => {
    const found = checkPlans(at(stage), 100).find((c) => c.name === name);
    assert.ok(found, `${stage}: no check ${name}`);
    return found;
};
const answers = (file: string, n: number, status = 200): Answer[] => Array<Answer>(n).fill({ file: replyPath(file), status });
const EMPTY = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "iw-empty-")), "empty");
fs.writeFileSync(EMPTY, "");
/** An answer of the caller's own proxy (a 403 of its RBAC filter, a 503 overflow): the checks look at the status only. */
const proxyAnswers = (status: number, n: number): Answer[] => Array<Answer>(n).fill({ file: EMPTY, status });

describe("bookinfo stages: retries, circuit breaking, mirroring, authorization", () => {
    it("retries: ratings runs as v-faulty, the route retries 5xx three times, and 1 answer in 16 may still be its 503", () => {
        const lesson = at("retries");
        const ratings = lesson.workloads.find((w) => w.name === "ratings-v1")!;
        assert.deepEqual(ratings.env, { SERVICE_VERSION: "v-faulty" });
        const built = buildScenario(lesson, { namespace: "demo", verify: true, requests: 100 });
        const dep = built.deployments.find((d) => d.name === "ratings-v1")!.spec as any;
        assert.deepEqual(dep.spec.template.spec.containers[0].env, [{ name: "SERVICE_VERSION", value: "v-faulty" }]);
        const vs = built.virtualServices.find((v) => v.host === "ratings")!.object;
        assert.deepEqual(vs.spec.http![0].retries, { attempts: 3, retryOn: "5xx", perTryTimeout: "2s" });

        const check = plan("retries", "verify-ratings-1");
        assert.deepEqual(check.expectations.map((e) => [e.version, e.contains, e.share]), [["failed-503", "@status=503", 1 / 16], ["v1", "ratings", 15 / 16]]);
        const withRetries = [...answers("ratings-v-faulty-503.json", 6, 503), ...answers("ratings-v1.json", 94)];
        assert.equal(runCheck(check, withRetries).status, 0);
        // Without the retries, half the answers are the app's 503.
        const without = [...answers("ratings-v-faulty-503.json", 50, 503), ...answers("ratings-v1.json", 50)];
        assert.match(runCheck(check, without).stdout, /^FAIL verify-ratings-1: .*measured failed-503=22 v1=\d+ other=0 \(stopped after \d+: already out of bounds\)$/m);
    });

    it("retries: without a retry of 5xx the same ratings fails half of its answers, as the plan expects", () => {
        const lesson = atStage(bookinfo(), "retries");
        const noRetries = { ...lesson, routing: lesson.routing.map((r) => (r.host === "ratings" ? { ...r, rules: [{ weights: { v1: 100 } }] } : r)) };
        const check = checkPlans(noRetries, 100).find((c) => c.name === "verify-ratings-1")!;
        assert.deepEqual(check.expectations.map((e) => e.share), [0.5, 0.5]);
    });

    it("circuit-breaker: details' DestinationRule limits the pool as Istio's task does; the check loads it five at a time and needs both answers and overflows", () => {
        const built = buildScenario(at("circuit-breaker"), { namespace: "demo", verify: true, requests: 100 });
        const dr = built.destinationRules.find((d) => d.metadata.name === "details")!;
        assert.deepEqual(dr.spec.trafficPolicy, { connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } } });
        const check = plan("circuit-breaker", "verify-details-circuit-breaker");
        assert.equal(check.parallel, 5);
        assert.equal(runCheck(check, [...answers("details-v1.json", 70), ...proxyAnswers(503, 30)]).status, 0);
        assert.match(runCheck(check, answers("details-v1.json", 100)).stdout, /^FAIL .*measured answered=100 overflow-503=0 other=0$/m, "no circuit breaker: nothing overflows");
        assert.equal(runCheck(check, proxyAnswers(503, 100)).status, 1, "nothing answered");
    });

    it("mirror: reviews answers from v1 only while the caller's proxy completes every request to v2 as well", () => {
        const built = buildScenario(at("mirror"), { namespace: "demo", verify: true, requests: 100 });
        const vs = built.virtualServices.find((v) => v.host === "reviews")!.object;
        assert.deepEqual([vs.spec.http![0].mirror, vs.spec.http![0].mirrorPercentage], [{ host: "reviews", subset: "v2" }, { value: 100 }]);
        const check = plan("mirror", "verify-reviews-1");
        assert.deepEqual(check.completed, { name: "mirrored-to-v2", cluster: "outbound|9080|v2|reviews.", range: [100, 100] });
        // The proxy keeps the statistics the count reads only when asked to.
        const job = built.checks.find((c) => c.name === "verify-reviews-1")!.job as any;
        assert.deepEqual(JSON.parse(job.spec.template.metadata.annotations["proxy.istio.io/config"]), { proxyStatsMatcher: { inclusionPrefixes: ["cluster.outbound|9080|v2|reviews."] } });
        assert.equal(runCheck(check, answers("reviews-v1.json", 100), { completed: 100 }).status, 0);
        assert.match(runCheck(check, answers("reviews-v1.json", 100), { completed: 0 }).stdout, /^FAIL .*mirrored-to-v2=0$/m);
        assert.equal(runCheck(check, [...answers("reviews-v1.json", 99), ...answers("reviews-v2.json", 1)], { completed: 100 }).status, 1, "a mirrored answer reached the caller");
    });

    it("mirror: the copy of the readiness wait's last request, landing after the baseline's first look, is not counted (101 against 100)", () => {
        const check = plan("mirror", "verify-reviews-1");
        const run = runCheck(check, answers("reviews-v1.json", 100), { completed: 100, lateWarmUp: 1 });
        assert.equal(run.status, 0, run.stdout);
        assert.match(run.stdout, /^PASS .*mirrored-to-v2=100$/m);
    });

    it("mirror without a target is refused before anything registers", () => {
        assert.throws(
            () => workshopFrom(settingsFor({ ...EKS_RAW, apps: { bookinfo: { stage: "mirror", subsets: { reviews: { v1: { version: "v1" }, v3: { version: "v3" } } } } } })),
            (e: Error) => e instanceof MeshCheckError && /StageCannotWork: bookinfo at stage mirror mirrors reviews to subset v2, which selects no running pod/.test(e.message),
        );
    });

    it("authz: Istio's policies by ServiceAccount; the checks call as the admitted identities and as refused ones", () => {
        const built = buildScenario(at("authz"), { namespace: "demo", verify: true, requests: 100 });
        const byName = Object.fromEntries(built.policies.map((p) => [p.metadata.name, p]));
        // Istio's allow-nothing, on bookinfo's pods only: the other lessons of the namespace keep answering.
        assert.deepEqual(byName["allow-nothing"].spec, { selector: { matchLabels: { "istio-workshop/lesson": "bookinfo" } } });
        assert.deepEqual(byName["details-viewer"].spec, {
            selector: { matchLabels: { app: "details" } },
            rules: [{ from: [{ source: { principals: ["cluster.local/ns/demo/sa/bookinfo-productpage"] } }], to: [{ operation: { methods: ["GET"] } }] }],
        });
        const sa = (name: string) => (built.checks.find((c) => c.name === name)!.job as any).spec.template.spec.serviceAccountName;
        assert.deepEqual(
            ["verify-details-allowed", "verify-ratings-allowed", "verify-details-denied", "verify-ratings-denied", "verify-reviews-balanced"].map(sa),
            ["bookinfo-productpage", "bookinfo-reviews", "verify", "bookinfo-productpage", "bookinfo-productpage"],
        );
        for (const name of ["bookinfo-productpage", "bookinfo-reviews"]) assert.ok(built.serviceAccounts.includes(name), name);

        const denied = plan("authz", "verify-details-denied");
        assert.equal(runCheck(denied, proxyAnswers(403, 100), { readyStatus: "403" }).status, 0);
        assert.equal(runCheck(denied, answers("details-v1.json", 100), { readyStatus: "403" }).status, 1, "details answered a caller the policies refuse");
        const allowed = plan("authz", "verify-details-allowed");
        assert.equal(runCheck(allowed, answers("details-v1.json", 100)).status, 0);
        assert.equal(runCheck(allowed, proxyAnswers(403, 100)).status, 1);
    });

    it("authz: as the mesh decides, with the attendee isolation in place: each call the lesson needs admitted, the others refused", () => {
        const ns = "ana";
        const objects = [attendeeAuthorizationPolicy(ns), ...buildScenario(at("authz"), { namespace: ns, verify: true, requests: 100 }).policies];
        const pod = (app: string, serviceAccount: string, namespace = ns) => ({ namespace, labels: { app }, serviceAccount });
        const productpage = pod("productpage", "bookinfo-productpage");
        const reviews = pod("reviews", "bookinfo-reviews");
        const verify = pod("verify-bookinfo", "verify");
        assert.equal(meshRefusal(objects, productpage, pod("details", "bookinfo-details")), undefined);
        assert.equal(meshRefusal(objects, productpage, pod("reviews", "bookinfo-reviews")), undefined);
        assert.equal(meshRefusal(objects, reviews, pod("ratings", "bookinfo-ratings")), undefined);
        assert.equal(meshRefusal(objects, verify, pod("productpage", "bookinfo-productpage")), undefined);
        assert.match(meshRefusal(objects, verify, pod("details", "bookinfo-details"))!, /allows no request from cluster\.local\/ns\/ana\/sa\/verify/);
        assert.match(meshRefusal(objects, productpage, pod("ratings", "bookinfo-ratings"))!, /allows no request/);
        // Another attendee's productpage identity is refused by the isolation, whatever the lesson allows.
        assert.match(meshRefusal(objects, pod("productpage", "bookinfo-productpage", "ben"), pod("productpage", "bookinfo-productpage"))!, /attendee-isolation denies cluster\.local\/ns\/ben\//);
    });

    it("a stage whose policies would run without sidecars is refused: nothing would enforce them", () => {
        const lesson = { ...at("authz"), withoutSidecars: true };
        const findings = analyzeScenarios([lesson], { serverHosts: ["*"], routeHosts: ["*"] });
        assert.ok(findings.some((f) => /StageCannotWork: bookinfo at stage authz runs its workloads without sidecars, so nothing enforces its AuthorizationPolicy allow-nothing/.test(f)), findings.join("\n"));
    });

    it("every new stage is part of the lesson's namespace objects: policies installed, or handed out in hands-on mode", () => {
        const apps = settingsFor({ ...EKS_RAW, apps: { bookinfo: { stage: "authz" } } }).apps;
        const lesson = resolveScenarios(apps).find((s) => s.name === "bookinfo")!;
        const kinds = (handsOn: boolean) => namespaceManifests([buildScenario(lesson, { namespace: "demo", verify: true, requests: 100, handsOn })], "demo").filter((m) => m.kind === "AuthorizationPolicy").length;
        assert.equal(kinds(false), 5);
        assert.equal(kinds(true), 0);
    });
});

describe("bookinfo stage jwt: end-user authentication", () => {
    const jwkKey = () => crypto.createPublicKey({ key: JSON.parse(LESSON_JWKS).keys[0], format: "jwk" });
    const verifies = (token: string) => {
        const [h, p, sig] = token.split(".");
        return crypto.verify("RSA-SHA256", Buffer.from(`${h}.${p}`), jwkKey(), Buffer.from(sig, "base64url"));
    };

    it("the lesson's token is signed by the key the RequestAuthentication trusts, names the principal the policy requires, and outlives the century", () => {
        const built = buildScenario(at("jwt"), { namespace: "demo", verify: true, requests: 100 });
        const ra = built.policies.find((p) => p.kind === "RequestAuthentication")!;
        assert.deepEqual(ra.spec, { selector: { matchLabels: { app: "productpage" } }, jwtRules: [{ issuer: LESSON_JWT_ISSUER, jwks: LESSON_JWKS }] });
        assert.ok(verifies(LESSON_JWT));
        assert.ok(!verifies(forged(LESSON_JWT)), "the forged token must not verify");
        const claims = JSON.parse(Buffer.from(LESSON_JWT.split(".")[1], "base64url").toString());
        const header = JSON.parse(Buffer.from(LESSON_JWT.split(".")[0], "base64url").toString());
        assert.equal(header.kid, JSON.parse(LESSON_JWKS).keys[0].kid);
        const policy = built.policies.find((p) => p.metadata.name === "require-jwt")!;
        assert.deepEqual((policy.spec as any).rules[0].from[0].source.requestPrincipals, [`${claims.iss}/${claims.sub}`]);
        assert.ok(claims.exp > Date.UTC(2099, 0, 1) / 1000);
    });

    it("the checks send the token where the policy requires it, none or a forged one where they prove the refusal", () => {
        const checks = checkPlans(at("jwt"), 100);
        const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
        assert.equal(byName["verify-productpage-1"].headers.Authorization, `Bearer ${LESSON_JWT}`);
        assert.equal(byName["verify-bookinfo-gw-1"].headers.Authorization, `Bearer ${LESSON_JWT}`);
        assert.equal(byName["verify-productpage-without-token"].headers.Authorization, undefined);
        assert.equal(byName["verify-productpage-forged-token"].headers.Authorization, `Bearer ${forged(LESSON_JWT)}`);
        assert.equal(runCheck(byName["verify-productpage-1"], answers("productpage-v1.head.html", 100)).status, 0);
        assert.equal(runCheck(byName["verify-productpage-without-token"], proxyAnswers(403, 100), { readyStatus: "403" }).status, 0);
        assert.equal(runCheck(byName["verify-productpage-without-token"], answers("productpage-v1.head.html", 100), { readyStatus: "403" }).status, 1);
        assert.equal(runCheck(byName["verify-productpage-forged-token"], proxyAnswers(401, 100), { readyStatus: "401" }).status, 0);
        assert.equal(runCheck(byName["verify-productpage-forged-token"], proxyAnswers(403, 100), { readyStatus: "401" }).status, 1);
    });

    it("hands the token out with the stage", () => {
        const built = buildScenario(bookinfo(), { namespace: "ana", verify: true, requests: 100, handsOn: true });
        const steps = handOutData([built], "ana")["steps.txt"];
        assert.ok(steps.includes(LESSON_JWT));
    });
});

describe("bookinfo stage rate-limit: Envoy's local rate limit", () => {
    /**
     * Envoy's token bucket as its local rate limit filter keeps it (one per proxy,
     * shared by its workers): `tokens` at the start, `perFill` more at each tick of
     * the fill timer, capped at `max`; a request takes a token or is answered 429.
     * `ticksBefore[i]`: timer ticks that happened before request i.
     */
    const bucket = (n: number, start: number, ticksBefore: (i: number) => number): Answer[] => {
        let tokens = start;
        let ticks = 0;
        return Array.from({ length: n }, (_, i) => {
            for (; ticks < ticksBefore(i); ticks++) tokens = Math.min(RATE_LIMIT.maxTokens, tokens + RATE_LIMIT.tokensPerFill);
            if (tokens === 0) return { file: EMPTY, status: 429 };
            tokens--;
            return { file: replyPath("details-v1.json"), status: 200 };
        });
    };

    it("installs Istio's local rate limit filter on details, with the task's token bucket, enabled and enforced for every request", () => {
        const built = buildScenario(at("rate-limit"), { namespace: "demo", verify: true, requests: 100 });
        const filter = built.policies.find((p) => p.kind === "EnvoyFilter")! as any;
        assert.equal(filter.apiVersion, "networking.istio.io/v1alpha3");
        assert.deepEqual(filter.spec.workloadSelector, { labels: { app: "details" } });
        const [patch] = filter.spec.configPatches;
        assert.deepEqual([patch.applyTo, patch.match.context, patch.patch.operation], ["HTTP_FILTER", "SIDECAR_INBOUND", "INSERT_BEFORE"]);
        const config = patch.patch.value.typed_config;
        assert.equal(config.type_url, "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit");
        assert.deepEqual(config.value.token_bucket, { max_tokens: 4, tokens_per_fill: 4, fill_interval: "60s" });
        for (const key of ["filter_enabled", "filter_enforced"]) assert.deepEqual(config.value[key].default_value, { numerator: 100, denominator: "HUNDRED" });
    });

    it("the check passes on a proxy that refuses once its bucket is empty, refill or not, and fails where nothing is limited", () => {
        const check = plan("rate-limit", "verify-details-rate-limit");
        assert.deepEqual([check.readyStatus, check.parallel, check.withinSeconds], ["429", 10, 60]);
        assert.deepEqual(check.expectations.map((e) => [e.version, e.range]), [["answered", [0, 8]], ["limited-429", [92, 100]]]);
        // The wait ends on a 429: the bucket is empty; one refill may fall anywhere in the next minute.
        for (const at of [0, 1, 50, 99]) assert.equal(runCheck(check, bucket(100, 0, (i) => (i >= at ? 1 : 0)), { readyStatus: "429", elapsedSeconds: 2 }).status, 0, `refill before request ${at}`);
        // A second details pod whose bucket nobody emptied: still within the bound of one pod's max + one fill.
        assert.equal(runCheck(check, bucket(100, 4, (i) => (i >= 10 ? 1 : 0)), { readyStatus: "429", elapsedSeconds: 2 }).status, 0);
        assert.match(runCheck(check, answers("details-v1.json", 100), { readyStatus: "429" }).stdout, /^FAIL verify-details-rate-limit: .*answered in \[0, 8\], limited-429 in \[92, 100\].*measured answered=100 limited-429=0 other=0$/m);
        // A limit ten times as generous as the lesson's lets 40 through.
        assert.equal(runCheck(check, bucket(100, 40, () => 0), { readyStatus: "429" }).status, 1);
    });

    it("the bound holds within one fill interval only: a slower run fails rather than passes", () => {
        const check = plan("rate-limit", "verify-details-rate-limit");
        const run = runCheck(check, bucket(100, 0, () => 1), { readyStatus: "429", elapsedSeconds: 61 });
        assert.equal(run.status, 1);
        assert.match(run.log, /^FAIL verify-details-rate-limit: the requests took 61s, not under 60s/);
        assert.equal(runCheck(check, bucket(100, 0, () => 1), { readyStatus: "429", elapsedSeconds: 59 }).status, 0);
    });

    it("hands-on, the filter stays the stack's (attendees may not create EnvoyFilters): installed at the class's stage, left out of the hand-out", () => {
        const lesson = atStage(bookinfo(), "rate-limit");
        const built = buildScenario(lesson, { namespace: "ana", verify: true, requests: 100, handsOn: true });
        assert.deepEqual(namespaceManifests([built], "ana").filter((m) => m.kind === "EnvoyFilter").map((m) => m.metadata.name), ["filter-local-ratelimit-svc"]);
        const stage = built.handOut!.find((h) => h.stage === "rate-limit")!;
        assert.ok(stage.objects.length > 0 && stage.objects.every((o) => o.kind !== "EnvoyFilter"));
        assert.match(stage.note!, /EnvoyFilter, which attendees may not create/);
        // At any other stage, hands-on or not, no filter.
        assert.deepEqual(namespaceManifests([buildScenario(bookinfo(), { namespace: "ana", verify: true, requests: 100, handsOn: true })], "ana").filter((m) => m.kind === "EnvoyFilter"), []);
    });
});
