/**
 * `cluster.imageCache: ecr`: the ECR pull-through cache rules for the
 * registries the stack's images come from, and what the nodes may do to fill
 * them. How images are rewritten to the cache is `src/model/imageCache.ts`.
 * Pure; `src/cluster/` creates the rules.
 */
import { ECR_UPSTREAMS, cacheRegistries } from "../model/imageCache";
import { type ClusterSettings } from "../settings/schema";

/** The registries the stack's cache rules cover (none unless `cluster.imageCache` is `ecr`). */
export function cachedRegistries(cluster: Pick<ClusterSettings, "imageCache" | "imageCacheCredentials">, images: readonly string[]): string[] {
    if (cluster.imageCache !== "ecr") return [];
    const credentials = new Set(Object.entries(cluster.imageCacheCredentials).filter(([, arn]) => arn !== undefined).map(([r]) => r));
    return cacheRegistries(images, credentials);
}

/** The pull-through cache rules: one per cached registry of the stack's `images`. */
export function cacheRules(cluster: Pick<ClusterSettings, "imageCache" | "imageCacheCredentials">, images: readonly string[]): { registry: string; ecrRepositoryPrefix: string; upstreamRegistryUrl: string; credentialArn?: string }[] {
    return cachedRegistries(cluster, images).map((registry) => ({
        registry,
        ecrRepositoryPrefix: ECR_UPSTREAMS[registry].prefix,
        upstreamRegistryUrl: ECR_UPSTREAMS[registry].upstream,
        ...(ECR_UPSTREAMS[registry].needsCredential ? { credentialArn: cluster.imageCacheCredentials[registry as "docker.io" | "ghcr.io"] } : {}),
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

