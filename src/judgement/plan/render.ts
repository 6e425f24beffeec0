/**
 * Renders the plan's Helm releases with a real helm, from a local chart cache,
 * exactly as they would be installed: the release's chart, version, values,
 * name and namespace, and the cluster's Kubernetes version. Every object a
 * release renders joins the plan as an entry of its own (`renderedBy` names the
 * release), so the plan shows and validates the whole cluster.
 *
 * The chart cache is `$ISTIO_WORKSHOP_CHART_CACHE`, else `.charts/` in the
 * project, laid out as `helm pull -d <cache>/<repo>` leaves it
 * (`istio/istiod-1.30.5.tgz`); `npm run charts` fills it. Without helm or
 * without a release's archive, that release is reported as not rendered, with
 * the reason: never as rendered.
 *
 * Renders are cached in `<cache>/.renders/`, keyed by everything that shapes
 * them (helm version, archive digest, release name, namespace, Kubernetes
 * version, values), so an unchanged plan renders nothing again.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { PUBLISHED_DIGESTS, archiveName } from "../../workshop/charts";
import { runHelm, type Helm } from "../../tooling/helm";
import { isLessonsRelease, renderedEntries, withNamespace } from "./planEntries";
import type { Plan, PlannedResource } from "./plan";

export const CHART_CACHE_ENV = "ISTIO_WORKSHOP_CHART_CACHE";
const PROJECT_DIR = path.resolve(__dirname, "..", "..", "..");

/** The chart cache directory: `$ISTIO_WORKSHOP_CHART_CACHE`, else `.charts/` in the project. */
export function chartCacheDir(): string {
    return process.env[CHART_CACHE_ENV] || path.join(PROJECT_DIR, ".charts");
}

/** What a `helm.v3.Release` installs, as the plan records it. */
export interface ReleaseInputs {
    readonly name: string;
    readonly chart: string;
    readonly version: string;
    readonly namespace: string;
    readonly repo: string;
    readonly values: Record<string, unknown>;
}

export function releaseInputs(r: PlannedResource): ReleaseInputs {
    const i = r.inputs as any;
    return {
        name: String(i.name),
        chart: String(i.chart),
        version: String(i.version),
        namespace: String(i.namespace),
        repo: String(i.repositoryOpts?.repo ?? ""),
        values: (i.values ?? {}) as Record<string, unknown>,
    };
}

/** A chart archive in the cache, and whether it is the published one. */
export interface ChartArchive {
    /** `<repo>/<chart>-<version>.tgz` */
    readonly name: string;
    readonly path: string;
    readonly sha256: string;
    /**
     * `verified`: same digest as the repository's index; `differs`: not the published archive;
     * `unverified`: no published digest known for it (see `PUBLISHED_DIGESTS`).
     */
    readonly digest: "verified" | "differs" | "unverified";
}

export type RenderResult =
    | { readonly status: "rendered"; readonly objects: any[]; readonly archive: ChartArchive; readonly fromCache: boolean }
    | { readonly status: "not rendered"; readonly reason: string };

