/**
 * `npm run test:cluster`: a stack applied to the real control plane and taken
 * down again, and everything the offline judgement claims of it held to what
 * the API server does.
 *
 * For each run: a fresh control plane with fake nodes sized as the stack's node
 * group; the program recorded (the same `index.ts` Pulumi runs) and replayed in
 * Pulumi's order (`replay.ts`); then, from the cluster itself, what was refused,
 * scheduled, left Pending, Available, completed; the attack suite sent as an
 * attendee with a real TokenRequest token, each refusal's layer read from the
 * server's answer, and every offline verdict compared with it; a second pass
 * that must change nothing; the destroy, and what it left. The report says
 * which engine ran, and what the run does not cover.
 */
import { execFile } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { attendeeJudge, attendeePathBase, lessonObjects, suiteOf } from "../attacks/attackSuite";
import { type Attack } from "../attacks/attacks";
import { objectLabel, planObjects } from "../checks/clusterChecks";
import { handOutObjects } from "../checks/meshVisibility";
import type { Plan } from "../plan/plan";
import { expandLessonsRelease } from "../plan/planEntries";
import { disablePromiseDebugging, recordProgram } from "../plan/recorder";
import { archiveName } from "../../workshop/charts";
import { chartCacheDir } from "../plan/render";
import { attendeeAccess, attendeeKubeconfig } from "../../classroom/attendeeSpec";
import { PROJECT, settingsFromConfig } from "../../settings/parse";
import { loadStackConfig } from "../../settings/stackFile";
import { buildControlPlane } from "../../tooling/controlplane/build";
import { CONTEXT, addNodes, kubectl, running, startCluster, stopCluster, type ClusterState } from "../../tooling/controlplane/cluster";
import { fakeNodes, nodeSizing } from "../../tooling/controlplane/nodes";
import { locateHelm, locatePackagedKubectl } from "../../tooling/helm";
import { mintToken } from "../../tooling/kubeconfigs";
import { workshopFrom } from "../../workshop/resolve";
import { replayDestroy, replayUp, standInCrds, upstreamBaseCrds, upstreamGatewayApi, type PreviousUp, type ReplayStep } from "./replay";
import { recoveryFailures, recoveryLines, runRecovery, type RecoveryReport } from "./recovery";
import { runWalk, walkFailures, walkLines, type WalkStep } from "./walk";
import { revocationFailures, revocationLine, runRevocation, type RevocationReport } from "./revocation";
import { expectedServerLayer, sendAttempt, type ServerVerdict } from "./serverJudge";
import { kialiView, kialiViewProblems } from "./kialiView";
import { CheckRunner, type CheckRunnerReport } from "./checkRunner";
import { loadReplies, planMeshConfig } from "../dataplane/world";
import { CHECKS_NOT_MODELLED } from "../dataplane/checkRun";

export { CLUSTER_RUNS, EXTRA_CLUSTER_RUNS, type ClusterRun } from "./runs";
import type { ClusterRun } from "./runs";

