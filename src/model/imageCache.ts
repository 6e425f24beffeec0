/**
 * How images go through an ECR pull-through cache: the upstreams ECR can cache, an
 * image reference as pulled through the cache, the stack's own objects and the
 * charts' values rewritten to use it. `src/cluster/` creates the cache rules.
 */
import { imageParts } from "./images";

/**
 * Registries ECR can cache through a pull-through cache rule, as this stack
 * names them: the rule's upstream URL and the repository prefix images are
 * pulled under (`<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<repository>`).
 * Docker Hub and GitHub need credentials (a Secrets Manager secret whose name
 * starts with `ecr-pullthroughcache/`). registry.istio.io and Google's Artifact
 * Registry are not upstreams ECR supports: their images are pulled directly (they
 * are not rate-limited as Docker Hub is).
 */
export const ECR_UPSTREAMS: Readonly<Record<string, { readonly upstream: string; readonly prefix: string; readonly needsCredential: boolean }>> = {
    "quay.io": { upstream: "quay.io", prefix: "quay", needsCredential: false },
    "registry.k8s.io": { upstream: "registry.k8s.io", prefix: "k8s", needsCredential: false },
    "public.ecr.aws": { upstream: "public.ecr.aws", prefix: "ecr-public", needsCredential: false },
    "docker.io": { upstream: "registry-1.docker.io", prefix: "docker-hub", needsCredential: true },
    "ghcr.io": { upstream: "ghcr.io", prefix: "github", needsCredential: true },
};

/** An ECR pull-through cache for the stack's images: the registry host, and which upstreams have a rule. */
export interface ImageCache {
    /** `<account>.dkr.ecr.<region>.amazonaws.com` */
    readonly host: string;
    /** Registries (keys of ECR_UPSTREAMS) whose images go through the cache. */
    readonly registries: readonly string[];
}

/** The image as pulled through the cache, or unchanged when its registry has no rule. */
export function cachedImage(image: string, cache: ImageCache | undefined): string {
    if (!cache) return image;
    const registry = image.slice(0, image.indexOf("/"));
    if (!cache.registries.includes(registry)) return image;
    return `${cache.host}/${ECR_UPSTREAMS[registry].prefix}/${image.slice(registry.length + 1)}`;
}

/** The same objects with every container's image pulled through the cache. */
export function withCachedImages<T>(value: T, cache: ImageCache | undefined): T {
    if (!cache) return value;
    const walk = (v: unknown, key?: string): unknown => {
        if (Array.isArray(v)) return v.map((x) => walk(x));
        if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
        return key === "image" && typeof v === "string" ? cachedImage(v, cache) : v;
    };
    return walk(value) as T;
}

/** The registries of a set of images that get a cache rule: supported upstreams, with credentials where they need them. */
export function cacheRegistries(images: readonly string[], credentialsFor: ReadonlySet<string>): string[] {
    return [...new Set(images.map((i) => i.slice(0, i.indexOf("/"))))]
        .filter((r) => ECR_UPSTREAMS[r] && (!ECR_UPSTREAMS[r].needsCredential || credentialsFor.has(r)))
        .sort();
}

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
