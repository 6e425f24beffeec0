/**
 * `npm run bench`: the offline plan measured at class sizes up to the largest
 * one cluster holds, and a real `up` of each modelled (`src/judgement/bench.ts`).
 */
import { runBench } from "../src/judgement/bench";

runBench((line = "") => void process.stdout.write(`${line}\n`));