export interface ClusterReport {
    readonly run: string;
    readonly stack: string;
    readonly kubernetesVersion: string;
    readonly engine: "replay";
    readonly nodes: { readonly count: number; readonly instanceType: string };
    readonly objectsApplied: number;
    readonly objectsRefused: string[];
    readonly releasesDeployed: string[];
    readonly releasesNotInstalled: string[];
    readonly podsScheduled: number;
    readonly podsPending: string[];
    readonly deploymentsAvailable: number;
    readonly deploymentsUnavailable: string[];
    readonly jobsSucceeded: number;
    readonly jobsFailed: string[];
    /** Attacks the API server judges (RBAC, Pod Security, admission policy), sent; the data plane's are judged offline only. */
    readonly attacks: { readonly tried: number; readonly refusedAsExpected: number; readonly admitted: string[]; readonly refusedByAnotherLayer: string[]; readonly dataPlane: number };
    readonly capabilities: { readonly tried: number; readonly allowed: number; readonly refused: string[] };
    /** Every attempt sent: the offline verdict and the API server's answer. */
    readonly verdicts: { readonly what: string; readonly offline: string; readonly server: string; readonly message: string }[];
    readonly lessonObjects: { readonly tried: number; readonly admitted: number; readonly refused: string[] };
    /** The namespaces Kiali's token login would show the first attendee (`kialiView.ts`), and what is wrong with that. */
    readonly kiali?: { readonly attendee: string; readonly visible: readonly string[]; readonly problems: readonly string[] };
    readonly modelDisagreements: string[];
    readonly previewChanges: string[];
    readonly leftAfterDestroy: string[];
    /** Verification pods the check runner ran in the mesh model: how many, which failed (with the script's verdict), which it could not model. */
    readonly checks: { readonly run: number; readonly passed: number; readonly failed: string[]; readonly notModelled: string[] };
    readonly recovery?: RecoveryReport;
    /** The class walked through stages after the first up (`walk.ts`). */
    readonly walk?: readonly WalkStep[];
    /** The workshop's end for the second attendee: their token refused, their own workload gone (`revocation.ts`). */
    readonly revocation?: RevocationReport;
    readonly notCovered: string[];
    readonly seconds: { readonly build: number; readonly start: number; readonly up: number; readonly preview: number; readonly destroy: number };
    /** The API server's and etcd's peak resident memory, MiB (their high-water marks, read before the destroy). */
    readonly peakMemoryMiB: { readonly apiserver: number; readonly etcd: number };
}

const PROJECT_DIR = path.resolve(__dirname, "..", "..", "..");
const STAND_IN = (what: string) => `-----BEGIN ${what}-----\nc3RhbmQtaW4=\n-----END ${what}-----\n`;

/** The bridged providers are not built for this run: their outputs are stand-ins, good for admission (a Secret holds text), not for TLS. */
const applyMocks: pulumi.runtime.Mocks = {
    newResource: (args) => {
        const stateOf: Record<string, Record<string, unknown>> = {
            "random:index/randomPassword:RandomPassword": { result: randomBytes(18).toString("base64url") },
            "random:index/randomString:RandomString": { result: randomBytes(6).toString("hex") },
            "tls:index/privateKey:PrivateKey": { privateKeyPem: STAND_IN("PRIVATE KEY"), publicKeyPem: STAND_IN("PUBLIC KEY") },
            "tls:index/selfSignedCert:SelfSignedCert": { certPem: STAND_IN("CERTIFICATE") },
            "tls:index/certRequest:CertRequest": { certRequestPem: STAND_IN("CERTIFICATE REQUEST") },
            "tls:index/locallySignedCert:LocallySignedCert": { certPem: STAND_IN("CERTIFICATE") },
        };
        return { id: `${args.name}-id`, state: { ...args.inputs, ...(stateOf[args.type] ?? {}) } };
    },
    call: () => ({}),
};

/** The run's stack config: the stack file's, the run's keys merged in, the cluster the control plane. */
export function runConfig(run: ClusterRun, state: Pick<ClusterState, "kubeconfig">, extra: Readonly<Record<string, unknown>> = {}): { project: string; stack: string; config: Record<string, string>; file: string } {
    const loaded = loadStackConfig(PROJECT_DIR, run.stack);
    const config = { ...loaded.config };
    const merge = (a: unknown, b: unknown): unknown =>
        a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)
            ? Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, k in (b as object) ? merge((a as any)[k], (b as any)[k]) : (a as any)[k]]))
            : (b ?? a);
    for (const layer of [run.overrides ?? {}, extra]) {
        for (const [key, value] of Object.entries(layer)) {
            const k = `${PROJECT}:${key}`;
            config[k] = JSON.stringify(merge(config[k] !== undefined ? JSON.parse(config[k]) : undefined, value));
        }
    }
    const cluster = config[`${PROJECT}:cluster`] !== undefined ? JSON.parse(config[`${PROJECT}:cluster`]) : {};
    if (cluster.mode !== "existing") throw new Error(`stack ${run.stack} has cluster.mode "${cluster.mode ?? "eks"}": the cluster tests apply stacks of an existing cluster (such as local)`);
    config[`${PROJECT}:cluster`] = JSON.stringify({ ...cluster, kubeconfig: state.kubeconfig, context: CONTEXT });
    return { project: loaded.project, stack: run.name, config, file: loaded.file };
}

