/**
 * Istio's mutual-TLS migration task.
 */
import { curlClient, httpbinServer, service, staged, type CatalogContext } from "./common";
import { NO_INJECTION_LABEL, type ScenarioDef, type StageCheckDef } from "../model";

/**
 * Istio's mutual-TLS migration task: httpbin, a client in the mesh (`curl-mtls`, Istio's `curl` in `foo`) and
 * one without a sidecar (`curl-legacy`, Istio's `legacy` namespace). Under
 * PERMISSIVE httpbin accepts both; under STRICT only the client with a sidecar.
 * The client without a sidecar lives in the lesson's own namespace: attendee
 * namespaces admit no connection from elsewhere (NetworkPolicy), which would
 * hide the very difference the lesson shows.
 */
export function mtls(ctx: CatalogContext): ScenarioDef {
    const url = "http://httpbin:8000/headers";
    const legacy = curlClient("curl-legacy", [url], ctx);
    const peer = (mode: "STRICT" | "PERMISSIVE") => ({ kind: "PeerAuthentication" as const, name: "httpbin", selector: { app: "httpbin" }, mode });
    const fromMesh: StageCheckDef = {
        name: "httpbin-from-mesh",
        url,
        outcomes: [{ name: "answered", contains: "@status=200", share: 1 }],
        describes: "a client with a sidecar reaches httpbin (over mutual TLS)",
    };
    const fromLegacy = (refused: boolean): StageCheckDef => ({
        name: "httpbin-from-legacy",
        url,
        withoutSidecar: true,
        ...(refused ? { readyStatus: "000" } : {}),
        outcomes: [refused ? { name: "refused", contains: "@status=000", share: 1 } : { name: "answered", contains: "@status=200", share: 1 }],
        describes: refused ? "a client without a sidecar (plaintext) is refused: the connection is reset" : "a client without a sidecar (plaintext) is answered",
    });
    return {
        name: "mtls",
        workloads: [
            httpbinServer(),
            curlClient("curl-mtls", [url], ctx),
            { ...legacy, labels: { ...legacy.labels, [NO_INJECTION_LABEL]: "false" } },
        ],
        services: [service("httpbin", { app: "httpbin" }, [{ name: "http", port: 8000, targetPort: 8080 }])],
        subsets: {},
        ...staged(
            [
                {
                    name: "permissive",
                    summary: "httpbin accepts mutual TLS and plaintext (PeerAuthentication PERMISSIVE): both clients are answered",
                    routing: [],
                    policies: [peer("PERMISSIVE")],
                    checks: [fromMesh, fromLegacy(false)],
                },
                {
                    name: "strict",
                    summary: "httpbin accepts mutual TLS only (PeerAuthentication STRICT): the client without a sidecar is refused",
                    routing: [],
                    policies: [peer("STRICT")],
                    checks: [fromMesh, fromLegacy(true)],
                },
            ],
            "strict",
        ),
        probes: {},
        traffic: [],
    };
}
