/**
 * Every container image the stack names itself, pinned, in one table. Each is
 * pulled from a registry its project publishes to without Docker Hub's
 * anonymous pull limits (a classroom's nodes share a few NAT addresses), where
 * the project publishes one:
 *  - Istio's sample apps from registry.istio.io, as `samples/` of the Istio release deploy them;
 *  - curl from quay.io/curl (the curl project's own images, the same builds as Docker Hub's curlimages/curl);
 *  - nginx-unprivileged, Jaeger from their projects' quay.io organisations;
 *  - hello-app from Google's Artifact Registry.
 * `DOCKER_HUB_ONLY` lists the images still pulled from Docker Hub, and why.
 * Images inside the Helm charts are the charts' own (registry.istio.io,
 * quay.io, docker.io for Grafana), apart from the overrides in `addonsSpec.ts`.
 */

export const IMAGES = {
    helloworld: (v: string) => `registry.istio.io/release/examples-helloworld-${v}:1.0`,
    bookinfo: (svc: string, v: string) => `registry.istio.io/release/examples-bookinfo-${svc}-${v}:1.20.3`,
    helloApp: (tag: string) => `us-docker.pkg.dev/google-samples/containers/gke/hello-app:${tag}`,
    curl: "quay.io/curl/curl:8.16.0",
    nginx: "quay.io/nginx/nginx-unprivileged:1.28.0-alpine",
    fortio: "docker.io/fortio/fortio:1.69.4",
    tcpEcho: "registry.istio.io/release/tcp-echo-server:1.3",
    httpbin: "docker.io/mccutchen/go-httpbin:v2.15.0",
    jaeger: (version: string) => `quay.io/jaegertracing/jaeger:${version}`,
} as const;

/** Images (by repository) that have no publisher-run registry other than Docker Hub. */
export const DOCKER_HUB_ONLY: Readonly<Record<string, string>> = {
    "docker.io/fortio/fortio": "fortio publishes its images on Docker Hub only",
    "docker.io/mccutchen/go-httpbin": "the image of Istio's samples/httpbin/httpbin.yaml, pulled from where that sample pulls it",
    "docker.io/grafana/grafana": "the Grafana chart's image; Grafana publishes its images on Docker Hub only",
};

/** `registry/repository` of an image reference, without tag or digest. */
export function imageRepository(image: string): string {
    const at = image.indexOf("@");
    const name = at >= 0 ? image.slice(0, at) : image;
    const slash = name.lastIndexOf("/");
    const colon = name.lastIndexOf(":");
    return colon > slash ? name.slice(0, colon) : name;
}

/** Why an image reference is not pinned, or undefined when it is (a version tag or a digest). */
export function unpinned(image: string): string | undefined {
    if (image.includes("@sha256:")) return undefined;
    const tag = image.slice(imageRepository(image).length + 1);
    if (tag === "") return "has no tag (Kubernetes pulls :latest)";
    if (/^(latest|main|master|stable|edge|nightly|dev)$/i.test(tag) || tag.startsWith("latest")) return `has the moving tag ":${tag}"`;
    if (!/\d+\.\d+\.\d+/.test(tag) && !/^\d+\.\d+$/.test(tag)) return `has tag ":${tag}", which names no exact version`;
    return undefined;
}

/** An image reference as Helm charts take it: registry, repository, tag. */
export function imageParts(image: string): { registry: string; repository: string; tag: string } {
    const repo = imageRepository(image);
    const slash = repo.indexOf("/");
    return { registry: repo.slice(0, slash), repository: repo.slice(slash + 1), tag: image.slice(repo.length + 1) };
}

