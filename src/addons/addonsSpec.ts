/**
 * Pure builders for the observability addons: Helm values for Prometheus,
 * Grafana and Kiali, Jaeger v2 as plain Kubernetes objects, and the
 * port-forward commands (the routes that expose the UIs: `exposure.ts`). Every URL one addon uses to
 * reach another comes from `endpoints.ts`, the same place the Service names do.
 */
import type { types } from "@pulumi/kubernetes";
import YAML from "yaml";
import { scrapeConfigs } from "./prometheusScrape";
import {
    ADDONS_NAMESPACE,
    GRAFANA,
    JAEGER_COLLECTOR,
    JAEGER_QUERY,
    JAEGER_QUERY_GRPC_PORT,
    KIALI,
    PROMETHEUS,
    clusterUrl,
    type Endpoint,
} from "../model/endpoints";
import { RELEASE_TIMEOUT_SECONDS, type ReleaseSpec } from "../model/release";
import { INGRESS_NAMESPACE, exportedTo } from "../model/platform";
import { IMAGES, imageParts } from "../model/images";
import { NO_SIDECAR_LABELS, RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_SECURITY } from "../model/podSecurity";
import type { Settings } from "../settings/schema";
import { JAEGER_LABELS } from "../model/endpoints";

type Addons = Settings["addons"];

export const CHART_REPOS = {
    prometheus: "https://prometheus-community.github.io/helm-charts",
    grafana: "https://grafana-community.github.io/helm-charts",
    kiali: "https://kiali.org/helm-charts",
} as const;

/** Requests and limits of every addon, sized for a workshop (hours, not weeks, of data). */
export const ADDON_RESOURCES = {
    prometheus: { requests: { cpu: "100m", memory: "512Mi" }, limits: { memory: "2Gi" } },
    grafana: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
    jaeger: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "1Gi" } },
    kiali: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "1Gi" } },
    jaegerAuth: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
} as const;

/** Prometheus keeps this much data in memory-backed storage (no volume: a workshop lasts hours). */
export const PROMETHEUS_RETENTION = "2d";
/** Where Jaeger serves its own metrics (Prometheus format). */
export const JAEGER_METRICS_PORT = 8888;

/** Jaeger keeps at most this many traces in memory. */
export const JAEGER_MAX_TRACES = 50000;

