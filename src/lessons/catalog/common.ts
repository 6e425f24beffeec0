/**
 * What the lessons of the catalog share: how a lesson's stages are declared,
 * the sizes its pods request, its Services, the curl clients that call it, the
 * gateway's in-cluster addresses, and Istio's httpbin sample.
 */
import { type ScenarioDef, type ServiceDef, type StageDef, type WorkloadDef } from "../model";
import { IMAGES } from "../../model/images";
import { INGRESS_GATEWAY, INGRESS_NAMESPACE } from "../../model/platform";

/** A lesson's stages and, from the one it starts at, its routing. */
export function staged(stages: readonly StageDef[], start: string): Pick<ScenarioDef, "stages" | "stage" | "routing" | "withoutSidecars"> {
    const at = stages.find((x) => x.name === start)!;
    return { stages, stage: at.name, routing: at.routing, withoutSidecars: at.withoutSidecars };
}

/** The user the curl image runs as (`curl_user`). */
export const CURL_USER = 100;

export interface CatalogContext {
    /** Requests per second each traffic generator sends; undefined: traffic off. */
    readonly rate?: number;
}

export const small = { cpu: "10m", memory: "32Mi", memoryLimit: "128Mi" };

export const app = { cpu: "50m", memory: "128Mi", memoryLimit: "512Mi" };

export const jvm = { cpu: "100m", memory: "256Mi", memoryLimit: "1Gi" };

export const http = (port: number, targetPort = port) => [{ name: "http", port, targetPort }];

export const service = (name: string, selector: Record<string, string>, ports: ServiceDef["ports"]): ServiceDef => ({ name, selector, ports });

/** `sleep` seconds between rounds of requests for a rate in requests per second. */
export function intervalSeconds(rate: number, urlsPerRound: number): string {
    return (urlsPerRound / rate).toFixed(2);
}

/** A shell loop that calls each URL in turn at `rate` requests per second, or idles. */
export function curlLoop(urls: readonly string[], rate: number | undefined, hostHeader?: (url: string) => string | undefined): string[] {
    if (rate === undefined || urls.length === 0) return ["sh", "-c", "while true; do sleep 3600; done"];
    const calls = urls
        .map((u) => {
            const host = hostHeader?.(u);
            return `curl -s -o /dev/null --max-time 5${host ? ` -H 'Host: ${host}'` : ""} ${u}`;
        })
        .join("; ");
    return ["sh", "-c", `while true; do ${calls}; sleep ${intervalSeconds(rate, urls.length)}; done`];
}

export function curlClient(name: string, urls: readonly string[], ctx: CatalogContext): WorkloadDef {
    return {
        name,
        labels: { app: name, version: "v1" },
        image: IMAGES.curl,
        replicas: 1,
        command: curlLoop(urls, ctx.rate),
        runAsUser: CURL_USER,
        resources: small,
    };
}

/** The in-cluster address of the ingress gateway, as the mesh's own clients reach it. */
export const GATEWAY_URL = `http://${INGRESS_GATEWAY.release}.${INGRESS_NAMESPACE}.svc.cluster.local`;

/** The same over HTTPS: TLS ended at the gateway itself, with the workshop CA's certificate. */
export const GATEWAY_HTTPS_URL = `https://${INGRESS_GATEWAY.release}.${INGRESS_NAMESPACE}.svc.cluster.local`;

/** httpbin as Istio's samples/httpbin/httpbin.yaml runs it. */
export function httpbinServer(): WorkloadDef {
    return {
        name: "httpbin",
        labels: { app: "httpbin", version: "v1" },
        image: IMAGES.httpbin,
        serviceAccount: "httpbin",
        replicas: 1,
        containerPort: 8080,
        runAsUser: 65532, // a static Go binary that needs no file of its own
        readinessPath: "/status/200",
        resources: small,
    };
}
