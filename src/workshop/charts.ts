/**
 * The Helm charts the stack installs: their official repositories, the
 * published digests this project knows, and every release a stack's settings
 * make, in install order. Pure data and functions; the chart cache and the
 * renderer (`src/judgement/plan/`) and the components use them.
 */
import * as path from "path";
import YAML from "yaml";
import { CHART_REPOS, addonReleases } from "../addons/addonsSpec";
import { ISTIO_CHART_REPO, gatewayApiManifest, gatewayApiRelease, meshReleases } from "../mesh/meshSpec";
import { type ReleaseSpec } from "../model/release";
import type { MeshSizing } from "../mesh/meshScale";
import type { Settings } from "../settings/schema";

export interface ChartRepository {
    /** The name `helm repo add` conventionally gives it, and its directory in the chart cache. */
    readonly name: string;
    readonly url: string;
}

/** Official chart repositories, one per project, with their conventional names. */
export const CHART_REPOSITORIES = {
    istio: { name: "istio", url: ISTIO_CHART_REPO },
    prometheus: { name: "prometheus-community", url: CHART_REPOS.prometheus },
    grafana: { name: "grafana-community", url: CHART_REPOS.grafana },
    kiali: { name: "kiali", url: CHART_REPOS.kiali },
} as const satisfies Record<string, ChartRepository>;

/**
 * sha256 digests of published chart archives, from each repository's own
 * `index.yaml` (kiali.org's index generated 2026-07-13; grafana-community's
 * gh-pages index generated 2026-08-20). The Istio and prometheus-community
 * indexes could not be read when these were pinned: their archives are
 * reported as unverified, never as verified.
 */
export const PUBLISHED_DIGESTS: Readonly<Record<string, string>> = {
    "kiali/kiali-server-2.29.0.tgz": "77b88e6bcc657b21c1af595cb87debd707d007b50e6d6bb49d7ffda1331dc749",
    "kiali/kiali-operator-2.29.0.tgz": "535cb4d400c1c9afd92fe420b931d93e721196857d9711759f788fc98bc50c16",
    "grafana-community/grafana-11.6.1.tgz": "ecea607545115a9f1d189870918613372a98fb47c447adcc612c9a5085d4ff79",
};

/** The repository a release's chart comes from, by URL. */
export function repositoryOf(url: string): ChartRepository {
    const repo = Object.values(CHART_REPOSITORIES).find((r) => r.url === url);
    if (!repo) throw new Error(`unknown chart repository ${url}; known: ${Object.values(CHART_REPOSITORIES).map((r) => r.url).join(", ")}`);
    return repo;
}

/** Where a chart archive sits in a chart cache, as `helm pull -d <cache>/<repo>` leaves it. */
export function archiveName(repoUrl: string, chart: string, version: string): string {
    return `${repositoryOf(repoUrl).name}/${chart}-${version}.tgz`;
}

/**
 * Charts pulled only for a schema they ship, never installed: the CRD that
 * defines an application's own configuration, for charts that pass their values
 * through to that application (Kiali's chart writes its values into Kiali's
 * config file, whose fields are the Kiali CR's spec). Released together with
 * the installed chart, at the same version.
 */
export const CONFIG_SCHEMAS: Readonly<Record<string, { readonly chart: string; readonly apiVersion: string; readonly kind: string }>> = {
    "kiali-server": { chart: "kiali-operator", apiVersion: "kiali.io/v1alpha1", kind: "Kiali" },
};

/** The chart whose CRD defines the configuration a release's values become, if any. */
export function configSchemaChart(release: Pick<ReleaseSpec, "chart" | "version" | "repositoryOpts">) {
    const schema = CONFIG_SCHEMAS[release.chart];
    return schema ? { ...schema, repo: release.repositoryOpts.repo, version: release.version } : undefined;
}

/** Every Helm release of upstream charts a stack's settings install, in install order. */
export function stackReleases(settings: Pick<Settings, "istio" | "addons">, sizing: Pick<MeshSizing, "proxy" | "istiod">): ReleaseSpec[] {
    const mesh = meshReleases(settings.istio, sizing);
    const addons = addonReleases(settings.addons, settings.istio.version, settings.istio.dataplane);
    return [mesh.base, mesh.cni, mesh.istiod, mesh.ztunnel, mesh.ingress, mesh.egress, addons.prometheus, addons.grafana, addons.kiali].filter((r): r is ReleaseSpec => r !== undefined);
}

/** The manifests the stack has the provider read from a URL (the Gateway API's CRDs): what `npm run charts` also caches. */
export function stackManifests(settings: Pick<Settings, "istio">): string[] {
    const gatewayApi = gatewayApiManifest(settings.istio);
    return gatewayApi ? [gatewayApi] : [];
}

/** Where a manifest of a URL lives in the chart cache: `manifests/<host>/<path>`. */
export function manifestCachePath(cache: string, url: string): string {
    const u = new URL(url);
    return path.join(cache, "manifests", u.host, ...u.pathname.split("/").filter((p) => p !== "" && p !== ".."));
}

/** Every object of a manifest's text. */
export function manifestObjects(text: string): any[] {
    return YAML.parseAllDocuments(text)
        .map((d) => d.toJSON())
        .filter((o) => o?.kind);
}

/** What is wrong with a manifest's objects for its URL: a Gateway API release's CRDs all of that release and channel. */
export function manifestProblems(url: string, objects: readonly any[]): string[] {
    const release = gatewayApiRelease(url);
    if (!release) return [];
    const crds = objects.filter((o) => o.kind === "CustomResourceDefinition");
    if (crds.length === 0) return [`ManifestNotTheRelease: ${url} holds no CustomResourceDefinition`];
    return crds
        .filter((c) => c.metadata?.annotations?.["gateway.networking.k8s.io/bundle-version"] !== release.version || c.metadata?.annotations?.["gateway.networking.k8s.io/channel"] !== release.channel)
        .map((c) => `ManifestNotTheRelease: CRD ${c.metadata?.name} of ${url} is bundle ${c.metadata?.annotations?.["gateway.networking.k8s.io/bundle-version"]} (${c.metadata?.annotations?.["gateway.networking.k8s.io/channel"]}), not ${release.version} (${release.channel})`);
}
