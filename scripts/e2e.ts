/**
 * `npm run e2e -- --stack local [--keep]`: the whole workshop on a throw-away
 * kind cluster, end to end (`src/tooling/e2eRun.ts`).
 */
import { parseArgs } from "util";
import { E2eRefusal, runEndToEnd } from "../src/tooling/e2eRun";

const USAGE = "usage: npm run e2e -- --stack <name> [--keep]";

async function main(): Promise<number> {
    let values;
    try {
        values = parseArgs({ options: { stack: { type: "string" }, keep: { type: "boolean" } } }).values;
    } catch (err) {
        process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
        return 2;
    }
    if (!values.stack) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
    }
    return (await runEndToEnd(values.stack, values.keep === true)) ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (err) => {
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(err instanceof E2eRefusal ? 2 : 1);
    },
);
