/**
 * Pure builders for the UIs served through the shared gateway (`addons.expose`): the routes that send each UI's path
 * to it (Istio's VirtualService, or Gateway API HTTPRoutes), and the basic-auth proxy in front of Jaeger's UI, which
 * has no login of its own. Over TLS only; Prometheus is never routed.
 */
import { createHash } from "crypto";
import { ADDONS_NAMESPACE, GRAFANA, JAEGER_AUTH, JAEGER_QUERY, KIALI, host, type Endpoint } from "../model/endpoints";
import { istioObject, type IstioObject } from "../model/istioObjects";
import { gatewayApiObject, type GatewayApiObject } from "../model/gatewayApiObjects";
import { GATEWAY_LISTENERS, INGRESS_NAMESPACE, WORKSHOP_GATEWAY, exportedTo } from "../model/platform";
import { IMAGES } from "../model/images";
import { NO_SIDECAR_LABELS, RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_SECURITY } from "../model/podSecurity";
import type { Settings } from "../settings/schema";
import type { ExposedUi } from "../settings/addons";
import { ADDON_RESOURCES, JAEGER_AUTH_SECRET } from "./addonsSpec";

type Addons = Settings["addons"];

/** One htpasswd line in the salted SHA-1 scheme nginx reads (`{SSHA}`). */
export function htpasswdLine(user: string, password: string, salt: string): string {
    const digest = createHash("sha1").update(password).update(salt).digest();
    return `${user}:{SSHA}${Buffer.concat([digest, Buffer.from(salt)]).toString("base64")}\n`;
}

/** nginx in front of Jaeger's UI when exposed: basic auth, then proxy to the query service. */
export function jaegerAuthObjects() {
    const labels = { app: JAEGER_AUTH.service };
    const meta = (name: string) => ({ name, namespace: ADDONS_NAMESPACE, labels: { ...labels } });
    const conf = [
        "server {",
        `    listen ${JAEGER_AUTH.port};`,
        "    location = /healthz { access_log off; return 200; }",
        "    proxy_http_version 1.1;",
        `    location ${JAEGER_QUERY.path} {`,
        '        auth_basic "Jaeger";',
        `        auth_basic_user_file /etc/nginx/auth/${JAEGER_AUTH_SECRET.key};`,
        `        proxy_pass http://${host(JAEGER_QUERY)}:${JAEGER_QUERY.port};`,
        "        proxy_set_header Host $host;",
        "    }",
        "}",
        "",
    ].join("\n");
    return {
        configMap: { metadata: meta(JAEGER_AUTH.service), data: { "default.conf": conf } },
        deployment: {
            metadata: meta(JAEGER_AUTH.service),
            spec: {
                replicas: 1,
                selector: { matchLabels: { ...labels } },
                template: {
                    metadata: { labels: { ...labels, version: "v1", ...NO_SIDECAR_LABELS } },
                    spec: {
                        securityContext: RESTRICTED_POD_SECURITY,
                        containers: [
                            {
                                name: "nginx",
                                image: IMAGES.nginx,
                                ports: [{ name: "http", containerPort: JAEGER_AUTH.port }],
                                readinessProbe: { httpGet: { path: "/healthz", port: JAEGER_AUTH.port } },
                                resources: ADDON_RESOURCES.jaegerAuth,
                                securityContext: RESTRICTED_CONTAINER_SECURITY,
                                volumeMounts: [
                                    { name: "conf", mountPath: "/etc/nginx/conf.d", readOnly: true },
                                    { name: "auth", mountPath: "/etc/nginx/auth", readOnly: true },
                                    { name: "tmp", mountPath: "/tmp" },
                                ],
                            },
                        ],
                        volumes: [
                            { name: "conf", configMap: { name: JAEGER_AUTH.service } },
                            { name: "auth", secret: { secretName: JAEGER_AUTH_SECRET.name } },
                            { name: "tmp", emptyDir: {} },
                        ],
                    },
                },
            },
        },
        service: {
            // Routed from the ingress gateway, and seen by no other namespace.
            metadata: { ...meta(JAEGER_AUTH.service), annotations: exportedTo([INGRESS_NAMESPACE]) },
            spec: { type: "ClusterIP", selector: { ...labels }, ports: [{ name: "http", port: JAEGER_AUTH.port, targetPort: JAEGER_AUTH.port }] },
        },
    };
}

/** What the gateway sends each exposed UI's path to: Jaeger's UI through its basic-auth proxy (it has no login). */
const EXPOSED_BACKENDS: Readonly<Record<ExposedUi, Endpoint>> = { kiali: KIALI, grafana: GRAFANA, jaeger: JAEGER_AUTH };