/** Runs the program under mocks that apply (no preview: every value known), recording it as the engine receives it. */
async function recordForApply(project: string, stack: string, config: Record<string, string>): Promise<Plan> {
    for (const key of Object.keys(require.cache)) if (key.startsWith(path.join(PROJECT_DIR, "src")) || key === path.join(PROJECT_DIR, "index.ts")) delete require.cache[key];
    disablePromiseDebugging();
    return recordProgram({ project, stack, config, preview: false, mocks: applyMocks, revealSecrets: true, keepReleaseValues: true, program: () => ({ ...require(path.join(PROJECT_DIR, "index")) }) });
}

async function json(kubectlPath: string, state: ClusterState, args: readonly string[]): Promise<any> {
    return JSON.parse(await kubectl(kubectlPath, state, [...args, "-o", "json"]));
}

/** The offline verdicts of the suite (those of the plan's ingress API) and the API server's, side by side. */
async function judgeAttacks(plan: Plan, kubectlPath: string, own: string, victim: string, attendeeConfig: string, crds: readonly any[], namespaces: readonly string[]) {
    const planned = planObjects(plan);
    const judge = attendeeJudge(plan, own, planned, crds);
    const base = attendeePathBase(planned, own);
    const suite = suiteOf(planned), disagreements: string[] = [];
    const verdicts = async (list: readonly Attack[]) => {
        const out: { what: string; offline: ReturnType<typeof judge>; server?: ServerVerdict }[] = [];
        for (const a of list) {
            const attempt = a.attempt(own, victim, base);
            const offline = judge(attempt);
            const server = await sendAttempt(kubectlPath, attendeeConfig, attempt);
            if (server && server.layer !== expectedServerLayer(offline)) {
                disagreements.push(`${a.what}: offline ${offline.layer} (${offline.reason}); API server ${server.layer}: ${server.message.split("\n")[0]}`);
            }
            out.push({ what: a.what, offline, server });
        }
        return out;
    };
    const attacks = await verdicts(suite.attacks);
    const capabilities = await verdicts(suite.capabilities);
    // What Kiali's token login would show the attendee: their namespace alone, on the API server as offline.
    const view = await kialiView(kubectlPath, attendeeConfig, namespaces);
    const offlineView = namespaces.filter((n) => judge({ verb: "get", group: "", resource: "namespaces", namespace: n, name: n }).layer === "admitted");
    const sent = attacks.filter((a) => a.server);
    const serverSide = sent.filter((a) => expectedServerLayer(a.offline) !== "admitted");
    // The lessons, as the attendee applies them: each must be admitted, as the offline judgement says.
    const lessons = [...lessonObjects(plan, own, planned), ...handOutObjects(planned).filter(({ o }) => o.metadata?.namespace === own).map(({ o }) => o)];
    const refusedLessons: string[] = [];
    for (const o of lessons) {
        const server = await sendAttempt(kubectlPath, attendeeConfig, { verb: "update", object: o });
        const offline = judge({ verb: "update", object: o });
        if (server && server.layer !== "admitted") refusedLessons.push(`${objectLabel(o)}: ${server.layer}: ${server.message.split("\n")[0]}`);
        if (server && server.layer !== expectedServerLayer(offline)) disagreements.push(`${objectLabel(o)} (a lesson object): offline ${offline.layer}; API server ${server.layer}`);
    }
    return {
        attacks: {
            tried: serverSide.length,
            refusedAsExpected: serverSide.filter((a) => a.server!.layer === a.offline.layer).length,
            admitted: serverSide.filter((a) => a.server!.layer === "admitted").map((a) => a.what),
            refusedByAnotherLayer: serverSide.filter((a) => a.server!.layer !== "admitted" && a.server!.layer !== a.offline.layer).map((a) => `${a.what}: ${a.server!.layer}, not ${a.offline.layer}`),
            dataPlane: attacks.length - serverSide.length,
        },
        capabilities: {
            tried: capabilities.filter((c) => c.server).length,
            allowed: capabilities.filter((c) => c.server?.layer === "admitted").length,
            refused: capabilities.filter((c) => c.server && c.server.layer !== "admitted").map((c) => `${c.what}: ${c.server!.layer}: ${c.server!.message.split("\n")[0]}`),
        },
        lessonObjects: { tried: lessons.length, admitted: lessons.length - refusedLessons.length, refused: refusedLessons },
        kiali: { attendee: own, visible: view.visible, problems: kialiViewProblems(own, view, offlineView) },
        verdicts: [...attacks, ...capabilities].filter((a) => a.server).map((a) => ({ what: a.what, offline: a.offline.layer, server: a.server!.layer, message: a.server!.message })),
        disagreements,
    };
}

