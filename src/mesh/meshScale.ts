/**
 * How the mesh scales with the class, as pure functions of the settings: which
 * namespaces each workload namespace's proxies import (a `Sidecar` per
 * namespace, so a proxy's configuration does not grow with the number of
 * attendees), how many Services a proxy then holds, and the sidecar and istiod
 * resources sized from that.
 *
 * Sources and assumptions (the model's inputs, stated so they can be checked):
 *  - Istio's load test ("Performance and Scalability", istio.io, Istio 1.10-1.21):
 *    1000 services and 2000 sidecars, istiod using 1 vCPU and 1.5 GB; the control
 *    plane scales horizontally with the number of connected proxies. Here one
 *    istiod replica serves at most that tested number of proxies.
 *  - The same page: Envoy uses about 40 MB per 1000 requests per second through
 *    it; a workshop proxy sees well under 50 requests per second.
 *  - Assumption, not a measurement: an idle sidecar holds 40 MiB, and each
 *    Service it knows adds 64 KiB (its clusters, endpoints and routes). To be
 *    calibrated on a running classroom with `kubectl top pod --containers`.
 */
import type { Settings } from "../settings/schema";

export const ISTIO_LOAD_TEST = { services: 1000, proxies: 2000, istiodMilliCpu: 1000, istiodMemoryMi: 1536 } as const;
export const PROXY_MODEL = { baseMi: 40, perServiceKi: 64, trafficMiPer1000Rps: 40 } as const;
/** Services an attendee may add to their namespace (their quota), besides the lessons'. */
export const ATTENDEE_EXTRA_SERVICES = 30;

/** What the sizing reads of the settings: the addons and gateways every proxy knows, the traffic through each proxy. */
type MeshSettings = Pick<Settings, "addons" | "istio"> & { readonly apps: Pick<Settings["apps"], "traffic"> };

/** The namespaces a workload namespace's proxies import: its own, the control plane and addons, the gateways. */
export function sidecarEgressHosts(istio: Pick<Settings["istio"], "egressGateway">): string[] {
    return ["./*", "istio-system/*", "istio-ingress/*", ...(istio.egressGateway ? ["istio-egress/*"] : [])];
}

/** Services in the namespaces every proxy imports besides its own. */
export function sharedServices(settings: Pick<Settings, "addons" | "istio">): number {
    const a = settings.addons;
    return (
        1 + // istiod
        (a.prometheus.enabled ? 1 : 0) +
        (a.grafana.enabled ? 1 : 0) +
        (a.kiali.enabled ? 1 : 0) +
        (a.jaeger.enabled ? 2 : 0) + // collector, query
        (a.expose.includes("jaeger") ? 1 : 0) + // jaeger-auth
        1 + // the ingress gateway
        (settings.istio.egressGateway ? 1 : 0)
    );
}

export interface ProxyModel {
    /** Services a proxy knows with the namespace's Sidecar (the lessons', the shared ones). */
    readonly visibleServices: number;
    /** The most it may know: an attendee adding their quota's worth of Services. */
    readonly maxVisibleServices: number;
    readonly memoryMi: number;
    readonly resources: { readonly requests: { readonly cpu: string; readonly memory: string }; readonly limits: { readonly cpu: string; readonly memory: string } };
}

const roundUp = (x: number, step: number) => Math.ceil(x / step) * step;
const memoryFor = (services: number) => PROXY_MODEL.baseMi + (services * PROXY_MODEL.perServiceKi) / 1024;

/** A proxy's configuration and resources, for a namespace of `lessonServices` Services: independent of the number of attendees. */
export function proxyModel(settings: MeshSettings, lessonServices: number): ProxyModel {
    const visibleServices = lessonServices + sharedServices(settings);
    const maxVisibleServices = visibleServices + ATTENDEE_EXTRA_SERVICES;
    const memoryMi = memoryFor(visibleServices);
    // Request what the model says it holds, traffic included; limit at twice the most it may hold.
    const traffic = (settings.apps.traffic.requestsPerSecond * 10 * PROXY_MODEL.trafficMiPer1000Rps) / 1000;
    return {
        visibleServices,
        maxVisibleServices,
        memoryMi,
        resources: {
            requests: { cpu: "10m", memory: `${roundUp(memoryFor(visibleServices) + traffic, 8)}Mi` },
            limits: { cpu: "500m", memory: `${Math.max(128, roundUp(2 * (memoryFor(maxVisibleServices) + traffic), 64))}Mi` },
        },
    };
}

/** What one proxy would hold without Sidecar scoping: every Service of every namespace. */
export function unscopedProxyMemoryMi(settings: MeshSettings, lessonServices: number, namespaces: number): number {
    return memoryFor(lessonServices * Math.max(1, namespaces) + sharedServices(settings));
}

export interface IstiodSizing {
    readonly replicas: number;
    /** The proxies each replica is sized for (the class's, rounded up to `ISTIOD_STEP_PROXIES`, shared by the replicas). */
    readonly proxiesPerReplica: number;
    readonly resources: { readonly requests: { readonly cpu: string; readonly memory: string }; readonly limits: { readonly memory: string } };
}

/**
 * istiod is sized in steps of this many proxies (about eight namespaces of the lessons): an attendee
 * arriving late or leaving changes its release only where the class crosses a step, so the control
 * plane is not rolled mid-class for one person (the plan says at which class sizes it changes).
 */
export const ISTIOD_STEP_PROXIES = 250;

/** The proxies istiod is sized for: the connected ones, rounded up to the next step. */
export function istiodStep(proxies: number): number {
    return Math.max(ISTIOD_STEP_PROXIES, roundUp(proxies, ISTIOD_STEP_PROXIES));
}

/** istiod replicas and resources for a number of connected proxies (in steps), scaled on Istio's load test. */
export function istiodSizing(proxies: number): IstiodSizing {
    const sized = istiodStep(proxies);
    const replicas = Math.max(1, Math.ceil(sized / ISTIO_LOAD_TEST.proxies));
    const perReplica = Math.ceil(sized / replicas);
    const share = perReplica / ISTIO_LOAD_TEST.proxies;
    const cpu = Math.max(100, roundUp(share * ISTIO_LOAD_TEST.istiodMilliCpu, 50));
    const memory = Math.max(256, roundUp(share * ISTIO_LOAD_TEST.istiodMemoryMi, 64));
    return { replicas, proxiesPerReplica: perReplica, resources: { requests: { cpu: `${cpu}m`, memory: `${memory}Mi` }, limits: { memory: `${Math.max(1024, 2 * memory)}Mi` } } };
}

export interface MeshSizing {
    readonly proxy: ProxyModel;
    readonly istiod: IstiodSizing;
    readonly sidecarEgressHosts: string[];
}

/** Gateways with a proxy of their own (they connect to istiod too). */
const gateways = (istio: Pick<Settings["istio"], "egressGateway">) => 1 + (istio.egressGateway ? 1 : 0);

/**
 * The mesh's sizing for a class: the proxy model (each namespace holding
 * `lessonServices` Services), and istiod for every proxy the workload
 * namespaces run (each namespace's pods, from `podsPerNamespace`).
 */
export function meshSizing(settings: MeshSettings, lessonServices: number, namespaces: number, podsPerNamespace: (proxy: ProxyModel) => number): MeshSizing {
    const proxy = proxyModel(settings, lessonServices);
    const proxies = podsPerNamespace(proxy) * Math.max(1, namespaces) + gateways(settings.istio);
    return { proxy, istiod: istiodSizing(proxies), sidecarEgressHosts: sidecarEgressHosts(settings.istio) };
}
