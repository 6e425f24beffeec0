/**
 * The observability addons, each optional and pinned: Prometheus, Grafana,
 * Jaeger and Kiali in `istio-system`, wired to each other explicitly, reachable
 * by port-forward (ClusterIP only) or, those `addons.expose` names, through the
 * shared gateway over https, behind a login each. Prometheus is never exposed.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ADDONS_NAMESPACE } from "../model/endpoints";
import {
    GRAFANA_ADMIN_SECRET,
    JAEGER_AUTH_SECRET,
    MESH_VIEWER,
    addonReleases,
    jaegerObjects,
    portForwards,
} from "./addonsSpec";
import { exposedRouteObjects, exposedUiUrls, htpasswdLine, jaegerAuthObjects } from "./exposure";
import { releaseValuesWithCache } from "../model/imageCache";
import { withCachedImages, type ImageCache } from "../model/imageCache";
import type { ReleaseSpec } from "../model/release";
import { type AddonsConfig, type IstioConfig } from "../settings/schema";
import { parseComponentSettings } from "../settings/parse";

export interface AddonsArgs {
    /** The Kubernetes provider of the cluster the addons go to. */
    readonly provider: k8s.Provider;
    /**
     * The addons, as a stack file's `addons` section (docs/configuration.md): `prometheus`,
     * `grafana`, `jaeger`, `kiali` (each `true`, `false` or `{ enabled, version }`, all on by
     * default) and `expose`; every key optional, with its default.
     */
    readonly addons?: AddonsConfig;
    /**
     * The mesh they observe, as its `istio` section: the version whose dashboards Grafana loads,
     * the tracing sample rate, and (for `expose`) the gateway's API. Default: the defaults.
     */
    readonly istio?: IstioConfig;
    /** The cluster's `mode`; default `existing`. */
    readonly cluster?: { readonly mode?: "eks" | "existing" };
    /** What the addons wait for: istiod (its namespace exists, its CRDs and webhooks are ready). */
    readonly mesh: pulumi.Resource;
    /** The shared Gateway exposed UIs bind to. */
    readonly gateway: pulumi.Resource;
    /** The gateway's address (the load balancer's name, or the node ports' sentence): where the exposed UIs are opened. */
    readonly ingressAddress?: pulumi.Input<string>;
    /** The classroom's domain, if any: exposed UIs are opened under it. */
    readonly domain?: string;
    /** The ECR pull-through cache images go through; default none. */
    readonly imageCache?: pulumi.Input<ImageCache | undefined>;
}

export class ObservabilityAddons extends pulumi.ComponentResource {
    /** `kubectl port-forward` command per enabled UI. */
    readonly portForwards: pulumi.Output<Record<string, string>>;
    /** Where a browser opens each UI served through the gateway (`addons.expose`). */
    readonly exposedUiUrls: pulumi.Output<Record<string, string>>;
    /** Grafana's admin password (secret); undefined without Grafana. */
    readonly grafanaAdminPassword?: pulumi.Output<string>;
    /** Password of Jaeger's basic-auth login (user `workshop`, secret); only when Jaeger is exposed. */
    readonly jaegerPassword?: pulumi.Output<string>;
    /** How the organizer gets a Kiali login token. */
    readonly kialiLogin?: pulumi.Output<string>;