/** What the run does not cover, said in the report. */
function notCovered(steps: readonly ReplayStep[], checks: CheckRunnerReport): string[] {
    return [
        "engine: the replay engine applied the recorded program (the Pulumi CLI, its Node.js language host and the Kubernetes provider were not built for this run)",
        ...steps.filter((s) => s.outcome === "not-run").map((s) => `${s.name} (${s.type}): ${s.detail}`),
        ...steps.filter((s) => s.outcome === "not-installed").map((s) => `${s.name}: ${s.detail}`),
        "data plane: no proxies run (kwok plays the kubelets, Istio's webhooks made to fail open): each verification pod's script ran in the mesh model (src/judgement/dataplane), a model of Envoy as istiod configures it, over what the API server held when the pod started; the apps' answers are the recorded replies",
        ...checks.standIns.map((s) => `gateway ${s}: its pods are not deployed (its chart, or istiod for a waypoint, is not installed); the model stood in a pod with their labels and identity`),
        ...checks.verdicts.filter((v) => v.outcome === "not-modelled").map((v) => `check ${v.namespace}/${v.check}: not modelled (${v.detail}); its pod was ended Succeeded without a verdict`),
    ];
}

/** How helm reports a release whose hook (a verification Job) failed. */
const HOOK_FAILED = /failed post-install|post-upgrade hooks failed/;

/** Where the apps' recorded replies are (test/fixtures/replies, origin in its ORIGIN.md). */
const REPLIES_DIR = path.join(PROJECT_DIR, "test", "fixtures", "replies");

function checkSummary(r: CheckRunnerReport): ClusterReport["checks"] {
    const of = (o: string) => r.verdicts.filter((v) => v.outcome === o).map((v) => `${v.namespace}/${v.check}: ${v.detail}`);
    return { run: r.verdicts.length, passed: of("passed").length, failed: of("failed"), notModelled: of("not-modelled") };
}