/** Secret holding Grafana's admin login; Grafana and Kiali both read it. */
export const GRAFANA_ADMIN_SECRET = { name: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password", user: "admin" } as const;
/** Secret holding the htpasswd file of Jaeger's basic-auth proxy. */
export const JAEGER_AUTH_SECRET = { name: "jaeger-auth", key: "htpasswd", user: "workshop" } as const;

/**
 * Istio's Grafana dashboards, as the Istio release being deployed publishes them
 * (`manifests/addons/dashboards/` at the release's tag), downloaded by Grafana at
 * start-up. Each uses a `datasource` variable that defaults to the Prometheus
 * data source. In ambient mode the ztunnel dashboard too (`ZTUNNEL_DASHBOARD`).
 */
export const ISTIO_DASHBOARDS = [
    { key: "istio-mesh", title: "Istio Mesh Dashboard", file: "istio-mesh-dashboard.gen.json" },
    { key: "istio-service", title: "Istio Service Dashboard", file: "istio-service-dashboard.json" },
    { key: "istio-workload", title: "Istio Workload Dashboard", file: "istio-workload-dashboard.json" },
    { key: "istio-control-plane", title: "Istio Control Plane Dashboard", file: "pilot-dashboard.gen.json" },
    { key: "istio-performance", title: "Istio Performance Dashboard", file: "istio-performance-dashboard.json" },
    { key: "istio-wasm-extension", title: "Istio Wasm Extension Dashboard", file: "istio-extension-dashboard.json" },
] as const;

/** The node proxy's dashboard, which the same release publishes: loaded where the mesh runs ztunnel (ambient mode). */
export const ZTUNNEL_DASHBOARD = { key: "istio-ztunnel", title: "Istio Ztunnel Dashboard", file: "ztunnel-dashboard.gen.json" } as const;

/** The dashboards Grafana loads for a data plane. */
export function dashboardsFor(dataplane: "sidecar" | "ambient"): readonly { readonly key: string; readonly title: string; readonly file: string }[] {
    return dataplane === "ambient" ? [...ISTIO_DASHBOARDS, ZTUNNEL_DASHBOARD] : ISTIO_DASHBOARDS;
}

/** Where an Istio release publishes a dashboard file. */
export function istioDashboardUrl(istioVersion: string, file: string): string {
    return `https://raw.githubusercontent.com/istio/istio/${istioVersion}/manifests/addons/dashboards/${file}`;
}

function chartRelease(name: string, chart: string, repo: string, version: string, values: Record<string, unknown>): ReleaseSpec {
    return { name, chart, version, namespace: ADDONS_NAMESPACE, repositoryOpts: { repo }, values, timeout: RELEASE_TIMEOUT_SECONDS, atomic: true };
}

/**
 * Prometheus server only. Its pod jobs scrape every pod annotated `prometheus.io/scrape`:
 * istiod (15014), the gateways and every sidecar (merged metrics on 15020, outside
 * mTLS, so scraping works under STRICT); pods outside the platform's namespaces
 * with bounds and without trusting their labels (`src/addons/prometheusScrape.ts`).
 */
export function prometheusValues(): Record<string, unknown> {
    return {
        alertmanager: { enabled: false },
        "kube-state-metrics": { enabled: false },
        "prometheus-node-exporter": { enabled: false },
        "prometheus-pushgateway": { enabled: false },
        server: {
            fullnameOverride: PROMETHEUS.service,
            service: { type: "ClusterIP", servicePort: PROMETHEUS.port },
            persistentVolume: { enabled: false },
            retention: PROMETHEUS_RETENTION,
            global: { scrape_interval: "15s", scrape_timeout: "10s" },
            podLabels: { ...NO_SIDECAR_LABELS },
            resources: ADDON_RESOURCES.prometheus,
            // No lifecycle API (`/-/quit`, `/-/reload`) and no admin API: nothing but queries over HTTP.
            extraFlags: [],
        },
        // Its config reloader needs the lifecycle API; the configuration changes only with the chart.
        configmapReload: { prometheus: { enabled: false } },
        serverFiles: { "prometheus.yml": { scrape_configs: scrapeConfigs() } },
    };
}

/** Grafana: login required (admin password from a Secret), Prometheus and Jaeger as data sources, Istio's dashboards. */
export function grafanaValues(addons: Addons, istioVersion: string, dataplane: "sidecar" | "ambient" = "sidecar"): Record<string, unknown> {
    const datasources: Record<string, unknown>[] = [
        {
            name: "Prometheus",
            uid: "prometheus",
            type: "prometheus",
            access: "proxy",
            url: clusterUrl(PROMETHEUS),
            isDefault: true,
            editable: false,
            jsonData: { timeInterval: "15s" },
        },
    ];
    if (addons.jaeger.enabled) {
        datasources.push({ name: "Jaeger", uid: "jaeger", type: "jaeger", access: "proxy", url: clusterUrl(JAEGER_QUERY), editable: false });
    }
    return {
        fullnameOverride: GRAFANA.service,
        service: { type: "ClusterIP", port: GRAFANA.port, ...(addons.expose.includes("grafana") ? { annotations: exportedTo([INGRESS_NAMESPACE]) } : {}) },
        admin: { existingSecret: GRAFANA_ADMIN_SECRET.name, userKey: GRAFANA_ADMIN_SECRET.userKey, passwordKey: GRAFANA_ADMIN_SECRET.passwordKey },
        "grafana.ini": {
            server: { root_url: `%(protocol)s://%(domain)s:%(http_port)s${GRAFANA.path}/`, serve_from_sub_path: true },
            "auth.anonymous": { enabled: false },
            analytics: { check_for_updates: false, reporting_enabled: false },
        },
        datasources: { "datasources.yaml": { apiVersion: 1, datasources } },
        dashboardProviders: {
            "dashboardproviders.yaml": {
                apiVersion: 1,
                providers: [
                    {
                        name: "istio",
                        orgId: 1,
                        folder: "Istio",
                        type: "file",
                        disableDeletion: true,
                        editable: false,
                        options: { path: "/var/lib/grafana/dashboards/istio" },
                    },
                ],
            },
        },
        dashboards: {
            istio: Object.fromEntries(dashboardsFor(dataplane).map((d) => [d.key, { url: istioDashboardUrl(istioVersion, d.file) }])),
        },
        // The init container that downloads them: curl from quay.io rather than Docker Hub.
        downloadDashboardsImage: imageParts(IMAGES.curl),
        persistence: { enabled: false },
        podLabels: { ...NO_SIDECAR_LABELS },
        resources: ADDON_RESOURCES.grafana,
    };
}

/** Where a browser opens a UI: its path on the gateway (over https) when exposed, else through a port-forward. */
export function browserUrl(e: Endpoint, exposed: boolean): string {
    return exposed ? e.path : `http://localhost:${e.port}${e.path}`;
}

/**
 * How long Kiali keeps, per login token, the namespaces it may show. An attendee's token may not list namespaces, so
 * Kiali tries a GET of every namespace with it and keeps those that answer (`business/namespaces.go`,
 * `filterToNamespacesUserCanGet`, at v2.29.0): one read of the API server per namespace of the cluster, per token,
 * each time this runs out (Kiali's default: 10 s). A class's namespaces do not change during the day.
 */
export const KIALI_TOKEN_NAMESPACES_SECONDS = 300;

/**
 * Kiali: token login (never anonymous), wired explicitly to the Prometheus,
 * Grafana and Jaeger this stack creates. With the token strategy Kiali shows a
 * user only the namespaces their token may GET (the Namespace object), so an
 * attendee's token shows only their namespace.
 */
export function kialiValues(addons: Addons): Record<string, unknown> {
    const exposed = addons.expose.includes("kiali");
    return {
        auth: { strategy: "token" },
        server: { port: KIALI.port, web_root: KIALI.path },
        kubernetes_config: { cache_token_namespace_duration: KIALI_TOKEN_NAMESPACES_SECONDS },
        deployment: {
            instance_name: KIALI.service,
            service_type: "ClusterIP",
            ...(exposed ? { service_annotations: exportedTo([INGRESS_NAMESPACE]) } : {}),
            ingress: { enabled: false },
            // The chart's own NetworkPolicy admits its port from anywhere; istio-system's policies decide instead.
            network_policy: { enabled: false },
            view_only_mode: false,
            pod_labels: { ...NO_SIDECAR_LABELS },
            resources: ADDON_RESOURCES.kiali,
        },
        external_services: {
            prometheus: { url: clusterUrl(PROMETHEUS) },
            grafana: addons.grafana.enabled
                ? {
                      enabled: true,
                      internal_url: clusterUrl(GRAFANA),
                      external_url: browserUrl(GRAFANA, addons.expose.includes("grafana")),
                      auth: {
                          type: "basic",
                          username: GRAFANA_ADMIN_SECRET.user,
                          password: `secret:${GRAFANA_ADMIN_SECRET.name}:${GRAFANA_ADMIN_SECRET.passwordKey}`,
                      },
                  }
                : { enabled: false },
            tracing: addons.jaeger.enabled
                ? {
                      enabled: true,
                      provider: "jaeger",
                      use_grpc: true,
                      internal_url: clusterUrl(JAEGER_QUERY, JAEGER_QUERY_GRPC_PORT),
                      external_url: browserUrl(JAEGER_QUERY, addons.expose.includes("jaeger")),
                  }
                : { enabled: false },
        },
    };
}

/** The Helm releases of the enabled chart-based addons, each at its pinned version. */
export function addonReleases(addons: Addons, istioVersion: string, dataplane: "sidecar" | "ambient" = "sidecar"): { prometheus?: ReleaseSpec; grafana?: ReleaseSpec; kiali?: ReleaseSpec } {
    return {
        prometheus: addons.prometheus.enabled
            ? chartRelease("prometheus", "prometheus", CHART_REPOS.prometheus, addons.prometheus.version, prometheusValues())
            : undefined,
        grafana: addons.grafana.enabled
            ? chartRelease("grafana", "grafana", CHART_REPOS.grafana, addons.grafana.version, grafanaValues(addons, istioVersion, dataplane))
            : undefined,
        kiali: addons.kiali.enabled ? chartRelease("kiali", "kiali-server", CHART_REPOS.kiali, addons.kiali.version, kialiValues(addons)) : undefined,
    };
}

/** Jaeger v2 all-in-one configuration: OTLP in, traces kept in memory, query UI under /jaeger. */
export function jaegerConfig(): string {
    return YAML.stringify({
        service: {
            extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            pipelines: { traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] } },
            // Jaeger's own metrics, for Prometheus: the collector serves them on localhost only unless told otherwise.
            telemetry: { metrics: { level: "detailed", readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: JAEGER_METRICS_PORT } } } }] } },
        },
        extensions: {
            healthcheckv2: { use_v2: true, http: { endpoint: "0.0.0.0:13133" } },
            jaeger_query: { base_path: JAEGER_QUERY.path, storage: { traces: "memstore" } },
            jaeger_storage: { backends: { memstore: { memory: { max_traces: JAEGER_MAX_TRACES } } } },
        },
        receivers: {
            otlp: {
                protocols: {
                    // gRPC only, what the proxies send (the mesh's tracing provider): every pod may reach the collector.
                    grpc: { endpoint: `0.0.0.0:${JAEGER_COLLECTOR.otlpGrpcPort}` },
                },
            },
        },
        processors: { batch: {} },
        exporters: { jaeger_storage_exporter: { trace_storage: "memstore" } },
    });
}



