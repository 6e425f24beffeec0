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
import { MeshCheckError } from "../components/scenarios/analyze";
import { SettingsError, settingsFromConfig, settingsWarnings } from "../components/settings";
import { describeCapacity } from "../components/capacity";
import { prepare } from "../components/validate";
import { disablePromiseDebugging, recordProgram } from "./lib/recorder";
import { StackConfigError, loadStackConfig } from "./lib/stackConfig";
import { formatPlan } from "./lib/summary";

const PROJECT_DIR = path.resolve(__dirname, "..");
const USAGE = "usage: npm run plan -- --stack <name> [--json <file>] [--dir <directory with Pulumi.yaml and the stack file>]";

/** A mistake the user can fix: printed as a message, never as a stack trace. */
function fail(message: string): never {
    process.stderr.write(`${message}\n`);
    process.exit(1);
}

async function main(): Promise<void> {
    // The Pulumi SDK records a stack trace for every resource and promise; with ts-node's
    // source-map support each one is mapped through source maps, which dominates the run time
    // of large plans. The plan prints messages, not stack traces: use V8's plain formatting, short.
    (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
    Error.stackTraceLimit = 3;
    disablePromiseDebugging();
    let args;
    try {
        args = parseArgs({ options: { stack: { type: "string" }, json: { type: "string" }, dir: { type: "string" }, help: { type: "boolean" } } }).values;
    } catch (err) {
        fail(`${(err as Error).message}\n${USAGE}`);
    }
    if (args.help) {
        process.stdout.write(`${USAGE}\n`);
        return;
    }
    if (!args.stack) fail(`--stack is required\n${USAGE}`);

    const stackConfig = loadStackConfig(args.dir ?? PROJECT_DIR, args.stack);
    // Validate first: invalid settings register nothing.
    const settings = settingsFromConfig(stackConfig.config, { stack: stackConfig.stack, source: stackConfig.file });
    const prepared = prepare(settings);

    const plan = await recordProgram({
        project: stackConfig.project,
        stack: stackConfig.stack,
        config: stackConfig.config,
        secretKeys: stackConfig.secretKeys,
        preview: true,
        program: () => ({ ...require(path.join(PROJECT_DIR, "index")) }),
    });

    process.stdout.write(`${formatPlan(plan, [...settingsWarnings(settings), ...prepared.warnings], describeCapacity(prepared.capacity))}\n`);
    if (process.env.PLAN_STATS_FILE) {
        // For `npm run bench`: this process's peak memory.
        fs.writeFileSync(process.env.PLAN_STATS_FILE, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
    }
    if (args.json) {
        fs.writeFileSync(args.json, `${JSON.stringify(plan, null, 2)}\n`);
        process.stdout.write(`\nPlan written to ${args.json}\n`);
    }
}

function report(err: unknown): never {
    if (err instanceof SettingsError || err instanceof StackConfigError || err instanceof MeshCheckError) fail(err.message);
    throw err;
}

process.on("unhandledRejection", report);
main().catch(report);
