/**
 * The images a stack pulls, and how `cluster.imageCache: ecr` points them at
 * ECR pull-through caches: the stack's own objects have their `image` fields
 * rewritten; the charts' images are set through the values keys each chart
 * reads them from. Pure; `src/cluster/cluster.ts` creates the cache rules.
 */
import { IMAGES } from "../model/images";
import { ECR_UPSTREAMS, cacheRegistries } from "../model/imageCache";
import { resolveScenarios } from "../lessons/resolve";
import type { Settings } from "../settings/schema";

import { CHART_IMAGES } from "../model/imageCache";
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

