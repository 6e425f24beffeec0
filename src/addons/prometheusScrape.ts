/**
 * What the shared Prometheus scrapes, and how far it trusts each target. The
 * chart's default jobs trust every annotated pod alike (`honor_labels: true`:
 * a target's own `namespace` or `pod` label wins over the one Prometheus
 * attaches) and follow redirects; in a classroom any attendee pod can be a
 * target. Here the platform's namespaces keep the chart's pod and service jobs
 * as they are, and every other namespace's pods get a job of their own:
 * Prometheus' labels win, no redirect is followed, no URL parameter comes from
 * an annotation, and each scrape is bounded (samples, labels, body), so one
 * attendee's target cannot poison the others' series or exhaust the server.
 * The chart's jobs for components the stack does not install (pushgateway,
 * blackbox probes) and its `-slow` variants are left out.
 *
 * `test/addons.spec.ts` holds these jobs to the chart's defaults (the pinned
 * chart's values.yaml) and lists every difference.
 */
import { EGRESS_NAMESPACE, EXTERNAL_NAMESPACE, INGRESS_NAMESPACE, ISTIO_NAMESPACE } from "../model/platform";

/** The namespaces whose pods only the stack runs. */
export const PLATFORM_NAMESPACES = [ISTIO_NAMESPACE, INGRESS_NAMESPACE, EGRESS_NAMESPACE, EXTERNAL_NAMESPACE, "kube-system"] as const;

/** Bounds of one scrape of a target outside the platform: far above a sidecar's merged metrics, far below what hurts. */
export const UNTRUSTED_SCRAPE_LIMITS = {
    sample_limit: 20000,
    label_limit: 64,
    label_name_length_limit: 256,
    label_value_length_limit: 1024,
    body_size_limit: "16MB",
} as const;

const SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
const apiServerAuth = { scheme: "https", tls_config: { ca_file: `${SERVICE_ACCOUNT}/ca.crt` }, bearer_token_file: `${SERVICE_ACCOUNT}/token` };
const platformRegex = PLATFORM_NAMESPACES.join("|");

/** The chart's first rules of a job over annotated objects (`ann`: the annotations' label prefix): kept if asked, their scheme and path. */
const annotatedTargets = (ann: string) => [
    { source_labels: [`${ann}_scrape`], action: "keep", regex: "true" },
    { source_labels: [`${ann}_scrape_slow`], action: "drop", regex: "true" },
    { source_labels: [`${ann}_scheme`], action: "replace", regex: "(https?)", target_label: "__scheme__" },
    { source_labels: [`${ann}_path`], action: "replace", target_label: "__metrics_path__", regex: "(.+)" },
];

/** The relabelling of the chart's pod job, from its annotations and labels; `params`: whether annotations may add URL parameters. */
function podRelabel(params: boolean) {
    const ann = "__meta_kubernetes_pod_annotation_prometheus_io";
    return [
        ...annotatedTargets(ann),
        { source_labels: [`${ann}_port`, "__meta_kubernetes_pod_ip"], action: "replace", regex: "(\\d+);(([A-Fa-f0-9]{1,4}::?){1,7}[A-Fa-f0-9]{1,4})", replacement: "[$2]:$1", target_label: "__address__" },
        { source_labels: [`${ann}_port`, "__meta_kubernetes_pod_ip"], action: "replace", regex: "(\\d+);((([0-9]+?)(\\.|$)){4})", replacement: "$2:$1", target_label: "__address__" },
        ...(params ? [{ action: "labelmap", regex: `${ann}_param_(.+)`, replacement: "__param_$1" }] : []),
        { action: "labelmap", regex: "__meta_kubernetes_pod_label_(.+)" },
        { source_labels: ["__meta_kubernetes_namespace"], action: "replace", target_label: "namespace" },
        { source_labels: ["__meta_kubernetes_pod_name"], action: "replace", target_label: "pod" },
        { source_labels: ["__meta_kubernetes_pod_phase"], regex: "Pending|Succeeded|Failed|Completed", action: "drop" },
        { source_labels: ["__meta_kubernetes_pod_node_name"], action: "replace", target_label: "node" },
    ];
}

function serviceEndpointsRelabel() {
    const ann = "__meta_kubernetes_service_annotation_prometheus_io";
    return [
        ...annotatedTargets(ann),
        { source_labels: ["__address__", `${ann}_port`], action: "replace", target_label: "__address__", regex: "(.+?)(?::\\d+)?;(\\d+)", replacement: "$1:$2" },
        { action: "labelmap", regex: `${ann}_param_(.+)`, replacement: "__param_$1" },
        { action: "labelmap", regex: "__meta_kubernetes_service_label_(.+)" },
        { source_labels: ["__meta_kubernetes_namespace"], action: "replace", target_label: "namespace" },
        { source_labels: ["__meta_kubernetes_service_name"], action: "replace", target_label: "service" },
        { source_labels: ["__meta_kubernetes_pod_node_name"], action: "replace", target_label: "node" },
    ];
}

const onlyPlatform = { source_labels: ["__meta_kubernetes_namespace"], action: "keep", regex: platformRegex };
const notPlatform = { source_labels: ["__meta_kubernetes_namespace"], action: "drop", regex: platformRegex };

/** Prometheus' scrape jobs (`serverFiles."prometheus.yml".scrape_configs` of the chart). */
export function scrapeConfigs(): Record<string, unknown>[] {
    const nodeJob = (name: string, path: string) => ({
        job_name: name,
        ...apiServerAuth,
        kubernetes_sd_configs: [{ role: "node" }],
        relabel_configs: [
            { action: "labelmap", regex: "__meta_kubernetes_node_label_(.+)" },
            { target_label: "__address__", replacement: "kubernetes.default.svc:443" },
            { source_labels: ["__meta_kubernetes_node_name"], regex: "(.+)", target_label: "__metrics_path__", replacement: `/api/v1/nodes/$1/proxy/${path}` },
        ],
    });
    return [
        { job_name: "prometheus", static_configs: [{ targets: ["localhost:9090"] }] },
        {
            job_name: "kubernetes-apiservers",
            kubernetes_sd_configs: [{ role: "endpoints" }],
            ...apiServerAuth,
            relabel_configs: [{ source_labels: ["__meta_kubernetes_namespace", "__meta_kubernetes_service_name", "__meta_kubernetes_endpoint_port_name"], action: "keep", regex: "default;kubernetes;https" }],
        },
        nodeJob("kubernetes-nodes", "metrics"),
        nodeJob("kubernetes-nodes-cadvisor", "metrics/cadvisor"),
        { job_name: "kubernetes-service-endpoints", honor_labels: true, kubernetes_sd_configs: [{ role: "endpoints" }], relabel_configs: [onlyPlatform, ...serviceEndpointsRelabel()] },
        { job_name: "kubernetes-pods", honor_labels: true, kubernetes_sd_configs: [{ role: "pod" }], relabel_configs: [onlyPlatform, ...podRelabel(true)] },
        {
            job_name: "workload-pods",
            honor_labels: false,
            follow_redirects: false,
            ...UNTRUSTED_SCRAPE_LIMITS,
            kubernetes_sd_configs: [{ role: "pod" }],
            relabel_configs: [notPlatform, ...podRelabel(false)],
        },
    ];
}
