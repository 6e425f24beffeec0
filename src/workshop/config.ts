/**
 * The components' plain arguments: the keys of a stack file's `istio-workshop`
 * namespace as plain objects (docs/configuration.md lists every key, its
 * allowed values and its default). A component validates what it is given
 * with the same schema as a stack file, so a mistake is a `SettingsError`
 * naming the key, and every key left out takes its default.
 */
import type { z } from "zod";
import { parseSettings } from "../settings/parse";
import { type rawSchema } from "../settings/schema";
import { prepare, type Prepared } from "./resolve";

/** A whole workshop: the keys a stack file sets under `istio-workshop:` (every one optional but cluster's required ones). */
export type WorkshopConfig = z.input<typeof rawSchema>;
export type ClusterConfig = NonNullable<WorkshopConfig["cluster"]>;
export type IstioConfig = NonNullable<WorkshopConfig["istio"]>;
export type AddonsConfig = NonNullable<WorkshopConfig["addons"]>;
export type AppsConfig = NonNullable<WorkshopConfig["apps"]>;
export type ClassroomConfig = NonNullable<WorkshopConfig["classroom"]>;

/** Where a component's own settings come from, for error messages. */
export const ARGUMENTS_SOURCE = "component arguments";

const resolved = new WeakMap<object, Prepared>();

/** The workshop a config describes: validated, every default applied, sized. The same config object is resolved once. */
export function resolveWorkshop(config: WorkshopConfig, stack: string): Prepared {
    const known = resolved.get(config);
    if (known !== undefined && known.settings.stack === stack) return known;
    const prepared = prepare(parseSettings(config as Record<string, unknown>, { stack, source: ARGUMENTS_SOURCE }));
    resolved.set(config, prepared);
    return prepared;
}

/**
 * The cluster part of a component that does not create the cluster: only its
 * mode (what the mesh expects of it: an AWS load balancer, enforced
 * NetworkPolicies) and Kubernetes version matter. The keys the schema requires
 * of the mode (who may reach an EKS API, an existing cluster's context) are the
 * cluster component's; here they only satisfy the schema.
 */
export function clusterFacts(cluster: { readonly mode?: "eks" | "existing"; readonly kubernetesVersion?: string } = {}): ClusterConfig {
    const version = cluster.kubernetesVersion !== undefined ? { kubernetesVersion: cluster.kubernetesVersion } : {};
    return cluster.mode === "eks" ? { mode: "eks", adminCidrs: ["127.0.0.1/32"], ...version } : { mode: "existing", context: "(the component's provider)", ...version };
}

/** A workshop of some sections (the rest at their defaults, no attendees), validated as a stack file is. */
export function sectionWorkshop(config: Omit<WorkshopConfig, "cluster"> & { readonly cluster?: { readonly mode?: "eks" | "existing"; readonly kubernetesVersion?: string } }): Prepared {
    return resolveWorkshop({ ...config, cluster: clusterFacts(config.cluster) } as WorkshopConfig, "component");
}
