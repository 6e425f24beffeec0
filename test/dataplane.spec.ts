/**
 * The mesh model against the classroom as a whole: every check Job of a
 * classroom's namespaces, run with its own script over every object the plan
 * puts in the cluster (every lesson of the namespace, the root routes, the
 * platform's gateways and policies), passes; and each certain failure the
 * classroom had, put back, makes its checks fail.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { planObjects } from "../src/judgement/checks/clusterChecks";
import { checkPodOf, runCheckPod, type CheckVerdict } from "../src/judgement/dataplane/checkRun";
import { loadReplies, planMeshConfig, podsOfDeployments, worldOf } from "../src/judgement/dataplane/world";
import type { Plan } from "../src/judgement/plan/plan";
import { authorizationRefusal } from "../src/judgement/kubernetes/network";
import { EKS_RAW, planIndex } from "./helpers";

const REPLIES = loadReplies(path.join(__dirname, "fixtures", "replies"));

function worldFor(plan: Plan, objects: readonly any[]) {
    return worldOf(objects, podsOfDeployments(objects), REPLIES, planMeshConfig(plan)).world;
}

/** Every check Job of a namespace (or all), run in the world of `objects`. */
function runChecks(plan: Plan, objects: readonly any[], namespace?: string, env: Record<string, Record<string, string>> = {}): CheckVerdict[] {
    const world = worldFor(plan, objects);
    return objects
        .filter((o) => o.kind === "Job" && (namespace === undefined || o.metadata.namespace === namespace))
        .map((j) => {
            const c = checkPodOf(objects, j.metadata.name, j.metadata.namespace, `${j.metadata.name}-q7w3z`, j.spec.template);
            return runCheckPod(world, { ...c, env: { ...c.env, ...(env[j.metadata.name] ?? {}) } });
        });
}

const failed = (vs: readonly CheckVerdict[]) => vs.filter((v) => v.outcome === "failed").map((v) => `${v.namespace}/${v.check}`);

describe("the mesh model: a classroom's checks, every lesson of each namespace present", function () {
    this.timeout(600_000);
    let plan: Plan;
    let objects: any[];
    before(async () => {
        plan = await planIndex({ ...EKS_RAW, attendees: ["ana", "ben"], apps: { tcp: true }, classroom: { stages: { ana: { bookinfo: "authz" }, ben: { bookinfo: "ratings-delay", tcp: "v1-v2-80-20" } } } });
        objects = planObjects(plan).map((p) => p.o);
    });

    it("every check passes; only grpc's ping (fortio, not the script) is not modelled", () => {
        const verdicts = runChecks(plan, objects);
        assert.ok(verdicts.length >= 20, `${verdicts.length} checks`);
        assert.deepEqual(failed(verdicts), []);
        assert.deepEqual([...new Set(verdicts.filter((v) => v.outcome === "not-modelled").map((v) => v.check))], ["verify-grpc-ping"]);
    });

    it("put back: without the root routes, every check through the gateway fails (404), as the first up's deadlock did", () => {
        const without = objects.filter((o) => !(o.kind === "VirtualService" && o.metadata.namespace === "istio-ingress"));
        const verdicts = runChecks(plan, without, "ana");
        const gw = verdicts.filter((v) => /-gw-\d+$/.test(v.check));
        assert.ok(gw.length >= 2);
        for (const v of gw) assert.match(v.detail, /did not answer as the stage does within 3 minutes/, v.check);
        assert.deepEqual(failed(verdicts).sort(), gw.map((v) => `ana/${v.check}`).sort());
    });

    it("put back: allow-nothing without a selector denies the namespace's other lessons (HTTP 403, TCP reset)", () => {
        const all = objects.map((o) =>
            o.kind === "AuthorizationPolicy" && o.metadata.name === "allow-nothing" && o.metadata.namespace === "ana" ? { ...o, spec: { ...o.spec, selector: undefined } } : o,
        );
        const broken = failed(runChecks(plan, all, "ana"));
        for (const c of ["verify-helloworld-1", "verify-my-app-gw-1", "verify-tcp-echo-1"]) assert.ok(broken.includes(`ana/${c}`), `${c} in ${broken.join(", ")}`);
    });

    it("put back: ratings-delay's reviews check with curl's default 5 s gives up on jason's 7 s", () => {
        const verdicts = runChecks(plan, objects, "ben", { "verify-reviews-1": { VERIFY_TIMEOUT: "5" } });
        assert.deepEqual(failed(verdicts), ["ben/verify-reviews-1"]);
    });
});

