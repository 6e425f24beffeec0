/**
 * The cluster tests' own parts, without a cluster: how an API server's answer
 * is read (against answers a real one gave, `fixtures/apiserver/`), how a
 * request is put to its authorizer, the replay's order, the fake nodes'
 * sizing, the runs' stack config, and what counts as a failure. The run
 * itself is `npm run test:cluster` (in `.ci/run`).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { CLUSTER_RUNS, failuresOf, runConfig, type ClusterReport } from "../src/judgement/cluster/clusterTest";
import { recoveryFailures, type RecoveryReport } from "../src/judgement/cluster/recovery";
import { replayOrder } from "../src/judgement/cluster/replay";
import { canIArgs, expectedServerLayer, layerOfRefusal } from "../src/judgement/cluster/serverJudge";
import { revocationFailures, type RevocationReport } from "../src/judgement/cluster/revocation";
import { attendeeMade } from "../src/tooling/revoke";
import { parseWaitFor, waitForExpressions, waitMet } from "../src/judgement/cluster/waitFor";
import type { Plan, PlannedResource } from "../src/judgement/plan/plan";
import { buildKey, BINARIES, KUBERNETES_LDFLAGS } from "../src/tooling/controlplane/build";
import { fakeNodes, nodeSizing } from "../src/tooling/controlplane/nodes";
import { INSTANCE_TYPES, allocatable } from "../src/workshop/capacity";
import { workshopFrom } from "../src/workshop/resolve";
import { EKS_RAW, settingsFor } from "./helpers";

const ANSWERS = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "apiserver", "answers.json"), "utf8")) as { answers: { layer: string; message: string }[] };

describe("cluster tests: reading the API server", () => {
    it("names the layer a real API server's answer comes from (answers captured from kube-apiserver 1.35.4)", () => {
        for (const a of ANSWERS.answers.filter((x) => x.layer !== "admitted")) assert.equal(layerOfRefusal(a.message), a.layer, a.message.slice(0, 80));
        assert.equal(layerOfRefusal("The Service \"x\" is invalid: spec.externalIPs[0]: Invalid value: \"169.254.169.254\""), "schema");
        assert.equal(layerOfRefusal("something else went wrong"), "other");
    });

    it("expects the server to judge only its own layers: the data plane's verdicts are admitted there", () => {
        assert.equal(expectedServerLayer({ layer: "Pod Security", reason: "" }), "Pod Security");
        assert.equal(expectedServerLayer({ layer: "Istio", reason: "" }), "admitted");
        assert.equal(expectedServerLayer({ layer: "NetworkPolicy", reason: "" }), "admitted");
    });

    it("asks the authorizer as kubectl auth can-i takes it: group, name and subresource apart", () => {
        assert.deepEqual(canIArgs("create", "", "serviceaccounts/token", undefined, "ana"), ["auth", "can-i", "create", "serviceaccounts", "--subresource=token", "-n", "ana"]);
        assert.deepEqual(canIArgs("update", "rbac.authorization.k8s.io", "roles", "attendee", "ana"), ["auth", "can-i", "update", "roles.rbac.authorization.k8s.io/attendee", "-n", "ana"]);
        assert.deepEqual(canIArgs("delete", "admissionregistration.k8s.io", "validatingadmissionpolicybindings", undefined, undefined), ["auth", "can-i", "delete", "validatingadmissionpolicybindings.admissionregistration.k8s.io", "--all-namespaces"]);
    });
});

describe("cluster tests: the replay and the run", () => {
    const res = (urn: string, extra: Partial<PlannedResource> = {}): PlannedResource => ({ urn, type: "kubernetes:core/v1:ConfigMap", name: urn, parent: null, custom: true, provider: null, dependsOn: [], inputs: {}, ...extra });

    it("replays in Pulumi's order: after every dependency, a component after its children, a rendered object never", () => {
        const plan: Plan = {
            project: "p",
            stack: "s",
            outputs: {},
            resources: [
                res("a-component", { custom: false, type: "x:y:Component" }),
                res("b-child", { parent: "a-component", dependsOn: ["c-base"] }),
                res("c-base"),
                res("d-after-component", { dependsOn: ["a-component"] }),
                res("e-rendered", { renderedBy: "c-base" }),
            ],
        };
        assert.deepEqual(replayOrder(plan).map((r) => r.urn), ["c-base", "b-child", "a-component", "d-after-component"]);
        assert.throws(() => replayOrder({ ...plan, resources: [res("x", { dependsOn: ["y"] }), res("y", { dependsOn: ["x"] })] }), /a dependency cycle among x, y/);
    });

    it("sizes the fake nodes as the capacity model sizes the node group", () => {
        const workshop = workshopFrom(settingsFor({ ...EKS_RAW, attendees: 10, cluster: { ...EKS_RAW.cluster, nodeGroup: { instanceType: "m6i.xlarge" }, availabilityZones: 3 } }));
        const sizing = nodeSizing(workshop);
        const model = allocatable(INSTANCE_TYPES["m6i.xlarge"]);
        assert.deepEqual(sizing, { count: workshop.capacity.nodes, instanceType: "m6i.xlarge", cpuMilli: Math.floor(model.cpuMilli), memoryMi: Math.floor(model.memoryMi), pods: 58, zones: 3 });
        const nodes = fakeNodes(sizing) as any[];
        assert.equal(nodes.length, workshop.capacity.nodes);
        assert.deepEqual(nodes[0].status.allocatable, { cpu: `${sizing.cpuMilli}m`, memory: `${sizing.memoryMi}Mi`, pods: "58" });
        assert.deepEqual([...new Set(nodes.map((n) => n.metadata.labels["topology.kubernetes.io/zone"]))].sort(), ["zone-a", "zone-b", "zone-c"].slice(0, Math.min(3, nodes.length)));
    });

    it("runs a stack file with its keys changed and its cluster replaced by the control plane; refuses an EKS stack", () => {
        const classroom = CLUSTER_RUNS.find((r) => r.name === "local-classroom")!;
        const { config } = runConfig(classroom, { kubeconfig: "/tmp/cp.kubeconfig" });
        assert.deepEqual(JSON.parse(config["istio-workshop:attendees"]), ["ana", "ben", "cyd", "di"]);
        const cluster = JSON.parse(config["istio-workshop:cluster"]);
        assert.equal(cluster.kubeconfig, "/tmp/cp.kubeconfig");
        assert.equal(cluster.context, "istio-workshop-controlplane");
        // The stack's own apps keys are kept where the run does not change them.
        assert.equal(JSON.parse(config["istio-workshop:apps"]).tcp, true);
        assert.throws(() => runConfig({ name: "dev", stack: "dev" }, { kubeconfig: "x" }), /stack dev has cluster.mode "eks": the cluster tests apply stacks of an existing cluster/);
    });

    it("fails on every defect it measures, each named", () => {
        const clean = cleanReport();
        assert.deepEqual(failuresOf(clean), []);
        const broken: ClusterReport = {
            ...clean,
            objectsRefused: ["o"], podsPending: ["p"], deploymentsUnavailable: ["d"], jobsFailed: ["j"],
            attacks: { ...clean.attacks, admitted: ["a"], refusedByAnotherLayer: ["b"] }, capabilities: { ...clean.capabilities, refused: ["c"] },
            lessonObjects: { ...clean.lessonObjects, refused: ["l"] }, modelDisagreements: ["m"], previewChanges: ["x"], leftAfterDestroy: ["y"],
            checks: { ...clean.checks, failed: ["ns/verify-x: FAIL ..."], notModelled: ["ns/verify-gw-1: the model does not cover the app of image gateway", "ns/verify-grpc-ping: its command is not the verification script"] },
        };
        // Every defect once; a check the model cannot run is one unless the model says it never runs it (gRPC ping).
        assert.equal(failuresOf(broken).length, 13);
        assert.ok(failuresOf(broken).includes("check the mesh model cannot run: ns/verify-gw-1: the model does not cover the app of image gateway"));
    });

    it("recovery: the class move's up must fail on the attendee's release alone, naming their check; after the undo only that release runs again, and passes", () => {
        const up = (failed: string[], checksFailed: string[], ran: string[]) => ({ failed, checksFailed, ran });
        const good: RecoveryReport = {
            attendee: "ana",
            broke: "ana/reviews edited",
            onBreak: up(["classroom-ana-apps-lessons"], ["ana/verify-reviews-1"], ["classroom-cyd-apps-lessons"]),
            editSurvived: true,
            afterUndo: up([], [], ["classroom-ana-apps-lessons"]),
        };
        assert.deepEqual(recoveryFailures(good), []);
        // The edit unnoticed; another attendee stopped; a failure that names no check; still failing; others run again.
        assert.match(recoveryFailures({ ...good, onBreak: up([], [], []) }).join(), /the class move's up did not fail/);
        assert.match(recoveryFailures({ ...good, onBreak: up(["classroom-ana-apps-lessons", "classroom-ben-apps-lessons"], ["ana/verify-reviews-1"], []) }).join(), /beyond ana: classroom-ben-apps-lessons/);
        assert.match(recoveryFailures({ ...good, onBreak: up(["classroom-ana-apps-lessons"], [], []) }).join(), /without naming a check of ana/);
        assert.match(recoveryFailures({ ...good, afterUndo: up(["classroom-ana-apps-lessons"], ["ana/verify-reviews-1"], []) }).join(), /after the undo the up still failed/);
        assert.match(recoveryFailures({ ...good, afterUndo: up([], [], ["classroom-ana-apps-lessons", "classroom-cyd-apps-lessons"]) }).join(), /ran again releases that had not failed: classroom-cyd-apps-lessons/);
        // The classroom run breaks one attendee's route and moves the class on.
        assert.deepEqual(CLUSTER_RUNS.find((r) => r.name === "local-classroom")!.recovery?.attendee, "ana");
        assert.deepEqual(failuresOf({ ...cleanReport(), recovery: { ...good, onBreak: up([], [], []) } }).length, 1);
    });

    it("revocation: the token refused after it, the attendee's own workload gone, the lessons' kept; only top-level objects of no release are the attendee's", () => {
        const good: RevocationReport = {
            attendee: "ben",
            before: "yes",
            after: "error: You must be logged in to the server (Unauthorized)",
            revocation: { namespace: "ben", access: ["rolebinding.rbac.authorization.k8s.io/attendee", "serviceaccount/attendee"], workloads: ["deployment/attendee-own"] },
            refusedAfterSeconds: 1,
            lessonsKept: 12,
            ownLeft: [],
        };
        assert.deepEqual(revocationFailures(good), []);
        assert.match(revocationFailures({ ...good, after: "yes" }).join(), /token was not refused/);
        assert.match(revocationFailures({ ...good, ownLeft: ["attendee-own"] }).join(), /own Deployment was not deleted/);
        assert.match(revocationFailures({ ...good, lessonsKept: 0 }).join(), /lessons' Deployments of ben were deleted too/);
        assert.match(revocationFailures({ ...good, before: "no" }).join(), /before it/);
        assert.equal(attendeeMade({ metadata: { name: "x" } }), true);
        assert.equal(attendeeMade({ metadata: { name: "x", annotations: { "meta.helm.sh/release-name": "lessons" } } }), false);
        assert.equal(attendeeMade({ metadata: { name: "x", annotations: { "helm.sh/hook": "test" } } }), false);
        assert.equal(attendeeMade({ metadata: { name: "x", ownerReferences: [{ kind: "ReplicaSet" }] } }), false);
        assert.deepEqual(failuresOf({ ...cleanReport(), revocation: { ...good, after: "yes" } }).length, 1);
    });

    it("reads pulumi.com/waitFor as the Kubernetes provider does: RFC 9535 JSONPath, kubectl's escaped dialect refused, a value compared as text", () => {
        assert.deepEqual(waitForExpressions('["jsonpath={.a}", "condition=Ready"]'), ["jsonpath={.a}", "condition=Ready"]);
        assert.deepEqual(waitForExpressions("jsonpath={.status.phase}=Running"), ["jsonpath={.status.phase}=Running"]);
        assert.deepEqual(parseWaitFor("condition=Ready"), { condition: "Ready" });
        assert.deepEqual(parseWaitFor("jsonpath={.status.phase}=Running"), { path: "$.status.phase", value: "Running" });
        assert.deepEqual(parseWaitFor("jsonpath={.items[?(@.a=='b')].c}"), { path: "$.items[?(@.a=='b')].c" });
        // kubectl's `\.` escapes are not RFC 9535: the provider would refuse the annotation, and so does the replay.
        assert.throws(() => parseWaitFor("jsonpath={.status.used.count/configmaps}"), /not an RFC 9535 JSONPath, as the Kubernetes provider parses it/);
        assert.throws(() => parseWaitFor("jsonpath=.status"), /wrapped in brackets/);
        assert.throws(() => parseWaitFor("for=x"), /begins with jsonpath= or condition=/);
        const phase = parseWaitFor("jsonpath={.status.phase}=Running") as { path: string; value?: string };
        assert.equal(waitMet(phase, { status: { phase: "Running" } }), true);
        assert.equal(waitMet(phase, { status: { phase: "Pending" } }), false);
        assert.equal(waitMet(phase, {}), false);
        const used = parseWaitFor("jsonpath={.status.used['count/configmaps']}") as { path: string };
        assert.equal(waitMet(used, { status: { used: { "count/configmaps": "0" } } }), true, "present, even at 0");
        assert.equal(waitMet(used, { status: { used: {} } }), false);
    });

    it("rebuilds a binary only when what shapes it changes: its module's files, the Go version, its flags", () => {
        const cp = BINARIES.find((b) => b.name === "controlplane")!;
        assert.equal(buildKey(cp, "go1.26.8"), buildKey(cp, "go1.26.8"));
        assert.notEqual(buildKey(cp, "go1.26.8"), buildKey(cp, "go1.26.9"));
        assert.notEqual(buildKey(cp, "go1.26.8"), buildKey({ ...cp, ldflags: [] }, "go1.26.8"));
        // The version the API server reports is the release's: stamped, as release builds stamp it.
        assert.ok(KUBERNETES_LDFLAGS.includes("-X k8s.io/component-base/version.gitVersion=v1.35.4"));
        const mod = fs.readFileSync(path.join(__dirname, "..", "tools", "controlplane", "go.mod"), "utf8");
        assert.match(mod, /k8s\.io\/kubernetes v1\.35\.4/);
        for (const line of mod.split("\n").filter((l) => l.includes("=>"))) assert.match(line, /^\tk8s\.io\/[a-z-]+ => k8s\.io\/[a-z-]+ v0\.35\.4$/, line);
    });
});

/** A report of a run that measured no defect. */
function cleanReport(): ClusterReport {
    return {
        run: "r", stack: "s", kubernetesVersion: "v1.35.4", engine: "replay", nodes: { count: 1, instanceType: "t3.large" }, objectsApplied: 1, objectsRefused: [], releasesDeployed: [], releasesNotInstalled: [],
        podsScheduled: 1, podsPending: [], deploymentsAvailable: 1, deploymentsUnavailable: [], jobsSucceeded: 1, jobsFailed: [],
        attacks: { tried: 1, refusedAsExpected: 1, admitted: [], refusedByAnotherLayer: [], dataPlane: 0 }, capabilities: { tried: 1, allowed: 1, refused: [] }, verdicts: [],
        lessonObjects: { tried: 1, admitted: 1, refused: [] }, modelDisagreements: [], previewChanges: [], leftAfterDestroy: [], checks: { run: 1, passed: 1, failed: [], notModelled: [] }, notCovered: [], seconds: { build: 0, start: 0, up: 0, preview: 0, destroy: 0 }, peakMemoryMiB: { apiserver: 0, etcd: 0 },
    };
}
