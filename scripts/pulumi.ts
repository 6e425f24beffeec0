/**
 * `npm run up|preview|destroy -- --stack <name> [pulumi flags]`: runs the Pulumi
 * CLI (from the `pulumi` npm package, downloaded on first use) on the named stack,
 * creating the stack in the configured backend the first time.
 *
 * `up` and `preview` run with the project's policy pack (`policy/`), so its rules
 * hold on every real deployment, not only in the offline plan. On an existing
 * cluster the command first prints the kube context it will deploy to, and
 * refuses to run when the kubeconfig has no context of the name the stack gives.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { settingsFromConfig, type Settings } from "../components/settings";
import { loadStackConfig } from "./lib/stackConfig";

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
    if (settings.cluster.mode === "eks") return { line: `Target: EKS cluster ${settings.cluster.name} in ${settings.cluster.region} (AWS credentials from the environment)` };
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

function main(): number {
    const [command, ...rest] = process.argv.slice(2);
    const stackAt = rest.findIndex((a) => a === "--stack" || a === "-s");
    const stack = stackAt >= 0 ? rest[stackAt + 1] : undefined;
    if (!command || !stack) {
        process.stderr.write("usage: npm run up|preview|destroy -- --stack <name> [more pulumi flags]\n");
        return 2;
    }
    const config = loadStackConfig(PROJECT_DIR, stack);
    const where = target(settingsFromConfig(config.config, { stack: config.stack, source: config.file }));
    if ("refusal" in where) {
        process.stderr.write(`${where.refusal}\n`);
        return 2;
    }
    process.stdout.write(`${where.line}\n`);
    const cli = path.join(path.dirname(require.resolve("pulumi/package.json")), "run.js");
    const pulumi = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: PROJECT_DIR, stdio: "inherit" }).status ?? 1;
    const selected = pulumi(["stack", "select", "--create", stack]);
    return selected !== 0 ? selected : pulumi(pulumiArgs(command, rest));
}

if (require.main === module) {
    try {
        process.exit(main());
    } catch (err) {
        // A bad stack file or setting: its message, no stack trace.
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(2);
    }
}
