/**
 * The `addons` section: Prometheus, Grafana, Jaeger and Kiali, each on, off or pinned.
 */
import { z } from "zod";
import { SEMVER, bool, section } from "./primitives";

/**
 * Pinned addon versions: Helm chart versions for Prometheus, Grafana and Kiali,
 * the image tag for Jaeger (plain Kubernetes objects).
 */
export const ADDON_VERSIONS = {
    prometheus: "27.42.2", // prometheus-community/prometheus chart (Prometheus 3.7)
    grafana: "11.6.1", // grafana-community/grafana chart (Grafana 12.4)
    jaeger: "2.20.0", // jaegertracing/jaeger image (Jaeger v2): the newest v2 release the upstream data holds
    kiali: "2.29.0", // kiali/kiali-server chart (the newest in kiali.org's chart index)
} as const;

/** An addon: `true`/`false`, or `{ enabled, version }` to pin another version. */
export function addonSchema(version: string) {
    const versionSchema = z
        .string({ error: "must be a version such as \"1.2.3\"" })
        .regex(SEMVER, { error: "must be a version such as \"1.2.3\"" })
        .default(version);
    return z
        .union([bool(), section({ enabled: bool().default(true), version: versionSchema })], {
            error: 'must be true, false or a mapping { enabled, version }',
        })
        .default(true)
        .transform((a) => (typeof a === "boolean" ? { enabled: a, version } : a));
}

export const addonsSchema = section({
    prometheus: addonSchema(ADDON_VERSIONS.prometheus),
    grafana: addonSchema(ADDON_VERSIONS.grafana),
    jaeger: addonSchema(ADDON_VERSIONS.jaeger),
    kiali: addonSchema(ADDON_VERSIONS.kiali),
    /** Serve Kiali, Grafana and Jaeger through the ingress gateway, each behind a login (never Prometheus). */
    expose: bool().default(false),
}).superRefine((a, ctx) => {
    for (const needsPrometheus of ["kiali", "grafana"] as const) {
        if (a[needsPrometheus].enabled && !a.prometheus.enabled) {
            ctx.addIssue({
                code: "custom",
                path: ["prometheus"],
                input: false,
                message: `must stay enabled while addons.${needsPrometheus} is enabled (it reads every graph from Prometheus)`,
            });
        }
    }
});

/** What each key of the section does, by dotted path (the configuration reference and the stack file schema print them); `<addon>` stands for every addon. */
export const ADDONS_DOCS: Readonly<Record<string, string>> = {
    addons: "The observability addons, each `true`, `false` or `{ enabled, version }`.",
    "addons.<addon>": "The addon on or off, or a mapping with its version. Prometheus must stay on while Kiali or Grafana is on.",
    "addons.<addon>.enabled": "The addon on or off.",
    "addons.<addon>.version": "Its chart version (Jaeger: its image tag).",
    "addons.expose": "Serve Kiali, Grafana and Jaeger through the ingress gateway, over https only (needs `istio.ingress.certificateArn`), each behind a login; Prometheus never.",
};
