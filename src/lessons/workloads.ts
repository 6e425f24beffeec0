/**
 * A lesson's workloads as Kubernetes objects: Deployments (restricted, non-root,
 * no API token), Services named for Istio's protocol selection, and the traffic
 * generators that keep Kiali's graph alive.
 */
import type { types } from "@pulumi/kubernetes";
import { serviceAccountOf, type ScenarioDef, type ServiceDef, type WorkloadDef } from "./model";
import { RESTRICTED_POD_SECURITY } from "../model/podSecurity";
import { WORKSHOP_GATEWAY, exportedTo } from "../model/platform";
import { type GatewayPlacement } from "./resolve";
import { GATEWAY_URL, curlLoop } from "./catalog/common";
import { IMAGES } from "../model/images";
import { type Manifest } from "./built";
import { type DeploymentArgs } from "./built";

const CONTAINER_SECURITY = (w: WorkloadDef): types.input.core.v1.SecurityContext => ({
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem: !w.writableRoot,
    runAsNonRoot: true,
    ...(w.runAsUser !== undefined ? { runAsUser: w.runAsUser } : {}),
});

export function deploymentSpec(w: WorkloadDef, namespace: string): DeploymentArgs {
    const volumes: types.input.core.v1.Volume[] = [];
    const mounts: types.input.core.v1.VolumeMount[] = [];
    if (w.config) {
        volumes.push({ name: "config", configMap: { name: w.config.name } });
        mounts.push({ name: "config", mountPath: w.config.mountPath, readOnly: true });
    }
    if (!w.writableRoot) {
        volumes.push({ name: "tmp", emptyDir: {} });
        mounts.push({ name: "tmp", mountPath: "/tmp" });
    }
    const port = w.containerPort;
    return {
        metadata: { name: w.name, namespace, labels: { ...w.labels } },
        spec: {
            replicas: w.replicas,
            selector: { matchLabels: { app: w.labels.app, version: w.labels.version } },
            template: {
                metadata: { labels: { ...w.labels } },
                spec: {
                    serviceAccountName: serviceAccountOf(w),
                    // The apps never call the Kubernetes API (the sidecar gets its own token from the injector).
                    automountServiceAccountToken: false,
                    securityContext: { ...RESTRICTED_POD_SECURITY },
                    containers: [
                        {
                            name: w.labels.app,
                            image: w.image,
                            ...(w.command ? { command: [...w.command] } : {}),
                            ...(w.args ? { args: [...w.args] } : {}),
                            ...(w.env ? { env: Object.entries(w.env).map(([name, value]) => ({ name, value })) } : {}),
                            ...(port !== undefined ? { ports: [{ containerPort: port }] } : {}),
                            ...(w.readinessPath && port !== undefined ? { readinessProbe: { httpGet: { path: w.readinessPath, port } } } : {}),
                            resources: { requests: { cpu: w.resources.cpu, memory: w.resources.memory }, limits: { memory: w.resources.memoryLimit } },
                            securityContext: CONTAINER_SECURITY(w),
                            ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
                        },
                    ],
                    ...(volumes.length > 0 ? { volumes } : {}),
                },
            },
        },
    };
}

export function serviceSpec(svc: ServiceDef, namespace: string, labels: Readonly<Record<string, string>> = {}): types.input.core.v1.Service {
    return {
        metadata: {
            name: svc.name,
            namespace,
            labels: { app: svc.selector.app ?? svc.name, service: svc.name, ...labels },
            // Seen by the namespace's own proxies and by the ingress gateway, which routes to it.
            annotations: exportedTo([".", WORKSHOP_GATEWAY.namespace, ...(svc.exportTo ?? [])]),
        },
        spec: { selector: { ...svc.selector }, ports: svc.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: "TCP" })) },
    };
}

/**
 * The scenario's traffic generator (one Deployment calling its traffic URLs), if
 * traffic is on. URLs through the gateway go where this namespace's gateway routes
 * are: under its prefix, or with its Host header.
 */
export function trafficGenerators(s: ScenarioDef, rate: number | undefined, placement: GatewayPlacement = {}): WorkloadDef[] {
    if (s.traffic.length === 0 || rate === undefined) return [];
    const viaGateway = (u: string) => u.startsWith(`${GATEWAY_URL}/`);
    const urls = s.traffic.map((u) => (viaGateway(u) && placement.prefix ? `${GATEWAY_URL}${placement.prefix}${u.slice(GATEWAY_URL.length)}` : u));
    return [
        {
            name: `traffic-${s.name}`,
            labels: { app: `traffic-${s.name}`, version: "v1" },
            image: IMAGES.curl,
            replicas: 1,
            command: curlLoop(urls, rate, (u) => (viaGateway(u) ? placement.host : undefined)),
            runAsUser: 100,
            resources: { cpu: "10m", memory: "16Mi", memoryLimit: "64Mi" },
        },
    ];
}

/** A ServiceAccount whose token is never mounted: an identity for the mesh, no Kubernetes API access. */
export function serviceAccountManifest(name: string, namespace: string): Manifest {
    return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace }, automountServiceAccountToken: false };
}