/** Applies a run's stack, judges it, destroys it; the report and every failure. */
export async function runClusterTest(run: ClusterRun, say: (line: string) => void): Promise<{ report: ClusterReport; failures: string[] }> {
    const kubectlPath = await locatePackagedKubectl();
    if (!("path" in kubectlPath)) throw new Error(kubectlPath.missing);
    const helm = await locateHelm();
    if (!("path" in helm)) throw new Error(helm.missing);
    const built = await buildControlPlane(say);
    const tStart = Date.now();
    const state = await startCluster({ binaries: built.paths, say });
    try {
        const { project, stack, config } = runConfig(run, state);
        const workshop = workshopFrom(settingsFromConfig(config, { stack, source: `${run.stack} (run ${run.name})` }));
        const sizing = nodeSizing(workshop);
        await addNodes(kubectlPath.path, state, fakeNodes(sizing));
        const start = (Date.now() - tStart) / 1000;
        say(`${run.name}: Kubernetes ${state.kubernetesVersion}, ${sizing.count} fake nodes of ${sizing.instanceType}; recording the program`);
        const plan = await recordForApply(project, stack, config);
        // What the offline judgement reads: each lessons release's objects as entries of their own.
        const judged: Plan = { ...plan, resources: plan.resources.flatMap(expandLessonsRelease) };
        const upstream = process.env.ISTIO_WORKSHOP_UPSTREAM ?? path.resolve(PROJECT_DIR, "..", "shared", "upstream");
        const tools = {
            kubectl: kubectlPath.path,
            helm: helm.path,
            state,
            projectDir: PROJECT_DIR,
            archiveOf: (repo: string, chart: string, version: string) => {
                const file = path.join(chartCacheDir(), archiveName(repo, chart, version));
                return fs.existsSync(file) ? file : undefined;
            },
            standIn: upstreamBaseCrds(upstream),
            standInManifest: upstreamGatewayApi(upstream),
            say,
        };
        // Verification pods run in the mesh model, over the cluster as it stands when each starts.
        const upWithChecks = async (p: Plan, previous?: PreviousUp) => {
            const runner = new CheckRunner(kubectlPath.path, state, loadReplies(REPLIES_DIR), planMeshConfig(p), say);
            runner.start();
            const steps = await replayUp(p, tools, previous);
            return { steps, checks: await runner.stop() };
        };
        const tUp = Date.now();
        const { steps, checks } = await upWithChecks(plan);
        const up = (Date.now() - tUp) / 1000;
        say(`${run.name}: ${steps.length} resources replayed in ${up.toFixed(0)} s`);

        const pods = (await json(kubectlPath.path, state, ["get", "pods", "-A"])).items as any[];
        const deployments = (await json(kubectlPath.path, state, ["get", "deployments", "-A"])).items as any[];
        const jobs = (await json(kubectlPath.path, state, ["get", "jobs", "-A"])).items as any[];
        const cond = (o: any, type: string) => (o.status?.conditions ?? []).some((c: any) => c.type === type && c.status === "True");
        const name = (o: any) => `${o.metadata.namespace}/${o.metadata.name}`;
        let releaseObjects = 0;
        for (const s of steps.filter((x) => x.outcome === "deployed")) {
            const r = plan.resources.find((x) => x.urn === s.urn)!.inputs as any;
            const args = ["--namespace", r.namespace, "--kubeconfig", state.kubeconfig, "--kube-context", state.context];
            const manifest = (await execHelm(helm.path, ["get", "manifest", r.name, ...args])) + (await execHelm(helm.path, ["get", "hooks", r.name, ...args]));
            releaseObjects += YAML.parseAllDocuments(manifest).filter((d) => d.toJSON()?.kind).length;
        }

        // The attack suite, as the first attendee against the second, with a token of the attendee's own.
        const attendees = workshop.lessons.attendees;
        let attackResults: Awaited<ReturnType<typeof judgeAttacks>> | undefined;
        const ca = fs.readFileSync(path.join(state.dir, "certs", "apiserver.crt")).toString("base64");
        /** A kubeconfig of an attendee's own token (TokenRequest, one hour). */
        const attendeeConfigOf = (id: string) => {
            const access = attendeeAccess(CONTEXT, { server: state.server, certificateAuthorityData: ca }, id);
            const token = mintToken(kubectlPath.path, { kubeconfig: state.kubeconfig, context: state.context }, access, 1);
            const file = path.join(state.dir, `${id}.kubeconfig.json`);
            fs.writeFileSync(file, attendeeKubeconfig(access, token), { mode: 0o600 });
            return file;
        };
        if (attendees.length >= 2) {
            const namespaces = (await json(kubectlPath.path, state, ["get", "namespaces"])).items.map((n: any) => String(n.metadata.name));
            attackResults = await judgeAttacks(judged, kubectlPath.path, attendees[0], attendees[1], attendeeConfigOf(attendees[0]), standInCrds(judged, tools.standInManifest), namespaces);
        }

        // A second pass must change nothing: every object as applied, every release's values as given.
        const tPreview = Date.now();
        const previewChanges = await secondPass(plan, steps, kubectlPath.path, helm.path, state);
        const preview = (Date.now() - tPreview) / 1000;

        // Recovery: a route broken by hand, the class moved on, the edit undone; the last up's plan is what is destroyed.
        let recovery: RecoveryReport | undefined;
        let last: PreviousUp = { plan, steps };
        const upVerdicts = async (p: Plan, previous: PreviousUp) => {
            const u = await upWithChecks(p, previous);
            return { steps: u.steps, verdicts: u.checks.verdicts };
        };
        if (run.recovery) {
            say(`${run.name}: recovery: ${run.recovery.attendee} edits a route by hand; the class moves on`);
            const r = await runRecovery(run.recovery, last, {
                kubectl: kubectlPath.path,
                attendeeConfig: attendeeConfigOf(run.recovery.attendee),
                moved: () => recordForApply(project, stack, runConfig(run, state, run.recovery!.move).config),
                up: upVerdicts,
            });
            recovery = r.report;
            last = r.last;
        }
        let walk: WalkStep[] | undefined;
        if (run.walk) {
            say(`${run.name}: the class walked through ${run.walk.length} moves, one up each`);
            const w = await runWalk(run.walk, last, { moved: (keys) => recordForApply(project, stack, runConfig(run, state, keys).config), up: upVerdicts });
            walk = w.steps;
            last = w.last;
        }

        // The end of the workshop for the second attendee, with a token of their own minted before it.
        const revocation = attendees.length >= 2 ? await runRevocation(kubectlPath.path, { kubeconfig: state.kubeconfig, context: state.context }, attendees[1], attendeeConfigOf(attendees[1])) : undefined;

        const peakMemoryMiB = { apiserver: peakMiB(state, "kube-apiserver"), etcd: peakMiB(state, "etcd") };
        const tDestroy = Date.now();
        const destroyed = await replayDestroy(last.plan, tools);
        const leftAfterDestroy = [...destroyed.filter((s) => s.outcome === "failed").map((s) => `${s.name}: ${s.detail}`), ...(await leftovers(last.plan, kubectlPath.path, helm.path, state))];
        const destroy = (Date.now() - tDestroy) / 1000;

        const report: ClusterReport = {
            run: run.name,
            stack: run.stack,
            kubernetesVersion: state.kubernetesVersion,
            engine: "replay",
            nodes: { count: sizing.count, instanceType: sizing.instanceType },
            objectsApplied: steps.filter((s) => s.outcome === "applied" && s.type.startsWith("kubernetes:")).length + releaseObjects,
            objectsRefused: steps.filter((s) => s.outcome === "failed" || s.outcome === "skipped").map((s) => `${s.name} (${s.type}): ${s.detail}`),
            releasesDeployed: steps.filter((s) => s.outcome === "deployed").map((s) => s.name),
            releasesNotInstalled: steps.filter((s) => s.outcome === "not-installed").map((s) => s.name),
            podsScheduled: pods.filter((p) => p.spec?.nodeName).length,
            podsPending: pods.filter((p) => !p.spec?.nodeName).map((p) => `${name(p)}: ${(p.status?.conditions ?? []).find((c: any) => c.type === "PodScheduled")?.message ?? p.status?.phase}`),
            deploymentsAvailable: deployments.filter((d) => cond(d, "Available")).length,
            deploymentsUnavailable: deployments.filter((d) => !cond(d, "Available")).map(name),
            jobsSucceeded: jobs.filter((j) => cond(j, "Complete")).length,
            jobsFailed: jobs.filter((j) => cond(j, "Failed") || !cond(j, "Complete")).map(name),
            attacks: attackResults?.attacks ?? { tried: 0, refusedAsExpected: 0, admitted: [], refusedByAnotherLayer: [], dataPlane: 0 },
            capabilities: attackResults?.capabilities ?? { tried: 0, allowed: 0, refused: [] },
            lessonObjects: attackResults?.lessonObjects ?? { tried: 0, admitted: 0, refused: [] },
            verdicts: attackResults?.verdicts ?? [],
            ...(attackResults ? { kiali: attackResults.kiali } : {}),
            // The offline plan passes every object it validates (a plan that did not would have failed first): a refusal here is the model's miss.
            modelDisagreements: [
                // A release whose verification hook failed is a failed check (reported as one), not an object the server refused.
                ...steps
                    .filter((x) => x.outcome === "failed" && (x.type.startsWith("kubernetes:") || x.type.startsWith("pulumi:")) && !HOOK_FAILED.test(x.detail ?? ""))
                    .map((x) => `${x.name} (${x.type}): the offline plan admits it; the API server: ${x.detail}`),
                ...(attackResults?.disagreements ?? []),
            ],
            previewChanges,
            leftAfterDestroy,
            checks: checkSummary(checks),
            ...(recovery ? { recovery } : {}),
            ...(walk ? { walk } : {}),
            ...(revocation ? { revocation } : {}),
            notCovered: notCovered(steps, checks),
            seconds: { build: built.seconds, start, up, preview, destroy },
            peakMemoryMiB,
        };
        return { report, failures: failuresOf(report) };
    } finally {
        await stopCluster(state.dir);
    }
}

