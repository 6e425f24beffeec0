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

/** The cache's repositories the stack's `images` come from (`<prefix>/<path>`, no tag), for the cached registries. */
export function cacheRepositories(images: readonly string[], registries: readonly string[]): string[] {
    const repos = images
        .map((image) => ({ registry: image.slice(0, image.indexOf("/")), path: image.slice(image.indexOf("/") + 1).replace(/@.*$/, "").replace(/:[^/]*$/, "") }))
        .filter(({ registry }) => registries.includes(registry))
        .map(({ registry, path }) => `${ECR_UPSTREAMS[registry].prefix}/${path}`);
    return [...new Set(repos)].sort();
}

const repositoryArn = (region: string, account: string, repository: string) => `arn:aws:ecr:${region}:${account}:repository/${repository}`;
const PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"];

/**
 * What the nodes may pull from ECR, as the kubelet does for any pod that names an image: EKS's own images (the
 * VPC CNI, kube-proxy, CoreDNS, from AWS's accounts) and any other account's that grants this one; in the stack's
 * own account only the cache repositories of the stack's images. Not AWS's read-only policy, which lets any pod
 * of any attendee pull every private image of the account.
 */
export function nodeImagePolicy(region: string, account: string, repositories: readonly string[]): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            { Sid: "RegistryLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
            { Sid: "OtherAccounts", Effect: "Allow", Action: PULL_ACTIONS, NotResource: `arn:aws:ecr:*:${account}:repository/*` },
            ...(repositories.length > 0 ? [{ Sid: "StackImages", Effect: "Allow", Action: PULL_ACTIONS, Resource: repositories.map((r) => repositoryArn(region, account, r)) }] : []),
        ],
    });
}

/**
 * What the nodes may do to fill the cache: have it pull each of the stack's images from its upstream the first
 * time, into its own repository, and no other (the cache's registry credential reads more than the stack needs).
 */
export function pullThroughPolicy(region: string, account: string, repositories: readonly string[]): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"], Resource: repositories.map((r) => repositoryArn(region, account, r)) }],
    });
}

