/**
 * `npm run charts [-- --stack <name> ...]`: fills the chart cache with exactly
 * the chart versions the stacks pin (and the charts that ship the schema of an
 * application's configuration, see `CONFIG_SCHEMAS`), from their official repositories
 * (`helm pull --repo <url> <chart> --version <v> -d <cache>/<repo>`), and checks
 * each archive against the repository index's digest where one is known; and
 * the manifests the provider reads from a URL (the Gateway API's CRDs), each
 * checked to be what its URL names (`src/tooling/manifestCache.ts`). Default: every stack
 * file of the project. The cache is `$ISTIO_WORKSHOP_CHART_CACHE`, else `.charts/` (git-ignored).
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { PUBLISHED_DIGESTS, archiveName, configSchemaChart, stackManifests, stackReleases } from "../src/workshop/charts";
import { cacheManifest } from "../src/tooling/manifestCache";
import { MeshCheckError } from "../src/lessons/analyze";
import { SettingsError, settingsFromConfig } from "../src/settings/parse";
import { workshopFrom } from "../src/workshop/resolve";
import { locateHelm, runHelm } from "../src/tooling/helm";
import { chartArchive, chartCacheDir } from "../src/judgement/plan/render";
import { StackConfigError, listStacks, loadStackConfig } from "../src/settings/stackFile";

const PROJECT_DIR = path.resolve(__dirname, "..");
const USAGE = "usage: npm run charts [-- --stack <name> ...]   (default: every Pulumi.<stack>.yaml here)";
const removeIfEmpty = (dir: string) => fs.existsSync(dir) && fs.readdirSync(dir).length === 0 && fs.rmdirSync(dir);

function fail(message: string): never {
    process.stderr.write(`${message}\n`);
    process.exit(1);
}

async function main(): Promise<void> {
    let args;
    try {
        args = parseArgs({ options: { stack: { type: "string", multiple: true }, help: { type: "boolean" } } }).values;
    } catch (err) {
        fail(`${(err as Error).message}\n${USAGE}`);
    }
    if (args.help) return void process.stdout.write(`${USAGE}\n`);
    const stacks = args.stack ?? listStacks(PROJECT_DIR);
    const wanted = new Map<string, { repo: string; chart: string; version: string; stacks: string[] }>();
    const manifests = new Set<string>();
    for (const stack of stacks) {
        const cfg = loadStackConfig(PROJECT_DIR, stack);
        const workshop = workshopFrom(settingsFromConfig(cfg.config, { stack: cfg.stack, source: cfg.file }));
        const releases = stackReleases(workshop.settings, workshop.lessons.mesh);
        for (const url of stackManifests(workshop.settings)) manifests.add(url);
        const charts = [
            ...releases.map((r) => ({ repo: r.repositoryOpts.repo, chart: r.chart, version: r.version })),
            ...releases.flatMap((r) => configSchemaChart(r) ?? []),
        ];
        for (const c of charts) {
            const name = archiveName(c.repo, c.chart, c.version);
            const entry = wanted.get(name) ?? { repo: c.repo, chart: c.chart, version: c.version, stacks: [] };
            if (!entry.stacks.includes(stack)) entry.stacks.push(stack);
            wanted.set(name, entry);
        }
    }
    const helm = await locateHelm();
    if (!("path" in helm)) fail(`Cannot fetch charts: ${helm.missing}`);
    const cache = chartCacheDir();
    process.stdout.write(`Chart cache ${cache} (helm ${helm.version} from ${helm.source}), for stacks ${stacks.join(", ")}:\n`);
    const failures: string[] = [];
    for (const [name, c] of [...wanted].sort()) {
        const file = path.join(cache, name);
        if (!fs.existsSync(file)) {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            try {
                await runHelm(helm, ["pull", c.chart, "--repo", c.repo, "--version", c.version, "--destination", path.dirname(file)]);
            } catch (err) {
                failures.push(`${name}: ${(err as Error).message}`);
                process.stdout.write(`  ✗ ${name}: could not be pulled from ${c.repo}\n`);
                removeIfEmpty(path.dirname(file)); // nothing half-made: the folder made for it goes if empty
                continue;
            }
        }
        const archive = chartArchive(cache, c)!;
        const verdict = {
            verified: "digest matches the repository index",
            unverified: "no published digest known",
            differs: `DIGEST DIFFERS from the repository index (${PUBLISHED_DIGESTS[name]}): remove it and pull again`,
        }[archive.digest];
        if (archive.digest === "differs") failures.push(`${name}: sha256 ${archive.sha256}, index ${PUBLISHED_DIGESTS[name]}`);
        process.stdout.write(`  ${archive.digest === "differs" ? "✗" : "✓"} ${name}  sha256 ${archive.sha256}  ${verdict}  (stacks: ${c.stacks.join(", ")})\n`);
    }
    for (const url of [...manifests].sort()) {
        const cached = await cacheManifest(cache, url).catch((err: Error) => ({ line: `✗ ${url}: ${err.message}`, problems: [`${url}: ${err.message}`] }));
        process.stdout.write(`  ${cached.line}\n`);
        failures.push(...cached.problems);
    }
    removeIfEmpty(cache);
    if (failures.length > 0) fail(`\n${failures.length} chart(s) not in the cache as pinned:\n${failures.map((f) => ` - ${f}`).join("\n")}`);
    process.stdout.write("\nEvery pinned chart is in the cache: `npm run plan` now renders every release.\n");
}

main().catch((err) => {
    if (err instanceof SettingsError || err instanceof StackConfigError || err instanceof MeshCheckError) fail(err.message);
    throw err;
});
