/**
 * Seed 003: an app behind the gateway and an NGINX proxy, and the gateway's own TLS.
 */
import { GATEWAY_HOST, type ProbeDef, type ScenarioDef, type WorkloadDef } from "../model";
import { IMAGES } from "../../model/images";
import { GATEWAY_URL, http, service, small, staged } from "./common";
import { GATEWAY_TLS_PORT } from "../../model/platform";
import { GATEWAY_CA_CONFIG_MAP } from "../gatewayCa";

/**
 * nginx routing /v1 and /v2 to the two my-app services (seed 003's proxy).
 * nginx proxies with HTTP/1.0 unless told otherwise, and the sidecar's outbound
 * listeners refuse HTTP/1.0 (426 Upgrade Required) unless istiod runs with
 * PILOT_HTTP10: the proxy speaks HTTP/1.1, as seed 003's own manifest does.
 */
export function nginxProxyConfig(): string {
    return [
        "server {",
        "    listen 8080;",
        "    proxy_http_version 1.1;",
        "    location = /healthz { access_log off; return 200; }",
        "    location /v1 { proxy_pass http://my-app-v1; }",
        "    location /v2 { proxy_pass http://my-app-v2; }",
        "}",
        "",
    ].join("\n");
}

/** Seed 003: my-app v1/v2 (two replicas each) at /v1 and /v2 through the gateway, and behind an NGINX proxy in the mesh. */
export function myApp(): ScenarioDef {
    const server = (v: string, tag: string): WorkloadDef => ({
        name: `my-app-${v}`,
        labels: { app: "my-app", version: v },
        image: IMAGES.helloApp(tag),
        replicas: 2,
        containerPort: 8080,
        runAsUser: 65532, // hello-app's distroless "nonroot"
        readinessPath: "/",
        resources: small,
    });
    const versions: ProbeDef["versions"] = [
        ["v1", "Version: 1.0.0"],
        ["v2", "Version: 2.0.0"],
    ];
    return {
        name: "my-app",
        workloads: [
            server("v1", "1.0"),
            server("v2", "2.0"),
            {
                name: "nginx-proxy",
                labels: { app: "nginx-proxy", version: "v1" },
                image: IMAGES.nginx,
                replicas: 1,
                containerPort: 8080,
                runAsUser: 101, // nginx-unprivileged's "nginx"
                readinessPath: "/healthz",
                resources: small,
                config: { name: "nginx-proxy", mountPath: "/etc/nginx/conf.d", files: { "default.conf": nginxProxyConfig() } },
            },
        ],
        services: [
            service("my-app-v1", { app: "my-app", version: "v1" }, http(80, 8080)),
            service("my-app-v2", { app: "my-app", version: "v2" }, http(80, 8080)),
            service("nginx-proxy", { app: "nginx-proxy" }, http(80, 8080)),
        ],
        subsets: {},
        ...staged(
            [
                {
                    name: "gateway",
                    summary: "/v1 and /v2 through the shared gateway, and through the NGINX proxy in the mesh",
                    routing: [
                        {
                            host: GATEWAY_HOST,
                            origin: "catalog: my-app gateway",
                            rules: [
                                { match: { prefix: "/v1" }, to: "my-app-v1" },
                                { match: { prefix: "/v2" }, to: "my-app-v2" },
                            ],
                        },
                    ],
                },
                {
                    name: "tls",
                    summary: `/v1 and /v2 over HTTPS only (Istio's secure-gateways task): the gateway ends TLS on ${GATEWAY_TLS_PORT} with the workshop CA's certificate, and answers plain HTTP to those paths with a redirect to HTTPS`,
                    routing: [
                        {
                            host: GATEWAY_HOST,
                            origin: "catalog: my-app tls",
                            rules: [
                                // Only the lesson's own paths: other lessons share the gateway (and, without attendees, its host).
                                { match: { prefix: "/v1", port: 80 }, redirect: { scheme: "https", port: GATEWAY_TLS_PORT } },
                                { match: { prefix: "/v2", port: 80 }, redirect: { scheme: "https", port: GATEWAY_TLS_PORT } },
                                { match: { prefix: "/v1", port: GATEWAY_TLS_PORT }, to: "my-app-v1" },
                                { match: { prefix: "/v2", port: GATEWAY_TLS_PORT }, to: "my-app-v2" },
                            ],
                        },
                    ],
                    handOutNote: `the workshop CA's certificate is in the ConfigMap ${GATEWAY_CA_CONFIG_MAP} of your namespace: \`kubectl get configmap ${GATEWAY_CA_CONFIG_MAP} -o jsonpath='{.data.ca\\.crt}' > ca.crt\`, then \`curl --cacert ca.crt https://...\``,
                },
            ],
            "gateway",
        ),
        probes: {
            "my-app-v1": { path: "/", versions, anyPath: true },
            "my-app-v2": { path: "/", versions, anyPath: true },
            "nginx-proxy": { path: "/v1", versions },
        },
        traffic: [`${GATEWAY_URL}/v1`, `${GATEWAY_URL}/v2`, "http://nginx-proxy/v1", "http://nginx-proxy/v2"],
    };
}
