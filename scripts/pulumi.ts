/**
 * `npm run up|preview|destroy -- --stack <name> [pulumi flags]`, and
 * `npm run stack-init -- --stack <name>`: the Pulumi CLI on a stack of this
 * project.
 *
 * Before the CLI runs: the stack file must exist (an unknown stack is refused in
 * one line that lists the stack files there), its settings must be valid, and on
 * an existing cluster its kube context must exist. The CLI is the `pulumi` on
 * PATH when recent enough, else the pinned one (`src/tooling/pulumiCli.ts`). A
 * stack the backend does not have is refused with the stacks it has: creating
 * one is `stack-init`, never a side effect. `up` and `preview` first run the
 * offline validation (`npm run plan -- --quiet`), then the CLI with the
 * project's policy pack (`policy/`), so its rules hold on every real deployment.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { settingsFromConfig } from "../src/settings/parse";
import { type Settings } from "../src/settings/schema";
import { awsEnvironment, locatePulumi, stackNames, unknownStackLine } from "../src/tooling/pulumiCli";
import { loadStackConfig } from "../src/settings/stackFile";

const PROJECT_DIR = path.resolve(__dirname, "..");
export const POLICY_PACK = path.join(PROJECT_DIR, "policy");

/** The Pulumi CLI arguments for a command: the policy pack added to `up` and `preview` unless one is given. */
export function pulumiArgs(command: string, rest: readonly string[]): string[] {
    const withPolicy = (command === "up" || command === "preview") && !rest.includes("--policy-pack");
    return [command, ...rest, ...(withPolicy ? ["--policy-pack", POLICY_PACK] : [])];
}

/** The kubeconfig files kubectl (and the Kubernetes provider) read: the stack's, else $KUBECONFIG's, else ~/.kube/config. */
export function kubeconfigFiles(settings: Pick<Settings, "cluster">, env: NodeJS.ProcessEnv = process.env): string[] {
    if (settings.cluster.kubeconfig) return [settings.cluster.kubeconfig];
    if (env.KUBECONFIG) return env.KUBECONFIG.split(path.delimiter).filter((f) => f !== "");
    return [path.join(os.homedir(), ".kube", "config")];
}

/** The context names of kubeconfig files (files that do not exist have none). */
export function contextsIn(files: readonly string[]): string[] {
    return files.flatMap((f) => {
        if (!fs.existsSync(f)) return [];
        const doc = YAML.parse(fs.readFileSync(f, "utf8")) ?? {};
        return ((doc.contexts ?? []) as { name?: string }[]).map((c) => String(c.name));
    });
}

/**
 * Where the command will deploy, as one line to print, or why it must not run:
 * an existing cluster's context must be one the kubeconfig has.
 */
export function target(settings: Settings, env: NodeJS.ProcessEnv = process.env): { line: string } | { refusal: string } {
    if (settings.cluster.mode === "eks") {
        const credentials = settings.awsProfile ? `AWS profile ${settings.awsProfile}, from aws:profile` : "AWS credentials from the environment";
        return { line: `Target: EKS cluster ${settings.cluster.name} in ${settings.cluster.region} (${credentials})` };
    }
    const files = kubeconfigFiles(settings, env);
    const context = settings.cluster.context!;
    const contexts = contextsIn(files);
    if (!contexts.includes(context)) {
        return {
            refusal: `cluster.context "${context}" is not a context of ${files.join(", ")} (contexts there: ${contexts.length > 0 ? contexts.join(", ") : "none"}): create the cluster or fix Pulumi.${settings.stack}.yaml; nothing was run`,
        };
    }
    return { line: `Target: kube context ${context} (kubeconfig ${files.join(path.delimiter)})` };
}

/** The CLI calls the command makes besides the command itself (a test checks them against the CLI's reference). */
export const CLI_CALLS = {
    select: (stack: string) => ["stack", "select", stack],
    list: ["stack", "ls", "--json"],
    init: (stack: string) => ["stack", "init", stack],
} as const;

const USAGE = "usage: npm run up|preview|destroy|stack-init -- --stack <name> [more pulumi flags]";

async function main(): Promise<number> {
    const [command, ...rest] = process.argv.slice(2);
    const stackAt = rest.findIndex((a) => a === "--stack" || a === "-s");
    const stack = stackAt >= 0 ? rest[stackAt + 1] : undefined;
    if (!command || !stack) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
    }
    // An unknown stack ends here, in one line, before anything slow runs.
    const config = loadStackConfig(PROJECT_DIR, stack);
    const settings = settingsFromConfig(config.config, { stack: config.stack, source: config.file });
    const where = target(settings);
    if ("refusal" in where) {
        process.stderr.write(`${where.refusal}\n`);
        return 2;
    }
    const cli = await locatePulumi();
    if ("refusal" in cli) {
        process.stderr.write(`${cli.refusal}\n`);
        return 2;
    }
    process.stdout.write(`${where.line}\n${cli.line}\n`);
    const env = { ...process.env, ...awsEnvironment(settings) };
    const run = (args: string[]) => spawnSync(cli.bin, args, { cwd: PROJECT_DIR, stdio: "inherit", env }).status ?? 1;
    if (command === "stack-init") return run([...CLI_CALLS.init(stack)]);

    const selected = spawnSync(cli.bin, [...CLI_CALLS.select(stack)], { cwd: PROJECT_DIR, encoding: "utf8", env });
    if (selected.status !== 0) {
        const listed = spawnSync(cli.bin, [...CLI_CALLS.list], { cwd: PROJECT_DIR, encoding: "utf8", env });
        const stacks = listed.status === 0 ? stackNames(listed.stdout) : undefined;
        // Not a missing stack (no backend login, say): the CLI's own words.
        if (stacks !== undefined && stacks.includes(stack)) process.stderr.write(selected.stderr);
        else process.stderr.write(`${unknownStackLine(stack, stacks)}\n`);
        return 2;
    }
    if (command === "up" || command === "preview") {
        process.stdout.write("Offline validation (npm run plan -- --quiet):\n");
        const plan = spawnSync(process.execPath, ["-r", "sucrase/register/ts", path.join(PROJECT_DIR, "scripts", "plan.ts"), "--stack", stack, "--quiet"], {
            cwd: PROJECT_DIR,
            stdio: "inherit",
            env,
        });
        if (plan.status !== 0) {
            process.stderr.write(`The offline validation failed: nothing was ${command === "up" ? "deployed" : "previewed"}. Fix what it names, or see the whole plan with \`npm run plan -- --stack ${stack}\`.\n`);
            return plan.status ?? 1;
        }
    }
    return run(pulumiArgs(command, rest));
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (err) => {
            // A bad stack file or setting: its message, no stack trace.
            process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
            process.exit(2);
        },
    );
}
