/**
 * Offline plan: `npm run plan -- --stack <name> [options]` (`src/judgement/planStack.ts`):
 * what `up` would create, every object, validated. Bad config exits 1 with the
 * settings' error and registers nothing.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { PlanFileError, checkPlanArguments, readPlan, readPolicyConfig, userPath, writePlanOutputs } from "../src/judgement/planFiles";
import { planStack, planText, verdictText } from "../src/judgement/planStack";
import { diffPlans, formatDiff } from "../src/judgement/plan/planDiff";
import { MeshCheckError } from "../src/lessons/analyze";
import { SettingsError } from "../src/settings/parse";
import { StackConfigError } from "../src/settings/stackFile";
import { showProgress } from "../src/tooling/progress";

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
    "  --verbose               every resource under its component, every output, every release (default: the first screen, counted)",
    "  --strict                fail when anything was left unchecked (a chart not rendered, a schema not known)",
].join("\n");

/** A mistake the user can fix: printed as a message, never as a stack trace. */
function fail(message: string): never {
    process.stderr.write(`${message}\n`);
    process.exit(1);
}

async function main(): Promise<void> {
    let args;
    try {
        args = parseArgs({ options: { stack: { type: "string" }, json: { type: "string" }, dir: { type: "string" }, diff: { type: "string" }, "expect-no-changes": { type: "boolean" }, graph: { type: "string" }, "policy-config": { type: "string" }, quiet: { type: "boolean" }, verbose: { type: "boolean" }, strict: { type: "boolean" }, help: { type: "boolean" } } }).values;
    } catch (err) {
        return fail(`${(err as Error).message}\n${USAGE}`);
    }
    if (args.help) return void process.stdout.write(`${USAGE}\n`);
    // Paths as the user typed them, from where they ran npm.
    for (const k of ["json", "dir", "diff", "graph", "policy-config"] as const) if (args[k] !== undefined) args[k] = userPath(args[k]!);
    const refusal = checkPlanArguments(args);
    if (refusal) return fail(`${refusal}\n${USAGE}`);
    const previous = args.diff !== undefined ? readPlan(args.diff) : undefined;
    const levels = args["policy-config"] !== undefined ? readPolicyConfig(args["policy-config"]) : {};
    const started = Date.now();
    const progress = (what: string) => showProgress() && process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}\n`);
    const planned = await planStack({ stack: args.stack!, dir: args.dir ?? PROJECT_DIR, programDir: PROJECT_DIR, levels, progress });
    const options = { quiet: args.quiet, verbose: args.verbose, stack: args.stack! };
    process.stdout.write(planText(planned, options).text);
    // For `npm run bench`: this process's peak memory.
    if (process.env.PLAN_STATS_FILE) fs.writeFileSync(process.env.PLAN_STATS_FILE, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
    process.stdout.write(writePlanOutputs(planned.plan, { json: args.json, graph: args.graph }));
    process.stdout.write(verdictText(planned.report, options));
    const problems = planned.report.problems;
    if (problems.length > 0) fail(`\nPlan validation failed (${problems.length} problems):\n${problems.map((p) => ` - ${p}`).join("\n")}`);
    if (args.strict && planned.report.notChecked.length > 0) fail(`\n--strict: ${planned.report.notChecked.length} items were not checked (\`npm run plan -- --stack ${args.stack} --verbose\` lists them; most need \`npm run charts\`): nothing goes on from here`);
    if (previous) {
        const diff = diffPlans(previous, planned.plan);
        process.stdout.write(`\n${formatDiff(diff, previous, planned.plan)}\n`);
        if (args["expect-no-changes"] && diff.added.length + diff.removed.length + diff.changed.length > 0) process.exit(3);
    }
}

function report(err: unknown): never {
    if (err instanceof SettingsError || err instanceof StackConfigError || err instanceof MeshCheckError || err instanceof PlanFileError) fail(err.message);
    throw err;
}

process.on("unhandledRejection", report);
main().catch(report);
