/**
 * `npm run bench`: for classrooms of 0, 10, 30, 100 and 300 attendees, runs the
 * offline plan as a user would and prints what it measured — resource count,
 * wall time and peak memory of the plan, the modelled provisioning critical path
 * and the estimated cost — then the dev stack's plan with every Helm release
 * rendered (when the chart cache is present), from an empty render cache and warm. A report, not a test: it prints numbers and the
 * targets next to them; it fails only if a plan fails.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { criticalPath } from "./lib/criticalPath";
import type { Plan } from "./lib/recorder";
import { CHART_CACHE_ENV, chartCacheDir } from "./lib/render";

const ROOT = path.resolve(__dirname, "..");
const SIZES = [0, 10, 30, 100, 300];
const TARGET = { attendees: 100, seconds: 5, megabytes: 500 };
const DEV_TARGET_SECONDS = 3;

function stackFile(attendees: number): string {
    return [
        "config:",
        "  istio-workshop:cluster:",
        '    adminCidrs: ["0.0.0.0/0"]',
        "    nodeGroup: { instanceType: m6i.xlarge, capacityType: on-demand }",
        `  istio-workshop:attendees: ${attendees}`,
        "",
    ].join("\n");
}

interface Row {
    attendees: number;
    resources: number;
    seconds: number;
    megabytes: number;
    pathSeconds: number;
    path: string[];
    perHour: number;
    perAttendeeHour?: number;
}

function run(dir: string, attendees: number): Row {
    const stack = `bench${attendees}`;
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stackFile(attendees));
    const json = path.join(dir, `${stack}.json`);
    const stats = path.join(dir, `${stack}.stats.json`);
    const started = process.hrtime.bigint();
    const r = spawnSync(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", path.join(ROOT, "scripts/plan.ts"), "--stack", stack, "--dir", dir, "--json", json],
        { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, PLAN_STATS_FILE: stats } },
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (r.status !== 0) throw new Error(`plan of ${attendees} attendees failed:\n${r.stderr}`);
    const plan: Plan = JSON.parse(fs.readFileSync(json, "utf8"));
    const { maxRssKb } = JSON.parse(fs.readFileSync(stats, "utf8"));
    const cp = criticalPath(plan);
    const cost = (plan.outputs.capacity as { cost?: { perHour: number; perAttendeeHour?: number } }).cost;
    return {
        attendees,
        resources: plan.resources.filter((r) => !r.renderedBy).length,
        seconds,
        megabytes: maxRssKb / 1024,
        pathSeconds: cp.seconds,
        path: cp.path,
        perHour: cost?.perHour ?? 0,
        perAttendeeHour: cost?.perAttendeeHour,
    };
}

/** The shipped dev stack's plan with every release rendered: once from an empty render cache, then warm. */
function renderedDevPlan(): string[] {
    const cache = chartCacheDir();
    if (!fs.existsSync(path.join(cache, "istio"))) {
        return [`Dev plan with rendering: not measured (no chart cache at ${cache}: run \`npm run charts\`)`];
    }
    // A copy of the chart archives without their cached renders: the first plan renders everything.
    const cold = fs.mkdtempSync(path.join(os.tmpdir(), "iw-bench-charts-"));
    for (const repo of fs.readdirSync(cache).filter((d) => !d.startsWith("."))) fs.cpSync(path.join(cache, repo), path.join(cold, repo), { recursive: true });
    const time = () => {
        const stats = path.join(cold, "stats.json");
        const started = process.hrtime.bigint();
        const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "scripts/plan.ts"), "--stack", "dev"], {
            cwd: ROOT,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            env: { ...process.env, PLAN_STATS_FILE: stats, [CHART_CACHE_ENV]: cold },
        });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (r.status !== 0) throw new Error(`dev plan failed:\n${r.stderr}`);
        const rendered = /^\s+\S+: chart .*objects rendered/gm;
        return { seconds, megabytes: JSON.parse(fs.readFileSync(stats, "utf8")).maxRssKb / 1024, releases: (r.stdout.match(rendered) ?? []).length };
    };
    const first = time();
    const warm = [time(), time(), time()].sort((a, b) => a.seconds - b.seconds)[1];
    return [
        `Dev plan with every release rendered (${first.releases} releases, target ${DEV_TARGET_SECONDS} s):`,
        `  empty render cache (helm template per release, and per values key for the values check): ${first.seconds.toFixed(2)} s, ${first.megabytes.toFixed(0)} MB`,
        `  warm render cache (median of 3):                                                         ${warm.seconds.toFixed(2)} s, ${warm.megabytes.toFixed(0)} MB`,
    ];
}

function main(): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-bench-"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    process.stdout.write(`Offline plan benchmark on ${os.cpus().length} cores, Node ${process.version} (each row: one plan run)\n\n`);
    process.stdout.write("attendees  Pulumi resources  plan wall s  peak MB  critical path  cost $/h  $/attendee-h\n");
    const rows: Row[] = [];
    for (const n of SIZES) {
        const row = run(dir, n);
        rows.push(row);
        const minutes = `${Math.floor(row.pathSeconds / 60)}m${String(Math.round(row.pathSeconds % 60)).padStart(2, "0")}s`;
        process.stdout.write(
            `${String(n).padStart(9)}  ${String(row.resources).padStart(16)}  ${row.seconds.toFixed(2).padStart(11)}  ${row.megabytes.toFixed(0).padStart(7)}  ${minutes.padStart(13)}  ${row.perHour.toFixed(2).padStart(8)}  ${row.perAttendeeHour?.toFixed(3).padStart(12) ?? "           -"}\n`,
        );
    }
    const at = rows.find((r) => r.attendees === TARGET.attendees)!;
    const paths = new Set(rows.filter((r) => r.attendees > 0).map((r) => r.pathSeconds));
    const slopes = rows.slice(2).map((r, i) => (r.perHour - rows[i + 1].perHour) / (r.attendees - rows[i + 1].attendees));
    process.stdout.write(
        [
            "",
            `Target: ${TARGET.attendees} attendees planned in under ${TARGET.seconds} s and ${TARGET.megabytes} MB: measured ${at.seconds.toFixed(2)} s and ${at.megabytes.toFixed(0)} MB`,
            `Critical path with attendees: ${[...paths].map((s) => `${s} s`).join(", ")} (${paths.size === 1 ? "independent of the attendee count" : "varies with the attendee count"})`,
            `Critical path: ${at.path.join(" -> ")}`,
            `Cost per additional attendee-hour between sizes: ${slopes.map((s) => `$${s.toFixed(4)}`).join(", ")}`,
            "",
            ...renderedDevPlan(),
            "",
        ].join("\n"),
    );
}

main();