/** The backends of the UIs `addons.expose` names, in its order. */
export function exposedBackends(addons: Addons): Endpoint[] {
    return addons.expose.map((ui) => EXPOSED_BACKENDS[ui]);
}

/**
 * The UIs `addons.expose` names, behind the shared gateway, each behind its own login: Kiali (token), Grafana
 * (admin password), Jaeger (basic auth). Over TLS only (ended by the gateway with the workshop CA's certificate, or
 * by the load balancer): on port 80 their paths answer with a redirect to https. Prometheus is never routed.
 */
export function exposedRoutes(addons: Addons): IstioObject<"VirtualService"> | undefined {
    const enabled = exposedBackends(addons);
    if (enabled.length === 0) return undefined;
    const http = [
        { name: "ui-https-only", match: enabled.map((e) => ({ uri: { prefix: e.path }, port: 80 })), redirect: { scheme: "https", port: 443, redirectCode: 301 } },
        ...enabled.map((e) => ({
            name: e.service,
            match: [{ uri: { prefix: e.path }, port: 443 }],
            route: [{ destination: { host: host(e), port: { number: e.port } } }],
        })),
    ];
    // Read by the ingress gateway's proxies only.
    return istioObject("VirtualService", { name: "addons", namespace: ADDONS_NAMESPACE }, { hosts: ["*"], gateways: [WORKSHOP_GATEWAY.ref], exportTo: [INGRESS_NAMESPACE], http });
}

/**
 * The same routes with Gateway API ingress (`istio.ingress.api: gateway-api`): HTTPRoutes in the addons' namespace
 * on the shared Gateway's listeners, `addons-https` sending each path to its UI, `addons-http` redirecting them to
 * https. The Gateway accepts them because the platform labels its namespace for it (only the platform writes there).
 */
export function exposedHttpRoutes(addons: Addons): GatewayApiObject<"HTTPRoute">[] {
    const enabled = exposedBackends(addons);
    if (enabled.length === 0) return [];
    const [http, https] = GATEWAY_LISTENERS;
    const parent = (sectionName: string) => [{ name: WORKSHOP_GATEWAY.name, namespace: WORKSHOP_GATEWAY.namespace, sectionName }];
    const matches = (e: Endpoint) => [{ path: { type: "PathPrefix" as const, value: e.path } }];
    return [
        gatewayApiObject(
            "HTTPRoute",
            { name: "addons-http", namespace: ADDONS_NAMESPACE },
            { parentRefs: parent(http.name), rules: [{ name: "https-only", matches: enabled.flatMap(matches), filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", port: https.port, statusCode: 301 } }] }] },
        ),
        gatewayApiObject(
            "HTTPRoute",
            { name: "addons-https", namespace: ADDONS_NAMESPACE },
            { parentRefs: parent(https.name), rules: enabled.map((e) => ({ name: e.service, matches: matches(e), backendRefs: [{ name: e.service, port: e.port }] })) },
        ),
    ];
}

/**
 * The exposed UIs' route objects for the shared gateway's API, each with the key its child resource is named by:
 * Istio's VirtualService (`routes`), or with Gateway API ingress its two HTTPRoutes (`routes-http`, `routes-https`).
 */
export function exposedRouteObjects(addons: Addons, api: "istio" | "gateway-api"): { readonly key: string; readonly object: IstioObject<"VirtualService"> | GatewayApiObject<"HTTPRoute"> }[] {
    if (api === "gateway-api") return exposedHttpRoutes(addons).map((object) => ({ key: object.metadata.name.replace(/^addons-/, "routes-"), object }));
    const vs = exposedRoutes(addons);
    return vs ? [{ key: "routes", object: vs }] : [];
}

/**
 * Where a browser opens each exposed UI: under the classroom's domain (a DNS name the gateway's certificate holds,
 * pointed at the gateway: no attendee owns the bare domain), else the load balancer's address, else a node's https port.
 */
export function exposedUiUrls(addons: Addons, ingress: { readonly serviceType: "LoadBalancer" | "NodePort"; readonly httpsNodePort: number }, address: string, domain: string | undefined): Record<string, string> {
    const at = domain ?? (ingress.serviceType === "LoadBalancer" ? address : `<a node's address>:${ingress.httpsNodePort}`);
    return Object.fromEntries(addons.expose.map((ui) => [ui, `https://${at}${EXPOSED_BACKENDS[ui].path}/`]));
}
