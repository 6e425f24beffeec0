/**
 * `npm run e2e -- --stack local [--classroom] [--keep]`: the whole workshop on a
 * throw-away kind cluster, end to end (`src/tooling/e2eRun.ts`); `--classroom`
 * as a class of two attendees at different stages.
 */
import { parseArgs } from "util";
import { E2eRefusal, runEndToEnd } from "../src/tooling/e2eRun";

const USAGE = "usage: npm run e2e -- --stack <name> [--classroom] [--keep]";

async function main(): Promise<number> {
    let values;
    try {
        values = parseArgs({ options: { stack: { type: "string" }, keep: { type: "boolean" }, classroom: { type: "boolean" } } }).values;
    } catch (err) {
        process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
        return 2;
    }
    if (!values.stack) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
    }
    return (await runEndToEnd(values.stack, values.keep === true, values.classroom === true)) ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (err) => {
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(err instanceof E2eRefusal ? 2 : 1);
    },
);
