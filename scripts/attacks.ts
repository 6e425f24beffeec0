/**
 * `npm run attacks -- --stack workshop`: the table "What an attendee can and
 * cannot do" for a stack with attendees, as the attack suite judges its plan
 * (`src/judgement/attacks/attackSuite.ts`): what an attendee may do, and each attack
 * with the layer that refuses it. The table in docs/security.md is this output.
 */
import * as path from "path";
import { parseArgs } from "util";
import { attackTable, attendeePair } from "../src/judgement/attacks/attackSuite";
import { disablePromiseDebugging, recordProgram } from "../src/judgement/plan/recorder";
import { loadStackConfig } from "../src/settings/stackFile";

const PROJECT_DIR = path.join(__dirname, "..");

async function main(): Promise<void> {
    disablePromiseDebugging();
    const { values } = parseArgs({ options: { stack: { type: "string", default: "workshop" } } });
    const config = loadStackConfig(PROJECT_DIR, values.stack!);
    const plan = await recordProgram({
        project: config.project,
        stack: config.stack,
        config: config.config,
        secretKeys: config.secretKeys,
        preview: true,
        program: () => ({ ...require(path.join(PROJECT_DIR, "index")) }),
    });
    const pair = attendeePair(plan);
    if (!pair) throw new Error(`stack ${config.stack} has fewer than two attendees: set istio-workshop:attendees`);
    process.stdout.write(`${attackTable(plan, pair[0], pair[1])}\n`);
}

main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
});
