/**
 * istio-workshop: stack config -> validated settings -> components -> outputs.
 * Only wiring here; the work is in components/.
 */
import * as pulumi from "@pulumi/pulumi";
import { ObservabilityAddons } from "./components/addons";
import { WorkshopCluster } from "./components/cluster";
import { IstioMesh } from "./components/mesh";
import { DemoApps } from "./components/apps";
import { settingsWarnings } from "./components/settings";
import { loadCheckedSettings } from "./components/validate";

const settings = loadCheckedSettings();
settingsWarnings(settings).forEach((w) => void pulumi.log.warn(w));

const cluster = new WorkshopCluster("workshop", { settings });
const mesh = new IstioMesh("mesh", { settings, provider: cluster.provider, portRules: cluster.istioPortRules });
const addons = new ObservabilityAddons("addons", { settings, provider: cluster.provider, mesh: mesh.istiod, gateway: mesh.gateway });
const apps = new DemoApps("apps", {
    settings,
    namespace: settings.apps.namespace,
    provider: cluster.provider,
    istiod: mesh.istiod,
    gateway: [mesh.gateway, mesh.ingressGateway],
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
export const appsNamespace = apps.namespace;
export const verificationChecks = apps.checks;
