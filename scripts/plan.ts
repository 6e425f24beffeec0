/**
 * Offline plan: `npm run plan -- --stack <name> [--json <file>]`.
 *
 * Loads Pulumi.yaml and Pulumi.<stack>.yaml as the CLI would, validates the
 * settings, runs the real program (index.ts) under Pulumi's mock runtime and
 * prints what it would register. Bad config exits 1 with the settings error and
 * registers nothing.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { MeshCheckError } from "../src/lessons/analyze";
import { SettingsError, settingsFromConfig } from "../src/settings/parse";
import { describeCapacity } from "../src/workshop/capacity";
import { workshopFrom } from "../src/workshop/resolve";
import { isolationSummary } from "../src/judgement/attacks/attackSuite";
import { meshGraph } from "../src/judgement/plan/graph";
import { diffPlans, formatDiff } from "../src/judgement/plan/planDiff";
import { disablePromiseDebugging, recordProgram, writePlanJson } from "../src/judgement/plan/recorder";
import { type Plan } from "../src/judgement/plan/plan";
import { locateHelm } from "../src/tooling/helm";
import { Renderer, chartCacheDir, describeReleases, renderPlan } from "../src/judgement/plan/render";
import { checkPlan, policyLevels, validationSummary } from "../src/judgement/checks/validatePlan";
import { chartValueChecks } from "../src/judgement/checks/valuesCheck";
import { showProgress } from "../src/tooling/progress";
import { StackConfigError, loadStackConfig } from "../src/settings/stackFile";
import { formatPlan, securityControls } from "../src/judgement/plan/summary";

const PROJECT_DIR = path.resolve(__dirname, "..");
const USAGE = [
    "usage: npm run plan -- --stack <name> [options]",
    "  --json <file>           write the plan as JSON",
    "  --diff <old.json>       show what changed since an earlier plan (--json output)",
    "  --expect-no-changes     with --diff: exit 3 when anything changed",
    "  --graph <file>          write the mesh (services, versions, routes, gateway paths) as a Mermaid chart",
    "  --policy-config <file>  policy levels, as for pulumi's --policy-pack-config (e.g. policy/lesson-permissive-mtls.json)",
    "  --dir <directory>       where Pulumi.yaml and the stack file are (default: this project)",
    "  --quiet                 print only warnings and the validation's verdict (what `npm run up` shows first)",
].join("\n");

/** What the plan is doing, on stderr, with the seconds since it started: large plans take a while. */
function progress(started: number, what: string): void {
    if (showProgress()) process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}\n`);
}

/** A mistake the user can fix: printed as a message, never as a stack trace. */
function fail(message: string): never {
    process.stderr.write(`${message}\n`);
    process.exit(1);
}

async function main(): Promise<void> {
    // The Pulumi SDK records a stack trace for every resource and promise; with a source-map hook (ts-node's)
    // source-map support each one is mapped through source maps, which dominates the run time
    // of large plans. The plan prints messages, not stack traces: use V8's plain formatting, short.
    (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
    Error.stackTraceLimit = 3;
    disablePromiseDebugging();
    let args;
    try {
        args = parseArgs({ options: {
                stack: { type: "string" },
                json: { type: "string" },
                dir: { type: "string" },
                diff: { type: "string" },
                "expect-no-changes": { type: "boolean" },
                graph: { type: "string" },
                "policy-config": { type: "string" },
                quiet: { type: "boolean" },
                help: { type: "boolean" },
            }, }).values;
    } catch (err) {
        fail(`${(err as Error).message}\n${USAGE}`);
    }
    if (args.help) {
        process.stdout.write(`${USAGE}\n`);
        return;
    }
    if (!args.stack) fail(`--stack is required\n${USAGE}`);
    if (args["expect-no-changes"] && !args.diff) fail(`--expect-no-changes needs --diff <old.json>\n${USAGE}`);
    const previous = args.diff !== undefined ? readPlan(args.diff) : undefined;

    const started = Date.now();
    const stackConfig = loadStackConfig(args.dir ?? PROJECT_DIR, args.stack);
    // Validate first: invalid settings register nothing.
    const settings = settingsFromConfig(stackConfig.config, { stack: stackConfig.stack, source: stackConfig.file });
    const workshop = workshopFrom(settings);
    progress(started, `settings valid; running the program under mocks (${workshop.lessons.attendees.length} attendees)`);

    const recorded = await recordProgram({
        project: stackConfig.project,
        stack: stackConfig.stack,
        config: stackConfig.config,
        secretKeys: stackConfig.secretKeys,
        preview: true,
        program: () => ({ ...require(path.join(PROJECT_DIR, "index")) }),
    });

    progress(started, `${recorded.resources.length} resources registered; rendering the Helm releases`);
    // The Helm releases, rendered by a real helm from the chart cache, join the plan object by object.
    const helm = await locateHelm();
    const renderer = "path" in helm ? new Renderer(helm, chartCacheDir(), workshop.settings.cluster.kubernetesVersion) : helm;
    const { plan, releases } = await renderPlan(recorded, renderer);
    const chartChecks = renderer instanceof Renderer ? await chartValueChecks(renderer, plan, releases) : {};

    progress(started, `${plan.resources.length} objects in the plan; validating`);
    if (args.quiet) {
        if (workshop.warnings.length > 0) process.stdout.write(`Warnings:\n${workshop.warnings.map((w) => `  ! ${w}`).join("\n")}\n`);
    } else {
        process.stdout.write(`${formatPlan(plan, workshop.warnings, describeCapacity(workshop.capacity))}\n`);
        process.stdout.write(`\n${securityControls(plan).join("\n")}\n`);
        process.stdout.write(`\nHelm releases (helm: ${"path" in helm ? `${helm.version} from ${helm.source}` : helm.missing}; chart cache: ${chartCacheDir()}):\n`);
        describeReleases(releases).forEach((line) => process.stdout.write(`  ${line}\n`));
    }
    if (process.env.PLAN_STATS_FILE) {
        // For `npm run bench`: this process's peak memory.
        fs.writeFileSync(process.env.PLAN_STATS_FILE, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
    }
    if (args.json) {
        fs.mkdirSync(path.dirname(path.resolve(args.json)), { recursive: true });
        writePlanJson(args.json, plan);
        process.stdout.write(`\nPlan written to ${args.json}\n`);
    }
    if (args.graph) {
        fs.writeFileSync(args.graph, meshGraph(plan));
        process.stdout.write(`Mesh graph (Mermaid) written to ${args.graph}\n`);
    }
    const levels = args["policy-config"] !== undefined ? readPolicyConfig(args["policy-config"]) : {};
    const report = checkPlan(plan, { levels, releases, ...chartChecks });
    report.advisory.forEach((w) => process.stdout.write(`  ! advisory ${w}\n`));
    if (report.notChecked.length > 0 && args.quiet) {
        process.stdout.write(`Not checked: ${report.notChecked.length} items (run \`npm run plan -- --stack ${args.stack}\` for the list)\n`);
    } else if (report.notChecked.length > 0) {
        process.stdout.write(`\nNot checked (${report.notChecked.length}):\n${report.notChecked.map((n) => `  - ${n}`).join("\n")}\n`);
    }
    const problems = report.problems;
    if (problems.length > 0) fail(`\nPlan validation failed (${problems.length} problems):\n${problems.map((p) => ` - ${p}`).join("\n")}`);
    process.stdout.write(`\nValidation passed: ${validationSummary(report)}\n`);
    const isolation = isolationSummary(report.isolation);
    if (isolation) process.stdout.write(`${isolation}\n`);
    if (previous) {
        const diff = diffPlans(previous, plan);
        process.stdout.write(`\n${formatDiff(diff, previous, plan)}\n`);
        const changed = diff.added.length + diff.removed.length + diff.changed.length > 0;
        if (args["expect-no-changes"] && changed) process.exit(3);
    }
}

function readPolicyConfig(file: string) {
    try {
        return policyLevels(JSON.parse(fs.readFileSync(file, "utf8")));
    } catch (err) {
        fail(`--policy-config ${file}: ${(err as Error).message.split("\n")[0]}`);
    }
}

/** A plan written earlier with --json. */
function readPlan(file: string): Plan {
    let plan: Plan;
    try {
        plan = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        fail(`--diff ${file}: cannot read a plan (${(err as Error).message.split("\n")[0]})`);
    }
    if (!Array.isArray(plan.resources)) fail(`--diff ${file}: not a plan written by --json`);
    return plan;
}

function report(err: unknown): never {
    if (err instanceof SettingsError || err instanceof StackConfigError || err instanceof MeshCheckError) fail(err.message);
    throw err;
}

process.on("unhandledRejection", report);
main().catch(report);
