/**
 * `npm run -s pulumi -- <arguments>`: the Pulumi CLI this project uses (a recent enough `pulumi` on PATH, else the
 * pinned version, installed on first use: `src/tooling/pulumi.ts`), in the project's folder, with the arguments as
 * given (`npm run -s pulumi -- stack output ingressGatewayAddress --stack workshop`). Unlike `npx pulumi`, whose launcher
 * downloads a CLI of its own on every machine, it needs no network where a CLI is on PATH or installed already.
 */
import * as path from "path";
import { spawnSync } from "child_process";
import { locatePulumi } from "../src/tooling/pulumi";

async function main(): Promise<number> {
    const cli = await locatePulumi();
    if ("refusal" in cli) {
        process.stderr.write(`${cli.refusal}\n`);
        return 2;
    }
    const r = spawnSync(cli.command.command, process.argv.slice(2), { cwd: path.resolve(__dirname, ".."), stdio: "inherit" });
    return r.status ?? 1;
}

main().then(
    (code) => process.exit(code),
    (err) => {
        process.stderr.write(`${err instanceof Error ? err.message.split("\n")[0] : String(err)}\n`);
        process.exit(2);
    },
);
