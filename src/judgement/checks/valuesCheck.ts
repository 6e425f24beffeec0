/**
 * Does each chart read every values key the stack sets? Helm ignores unknown
 * keys silently, so a misspelt or retired key (Kiali's `istio_namespace`, say)
 * changes nothing and says nothing. Two checks, each saying what it proves:
 *
 * 1. Declared (`declarationProblems`, needs only the chart's values.yaml): every
 *    key the stack sets must be declared by the chart's default values, or lie
 *    in a map whose default is empty (`podLabels: {}`: the chart passes it
 *    through), or be listed in `READ_UNDECLARED` with the template that reads
 *    it. Chart conventions are followed: Istio's charts keep their defaults
 *    under `_internal_defaults_do_not_set`, and istiod copies `pilot.*` to the
 *    top level (templates/zzy_descope_legacy.yaml).
 *
 * 2. Read (`unreadKeys`, needs the chart archive and helm): every key the stack
 *    sets is changed, one at a time, and the chart rendered again; a key whose
 *    change leaves every rendered object the same is one the chart does not
 *    read. Fields that differ between two renders of the same values (random
 *    keys, checksums of them) are ignored. A key the chart passes on unread
 *    (Kiali's chart copies its values into Kiali's config file) passes this
 *    check; check 1 is what catches a key Kiali itself no longer declares.
 */
import { isDeepStrictEqual } from "util";
import YAML from "yaml";
import * as os from "os";
import { CONFIG_SCHEMAS } from "../../workshop/charts";
import { CrdValidator } from "./crdSchemas";
import type { Plan } from "../plan/plan";
import { mapLimit, releaseInputs, type ReleaseInputs, type ReleaseReport, type Renderer } from "../plan/render";

/** What the chart checks found, per release URN: the plan's validation reads them. */
export interface ChartValueChecks {
    /** The chart's default values (its values.yaml), for the declared-keys check. */
    readonly chartDefaults?: ReadonlyMap<string, unknown>;
    /** The values keys whose change does not change the chart's render. */
    readonly unreadKeys?: ReadonlyMap<string, readonly string[]>;
    /** Per release with a configuration schema (`CONFIG_SCHEMAS`): its values checked against it. */
    readonly configSchemaProblems?: ReadonlyMap<string, readonly string[]>;
}

type Json = unknown;
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The key paths of a values tree down to its leaves (scalars, lists, empty maps). */
export function leafPaths(values: Json, prefix: string[] = []): string[][] {
    if (isMap(values) && Object.keys(values).length > 0) return Object.entries(values).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
    return [prefix];
}

/**
 * Keys the charts read though their values.yaml does not declare them (or only
 * in a comment), each with the template that reads it: every entry is a claim,
 * and check 2 re-proves it by rendering whenever the chart cache is present.
 * Paths are after the chart's aliases (istiod's `pilot.resources` is `resources`).
 */
export const READ_UNDECLARED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
    grafana: {
        fullnameOverride: "templates/_helpers.tpl (grafana.fullname); commented out in values.yaml",
        podLabels: "templates/deployment.yaml; commented out in values.yaml",
        "grafana.ini": "templates/_config.tpl writes every section and key of grafana.ini",
    },
    "kiali-server": {
        external_services: "templates/configmap.yaml copies the values into Kiali's config.yaml (Kiali CR spec.external_services)",
        "deployment.ingress.enabled": "templates/ingress.yaml; commented out in values.yaml",
        "kubernetes_config.cache_token_namespace_duration": "templates/configmap.yaml copies the values into Kiali's config.yaml (Kiali's config.go declares kubernetes_config.cache_token_namespace_duration, default 10)",
    },
    gateway: {
        labels: "templates/_helpers.tpl and templates/deployment.yaml put every entry on the gateway's objects and pods",
    },
    istiod: {
        meshConfig: "templates/configmap.yaml merges .Values.meshConfig into the mesh configuration (Istio's MeshConfig, every field)",
        resources: "templates/deployment.yaml renders .Values.resources as the container's resources",
        profile: "templates/zzz_profile.yaml merges files/profile-<profile>.yaml under the release's values",
    },
    cni: {
        profile: "templates/zzz_profile.yaml merges files/profile-<profile>.yaml under the release's values",
    },
    ztunnel: {
        profile: "templates/zzz_profile.yaml merges files/profile-<profile>.yaml under the release's values",
    },
};

