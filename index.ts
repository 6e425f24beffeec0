/**
 * istio-workshop: stack config -> settings -> the workshop resolved once -> components -> outputs.
 * Only wiring here; the work is in src/.
 */
import * as pulumi from "@pulumi/pulumi";
import { ObservabilityAddons } from "./src/addons/observabilityAddons";
import { Classroom } from "./src/classroom/classroom";
import { WorkshopCluster } from "./src/cluster/workshopCluster";
import { IstioMesh } from "./src/mesh/istioMesh";
import { loadStack } from "./src/settings/parse";
import { workshopFrom } from "./src/workshop/resolve";

// Validated and resolved once, here (a mistake registers nothing); the components get their sections and what was resolved.
const { settings, config } = loadStack();
const workshop = workshopFrom(settings);
workshop.warnings.forEach((w) => void pulumi.log.warn(w));
// What the mesh and the addons need to know of the cluster.
const clusterFacts = { mode: settings.cluster.mode, kubernetesVersion: settings.cluster.kubernetesVersion };

const cluster = new WorkshopCluster("workshop", { cluster: config.cluster ?? {}, stack: settings.stack, awsProfile: settings.awsProfile, sizing: workshop.cluster });
const mesh = new IstioMesh("mesh", {
    provider: cluster.provider,
    istio: config.istio,
    cluster: clusterFacts,
    domain: settings.classroom.domain,
    portRules: cluster.istioPortRules,
    sizing: workshop.lessons.mesh,
});
const addons = new ObservabilityAddons("addons", {
    provider: cluster.provider,
    // `expose` as resolved: its default reads the class, which the component is not given.
    addons: { ...config.addons, expose: [...settings.addons.expose] },
    istio: config.istio,
    cluster: clusterFacts,
    mesh: mesh.istiod,
    gateway: mesh.gateway,
    ingressAddress: mesh.ingressAddress,
    domain: settings.classroom.domain,
    imageCache: cluster.imageCache,
});
const classroom = new Classroom("classroom", {
    lessons: workshop.lessons,
    provider: cluster.provider,
    istiod: mesh.dataplane,
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
export const exposedUiUrls = addons.exposedUiUrls;
export const kialiLogin = addons.kialiLogin;
export const grafanaAdminPassword = addons.grafanaAdminPassword;
export const jaegerPassword = addons.jaegerPassword;
export const appsNamespaces = classroom.namespaces;
export const verificationChecks = classroom.checks;
export const attendeeAccess = classroom.access;
export const attendeeEntries = classroom.entries;
export const gatewayCaCertificate = mesh.gatewayCa?.certificate;
export const capacity = workshop.capacity;
