/**
 * istio-workshop: stack config -> validated settings -> components -> outputs.
 * Only wiring here; the work is in components/.
 */
import * as pulumi from "@pulumi/pulumi";
import { ObservabilityAddons } from "./components/addons";
import { Classroom } from "./components/classroom";
import { WorkshopCluster } from "./components/cluster";
import { IstioMesh } from "./components/mesh";
import { loadPrepared } from "./components/validate";

const prepared = loadPrepared();
const { settings } = prepared;
prepared.warnings.forEach((w) => void pulumi.log.warn(w));

const cluster = new WorkshopCluster("workshop", { settings });
const mesh = new IstioMesh("mesh", { settings, provider: cluster.provider, portRules: cluster.istioPortRules, sizing: prepared.mesh });
const addons = new ObservabilityAddons("addons", { settings, provider: cluster.provider, mesh: mesh.istiod, gateway: mesh.gateway, imageCache: cluster.imageCache });
const classroom = new Classroom("classroom", {
    prepared,
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