/** Chart-specific key aliases: istiod copies everything under `pilot` to the top level. */
const ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
    istiod: { pilot: "" },
};

/** The defaults a chart declares, with Istio's `_internal_defaults_do_not_set` convention unwrapped. */
export function declaredDefaults(defaults: Json): Record<string, unknown> {
    if (!isMap(defaults)) return {};
    const { _internal_defaults_do_not_set: internal, ...rest } = defaults;
    return isMap(internal) ? { ...internal, ...rest } : defaults;
}

/** A values key as the chart's templates see it, after the chart's aliases. */
function canonicalPath(chart: string, path: readonly string[]): string[] {
    const alias = ALIASES[chart]?.[path[0]];
    if (alias === undefined) return [...path];
    return [...(alias === "" ? [] : [alias]), ...path.slice(1)];
}

/** Keys the stack sets that the chart's values.yaml does not declare (and no entry of READ_UNDECLARED covers). */
export function declarationProblems(chart: string, values: Json, defaults: Json): string[] {
    const declared = declaredDefaults(defaults);
    const read = Object.keys(READ_UNDECLARED[chart] ?? {});
    const problems: string[] = [];
    for (const path of leafPaths(values)) {
        if (path.length === 0) continue;
        const keys = canonicalPath(chart, path);
        const dotted = keys.join(".");
        if (read.some((k) => dotted === k || dotted.startsWith(`${k}.`))) continue;
        let node: unknown = declared;
        let depth = 0;
        for (const k of keys) {
            if (!isMap(node) || !(k in node)) break;
            node = node[k];
            depth++;
        }
        if (depth === keys.length) continue; // declared
        if (isMap(node) && Object.keys(node).length === 0 && depth > 0) continue; // inside a map the chart passes through whole
        const at = keys.slice(0, depth).join(".");
        problems.push(`chart ${chart}: values key ${path.join(".")} is not declared by the chart's values.yaml${at ? ` (declared up to ${at})` : ""}: Helm would ignore it`);
    }
    return problems;
}

/** A different value of the same kind, to see whether the chart reacts to a key. */
export function perturb(value: Json): Json {
    if (typeof value === "boolean") return !value;
    if (typeof value === "number") return value + 7;
    if (typeof value === "string") return `${value}-changed`;
    if (Array.isArray(value)) return value.length > 0 ? [] : ["changed"];
    if (isMap(value)) return { changed: "changed" };
    return "changed";
}

function setPath(values: Json, path: readonly string[], value: Json): Json {
    if (path.length === 0) return value;
    const base = isMap(values) ? values : {};
    return { ...base, [path[0]]: setPath(base[path[0]], path.slice(1), value) };
}

/** Leaf-level paths where two JSON values differ. */
function differences(a: Json, b: Json, at = ""): string[] {
    if (isDeepStrictEqual(a, b)) return [];
    if (isMap(a) && isMap(b)) return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => differences(a[k], b[k], `${at}/${k}`));
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.flatMap((v, i) => differences(v, b[i], `${at}/${i}`));
    return [at];
}

/**
 * Rendered objects that only echo the values back and act on nothing: a change
 * there proves nothing about whether the chart reads a key.
 */
export const VALUE_ECHOES: Readonly<Record<string, readonly string[]>> = {
    // "This ConfigMap contains the Helm values used during chart rendering ... modifying these values has no effect."
    istiod: ["ConfigMap/values"],
};

function withoutEchoes(chart: string, objects: readonly any[]): any[] {
    const echoes = new Set(VALUE_ECHOES[chart] ?? []);
    return objects.filter((o) => !echoes.has(`${o.kind}/${o.metadata?.name}`));
}

/** Text that is a YAML or JSON document, as data: so a diff sees which key inside a config file changed. */
function parsedDocument(text: unknown): unknown {
    if (typeof text !== "string" || !text.includes("\n")) return text;
    try {
        const doc = YAML.parse(text);
        return isMap(doc) || Array.isArray(doc) ? doc : text;
    } catch {
        return text;
    }
}

/** Objects by kind, namespace and name, with the config files inside ConfigMaps parsed. */
const keyed = (objects: readonly any[]) =>
    Object.fromEntries(
        objects.map((o) => [
            `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`,
            o.kind === "ConfigMap" && isMap(o.data) ? { ...o, data: Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, parsedDocument(v)])) } : o,
        ]),
    );

