/**
 * `npm run up|preview|destroy -- --stack <name> [pulumi flags]`: runs the Pulumi
 * CLI (from the `pulumi` npm package, downloaded on first use) on the named stack,
 * creating the stack in the configured backend the first time.
 */
import { spawnSync } from "child_process";
import * as path from "path";

const [command, ...rest] = process.argv.slice(2);
const stackAt = rest.findIndex((a) => a === "--stack" || a === "-s");
const stack = stackAt >= 0 ? rest[stackAt + 1] : undefined;
if (!command || !stack) {
    process.stderr.write("usage: npm run up|preview|destroy -- --stack <name> [more pulumi flags]\n");
    process.exit(2);
}
const cli = path.join(path.dirname(require.resolve("pulumi/package.json")), "run.js");
const cwd = path.resolve(__dirname, "..");

function pulumi(args: string[]): number {
    const r = spawnSync(process.execPath, [cli, ...args], { cwd, stdio: "inherit" });
    return r.status ?? 1;
}

const selected = pulumi(["stack", "select", "--create", stack]);
if (selected !== 0) process.exit(selected);
process.exit(pulumi([command, ...rest]));