    constructor(name: string, args: AddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-workshop:addons:ObservabilityAddons", name, {}, opts);
        // Validated as a stack file's sections are: a mistake names its key; what is left out takes its default.
        const { addons, istio } = parseComponentSettings({ addons: args.addons, istio: args.istio, cluster: args.cluster });
        const childOpts = (dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({
            parent: this,
            provider: args.provider,
            dependsOn: [args.mesh, ...dependsOn],
        });
        const cache = pulumi.output(args.imageCache);
        const release = (key: string, spec: ReleaseSpec, dependsOn: pulumi.Resource[] = []) =>
            new k8s.helm.v3.Release(
                `${name}-${key}`,
                { ...spec, values: cache.apply((c) => releaseValuesWithCache(spec.chart, spec.values, c)), createNamespace: false },
                childOpts(dependsOn),
            );
        const cached = <T>(value: T) => cache.apply((c) => withCachedImages(value, c));
        const releases = addonReleases(addons, istio.version, istio.dataplane);

        if (releases.prometheus) release("prometheus", releases.prometheus);

        if (releases.grafana) {
            const password = new random.RandomPassword(`${name}-grafana-password`, { length: 24, special: false }, { parent: this });
            const secret = new k8s.core.v1.Secret(
                `${name}-grafana-admin`,
                {
                    metadata: { name: GRAFANA_ADMIN_SECRET.name, namespace: ADDONS_NAMESPACE },
                    stringData: { [GRAFANA_ADMIN_SECRET.userKey]: GRAFANA_ADMIN_SECRET.user, [GRAFANA_ADMIN_SECRET.passwordKey]: password.result },
                },
                childOpts(),
            );
            release("grafana", releases.grafana, [secret]);
            this.grafanaAdminPassword = pulumi.secret(password.result);
        }

        if (addons.jaeger.enabled) {
            const objs = jaegerObjects(addons.jaeger.version);
            const config = new k8s.core.v1.ConfigMap(`${name}-jaeger-config`, objs.configMap, childOpts());
            new k8s.apps.v1.Deployment(`${name}-jaeger`, { ...objs.deployment, spec: cached(objs.deployment.spec) }, childOpts([config]));
            new k8s.core.v1.Service(`${name}-jaeger-collector`, objs.collectorService, childOpts());
            new k8s.core.v1.Service(`${name}-jaeger-query`, objs.queryService, childOpts());
        }

        if (releases.kiali) {
            release("kiali", releases.kiali);
            const viewer = new k8s.rbac.v1.ClusterRole(`${name}-kiali-viewer-role`, { metadata: { name: MESH_VIEWER.name }, rules: MESH_VIEWER.rules }, childOpts());
            const account = new k8s.core.v1.ServiceAccount(
                `${name}-kiali-viewer`,
                { metadata: { name: MESH_VIEWER.name, namespace: ADDONS_NAMESPACE } },
                childOpts(),
            );
            new k8s.rbac.v1.ClusterRoleBinding(
                `${name}-kiali-viewer-binding`,
                {
                    metadata: { name: MESH_VIEWER.name },
                    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: MESH_VIEWER.name },
                    subjects: [{ kind: "ServiceAccount", name: MESH_VIEWER.name, namespace: ADDONS_NAMESPACE }],
                },
                childOpts([viewer, account]),
            );
            this.kialiLogin = pulumi.output(`kubectl -n ${ADDONS_NAMESPACE} create token ${MESH_VIEWER.name} --duration=8h`);
        }

        // The exposed UIs' routes on the shared gateway: a VirtualService, or with Gateway API ingress two HTTPRoutes.
        const routeDeps: pulumi.Resource[] = [args.gateway];
        if (addons.expose.includes("jaeger")) routeDeps.push(...this.jaegerAuth(name, childOpts, cached));
        for (const r of exposedRouteObjects(addons, istio.ingress.api)) new k8s.apiextensions.CustomResource(`${name}-${r.key}`, { ...r.object }, childOpts(routeDeps));

        this.portForwards = pulumi.output(portForwards(addons));
        this.exposedUiUrls = pulumi.output(args.ingressAddress ?? "<ingressGatewayAddress>").apply((a) => exposedUiUrls(addons, istio.ingress, a, args.domain));
        this.registerOutputs({ portForwards: this.portForwards, exposedUiUrls: this.exposedUiUrls, grafanaAdminPassword: this.grafanaAdminPassword, jaegerPassword: this.jaegerPassword });
    }

    /** Basic-auth proxy for Jaeger's UI: a generated password, its htpasswd Secret, nginx. */
    private jaegerAuth(
        name: string,
        childOpts: (deps?: pulumi.Resource[]) => pulumi.CustomResourceOptions,
        cached: <T>(value: T) => pulumi.Output<T>,
    ): pulumi.Resource[] {
        const password = new random.RandomPassword(`${name}-jaeger-password`, { length: 24, special: false }, { parent: this });
        const salt = new random.RandomString(`${name}-jaeger-salt`, { length: 8, special: false }, { parent: this });
        (this as { jaegerPassword?: pulumi.Output<string> }).jaegerPassword = pulumi.secret(password.result);
        const secret = new k8s.core.v1.Secret(
            `${name}-jaeger-auth`,
            {
                metadata: { name: JAEGER_AUTH_SECRET.name, namespace: ADDONS_NAMESPACE },
                stringData: { [JAEGER_AUTH_SECRET.key]: pulumi.all([password.result, salt.result]).apply(([p, s]) => htpasswdLine(JAEGER_AUTH_SECRET.user, p, s)) },
            },
            childOpts(),
        );
        const objs = jaegerAuthObjects();
        const conf = new k8s.core.v1.ConfigMap(`${name}-jaeger-auth-config`, objs.configMap, childOpts());
        const deployment = new k8s.apps.v1.Deployment(`${name}-jaeger-auth`, { ...objs.deployment, spec: cached(objs.deployment.spec) }, childOpts([conf, secret]));
        const service = new k8s.core.v1.Service(`${name}-jaeger-auth-service`, objs.service, childOpts());
        return [deployment, service];
    }
}