/**
 * Keys of the release's values whose change leaves the render unchanged: keys
 * the chart does not read. Rejects when the release cannot be rendered.
 */
export async function unreadKeys(renderer: Renderer, release: ReleaseInputs): Promise<string[]> {
    const archive = renderer.archive(release);
    if (!archive) throw new Error(`${release.chart} ${release.version} is not in the chart cache`);
    return renderer.memo("unread", { chart: archive.sha256, name: release.name, namespace: release.namespace, values: release.values }, () => findUnreadKeys(renderer, release));
}

async function findUnreadKeys(renderer: Renderer, release: ReleaseInputs): Promise<string[]> {
    const baseline = await renderer.render(release);
    if (baseline.status !== "rendered") throw new Error(baseline.reason);
    // A second render of the same values shows what varies by itself (random keys and their checksums).
    const again = await renderer.render(release, release.values, { fresh: true });
    const base = keyed(withoutEchoes(release.chart, baseline.objects));
    const volatile = again.status === "rendered" ? new Set(differences(base, keyed(withoutEchoes(release.chart, again.objects)))) : new Set<string>();
    // One render per key, as many at a time as there are cores.
    const paths = leafPaths(release.values).filter((p) => p.length > 0);
    const unread = await mapLimit(paths, os.cpus().length, async (path) => {
        const value = path.reduce<Json>((v, k) => (isMap(v) ? v[k] : undefined), release.values);
        const changed = await renderer.render(release, setPath(release.values, path, perturb(value)) as Record<string, unknown>);
        if (changed.status !== "rendered") return undefined; // the chart refused the changed value: it reads the key
        return differences(base, keyed(withoutEchoes(release.chart, changed.objects))).every((d) => volatile.has(d)) ? path.join(".") : undefined;
    });
    return unread.filter((k): k is string => k !== undefined);
}

/**
 * Keys a release sets that the application's own configuration schema does not
 * have, for charts that pass their values through to the application (see
 * `CONFIG_SCHEMAS`): validated as that application's custom resource against
 * the CRD its operator chart ships, at the same version.
 */
export function configSchemaProblems(
    release: ReleaseInputs,
    crds: readonly any[],
    schema: { readonly apiVersion: string; readonly kind: string; readonly chart: string; readonly version: string },
): string[] {
    const validator = new CrdValidator(crds);
    return validator.violations({ apiVersion: schema.apiVersion, kind: schema.kind, metadata: { name: release.name }, spec: release.values }).map(
        (v) => {
            const [at, ...rest] = v.replace(/^spec\//, "").replace(/ \(the API server would drop it\)$/, "").split(" ");
            return `chart ${release.chart}: values key ${at.replace(/\//g, ".")} ${rest.join(" ")}, per ${schema.kind}'s configuration schema (the ${schema.kind} CRD of chart ${schema.chart} ${schema.version}): ${schema.kind} would not use it`;
        },
    );
}

/**
 * For every rendered release: its chart's default values, the keys the chart
 * does not read, and (where the chart has one) the configuration schema's verdict.
 */
export async function chartValueChecks(
    renderer: Renderer,
    plan: Plan,
    releases: readonly ReleaseReport[],
): Promise<ChartValueChecks> {
    const urns = releases.filter((r) => r.result.status === "rendered").map((r) => r.urn);
    const results = await Promise.all(
        urns.map(async (urn) => {
            const inputs = releaseInputs(plan.resources.find((r) => r.urn === urn)!);
            const schema = CONFIG_SCHEMAS[inputs.chart];
            const crds = schema ? await renderer.chartCrds({ repo: inputs.repo, chart: schema.chart, version: inputs.version }) : undefined;
            const config = schema && crds ? configSchemaProblems(inputs, crds, { ...schema, version: inputs.version }) : undefined;
            return { urn, defaults: await renderer.chartDefaults(inputs), unread: await unreadKeys(renderer, inputs), config };
        }),
    );
    return {
        chartDefaults: new Map(results.map((r) => [r.urn, r.defaults])),
        unreadKeys: new Map(results.map((r) => [r.urn, r.unread])),
        configSchemaProblems: new Map(results.flatMap((r) => (r.config ? [[r.urn, r.config] as const] : []))),
    };
}