/** A component's peak resident memory so far (VmHWM), MiB; 0 where it cannot be read. */
function peakMiB(state: ClusterState, c: "kube-apiserver" | "etcd"): number {
    const pid = running(state.dir, c, state.binaries.controlplane);
    if (pid === undefined) return 0;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return hwm ? Math.round(Number(hwm) / 1024) : 0;
}

function execHelm(helm: string, args: readonly string[]): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(helm, [...args], { maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)));
    });
}

/** The second pass: a server-side diff of every plain object applied, and every release's values against its inputs. */
async function secondPass(plan: Plan, steps: readonly ReplayStep[], kubectlPath: string, helm: string, state: ClusterState): Promise<string[]> {
    const changes: string[] = [];
    const applied = steps.filter((s) => s.outcome === "applied" && s.type.startsWith("kubernetes:") && !s.type.startsWith("pulumi:")).map((s) => plan.resources.find((r) => r.urn === s.urn)!);
    const objects = applied.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:")).map((r) => r.inputs);
    if (objects.length > 0) {
        const list = JSON.stringify({ apiVersion: "v1", kind: "List", items: objects });
        try {
            await kubectl(kubectlPath, state, ["diff", "--server-side", "--force-conflicts", "--field-manager=pulumi-kubernetes", "-f", "-"], list);
        } catch (err) {
            changes.push(`objects: ${(err as Error).message.split("\n").slice(0, 6).join(" ")}`);
        }
    }
    for (const s of steps.filter((x) => x.outcome === "deployed")) {
        const r = plan.resources.find((x) => x.urn === s.urn)!.inputs as any;
        const current = JSON.parse(await execHelm(helm, ["get", "values", r.name, "--namespace", r.namespace, "-o", "json", "--kubeconfig", state.kubeconfig, "--kube-context", state.context]));
        if (JSON.stringify(sortKeys(current)) !== JSON.stringify(sortKeys(r.values ?? {}))) changes.push(`release ${r.namespace}/${r.name}: its values differ from the program's`);
    }
    return changes;
}

