/**
 * The demo apps of the lessons in one namespace (labelled for injection): their
 * Deployments, Services, DestinationRules and VirtualServices, traffic
 * generators, and a verification Job per routing rule that waits for the rule
 * and the apps it checks, then measures. A failed check fails `pulumi up`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { INJECTION_LABELS } from "./meshSpec";
import { buildScenario, resolveScenarios, type BuiltScenario, type GatewayPlacement } from "./scenarios/build";
import type { Settings } from "./settings";

export interface DemoAppsArgs {
    readonly settings: Pick<Settings, "apps">;
    /** Namespace the apps go to. */
    readonly namespace: string;
    /** Where the apps' gateway routes go: an attendee's path prefix or host; default the whole gateway. */
    readonly placement?: GatewayPlacement;
    readonly provider: k8s.Provider;
    /** istiod: injection and Istio's CRDs must be ready before any pod or Istio object. */
    readonly istiod: pulumi.Resource;
    /** The shared Gateway and the ingress gateway: gateway routes and their checks wait for them. */
    readonly gateway: readonly pulumi.Resource[];
}

export class DemoApps extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    /** The namespace itself: what namespace-scoped objects of others depend on. */
    readonly namespaceResource: k8s.core.v1.Namespace;
    /** Names of the verification Jobs, which `pulumi up` waits for. */
    readonly checks: pulumi.Output<string[]>;

    constructor(name: string, args: DemoAppsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-workshop:apps:DemoApps", name, {}, opts);
        const { apps } = args.settings;
        const ns = new k8s.core.v1.Namespace(
            `${name}-ns`,
            { metadata: { name: args.namespace, labels: { ...INJECTION_LABELS } } },
            { parent: this, provider: args.provider, dependsOn: [args.istiod] },
        );
        const built = resolveScenarios(apps).map((s) =>
            buildScenario(s, {
                namespace: args.namespace,
                verify: apps.verify.enabled,
                requests: apps.verify.requests,
                rate: apps.traffic.enabled ? apps.traffic.requestsPerSecond : undefined,
                placement: args.placement,
            }),
        );
        const checkNames = built.flatMap((b) => this.register(name, b, ns, args));
        this.namespaceResource = ns;
        this.namespace = ns.metadata.name;
        this.checks = pulumi.output(checkNames);
        this.registerOutputs({ namespace: this.namespace, checks: this.checks });
    }

    /** Registers one scenario's objects; returns its check names. */
    private register(name: string, b: BuiltScenario, ns: k8s.core.v1.Namespace, args: DemoAppsArgs): string[] {
        const opts = (dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({
            parent: this,
            provider: args.provider,
            dependsOn: [ns, ...dependsOn],
        });
        const child = (kind: string, objName: string) => `${name}-${kind}-${objName}`;

        const configMaps = new Map(b.configMaps.map((c) => [c.name, new k8s.core.v1.ConfigMap(child("cm", c.name), c.spec, opts())]));
        const deployments = new Map(
            b.deployments.map((d) => {
                const mounted = d.configMap !== undefined ? [configMaps.get(d.configMap)!] : [];
                return [d.name, new k8s.apps.v1.Deployment(child("deploy", d.name), d.spec, opts(mounted))];
            }),
        );
        const services = new Map(b.services.map((s) => [s.name, new k8s.core.v1.Service(child("svc", s.name), s.spec, opts())]));
        const routing = new Map<string, pulumi.Resource[]>();
        const addRouting = (host: string, r: pulumi.Resource) => routing.set(host, [...(routing.get(host) ?? []), r]);
        for (const dr of b.destinationRules) {
            addRouting(dr.metadata.name, new k8s.apiextensions.CustomResource(child("dr", dr.metadata.name), { ...dr }, opts()));
        }
        for (const { host, object } of b.virtualServices) {
            const gatewayDeps = object.spec.gateways ? [...args.gateway] : [];
            addRouting(host, new k8s.apiextensions.CustomResource(child("vs", object.metadata.name), { ...object }, opts(gatewayDeps)));
        }

        return b.checks.map((c) => {
            const needs: pulumi.Resource[] = [
                ...c.needs.hosts.flatMap((h) => routing.get(h) ?? []),
                ...c.needs.services.flatMap((s) => [
                    ...(services.has(s) ? [services.get(s)!] : []),
                    ...(routing.get(s) ?? []),
                    ...(b.backing[s] ?? []).flatMap((d) => (deployments.has(d) ? [deployments.get(d)!] : [])),
                ]),
                ...(c.needs.gateway ? args.gateway : []),
            ];
            new k8s.batch.v1.Job(child("job", c.name), c.job, { ...opts([...new Set(needs)]), deleteBeforeReplace: true });
            return `${b.name}/${c.name}`;
        });
    }
}