export interface ReleaseReport {
    readonly urn: string;
    readonly release: ReleaseInputs;
    readonly result: RenderResult;
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/** Stable JSON (keys sorted), so equal values give equal cache keys. */
export function stableJson(value: unknown): string {
    return JSON.stringify(value, (_k, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
}

/** A chart's archive in a chart cache, with its digest checked against the published one; undefined when absent. */
export function chartArchive(cacheDir: string, release: Pick<ReleaseInputs, "repo" | "chart" | "version">): ChartArchive | undefined {
    const name = archiveName(release.repo, release.chart, release.version);
    const file = path.join(cacheDir, name);
    if (!fs.existsSync(file)) return undefined;
    const digest = sha256(fs.readFileSync(file));
    const published = PUBLISHED_DIGESTS[name];
    return { name, path: file, sha256: digest, digest: published === undefined ? "unverified" : published === digest ? "verified" : "differs" };
}

export class Renderer {
    private readonly archives = new Map<string, ChartArchive | undefined>();

    constructor(
        readonly helm: Helm,
        readonly cacheDir: string,
        /** `1.35`: the cluster's Kubernetes version (`--kube-version`). */
        readonly kubeVersion: string,
    ) {}

    /** The archive of a release's chart in the cache, or undefined when it is not there. */
    archive(release: Pick<ReleaseInputs, "repo" | "chart" | "version">): ChartArchive | undefined {
        const name = archiveName(release.repo, release.chart, release.version);
        if (!this.archives.has(name)) this.archives.set(name, chartArchive(this.cacheDir, release));
        return this.archives.get(name);
    }

    /**
     * A result computed once per key and kept beside the renders: `fn` runs only
     * when nothing is stored for `name` and `key` (with this helm version).
     */
    async memo<T>(name: string, key: unknown, fn: () => Promise<T>): Promise<T> {
        const file = path.join(this.cacheDir, ".renders", `${name}-${sha256(stableJson({ helm: this.helm.version, kube: this.kubeVersion, key }))}.json`);
        if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")) as T;
        const value = await fn();
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify(value));
        return value;
    }

    /** The chart's default values (its values.yaml, as `helm show values` prints it), or undefined without its archive. */
    async chartDefaults(release: Pick<ReleaseInputs, "repo" | "chart" | "version">): Promise<unknown> {
        const archive = this.archive(release);
        if (!archive) return undefined;
        return this.memo("values", archive.sha256, async () => YAML.parse(await runHelm(this.helm, ["show", "values", archive.path])) ?? {});
    }

    /** The CRDs a chart ships (`helm show crds`), or undefined without its archive. */
    async chartCrds(chart: Pick<ReleaseInputs, "repo" | "chart" | "version">): Promise<any[] | undefined> {
        const archive = this.archive(chart);
        if (!archive) return undefined;
        return this.memo("crds", archive.sha256, async () =>
            YAML.parseAllDocuments(await runHelm(this.helm, ["show", "crds", archive.path]))
                .map((d) => d.toJS())
                .filter((o) => o?.kind === "CustomResourceDefinition"),
        );
    }

    /**
     * Renders a release; with `values` given, renders those instead of the release's own.
     * `fresh`: render again even when a cached render exists (and keep the cached one).
     */
    async render(release: ReleaseInputs, values: Record<string, unknown> = release.values, options: { fresh?: boolean } = {}): Promise<RenderResult> {
        let archive: ChartArchive | undefined;
        try {
            archive = this.archive(release);
        } catch (err) {
            return { status: "not rendered", reason: (err as Error).message };
        }
        if (!archive) return { status: "not rendered", reason: `${archiveName(release.repo, release.chart, release.version)} is not in the chart cache ${this.cacheDir} (run \`npm run charts\`)` };
        const key = sha256(stableJson({ helm: this.helm.version, chart: archive.sha256, name: release.name, namespace: release.namespace, kube: this.kubeVersion, values }));
        const cached = path.join(this.cacheDir, ".renders", `${key}.json`);
        if (!options.fresh && fs.existsSync(cached)) {
            return { status: "rendered", objects: JSON.parse(fs.readFileSync(cached, "utf8")), archive, fromCache: true };
        }
        const valuesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "iw-values-")), "values.json");
        fs.writeFileSync(valuesFile, JSON.stringify(values));
        let text: string;
        try {
            text = await runHelm(this.helm, [
                "template",
                release.name,
                archive.path,
                "--namespace",
                release.namespace,
                "--kube-version",
                this.kubeVersion,
                "--values",
                valuesFile,
                "--include-crds",
                "--skip-tests",
            ]);
        } catch (err) {
            return { status: "not rendered", reason: (err as Error).message };
        } finally {
            fs.rmSync(path.dirname(valuesFile), { recursive: true, force: true });
        }
        const objects = YAML.parseAllDocuments(text, { uniqueKeys: false })
            .map((d) => d.toJS({ maxAliasCount: 1000 }))
            .filter((o) => o !== null && typeof o === "object" && typeof o.kind === "string")
            .map((o) => withNamespace(o, release.namespace));
        if (!options.fresh) {
            fs.mkdirSync(path.dirname(cached), { recursive: true });
            fs.writeFileSync(cached, JSON.stringify(objects));
        }
        return { status: "rendered", objects, archive, fromCache: false };
    }
}

const RELEASE = "kubernetes:helm.sh/v3:Release";

/**
 * Renders every release of a plan (concurrently, as many at a time as there
 * are cores) and returns the plan with their objects added, and a report per
 * release. `renderer` undefined: nothing is rendered, each release says why.
 */
export async function renderPlan(plan: Plan, renderer: Renderer | { readonly missing: string }): Promise<{ plan: Plan; releases: ReleaseReport[] }> {
    // Upstream charts only: a lessons release's objects joined the plan when it was recorded.
    const releases = plan.resources.filter((r) => r.type === RELEASE && !isLessonsRelease(r));
    const results = await mapLimit(releases, os.cpus().length, async (r): Promise<ReleaseReport> => {
        const release = releaseInputs(r);
        const result: RenderResult = "missing" in renderer ? { status: "not rendered", reason: renderer.missing } : await renderer.render(release);
        return { urn: r.urn, release, result };
    });
    const added = results.flatMap((rep, i) => (rep.result.status === "rendered" ? renderedEntries(releases[i], rep.result.objects) : []));
    return { plan: { ...plan, resources: [...plan.resources, ...added] }, releases: results };
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            results[i] = await fn(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
    return results;
}

/** One line per release: chart, version, source, and what became of its render. */
export function describeReleases(reports: readonly ReleaseReport[]): string[] {
    return reports.map(({ release, result }) => {
        const head = `${release.namespace}/${release.name}: chart ${release.chart} ${release.version} from ${release.repo}`;
        if (result.status === "not rendered") return `${head}: not rendered (${result.reason})`;
        const digest = {
            verified: "archive digest matches the repository index",
            differs: "archive digest DIFFERS from the repository index: not the published chart",
            unverified: "no published digest known to check the archive against",
        }[result.archive.digest];
        return `${head}: ${result.objects.length} objects rendered${result.fromCache ? " (cached render)" : ""}; ${digest}`;
    });
}
