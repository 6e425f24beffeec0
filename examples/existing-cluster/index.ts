/**
 * Istio and its observability addons on a cluster you already have (kind,
 * minikube, any kube context), from two of istio-workshop's components. Every
 * key not given takes its default (docs/configuration.md).
 *
 *   pulumi config set kubeContext kind-istio-workshop
 *   pulumi up
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

// In your own program: the package's entry point (this repository's `src/index.ts`).
import { IstioMesh, ObservabilityAddons } from "../../src";

const config = new pulumi.Config();
const provider = new k8s.Provider("cluster", { context: config.require("kubeContext"), enableServerSideApply: true });

const mesh = new IstioMesh("mesh", {
    provider,
    istio: { mtls: "STRICT", accessLogs: false, tracing: { samplingPercent: 10 } },
});

const addons = new ObservabilityAddons("addons", {
    provider,
    addons: { jaeger: false },
    istio: { tracing: { samplingPercent: 10 } },
    mesh: mesh.istiod,
    gateway: mesh.gateway,
});

export const istioVersion = mesh.version;
export const ingressAddress = mesh.ingressAddress;
export const portForwards = addons.portForwards;
