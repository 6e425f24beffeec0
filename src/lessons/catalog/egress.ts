/**
 * Istio's egress-control tasks, against an in-cluster stand-in for a host outside the mesh.
 */
import { EGRESS_GATEWAY, EXTERNAL_NAMESPACE } from "../../model/platform";
import { NO_INJECTION_LABEL, type ScenarioDef, type StageCheckDef } from "../model";
import { curlClient, http, httpbinServer, service, staged, type CatalogContext } from "./common";

export const EXTERNAL_HOST = `httpbin.${EXTERNAL_NAMESPACE}.svc.cluster.local`;

/** Its port: plain HTTP on 80, as the hosts of Istio's egress tasks. */
export const EXTERNAL_PORT = 80;

/** The platform's egress gateway, as the mesh addresses it, and the port outside calls go through it on. */
export const EGRESS_GATEWAY_HOST = `${EGRESS_GATEWAY.release}.${EGRESS_GATEWAY.namespace}.svc.cluster.local`;

export const EGRESS_GATEWAY_PORT = 80;

export function externalStandIn(): ScenarioDef {
    return {
        name: "external",
        workloads: [{ ...httpbinServer(), labels: { app: "httpbin", version: "v1", [NO_INJECTION_LABEL]: "false" } }],
        // Also seen by the egress gateway, which forwards the egress-gateway stage's calls to it.
        services: [{ ...service("httpbin", { app: "httpbin" }, http(EXTERNAL_PORT, 8080)), exportTo: [EGRESS_GATEWAY.namespace] }],
        subsets: {},
        routing: [],
        probes: {},
        traffic: [],
    };
}

/** Istio's egress-control tasks, against the stand-in host: open, closed to unknown hosts, opened again for one host. */
export function egress(ctx: CatalogContext): ScenarioDef {
    const url = `http://${EXTERNAL_HOST}/status/200`;
    const serviceEntry = { kind: "ServiceEntry" as const, name: "httpbin-ext", host: EXTERNAL_HOST, port: { number: EXTERNAL_PORT, name: "http", protocol: "HTTP" } };
    const client = { "istio-workshop/egress": "client" };
    const outbound = (mode: "ALLOW_ANY" | "REGISTRY_ONLY") => ({ kind: "OutboundPolicy" as const, name: "egress-client", selector: client, mode });
    const reaches = (describes: string): StageCheckDef => ({ name: "external-host", url, labels: client, outcomes: [{ name: "answered", contains: "@status=200", share: 1 }], describes });
    const curl = curlClient("curl-egress", [url], ctx);
    return {
        name: "egress",
        workloads: [{ ...curl, labels: { ...curl.labels, ...client } }],
        services: [],
        subsets: {},
        ...staged(
            [
                {
                    name: "allow-any",
                    summary: `the client's proxy passes calls to hosts it does not know straight through (outboundTrafficPolicy ALLOW_ANY): ${EXTERNAL_HOST} answers`,
                    routing: [],
                    policies: [outbound("ALLOW_ANY")],
                    checks: [
                        {
                            ...reaches("a host outside the mesh answers, every call passed through by the caller's proxy as to an unknown host (Istio's PassthroughCluster)"),
                            through: { name: "passed-through", cluster: "PassthroughCluster." },
                        },
                    ],
                },
                {
                    name: "registry-only",
                    summary: "the client's proxy refuses hosts outside the mesh's registry (REGISTRY_ONLY): the call ends at Istio's BlackHoleCluster",
                    routing: [],
                    policies: [outbound("REGISTRY_ONLY")],
                    checks: [
                        {
                            name: "external-host",
                            url,
                            labels: client,
                            readyStatus: "502,000",
                            // 502 where the proxy has an HTTP listener on the port, a reset connection where it has none.
                            outcomes: [{ name: "blocked", contains: "@status=502,000", share: 1 }],
                            describes: "a host outside the registry is refused by the caller's own proxy",
                        },
                    ],
                },
                {
                    name: "service-entry",
                    summary: `still REGISTRY_ONLY, with a ServiceEntry that adds ${EXTERNAL_HOST} to the registry: that host answers again`,
                    routing: [],
                    policies: [outbound("REGISTRY_ONLY"), serviceEntry],
                    checks: [
                        {
                            ...reaches("the host the ServiceEntry names answers, every call completed by the caller's proxy to the ServiceEntry's cluster"),
                            through: { name: "via-service-entry", cluster: `outbound|${EXTERNAL_PORT}||${EXTERNAL_HOST}.` },
                        },
                    ],
                },
                {
                    name: "egress-gateway",
                    summary: `calls to ${EXTERNAL_HOST} leave through the platform's egress gateway (Istio's egress gateway task): the namespace's route sends them to the gateway, the platform's gateway route on to the host`,
                    routing: [],
                    policies: [
                        outbound("REGISTRY_ONLY"),
                        serviceEntry,
                        { kind: "EgressRoute", name: "direct-httpbin-through-egress-gateway", host: EXTERNAL_HOST, port: EXTERNAL_PORT, via: { host: EGRESS_GATEWAY_HOST, port: EGRESS_GATEWAY_PORT } },
                    ],
                    handOutNote: `the gateway's half of the route (the Gateway on ${EGRESS_GATEWAY.namespace} and its route on to ${EXTERNAL_HOST}) is the platform's: attendees may not bind routes to gateways. See it with \`kubectl -n ${EGRESS_GATEWAY.namespace} get gateway,virtualservice\``,
                    checks: [
                        {
                            ...reaches("the host answers, every call completed by the caller's proxy to the egress gateway"),
                            through: { name: "via-egress-gateway", cluster: `outbound|${EGRESS_GATEWAY_PORT}||${EGRESS_GATEWAY_HOST}.` },
                        },
                    ],
                },
            ],
            "service-entry",
        ),
        probes: {},
        traffic: [],
    };
}
