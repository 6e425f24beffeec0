/**
 * `npm run up|preview|destroy -- --stack <name> [flags]`, and
 * `npm run stack-init -- --stack <name>`: a stack of this project, through
 * Pulumi's Automation API (`src/tooling/pulumi.ts`, `src/tooling/operations.ts`).
 *
 * Before the CLI runs: the flags must be ones the command passes on, the stack
 * file must exist, its settings must be valid, and on an existing cluster its
 * kube context must exist. A stack the backend does not have is refused with
 * the stacks it has: creating one is `stack-init`, never a side effect. `up`
 * and `preview` first run the offline validation (`npm run plan -- --quiet`),
 * then the operation with the project's policy pack; without `--yes`, `up` and
 * `destroy` show what they would do and ask first.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import * as readline from "readline";
import { SettingsError, settingsFromConfig } from "../src/settings/parse";
import { workshopFrom } from "../src/workshop/resolve";
import { StackConfigError, loadStackConfig } from "../src/settings/stackFile";
import { MeshCheckError } from "../src/lessons/analyze";
import { OPERATIONS, parseOperation, runOperation, type Operation } from "../src/tooling/operations";
import { awsEnvironment, createStack, locatePulumi, openStack } from "../src/tooling/pulumi";
import { POLICY_PACK, PROJECT_DIR, target } from "../src/tooling/target";

const USAGE = "usage: npm run up|preview|destroy|stack-init -- --stack <name> [flags]";

/** A yes/no question on the terminal; undefined without one. */
function terminalConfirm(): ((question: string) => Promise<boolean>) | undefined {
    if (!process.stdin.isTTY) return undefined;
    return (question) =>
        new Promise((resolve) => {
            const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
            rl.question(`${question} (yes/no) `, (answer) => {
                rl.close();
                resolve(/^y(es)?$/i.test(answer.trim()));
            });
        });
}

async function main(): Promise<number> {
    const [command, ...rest] = process.argv.slice(2);
    const isOperation = (OPERATIONS as readonly string[]).includes(command);
    const parsed = isOperation ? parseOperation(command as Operation, rest) : undefined;
    if (parsed && "refusal" in parsed) return fail(parsed.refusal);
    const flags = parsed?.flags;
    const stack = flags ? flags.stack : command === "stack-init" && ["--stack", "-s"].includes(rest[0]) && rest.length === 2 ? rest[1] : undefined;
    if (stack === undefined) return fail(USAGE);
    // An unknown stack ends here, in one line, before anything slow runs.
    const config = loadStackConfig(PROJECT_DIR, stack);
    const settings = settingsFromConfig(config.config, { stack: config.stack, source: config.file });
    const where = target(settings);
    if ("refusal" in where) return fail(where.refusal);
    // A class that cannot work (too many attendees for a cluster, a stage that cannot run) is refused before the CLI and the backend.
    workshopFrom(settings);
    const cli = await locatePulumi();
    if ("refusal" in cli) return fail(cli.refusal);
    process.stdout.write(`${where.line}\n${cli.line}\n`);
    const place = { projectDir: PROJECT_DIR, command: cli.command, envVars: awsEnvironment(settings) };
    if (command === "stack-init") {
        await createStack(place, stack);
        process.stdout.write(`Created stack ${stack}.\n`);
        return 0;
    }
    const selected = await openStack(place, stack);
    if ("refusal" in selected) return fail(selected.refusal);
    if (command === "up" || command === "preview") {
        process.stdout.write("Offline validation (npm run plan -- --quiet):\n");
        const strict = flags!.strict ? ["--strict"] : [];
        const plan = spawnSync(process.execPath, ["-r", "sucrase/register/ts", path.join(PROJECT_DIR, "scripts", "plan.ts"), "--stack", stack, "--quiet", ...strict], {
            cwd: PROJECT_DIR,
            stdio: "inherit",
            env: { ...process.env, ...place.envVars },
        });
        if (plan.status !== 0) {
            process.stderr.write(`The offline validation failed: nothing was ${command === "up" ? "deployed" : "previewed"}. Fix what it names, or see the whole plan with \`npm run plan -- --stack ${stack}\`.\n`);
            return plan.status ?? 1;
        }
    }
    const io = { out: (t: string) => void process.stdout.write(t), err: (t: string) => void process.stderr.write(t), confirm: terminalConfirm() };
    return runOperation(selected, command as Operation, flags!, POLICY_PACK, io);
}

function fail(message: string): number {
    process.stderr.write(`${message}\n`);
    return 2;
}

main().then(
    (code) => process.exit(code),
    (err) => {
        // A bad stack file or setting (every problem it names), or a CLI that failed (its first line): no stack trace.
        const whole = err instanceof SettingsError || err instanceof StackConfigError || err instanceof MeshCheckError;
        process.stderr.write(`${err instanceof Error ? (whole ? err.message : err.message.split("\n")[0]) : String(err)}\n`);
        process.exit(2);
    },
);
