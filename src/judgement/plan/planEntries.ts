/**
 * Plan entries for objects a Helm release installs: named after the release,
 * placed under it, depending on it, marked `renderedBy`. The releases of the
 * repository's own lessons chart are expanded as soon as they are recorded
 * (their objects are their values: see `src/lessons/delivery.ts`); the releases
 * of upstream charts are rendered by helm (`render.ts`).
 */
import { LESSONS_CHART, lessonsObjects } from "../../lessons/delivery";
import type { PlannedResource } from "./plan";

/** Kinds that live outside namespaces (besides CRD-defined cluster-scoped kinds). */
export const CLUSTER_SCOPED_KINDS = new Set([
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "PriorityClass",
    "RuntimeClass",
    "IngressClass",
    "GatewayClass",
]);

/** Helm installs a namespaced object without a namespace into the release's namespace. */
export function withNamespace(o: any, namespace: string): any {
    if (CLUSTER_SCOPED_KINDS.has(o.kind) || o.metadata?.namespace) return o;
    return { ...o, metadata: { ...o.metadata, namespace } };
}

/** The plan's type for a Kubernetes object: `kubernetes:<group/version>:<Kind>` (core group as `core/v1`). */
export function kubernetesType(o: { apiVersion: string; kind: string }): string {
    return `kubernetes:${o.apiVersion.includes("/") ? o.apiVersion : `core/${o.apiVersion}`}:${o.kind}`;
}

/** The plan entries of a release's rendered objects. */
export function renderedEntries(release: PlannedResource, objects: readonly any[]): PlannedResource[] {
    const chain = release.urn.split("::")[2];
    const head = release.urn.split("::").slice(0, 2).join("::");
    const releaseName = String((release.inputs as { name?: unknown }).name);
    return objects.map((o) => {
        const type = kubernetesType(o);
        const name = `${releaseName}:${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`;
        return {
            urn: `${head}::${chain}$helm:${type}::${name}`,
            type,
            name,
            parent: release.urn,
            custom: true,
            provider: release.provider,
            dependsOn: [release.urn],
            inputs: o,
            renderedBy: release.urn,
        };
    });
}

const RELEASE = "kubernetes:helm.sh/v3:Release";

/** Whether a plan entry is a release of the repository's lessons chart. */
export function isLessonsRelease(r: Pick<PlannedResource, "type" | "inputs">): boolean {
    return r.type === RELEASE && (r.inputs as { chart?: unknown }).chart === LESSONS_CHART;
}

/**
 * A lessons release and the objects it installs. The release's own entry keeps
 * the number of objects (`values.objects`) in place of their JSON text (they are
 * entries of their own).
 */
export function expandLessonsRelease(release: PlannedResource): PlannedResource[] {
    if (!isLessonsRelease(release)) return [release];
    const inputs = release.inputs as { namespace?: unknown; values?: Record<string, unknown> };
    const objects = lessonsObjects(inputs.values).map((o) => withNamespace(o, String(inputs.namespace)));
    const kept = { ...release, inputs: { ...release.inputs, values: { objects: objects.length } } };
    return [kept, ...renderedEntries(kept, objects)];
}

/**
 * Whether the stack itself wrote an object: one of its own resources, or an
 * object of a lessons release (the program computed it); not what an upstream
 * chart renders.
 */
export function stackMade(plan: { readonly resources: readonly PlannedResource[] }): (r: PlannedResource) => boolean {
    const lessons = new Set(plan.resources.filter(isLessonsRelease).map((r) => r.urn));
    return (r) => r.renderedBy === undefined || lessons.has(r.renderedBy);
}
