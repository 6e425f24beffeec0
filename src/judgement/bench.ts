/**
 * `npm run bench`: for classrooms of 10, 30, 100 and 300 attendees, the largest
 * class one stack's cluster holds (and none), runs the offline plan as a user
 * would and prints what it measured (plan time, peak memory), then what a real
 * `up` of each would cost by the model of `plan/upModel.ts` (state,
 * checkpoint bytes, Kubernetes objects, pods, proxies, image pulls, istiod
 * pushes, proxy memory) with a recommendation; then the dev stack's plan, plain
 * and with every Helm release rendered (when the chart cache is present). A
 * report, not a test: it prints numbers and the targets next to them; it fails
 * only if a plan fails.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { maxAttendeesPerCluster } from "../workshop/capacity";
import { unscopedProxyMemoryMi } from "../mesh/meshScale";
import { settingsFromConfig } from "../settings/parse";
import { MAX_ATTENDEES } from "../settings/classroom";
import { nodesForClass, workshopFrom } from "../workshop/resolve";
import { lessonServices } from "../workshop/lessons";
import { criticalPath } from "./plan/criticalPath";
import { CHECK_BUDGET_SECONDS, CHECK_TIME_BASIS, slowestStages } from "./checks/checkTimes";
import type { Plan } from "./plan/plan";
import { CHART_CACHE_ENV, chartCacheDir } from "./plan/render";
import { loadStackConfig } from "../settings/stackFile";
import { recommendation, upModel } from "./plan/upModel";
import { runClusterTest } from "./cluster/clusterTest";

/** The project: where the plan command and the stack files are. */
const ROOT = path.resolve(__dirname, "..", "..");
const SIZES = [0, 10, 30, 100, 300];
const INSTANCE_TYPE = "m6i.xlarge";
/** Plan targets on this machine: attendees → seconds and megabytes. */
const TARGETS: Record<string, { seconds: number; megabytes: number }> = { 300: { seconds: 5, megabytes: 500 }, largest: { seconds: 15, megabytes: 1536 } };
const DEV_TARGET = { plain: 1.5, rendered: 3 };

function stackFile(attendees: number): string {
    return [
        "config:",
        "  istio-workshop:cluster:",
        '    adminCidrs: ["0.0.0.0/0"]',
        `    nodeGroup: { instanceType: ${INSTANCE_TYPE}, capacityType: on-demand }`,
        `  istio-workshop:attendees: ${attendees}`,
        "",
    ].join("\n");
}

interface Timed {
    readonly seconds: number;
    readonly megabytes: number;
    readonly stdout: string;
}

/** One plan run as a user runs it, timed, with its peak memory. */
function timePlan(args: string[], env: NodeJS.ProcessEnv): Timed {
    const stats = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "iw-bench-stats-")), "stats.json");
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ["-r", "sucrase/register/ts", path.join(ROOT, "scripts/plan.ts"), ...args], {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, ...env, PLAN_STATS_FILE: stats },
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (r.status !== 0) throw new Error(`plan ${args.join(" ")} failed:\n${r.stderr}`);
    return { seconds, megabytes: JSON.parse(fs.readFileSync(stats, "utf8")).maxRssKb / 1024, stdout: r.stdout };
}

const median = (runs: Timed[]) => [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)];
const mb = (b: number) => (b / 1024 ** 2).toFixed(1);
const gb = (b: number) => (b / 1024 ** 3).toFixed(2);
const pad = (v: string | number, n: number) => String(v).padStart(n);

/** Class sizes applied to the real control plane with `--cluster`. */
export const CLUSTER_BENCH_SIZES = [30, 300];

/**
 * Runs the benchmark, printing each line through `out` as it is measured; with `cluster`, the
 * classes of `CLUSTER_BENCH_SIZES` are also applied to the real control plane (`npm run
 * test:cluster`'s run, fake nodes as the capacity model sizes them): apply time, the API server's
 * and etcd's peak memory, beside the model's objects and pods.
 */
