/**
 * Seed 000: a gRPC app in the mesh, its metrics in Kiali.
 */
import { service, small, staged, type CatalogContext } from "./common";
import { type ScenarioDef, type StageCheckDef } from "../model";
import { IMAGES } from "../../model/images";

/**
 * What the server sees of a caller with a sidecar, by fortio's debug echo on its HTTP port: the client
 * certificate header that only the server's own sidecar adds, terminating mTLS (`share` 1: every request
 * carries it; 0: none does, the server has no sidecar).
 */
function serverSees(name: string, describes: string, share: 0 | 1): StageCheckDef {
    const cert = { name: "client-cert", contains: "X-Forwarded-Client-Cert: By=spiffe://", share };
    return {
        name: `grpc-echo-${name}`,
        url: "http://grpc-echo:8080/debug",
        outcomes: share === 1 ? [cert] : [{ ...cert, share: 0 }, { name: "no-client-cert", contains: "@status=200", share: 1 }],
        describes,
    };
}

/** Seed 000's "ossproject": a gRPC server and a client calling it, in the mesh (live gRPC metrics in Kiali). */
export function grpc(ctx: CatalogContext): ScenarioDef {
    return {
        name: "grpc",
        workloads: [
            {
                name: "grpc-echo",
                labels: { app: "grpc-echo", version: "v1" },
                image: IMAGES.fortio,
                runAsUser: 65534, // nobody: fortio needs no file of its own
                replicas: 1,
                args: ["server", "-grpc-port", "8079", "-http-port", "8080"],
                // Readiness on fortio's HTTP port; gRPC is served on 8079.
                containerPort: 8080,
                readinessPath: "/fortio/",
                resources: small,
            },
            {
                name: "grpc-client",
                labels: { app: "grpc-client", version: "v1" },
                image: IMAGES.fortio,
                runAsUser: 65534,
                // The client is traffic: off means no client.
                replicas: ctx.rate === undefined ? 0 : 1,
                args: ["load", "-grpc", "-ping", "-qps", String(ctx.rate ?? 1), "-t", "0", "-c", "1", "grpc-echo:8079"],
                resources: small,
            },
        ],
        services: [
            service("grpc-echo", { app: "grpc-echo" }, [
                { name: "grpc", port: 8079, targetPort: 8079 },
                { name: "http", port: 8080, targetPort: 8080 },
            ]),
        ],
        subsets: {},
        ...staged(
            [
                {
                    name: "no-sidecar",
                    summary: "client and server outside the mesh: gRPC works, Kiali sees nothing",
                    routing: [],
                    withoutSidecars: true,
                    checks: [serverSees("plaintext", "the server has no sidecar: from a caller with one, it receives no client certificate header", 0)],
                },
                {
                    name: "mesh",
                    summary: "client and server with sidecars: live gRPC metrics and mTLS in Kiali",
                    routing: [],
                    checks: [serverSees("mtls", "the server's sidecar terminates mTLS: it hands the server the caller's identity in the client certificate header", 1)],
                },
            ],
            "mesh",
        ),
        probes: {},
        traffic: [],
        extraChecks: [{ name: "grpc-ping", image: IMAGES.fortio, command: ["fortio", "grpcping", "-n", "10", "grpc-echo:8079"] }],
    };
}