describe("authorization: one evaluator for the attack suite's connections and the model's requests", () => {
    const to = { namespace: "ana", labels: { app: "details" }, serviceAccount: "bookinfo-details" };
    const policy = (name: string, spec: any) => ({ kind: "AuthorizationPolicy", metadata: { name, namespace: "ana" }, spec });
    const viewer = policy("details-viewer", { selector: { matchLabels: { app: "details" } }, rules: [{ from: [{ source: { principals: ["cluster.local/ns/ana/sa/bookinfo-productpage"] } }], to: [{ operation: { methods: ["GET"] } }] }] });
    const productpage = { mtls: true, principal: "cluster.local/ns/ana/sa/bookinfo-productpage", namespace: "ana" };

    it("a request is judged on its method; a connection (method unknown) is admitted where some request would be", () => {
        assert.equal(authorizationRefusal([viewer], to, { ...productpage, method: "GET", path: "/details/0" }), undefined);
        assert.match(authorizationRefusal([viewer], to, { ...productpage, method: "DELETE", path: "/details/0" })!, /details-viewer allows no request/);
        assert.equal(authorizationRefusal([viewer], to, productpage), undefined);
        // Over TCP a rule that needs a method never matches: the ALLOW policy admits nothing.
        assert.match(authorizationRefusal([viewer], to, { ...productpage, tcp: true })!, /allows no request/);
    });

    it("Istio's require-mTLS idiom: a DENY on notPrincipals [\"*\"] refuses a request without mTLS, not one with it", () => {
        const requireMtls = policy("require-mtls", { action: "DENY", rules: [{ from: [{ source: { notPrincipals: ["*"] } }] }] });
        assert.match(authorizationRefusal([requireMtls], to, { mtls: false, method: "GET", path: "/" })!, /require-mtls denies a caller without mTLS/);
        assert.equal(authorizationRefusal([requireMtls], to, { ...productpage, method: "GET", path: "/" }), undefined);
        // A DENY on a method does not refuse a connection whose requests are unknown.
        const noDelete = policy("no-delete", { action: "DENY", rules: [{ to: [{ operation: { methods: ["DELETE"] } }] }] });
        assert.equal(authorizationRefusal([noDelete], to, productpage), undefined);
        assert.match(authorizationRefusal([noDelete], to, { ...productpage, method: "DELETE" })!, /no-delete denies/);
    });

    it("Istio's require-JWT idiom: a request known to carry no token matches no requestPrincipals, not even \"*\"; an unknown one can", () => {
        const requireJwt = policy("require-jwt", { rules: [{ from: [{ source: { requestPrincipals: ["*"] } }] }] });
        assert.match(authorizationRefusal([requireJwt], to, { ...productpage, method: "GET", requestPrincipal: null })!, /require-jwt allows no request/);
        assert.equal(authorizationRefusal([requireJwt], to, { ...productpage, method: "GET", requestPrincipal: "https://issuer/alice" }), undefined);
        assert.equal(authorizationRefusal([requireJwt], to, productpage), undefined);
        const denyAnonymous = policy("deny-anonymous", { action: "DENY", rules: [{ from: [{ source: { notRequestPrincipals: ["*"] } }] }] });
        assert.match(authorizationRefusal([denyAnonymous], to, { ...productpage, requestPrincipal: null })!, /deny-anonymous denies/);
        assert.equal(authorizationRefusal([denyAnonymous], to, productpage), undefined);
    });

    it("refuses what it does not model, by name", () => {
        assert.throws(() => authorizationRefusal([policy("x", { rules: [{ when: [{ key: "request.headers[x]", values: ["1"] }] }] })], to, productpage), /authorization rule field when/);
    });
});