function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as any)[k])]));
    return v;
}

/** What of the stack is still there after the destroy: its namespaces (waited for), cluster-scoped objects, releases. */
async function leftovers(plan: Plan, kubectlPath: string, helm: string, state: ClusterState): Promise<string[]> {
    const own = plan.resources.filter((r) => !r.renderedBy && r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm"));
    const namespaces = own.filter((r) => (r.inputs as any).kind === "Namespace").map((r) => (r.inputs as any).metadata.name as string);
    const until = Date.now() + 180_000;
    let left: string[] = [];
    while (Date.now() < until) {
        const existing = new Set(((await json(kubectlPath, state, ["get", "namespaces"])).items as any[]).map((n) => n.metadata.name));
        left = namespaces.filter((n) => existing.has(n)).map((n) => `namespace ${n}`);
        if (left.length === 0) break;
        await new Promise((r) => setTimeout(r, 2000));
    }
    for (const r of own.filter((x) => !(x.inputs as any).metadata?.namespace && (x.inputs as any).kind !== "Namespace")) {
        const o = r.inputs as any;
        const found = await kubectl(kubectlPath, state, ["get", "--ignore-not-found", "-o", "name", "-f", "-"], JSON.stringify(o)).catch(() => "");
        if (found.trim() !== "") left.push(`${o.kind} ${o.metadata.name}`);
    }
    const releases = JSON.parse(await execHelm(helm, ["list", "-A", "-o", "json", "--kubeconfig", state.kubeconfig, "--kube-context", state.context]));
    left.push(...(releases as any[]).map((r) => `release ${r.namespace}/${r.name}`));
    return left;
}

/** Every way the run failed, each named. */
export function failuresOf(r: ClusterReport): string[] {
    return [
        ...r.objectsRefused.map((o) => `refused or skipped: ${o}`),
        ...r.podsPending.map((p) => `Pending (the capacity model did not size the nodes for it): ${p}`),
        ...r.deploymentsUnavailable.map((d) => `not Available: ${d}`),
        ...r.jobsFailed.map((j) => `Job not completed: ${j}`),
        ...r.checks.failed.map((c) => `check failed in the mesh model: ${c}`),
        ...r.checks.notModelled.filter((c) => CHECKS_NOT_MODELLED[c.slice(c.indexOf("/") + 1, c.indexOf(":"))] === undefined).map((c) => `check the mesh model cannot run: ${c}`),
        ...r.attacks.admitted.map((a) => `attack admitted by the API server: ${a}`),
        ...r.attacks.refusedByAnotherLayer.map((a) => `attack refused by another layer than the suite names: ${a}`),
        ...r.capabilities.refused.map((c) => `capability refused by the API server: ${c}`),
        ...r.lessonObjects.refused.map((c) => `lesson object refused to its attendee: ${c}`),
        ...(r.kiali?.problems ?? []),
        ...r.modelDisagreements.map((d) => `model disagreement: ${d}`),
        ...r.previewChanges.map((c) => `the second pass would change: ${c}`),
        ...r.leftAfterDestroy.map((l) => `left after destroy: ${l}`),
        ...(r.recovery ? recoveryFailures(r.recovery) : []),
        ...(r.walk ? walkFailures(r.walk) : []),
        ...(r.revocation ? revocationFailures(r.revocation) : []),
    ];
}

/** One readable line per item of the report. */
export function reportLines(r: ClusterReport): string[] {
    return [
        `${r.run} (stack ${r.stack}, Kubernetes ${r.kubernetesVersion}, engine ${r.engine}, ${r.nodes.count} × ${r.nodes.instanceType} fake nodes)`,
        `  objects applied ${r.objectsApplied}, refused or skipped ${r.objectsRefused.length}; releases deployed ${r.releasesDeployed.length} (${r.releasesDeployed.join(", ")}), not installed ${r.releasesNotInstalled.length}`,
        `  pods scheduled ${r.podsScheduled}, Pending ${r.podsPending.length}; Deployments Available ${r.deploymentsAvailable}, not ${r.deploymentsUnavailable.length}; Jobs succeeded ${r.jobsSucceeded}, failed ${r.jobsFailed.length}`,
        `  checks run in the mesh model ${r.checks.run}: passed ${r.checks.passed}, failed ${r.checks.failed.length}, not modelled ${r.checks.notModelled.length}`,
        `  attacks the API server judges ${r.attacks.tried}: refused by the layer the suite names ${r.attacks.refusedAsExpected}, by another ${r.attacks.refusedByAnotherLayer.length}, admitted ${r.attacks.admitted.length} (${r.attacks.dataPlane} more are the data plane's: judged offline only)`,
        `  capabilities ${r.capabilities.allowed} of ${r.capabilities.tried} allowed; lesson objects ${r.lessonObjects.admitted} of ${r.lessonObjects.tried} admitted to their attendee`,
        ...(r.kiali ? [`  Kiali's namespaces for ${r.kiali.attendee}'s token (Kiali's algorithm over the API server): ${r.kiali.visible.join(", ") || "none"}`] : []),
        `  model disagreements ${r.modelDisagreements.length}; second pass changes ${r.previewChanges.length}; left after destroy ${r.leftAfterDestroy.length}`,
        `  seconds: build ${r.seconds.build.toFixed(0)}, start ${r.seconds.start.toFixed(0)}, up ${r.seconds.up.toFixed(0)}, second pass ${r.seconds.preview.toFixed(0)}, destroy ${r.seconds.destroy.toFixed(0)}; peak memory: kube-apiserver ${r.peakMemoryMiB.apiserver} MiB, etcd ${r.peakMemoryMiB.etcd} MiB`,
        ...(r.recovery ? recoveryLines(r.recovery) : []),
        ...(r.walk ? walkLines(r.walk) : []),
        ...(r.revocation ? [`  ${revocationLine(r.revocation)}`] : []),
        ...r.notCovered.map((n) => `  not covered: ${n}`),
    ];
}

