/**
 * The package's entry point: the four components, for other Pulumi programs,
 * and the resolutions they are built from.
 *
 * Each component takes a Kubernetes provider, the resources it waits for, and
 * plain settings: the sections of a stack file's `istio-workshop` namespace
 * (docs/configuration.md: every key, its allowed values, its default),
 * validated as a stack file's are (a mistake is a `SettingsError` naming the
 * key), and what was resolved from them once (sizes, the lessons):
 *
 *   - `WorkshopCluster`: the VPC and EKS cluster, or a provider for a cluster you have (`cluster`, `sizing`);
 *   - `IstioMesh`: Istio from its official charts, the ingress (and egress) gateway, mesh-wide mTLS and tracing (`istio`, `sizing`);
 *   - `ObservabilityAddons`: Prometheus, Grafana, Jaeger and Kiali, wired to each other and to the mesh (`addons`, `istio`);
 *   - `Classroom`: the lessons, in one namespace or one per attendee, with their verification Jobs and guard rails (`lessons`).
 *
 * `resolveWorkshop(config, stack)` resolves a whole stack file's keys (what the
 * program does); `planLessons(sections)` the lessons alone, for a classroom on
 * a mesh of your own. `examples/existing-cluster` uses two components on a
 * cluster you already have.
 */
export { ObservabilityAddons, type AddonsArgs as ObservabilityAddonsArgs } from "./addons/observabilityAddons";
export { Classroom, type ClassroomArgs } from "./classroom/classroom";
export { WorkshopCluster, type WorkshopClusterArgs } from "./cluster/workshopCluster";
export { IstioMesh, type IstioMeshArgs } from "./mesh/istioMesh";
export { SettingsError } from "./settings/parse";
export type { AddonsConfig, AppsConfig, ClassroomConfig, ClusterConfig, ComponentConfig, IstioConfig, WorkshopConfig } from "./settings/schema";
export { planLessons, type LessonsPlan } from "./workshop/lessons";
export { resolveWorkshop, type Workshop } from "./workshop/resolve";
