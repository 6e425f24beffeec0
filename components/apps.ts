/**
 * The demo apps of the lessons in one namespace (labelled for injection): their
 * Deployments, Services, DestinationRules and VirtualServices, traffic
 * generators, and a verification Job per routing rule that waits for the rule
 * and the apps it checks, then measures. A failed check fails `pulumi up`.
 * The objects go in one `yaml/v2` ConfigGroup: one registration for the whole
 * namespace keeps a classroom of hundreds of namespaces cheap to plan.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { INJECTION_LABELS } from "./meshSpec";
import { buildScenario, namespaceManifests, resolveScenarios, trafficRate, type GatewayPlacement } from "./scenarios/build";
import type { Settings } from "./settings";

/** What namespaces of workloads need from the cluster and the mesh. */
export interface MeshDeps {
    readonly provider: k8s.Provider;
    /** istiod: injection and Istio's CRDs must be ready before any pod or Istio object. */
    readonly istiod: pulumi.Resource;
    /** The shared Gateway and the ingress gateway: gateway routes and their checks wait for them. */
    readonly gateway: readonly pulumi.Resource[];
}

export interface DemoAppsArgs extends MeshDeps {
    readonly settings: Pick<Settings, "apps">;
    /** Namespace the apps go to. */
    readonly namespace: string;
    /** Where the apps' gateway routes go: an attendee's path prefix or host; default the whole gateway. */
    readonly placement?: GatewayPlacement;
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
                rate: trafficRate(apps),
                placement: args.placement,
            }),
        );
        // One ConfigGroup per namespace: Pulumi applies the objects in the order their
        // depends-on annotations give and waits for each (Deployments ready, Jobs complete).
        new k8s.yaml.v2.ConfigGroup(
            `${name}-objects`,
            { objs: namespaceManifests(built, args.namespace) },
            { parent: this, provider: args.provider, dependsOn: [ns, args.istiod, ...args.gateway] },
        );
        this.namespaceResource = ns;
        this.namespace = ns.metadata.name;
        this.checks = pulumi.output(built.flatMap((b) => b.checks.map((c) => `${b.name}/${c.name}`)));
        this.registerOutputs({ namespace: this.namespace, checks: this.checks });
    }
}
