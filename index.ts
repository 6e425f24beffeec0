/**
 * istio-workshop: stack config -> validated settings -> components -> outputs.
 * Only wiring here; the work is in src/.
 */
import * as pulumi from "@pulumi/pulumi";
import { ObservabilityAddons } from "./src/addons/addons";
import { Classroom } from "./src/classroom/classroom";
import { WorkshopCluster } from "./src/cluster/cluster";
import { IstioMesh } from "./src/mesh/mesh";
import { resolveWorkshop } from "./src/workshop/config";
import { loadConfig } from "./src/workshop/resolve";

const { config, stack, awsProfile } = loadConfig();
// Validated once, here (a mistake registers nothing); each component resolves the same config object again from a cache.
const prepared = resolveWorkshop(config, stack);
const { settings } = prepared;
prepared.warnings.forEach((w) => void pulumi.log.warn(w));
// What the mesh and the addons need to know of the cluster.
const clusterKind = { mode: settings.cluster.mode, kubernetesVersion: settings.cluster.kubernetesVersion };

const cluster = new WorkshopCluster("workshop", { config, stack, awsProfile });
const mesh = new IstioMesh("mesh", {
    provider: cluster.provider,
    istio: config.istio,
    cluster: clusterKind,
    domain: settings.classroom.domain,
    portRules: cluster.istioPortRules,
    sizing: prepared.mesh,
});
const addons = new ObservabilityAddons("addons", {
    provider: cluster.provider,
    addons: config.addons,
    istio: config.istio,
    cluster: clusterKind,
    mesh: mesh.istiod,
    gateway: mesh.gateway,
    imageCache: cluster.imageCache,
});
const classroom = new Classroom("classroom", {
    config,
    stack,
    provider: cluster.provider,
    istiod: mesh.istiod,
    gateway: [mesh.gateway, mesh.ingressGateway, ...mesh.egressGateway],
    imageCache: cluster.imageCache,
    gatewayCa: mesh.gatewayCa?.certificate,
    clusterName: cluster.clusterName,
    endpoint: cluster.endpoint,
});

export const mode = settings.cluster.mode;
export const clusterName = cluster.clusterName;
export const region = cluster.region;
export const kubeconfig = cluster.kubeconfig;
export const nextSteps = cluster.nextSteps;
export const istioVersion = mesh.version;
export const ingressGatewayAddress = mesh.ingressAddress;
export const meshChecks = mesh.checks;
export const portForwards = addons.portForwards;
export const kialiLogin = addons.kialiLogin;
export const grafanaAdminPassword = addons.grafanaAdminPassword;
export const jaegerPassword = addons.jaegerPassword;
export const appsNamespaces = classroom.namespaces;
export const verificationChecks = classroom.checks;
export const attendeeAccess = classroom.access;
export const attendeeEntries = classroom.entries;
export const gatewayCaCertificate = mesh.gatewayCa?.certificate;
export const capacity = prepared.capacity;
