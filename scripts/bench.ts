/**
 * `npm run bench [-- --cluster]`: the offline plan measured at class sizes up to the largest one
 * cluster holds, and a real `up` of each modelled (`src/judgement/bench.ts`); with `--cluster`, 30
 * and 300 attendees also applied to the real control plane (needs Go).
 */
import { runBench } from "../src/judgement/bench";

runBench((line = "") => void process.stdout.write(`${line}\n`), { cluster: process.argv.includes("--cluster") }).catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
});