export async function runBench(out: (line?: string) => void, options: { readonly cluster?: boolean } = {}): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-bench-"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    // Classroom plans without chart renders: what grows with the class is the stack's own part.
    const noCharts = { [CHART_CACHE_ENV]: fs.mkdtempSync(path.join(os.tmpdir(), "iw-bench-nocharts-")) };
    out(`Offline plan benchmark on ${os.cpus().length} cores, Node ${process.version}, ${INSTANCE_TYPE} nodes (each row: one plan run; the model: src/judgement/plan/upModel.ts)`);
    out();
    const settingsOf = (n: number) => {
        fs.writeFileSync(path.join(dir, `Pulumi.bench${n}.yaml`), stackFile(n));
        const cfg = loadStackConfig(dir, `bench${n}`);
        return settingsFromConfig(cfg.config, { stack: `bench${n}`, source: cfg.file });
    };
    const probe = workshopFrom(settingsOf(1));
    // The largest class one cluster holds, or the settings' own bound where that is lower.
    const holds = maxAttendeesPerCluster(nodesForClass(probe.settings, probe.lessons));
    const largest = Math.min(holds, MAX_ATTENDEES);
    out("attendees  Pulumi resources  plan s  peak MB  target");
    const rows = [...SIZES, largest].map((n) => {
        const stack = `bench${n}`;
        fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stackFile(n));
        const json = path.join(dir, `${stack}.json`);
        const timed = timePlan(["--stack", stack, "--dir", dir, "--json", json], noCharts);
        const plan: Plan = JSON.parse(fs.readFileSync(json, "utf8"));
        const cfg = loadStackConfig(dir, stack);
        const s = settingsFromConfig(cfg.config, { stack, source: cfg.file });
        const prepared = workshopFrom(s);
        const maxPerCluster = maxAttendeesPerCluster(nodesForClass(prepared.settings, prepared.lessons));
        const model = upModel(plan, prepared.capacity.nodes, 1);
        const t = TARGETS[n === largest ? "largest" : String(n)];
        const target = t ? `< ${t.seconds} s, < ${t.megabytes} MB: ${timed.seconds < t.seconds && timed.megabytes < t.megabytes ? "met" : "NOT met"}` : "";
        out(`${pad(n, 9)}  ${pad(model.pulumiResources, 16)}  ${pad(timed.seconds.toFixed(2), 6)}  ${pad(timed.megabytes.toFixed(0), 7)}  ${target}`);
        return { n, plan, prepared, model, maxPerCluster, timed };
    });
    const zero = rows[0].model.pulumiResources;
    out(`Pulumi resources per attendee: ${rows.slice(1).map((r) => ((r.model.pulumiResources - zero) / r.n).toFixed(1)).join(", ")} (target ≤ 8)`);
    out();
    out("A real `up`, modelled:");
    out("attendees  nodes  state MB  self-managed GB  journaled MB  k8s objects    pods  proxies  image pulls  istiod pushes scoped / unscoped  proxy MiB scoped / unscoped");
    for (const r of rows) {
        const m = r.model;
        const namespaces = Math.max(1, r.n);
        out(
            `${pad(r.n, 9)}  ${pad(r.prepared.capacity.nodes, 5)}  ${pad(mb(m.stateBytes), 8)}  ${pad(gb(m.checkpointBytes.selfManaged), 15)}  ${pad(mb(m.checkpointBytes.journaled), 12)}  ${pad(m.kubernetesObjects, 11)}  ${pad(m.pods, 6)}  ${pad(m.proxies, 7)}  ${pad(`${m.imagePulls} (${m.distinctImages.length})`, 11)}  ${pad(`${m.pushes.scoped} / ${m.pushes.unscoped}`, 32)}  ${pad(`${r.prepared.lessons.mesh.proxy.memoryMi.toFixed(0)} / ${unscopedProxyMemoryMi(r.prepared.settings, lessonServices(r.prepared.lessons.classLessons), namespaces).toFixed(0)}`, 27)}`,
        );
    }
    out();
    out("Recommendation per class size (a self-managed backend writes the whole snapshot twice per step):");
    for (const r of rows.slice(1)) out(`  ${pad(r.n, 5)} attendees: ${recommendation(r.model, r.n, r.maxPerCluster)}`);
    const last = rows[rows.length - 1];
    out();
    out(`One cluster holds at most ${holds} attendees on ${INSTANCE_TYPE} (450 nodes per managed node group, an EKS quota, with 25 % headroom); the settings allow at most ${MAX_ATTENDEES}.`);
    // A class larger than that: the plan must refuse it, naming the limit.
    const tooLarge = largest + 1;
    try {
        workshopFrom(settingsOf(tooLarge));
        out(`${tooLarge} attendees: planned, NOT refused`);
    } catch (err) {
        out(`${tooLarge} attendees: refused by the plan, as it must be: ${(err as Error).message.split("\n").slice(1).map((l) => l.replace(/^ - /, "")).join("; ")}`);
    }
    out(`istiod for ${rows[4].n} attendees: ${rows[4].prepared.lessons.mesh.istiod.replicas} replicas of ${rows[4].prepared.lessons.mesh.istiod.resources.requests.cpu} / ${rows[4].prepared.lessons.mesh.istiod.resources.requests.memory} (${rows[4].prepared.lessons.mesh.istiod.proxiesPerReplica} proxies each); sidecars ${JSON.stringify(rows[4].prepared.lessons.mesh.proxy.resources)}`);
    out(`Image pull plan: ${last.model.distinctImages.length} distinct images of the stack's own pods × up to ${last.prepared.capacity.nodes} nodes; with cluster.imageCache: ecr each is fetched from its registry once (docs/operations.md, "Operations at scale").`);
    const cp = criticalPath(rows[3].plan);
    out(`Critical path (${rows[3].n} attendees): ${Math.floor(cp.seconds / 60)}m${String(Math.round(cp.seconds % 60)).padStart(2, "0")}s: ${cp.path.join(" -> ")}`);
    // Checks: the longest a namespace's take, every lesson on, each at its slowest stage (the plan's demo namespace).
    const every = "benchEveryLesson";
    fs.writeFileSync(path.join(dir, `Pulumi.${every}.yaml`), `${stackFile(0)}  istio-workshop:apps: { mtls: true, tcp: true, egress: true }\n  istio-workshop:istio: { egressGateway: true }\n`);
    timePlan(["--stack", every, "--dir", dir, "--json", path.join(dir, `${every}.json`)], noCharts);
    const everyPlan: Plan = JSON.parse(fs.readFileSync(path.join(dir, `${every}.json`), "utf8"));
    const worst = slowestStages(everyPlan, "demo", settingsOf(0).apps.verify.requests);
    const verdict = worst.seconds <= CHECK_BUDGET_SECONDS ? "met" : "NOT met";
    out(`Longest verification of a namespace, every lesson at its slowest stage (${CHECK_TIME_BASIS}): ${Math.floor(worst.seconds / 60)}m${String(worst.seconds % 60).padStart(2, "0")}s (target ≤ ${CHECK_BUDGET_SECONDS / 60} min: ${verdict})`);
    out(`  ${worst.stages.map((s) => `${s.lesson}/${s.stage} ${s.seconds} s`).join(", ")}`);
    const cost = rows.slice(1).map((r) => (r.plan.outputs.capacity as { cost?: { perAttendeeHour?: number } }).cost?.perAttendeeHour);
    out(`Cost per attendee-hour: ${cost.map((c) => (c === undefined ? "-" : `$${c.toFixed(3)}`)).join(", ")}`);
    out();
    devPlans().forEach((line) => out(line));
    if (!options.cluster) return;
    out();
    out(`Applied to the real control plane (replay engine; ${INSTANCE_TYPE} kwok nodes as the capacity model sizes them):`);
    out("attendees  nodes  k8s objects (modelled)  pods scheduled (modelled) / Pending  up s  destroy s  kube-apiserver MiB  etcd MiB  failures");
    for (const n of CLUSTER_BENCH_SIZES) {
        const modelled = rows.find((r) => r.n === n)?.model;
        const run = { name: `bench-${n}`, stack: "local", overrides: { attendees: n, cluster: { nodeGroup: { instanceType: INSTANCE_TYPE } } } };
        const { report, failures } = await runClusterTest(run, () => undefined);
        out(
            `${pad(n, 9)}  ${pad(report.nodes.count, 5)}  ${pad(`${report.objectsApplied} (${modelled?.kubernetesObjects ?? "-"})`, 22)}  ${pad(`${report.podsScheduled} (${modelled?.pods ?? "-"}) / ${report.podsPending.length}`, 36)}  ${pad(report.seconds.up.toFixed(0), 4)}  ${pad(report.seconds.destroy.toFixed(0), 9)}  ${pad(report.peakMemoryMiB.apiserver, 18)}  ${pad(report.peakMemoryMiB.etcd, 8)}  ${failures.length}`,
        );
    }
}
/** The shipped dev stack's plan: plain (median of 3), and with every release rendered, from an empty render cache and warm. */
function devPlans(): string[] {
    const plain = median([0, 1, 2].map(() => timePlan(["--stack", "dev"], { [CHART_CACHE_ENV]: fs.mkdtempSync(path.join(os.tmpdir(), "iw-bench-nocharts-")) })));
    const lines = [`Dev plan, no chart cache (median of 3): ${plain.seconds.toFixed(2)} s, ${plain.megabytes.toFixed(0)} MB (target < ${DEV_TARGET.plain} s: ${plain.seconds < DEV_TARGET.plain ? "met" : "NOT met"})`];
    const cache = chartCacheDir();
    if (!fs.existsSync(path.join(cache, "istio"))) {
        return [...lines, `Dev plan with rendering: not measured (no chart cache at ${cache}: run \`npm run charts\`)`];
    }
    // A copy of the chart archives without their cached renders: the first plan renders everything.
    const cold = fs.mkdtempSync(path.join(os.tmpdir(), "iw-bench-charts-"));
    for (const repo of fs.readdirSync(cache).filter((d) => !d.startsWith("."))) fs.cpSync(path.join(cache, repo), path.join(cold, repo), { recursive: true });
    const first = timePlan(["--stack", "dev"], { [CHART_CACHE_ENV]: cold });
    const warm = median([0, 1, 2].map(() => timePlan(["--stack", "dev"], { [CHART_CACHE_ENV]: cold })));
    const releases = (warm.stdout.match(/^\s+\S+: chart .*objects rendered/gm) ?? []).length;
    return [
        ...lines,
        `Dev plan with every release rendered (${releases} releases, target ${DEV_TARGET.rendered} s warm):`,
        `  empty render cache (a render per release and per values key for the values check): ${first.seconds.toFixed(2)} s, ${first.megabytes.toFixed(0)} MB`,
        `  warm render cache (median of 3): ${warm.seconds.toFixed(2)} s, ${warm.megabytes.toFixed(0)} MB (${warm.seconds < DEV_TARGET.rendered ? "met" : "NOT met"})`,
    ];
}
