/**
 * The package's entry point: the four components, for other Pulumi programs.
 *
 * Each takes plain arguments: a Kubernetes provider and the resources it waits
 * for, and the keys of a stack file's `istio-workshop` namespace as plain
 * objects (docs/configuration.md: every key, its allowed values, its default),
 * validated as a stack file is (a mistake is a `SettingsError` naming the key).
 *
 *   - `WorkshopCluster`: the VPC and EKS cluster, or a provider for a cluster you have;
 *   - `IstioMesh`: Istio from its official charts, the ingress (and egress) gateway, mesh-wide mTLS and tracing;
 *   - `ObservabilityAddons`: Prometheus, Grafana, Jaeger and Kiali, wired to each other and to the mesh;
 *   - `Classroom`: the lessons, in one namespace or one per attendee, with their verification Jobs and guard rails.
 *
 * `examples/existing-cluster` uses two of them on a cluster you already have.
 */
export { WorkshopCluster, type WorkshopClusterArgs } from "./cluster/cluster";
export { IstioMesh, type IstioMeshArgs } from "./mesh/mesh";
export { ObservabilityAddons, type AddonsArgs as ObservabilityAddonsArgs } from "./addons/addons";
export { Classroom, type ClassroomArgs } from "./classroom/classroom";
export { resolveWorkshop, type AddonsConfig, type AppsConfig, type ClassroomConfig, type ClusterConfig, type IstioConfig, type WorkshopConfig } from "./workshop/config";
export { SettingsError } from "./settings/parse";
