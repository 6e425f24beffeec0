/**
 * `npm run kubeconfigs -- --stack <name> [--hours <n>] [--out <dir>]`: one
 * kubeconfig per attendee, with a token that expires (`src/tooling/kubeconfigs.ts`);
 * `--revoke [--attendee <id>]` ends the attendees' access and removes their own
 * workloads (`src/tooling/revoke.ts`).
 */
import { parseArgs } from "util";
import { handOutKubeconfigs } from "../src/tooling/kubeconfigs";

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { stack: { type: "string" }, out: { type: "string" }, hours: { type: "string" }, revoke: { type: "boolean" }, attendee: { type: "string" } } });
    if (!values.stack) throw new Error("usage: npm run kubeconfigs -- --stack <name> [--hours <1-24>] [--out <dir>] | --revoke [--attendee <id>]");
    await handOutKubeconfigs({ stack: values.stack, hours: values.hours, out: values.out, revoke: values.revoke, attendee: values.attendee });
}

main().catch((err) => {
    // A user's mistake (bad stack file, settings, arguments) or a failed kubectl: the message, no stack trace.
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
});