/** Jaeger as plain objects: its config, the Deployment, the collector and query Services. */
export function jaegerObjects(version: string) {
    const meta = (name: string) => ({ name, namespace: ADDONS_NAMESPACE, labels: { ...JAEGER_LABELS } });
    return {
        configMap: { metadata: meta("jaeger"), data: { "config.yaml": jaegerConfig() } },
        deployment: {
            metadata: meta("jaeger"),
            spec: {
                replicas: 1,
                selector: { matchLabels: { ...JAEGER_LABELS } },
                template: {
                    metadata: {
                        labels: { ...JAEGER_LABELS, version: `v${version}`, ...NO_SIDECAR_LABELS },
                        annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": String(JAEGER_METRICS_PORT) },
                    },
                    spec: {
                        securityContext: RESTRICTED_POD_SECURITY,
                        containers: [
                            {
                                name: "jaeger",
                                image: IMAGES.jaeger(version),
                                args: ["--config", "/etc/jaeger/config.yaml"],
                                ports: [
                                    { name: "grpc-otlp", containerPort: JAEGER_COLLECTOR.otlpGrpcPort },
                                    { name: "http-query", containerPort: JAEGER_QUERY.port },
                                    { name: "grpc-query", containerPort: JAEGER_QUERY_GRPC_PORT },
                                    { name: "http-health", containerPort: 13133 },
                                    { name: "http-metrics", containerPort: JAEGER_METRICS_PORT },
                                ],
                                readinessProbe: { httpGet: { path: "/status", port: 13133 } },
                                livenessProbe: { httpGet: { path: "/status", port: 13133 } },
                                resources: ADDON_RESOURCES.jaeger,
                                securityContext: RESTRICTED_CONTAINER_SECURITY,
                                volumeMounts: [{ name: "config", mountPath: "/etc/jaeger", readOnly: true }],
                            },
                        ],
                        volumes: [{ name: "config", configMap: { name: "jaeger" } }],
                    },
                },
            },
        },
        collectorService: {
            // Every proxy sends its spans here.
            metadata: { ...meta(JAEGER_COLLECTOR.service), annotations: exportedTo(["*"]) },
            spec: {
                type: "ClusterIP",
                selector: { ...JAEGER_LABELS },
                ports: [
                    { name: "grpc-otlp", port: JAEGER_COLLECTOR.otlpGrpcPort, targetPort: JAEGER_COLLECTOR.otlpGrpcPort },
                ],
            },
        },
        queryService: {
            metadata: meta(JAEGER_QUERY.service),
            spec: {
                type: "ClusterIP",
                selector: { ...JAEGER_LABELS },
                ports: [
                    { name: "http-query", port: JAEGER_QUERY.port, targetPort: JAEGER_QUERY.port },
                    { name: "grpc-query", port: JAEGER_QUERY_GRPC_PORT, targetPort: JAEGER_QUERY_GRPC_PORT },
                ],
            },
        },
    };
}

