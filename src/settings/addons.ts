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

/** The UIs the gateway can serve, each behind a login of its own (Prometheus has none: never). */
export const EXPOSABLE_UIS = ["kiali", "grafana", "jaeger"] as const;
export type ExposedUi = (typeof EXPOSABLE_UIS)[number];

const EXPOSE_ERROR = `must be true, false or a list of ${EXPOSABLE_UIS.join(", ")}`;

export const addonsSchema = section({
    prometheus: addonSchema(ADDON_VERSIONS.prometheus),
    grafana: addonSchema(ADDON_VERSIONS.grafana),
    jaeger: addonSchema(ADDON_VERSIONS.jaeger),
    kiali: addonSchema(ADDON_VERSIONS.kiali),
    /**
     * The UIs served through the ingress gateway over https, each behind its login (never Prometheus): `true` for
     * every enabled one, `false` for none, or a list. Unset: Kiali where the stack has attendees (they log in with
     * their own token and see their own namespace), else none; `exposedUis` resolves it.
     */
    expose: z.union([bool(), z.array(z.enum(EXPOSABLE_UIS, { error: EXPOSE_ERROR }), { error: EXPOSE_ERROR })], { error: EXPOSE_ERROR }).optional(),
}).superRefine((a, ctx) => {
    const listed = Array.isArray(a.expose) ? a.expose : [];
    listed.forEach((ui, i) => {
        if (!a[ui].enabled) ctx.addIssue({ code: "custom", path: ["expose", i], input: ui, message: `names an addon this stack turns off: set addons.${ui}: true, or remove it from addons.expose` });
        if (listed.indexOf(ui) !== i) ctx.addIssue({ code: "custom", path: ["expose", i], input: ui, message: "names a UI twice" });
    });
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

/**
 * The UIs a stack serves through its gateway, in a fixed order: `expose` as given (`true`: every enabled UI), or
 * unset, Kiali where the stack has attendees (each logs in with their kubeconfig's token and sees their namespace).
 */
export function exposedUis(addons: { readonly expose?: boolean | readonly ExposedUi[] } & Record<ExposedUi, { readonly enabled: boolean }>, attendees: number): readonly ExposedUi[] {
    const wanted = addons.expose === undefined ? (attendees > 0 ? ["kiali"] : []) : addons.expose === true ? EXPOSABLE_UIS : addons.expose === false ? [] : addons.expose;
    return EXPOSABLE_UIS.filter((ui) => wanted.includes(ui) && addons[ui].enabled);
}

/** What each key of the section does, by dotted path (the configuration reference and the stack file schema print them); `<addon>` stands for every addon. */
export const ADDONS_DOCS: Readonly<Record<string, string>> = {
    addons: "The observability addons, each `true`, `false` or `{ enabled, version }`.",
    "addons.<addon>": "The addon on or off, or a mapping with its version. Prometheus must stay on while Kiali or Grafana is on.",
    "addons.<addon>.enabled": "The addon on or off.",
    "addons.<addon>.version": "Its chart version (Jaeger: its image tag).",
    "addons.expose":
        "The UIs served through the ingress gateway, under `/kiali`, `/grafana` and `/jaeger`, over https only (TLS ended by the gateway with the workshop CA's certificate, or by the load balancer with `istio.ingress.certificateArn`), each behind its login: `true` (every enabled one), `false`, or a list such as `[kiali]`. Default: `[kiali]` when the stack has attendees (each logs in with the token of their kubeconfig and sees only their namespace), else `false`. Grafana's login is the admin's and Jaeger's the organiser's basic auth: expose them to attendees' eyes only knowingly. Prometheus never.",
};
