/**
 * Seed 000: a gRPC app in the mesh, its metrics in Kiali.
 */
import { service, small, staged, type CatalogContext } from "./common";
import { type ScenarioDef } from "../model";
import { IMAGES } from "../../model/images";

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
                { name: "no-sidecar", summary: "client and server outside the mesh: gRPC works, Kiali sees nothing", routing: [], withoutSidecars: true },
                { name: "mesh", summary: "client and server with sidecars: live gRPC metrics and mTLS in Kiali", routing: [] },
            ],
            "mesh",
        ),
        probes: {},
        traffic: [],
        extraChecks: [{ name: "grpc-ping", image: IMAGES.fortio, command: ["fortio", "grpcping", "-n", "10", "grpc-echo:8079"] }],
    };
}
