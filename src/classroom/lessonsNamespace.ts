/**
 * The demo apps of the lessons in one namespace (labelled for injection): their
 * Deployments, Services, DestinationRules and VirtualServices, traffic
 * generators, and a verification Job per routing rule, run once everything else
 * is ready. A failed check fails `pulumi up`. The objects (with any others the
 * namespace needs, such as an attendee's access) go in one Helm release of the
 * repository's lessons chart (`src/lessons/delivery.ts`): two Pulumi resources per
 * namespace, however many objects it holds.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { withCachedImages, type ImageCache } from "../model/imageCache";
import { lessonsRelease, objectsJson } from "../lessons/delivery";
import { namespaceSidecar } from "../mesh/meshSpec";
import { INJECTION_LABELS } from "../model/platform";
import { buildNamespace, namespaceManifests } from "../lessons/build";
import { gatewayCaConfigMap } from "../lessons/gatewayCa";
import { type NamespaceLessons } from "../lessons/build";

/** What namespaces of workloads need from the cluster and the mesh. */
export interface MeshDeps {
    readonly provider: k8s.Provider;
    /**
     * The mesh's data plane (`IstioMesh.dataplane`): istiod, whose injection and CRDs must be ready before any pod or
     * Istio object, or in ambient mode ztunnel, which itself waits for istiod.
     */
    readonly istiod: pulumi.Resource;
    /**
     * How the namespace joins the mesh (`enrolmentLabels`: sidecar injection, the default, or ambient enrolment) and,
     * with Gateway API ingress, the label the shared Gateway accepts its HTTPRoutes by.
     */
    readonly enrolment?: Readonly<Record<string, string>>;
    /** The shared Gateway and the ingress gateway: gateway routes and their checks wait for them. */
    readonly gateway: readonly pulumi.Resource[];
    /** The ECR pull-through cache images go through; default none (images pulled from their registries). */
    readonly imageCache?: pulumi.Input<ImageCache | undefined>;
    /** The workshop CA's certificate (PEM) where the gateway ends TLS itself: handed to namespaces whose lessons use HTTPS. */
    readonly gatewayCa?: pulumi.Input<string>;
}

export interface LessonsNamespaceArgs extends MeshDeps {
    /** The namespace, its lessons at their stages, the apps settings they run with, and where its gateway routes go. */
    readonly lessons: NamespaceLessons;
    /** More objects for the namespace's release (an attendee's access and limits); default none. */
    readonly extraObjects?: readonly Record<string, unknown>[];
    /**
     * Quotas the API server must have measured before the release's objects arrive (an attendee's quota on Istio's
     * kinds): made after the namespace, before the release, each waited for as its annotations say; default none.
     */
    readonly quotas?: readonly (k8s.types.input.core.v1.ResourceQuota & { readonly metadata: { readonly name: string } })[];
    /** The namespaces its proxies import (its Sidecar's egress hosts). */
    readonly sidecarHosts: readonly string[];
    /** Labels of the namespace besides injection: Pod Security, the attendee marker. */
    readonly namespaceLabels: Readonly<Record<string, string>>;
}

export class LessonsNamespace extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    /** The namespace itself: what namespace-scoped objects of others depend on. */
    readonly namespaceResource: k8s.core.v1.Namespace;
    /** The namespace's lessons release: once it is installed, its objects exist and its checks passed. */
    readonly release: k8s.helm.v3.Release;
    /** Names of the verification Jobs, which `pulumi up` waits for. */
    readonly checks: pulumi.Output<string[]>;

    constructor(name: string, args: LessonsNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        // The type token is a contract with existing stacks (it is in every child URN): kept from when this was DemoApps.
        super("istio-workshop:apps:DemoApps", name, {}, opts);
        const { namespace, apps } = args.lessons;
        const ns = new k8s.core.v1.Namespace(
            `${name}-ns`,
            { metadata: { name: namespace, labels: { ...(args.enrolment ?? INJECTION_LABELS), ...args.namespaceLabels } } },
            { parent: this, provider: args.provider, dependsOn: [args.istiod] },
        );
        const quotas = (args.quotas ?? []).map(
            (q) => new k8s.core.v1.ResourceQuota(`${name}-${q.metadata.name}`, q, { parent: this, provider: args.provider, dependsOn: [ns] }),
        );
        const built = buildNamespace(args.lessons, args.sidecarHosts);
        // One release per namespace: Helm applies the objects by kind, waits until they are
        // ready, then runs the verification Jobs (hooks); a failed Job fails the release.
        const objects = [
            ...(args.extraObjects ?? []),
            namespaceSidecar(namespace, args.sidecarHosts) as unknown as Record<string, unknown>,
            ...namespaceManifests(built, namespace),
        ];
        // The myApp lesson's tls stage calls the gateway over HTTPS: its namespace gets the CA to check the gateway's certificate by.
        const ca = apps.myApp.enabled && args.gatewayCa !== undefined ? args.gatewayCa : undefined;
        this.release = namespaceRelease(
            `${name}-lessons`,
            namespace,
            objects,
            args.imageCache,
            { parent: this, provider: args.provider, dependsOn: [ns, ...quotas, args.istiod, ...args.gateway] },
            ca === undefined ? undefined : pulumi.output(ca).apply((pem) => [gatewayCaConfigMap(namespace, pem)]),
        );
        this.namespaceResource = ns;
        this.namespace = ns.metadata.name;
        this.checks = pulumi.output(built.flatMap((b) => b.checks.map((c) => `${b.name}/${c.name}`)));
        this.registerOutputs({ namespace: this.namespace, checks: this.checks });
    }
}

/** A namespace's objects as its lessons release, images through the cache where there is one. */
export function namespaceRelease(
    name: string,
    namespace: string,
    objects: readonly Record<string, unknown>[],
    imageCache: pulumi.Input<ImageCache | undefined> | undefined,
    opts: pulumi.CustomResourceOptions,
    /** Objects only known once others exist (the CA's certificate); in the release with the rest. */
    later?: pulumi.Output<readonly Record<string, unknown>[]>,
): k8s.helm.v3.Release {
    const values = {
        objectsJson: pulumi.all([imageCache, later ?? []]).apply(([cache, more]) => objectsJson(withCachedImages([...objects, ...more], cache))),
    };
    return new k8s.helm.v3.Release(name, { ...lessonsRelease(namespace, objects), values }, opts);
}