/** How to open each enabled UI from a laptop, and where. */
export function portForwards(addons: Addons): Record<string, string> {
    const entries: [boolean, string, Endpoint][] = [
        [addons.kiali.enabled, "kiali", KIALI],
        [addons.grafana.enabled, "grafana", GRAFANA],
        [addons.jaeger.enabled, "jaeger", JAEGER_QUERY],
        [addons.prometheus.enabled, "prometheus", PROMETHEUS],
    ];
    return Object.fromEntries(
        entries
            .filter(([enabled]) => enabled)
            .map(([, key, e]) => [
                key,
                `kubectl -n ${e.namespace} port-forward svc/${e.service} ${e.port}:${e.port}  # then open http://localhost:${e.port}${e.path}/`,
            ]),
    );
}

/**
 * Read-only view of workloads and Istio configuration in every namespace: what
 * the organizer's Kiali login (`kiali-viewer` token) needs. Nothing is writable,
 * Secrets are not readable.
 */
export const MESH_VIEWER: { readonly name: string; readonly rules: types.input.rbac.v1.PolicyRule[] } = {
    // Not "kiali-viewer": the kiali-server chart creates a ClusterRole and a ClusterRoleBinding of that name.
    name: "workshop-mesh-viewer",
    rules: [
        {
            apiGroups: [""],
            resources: ["namespaces", "pods", "pods/log", "services", "endpoints", "replicationcontrollers", "configmaps"],
            verbs: ["get", "list", "watch"],
        },
        { apiGroups: ["apps"], resources: ["deployments", "replicasets", "statefulsets", "daemonsets"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
        {
            apiGroups: ["networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io", "gateway.networking.k8s.io"],
            resources: ["*"],
            verbs: ["get", "list", "watch"],
        },
    ],
};
