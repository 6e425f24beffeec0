/**
 * `npm run test:cluster [-- --stack <name> | --run <name>]`: stacks applied to a
 * real control plane and taken down again, judged by the API server itself
 * (`src/judgement/cluster/clusterTest.ts`); without an option, the local stack
 * with every lesson and a classroom of four attendees; `--run` names one of
 * those runs or an extra one (`workshop-classroom`: the shipped class of 20). Writes
 * `test-results/cluster/<run>.json`; exits 1 when anything failed.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { CLUSTER_RUNS, EXTRA_CLUSTER_RUNS, reportLines, runClusterTest } from "../src/judgement/cluster/clusterTest";

const OUT = path.resolve(__dirname, "..", "test-results", "cluster");
const say = (line: string) => void process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
    const { values } = parseArgs({ options: { stack: { type: "string" }, run: { type: "string" } } });
    const named = [...CLUSTER_RUNS, ...EXTRA_CLUSTER_RUNS];
    const chosen = values.run === undefined ? undefined : named.find((r) => r.name === values.run);
    if (values.run !== undefined && chosen === undefined) {
        process.stderr.write(`--run: must be one of ${named.map((r) => `"${r.name}"`).join(", ")}, got "${values.run}"\n`);
        return 1;
    }
    const runs = chosen ? [chosen] : values.stack ? [{ name: values.stack, stack: values.stack }] : CLUSTER_RUNS;
    fs.mkdirSync(OUT, { recursive: true });
    let failed = 0;
    for (const run of runs) {
        const { report, failures } = await runClusterTest(run, say);
        fs.writeFileSync(path.join(OUT, `${run.name}.json`), `${JSON.stringify({ ...report, failures }, null, 2)}\n`);
        reportLines(report).forEach(say);
        failures.forEach((f) => say(`  FAIL ${f}`));
        say(`  ${failures.length === 0 ? "passed" : `${failures.length} failures`}: ${path.relative(process.cwd(), path.join(OUT, `${run.name}.json`))}`);
        failed += failures.length;
    }
    return failed === 0 ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (err) => {
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
    },
);
