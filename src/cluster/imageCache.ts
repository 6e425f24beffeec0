/**
 * The images a stack pulls, and how `cluster.imageCache: ecr` points them at
 * ECR pull-through caches: the stack's own objects have their `image` fields
 * rewritten; the charts' images are set through the values keys each chart
 * reads them from. Pure; `src/cluster/cluster.ts` creates the cache rules.
 */
import { ECR_UPSTREAMS, IMAGES, cacheRegistries, cachedImage, imageParts, type ImageCache } from "../model/images";
import { resolveScenarios } from "../lessons/build";
import type { Settings } from "../settings/settings";

/**
 * Where each chart names its images in its values, and the image it names by
 * default (test/upstream.spec.ts checks these against the charts' values.yaml).
 * `registry`: the chart takes the registry apart from the repository.
 */
export const CHART_IMAGES: Readonly<Record<string, readonly { readonly path: readonly string[]; readonly image: string; readonly registry?: readonly string[] }[]>> = {
    prometheus: [
        { path: ["server", "image", "repository"], image: "quay.io/prometheus/prometheus" },
    ],
    "kiali-server": [{ path: ["deployment", "image_name"], image: "quay.io/kiali/kiali" }],
    grafana: [{ registry: ["image", "registry"], path: ["image", "repository"], image: "docker.io/grafana/grafana" }],
};

function setPath(target: Record<string, any>, path: readonly string[], value: unknown): void {
    let node = target;
    for (const k of path.slice(0, -1)) node = node[k] ??= {};
    node[path[path.length - 1]] = value;
}

/** The values that point a chart's images at the cache (empty when nothing of it is cached). */
export function chartImageValues(chart: string, cache: ImageCache | undefined): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const img of CHART_IMAGES[chart] ?? []) {
        const cached = cachedImage(img.image, cache);
        if (cached === img.image) continue;
        if (img.registry) {
            const parts = imageParts(`${cached}:x`);
            setPath(values, img.registry, parts.registry);
            setPath(values, img.path, parts.repository);
        } else {
            setPath(values, img.path, cached);
        }
    }
    return values;
}

/** Deep merge of plain values (b wins). */
export function mergeValues(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) {
        const cur = out[k];
        out[k] = cur && v && typeof cur === "object" && typeof v === "object" && !Array.isArray(cur) && !Array.isArray(v) ? mergeValues(cur as any, v as any) : v;
    }
    return out;
}

/** Every image the stack's own objects and its addon charts name. */
export function stackImages(settings: Pick<Settings, "apps" | "addons">): string[] {
    const lessons = resolveScenarios(settings.apps).flatMap((s) => [...s.workloads.map((w) => w.image), ...(s.extraChecks ?? []).map((x) => x.image)]);
    const charts = Object.entries(CHART_IMAGES)
        .filter(([chart]) => (chart === "kiali-server" ? settings.addons.kiali.enabled : settings.addons[chart as "prometheus" | "grafana"].enabled))
        .flatMap(([, images]) => images.map((i) => i.image));
    return [...new Set([...lessons, IMAGES.curl, IMAGES.nginx, IMAGES.jaeger(settings.addons.jaeger.version), ...charts])].sort();
}

/** The registries the stack's cache rules cover (none unless `cluster.imageCache` is `ecr`). */
export function cachedRegistries(settings: Pick<Settings, "apps" | "addons" | "cluster">): string[] {
    if (settings.cluster.imageCache !== "ecr") return [];
    const credentials = new Set(Object.entries(settings.cluster.imageCacheCredentials).filter(([, arn]) => arn !== undefined).map(([r]) => r));
    return cacheRegistries(stackImages(settings), credentials);
}

/** The pull-through cache rules: one per cached registry. */
export function cacheRules(settings: Pick<Settings, "apps" | "addons" | "cluster">): { registry: string; ecrRepositoryPrefix: string; upstreamRegistryUrl: string; credentialArn?: string }[] {
    return cachedRegistries(settings).map((registry) => ({
        registry,
        ecrRepositoryPrefix: ECR_UPSTREAMS[registry].prefix,
        upstreamRegistryUrl: ECR_UPSTREAMS[registry].upstream,
        ...(ECR_UPSTREAMS[registry].needsCredential ? { credentialArn: settings.cluster.imageCacheCredentials[registry as "docker.io" | "ghcr.io"] } : {}),
    }));
}

/**
 * What the nodes may do beyond reading ECR: have the cache pull an image from
 * its upstream the first time, into repositories under the cache's prefixes.
 */
export function pullThroughPolicy(region: string, account: string, prefixes: readonly string[]): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
                Resource: prefixes.map((p) => `arn:aws:ecr:${region}:${account}:repository/${p}/*`),
            },
        ],
    });
}

/**
 * A chart release's values with its images pointed at the cache: the chart's
 * own images (`CHART_IMAGES`) and an image the stack sets itself as
 * `{ registry, repository, tag }` (Grafana's dashboard downloader).
 */
export function releaseValuesWithCache(chart: string, values: Record<string, unknown>, cache: ImageCache | undefined): Record<string, unknown> {
    if (!cache) return values;
    const merged = mergeValues(values, chartImageValues(chart, cache));
    const downloader = merged.downloadDashboardsImage as { registry: string; repository: string; tag: string } | undefined;
    if (downloader) merged.downloadDashboardsImage = imageParts(cachedImage(`${downloader.registry}/${downloader.repository}:${downloader.tag}`, cache));
    return merged;
}
