/**
 * Seed 002: helloworld v1/v2, traffic by source.
 */
import { app, curlClient, http, service, staged, type CatalogContext } from "./common";
import { type ScenarioDef, type WorkloadDef } from "../model";
import { IMAGES } from "../../model/images";

/** Seed 002: helloworld v1/v2; requests from `app: curl` go to v1 only, everyone else's to both. */
export function helloworld(ctx: CatalogContext): ScenarioDef {
    const server = (v: string): WorkloadDef => ({
        name: `helloworld-${v}`,
        labels: { app: "helloworld", version: v },
        image: IMAGES.helloworld(v),
        replicas: 1,
        containerPort: 5000,
        // Istio's helloworld Dockerfile sets no USER: run as an unprivileged one (gunicorn needs only /tmp).
        runAsUser: 1000,
        // `/hello` burns CPU on every call; `/health` is the app's own health endpoint.
        readinessPath: "/health",
        writableRoot: true,
        resources: app,
    });
    const url = "http://helloworld:5000/hello";
    return {
        name: "helloworld",
        workloads: [server("v1"), server("v2"), curlClient("curl", [url], ctx), curlClient("curl1", [url], ctx)],
        services: [service("helloworld", { app: "helloworld" }, http(5000))],
        subsets: { helloworld: { v1: { version: "v1" }, v2: { version: "v2" } } },
        ...staged([
            {
                name: "round-robin",
                summary: "no routing rule: requests go to v1 and v2 alike",
                routing: [],
                // What the next stage changes: requests from pods labelled app: curl, balanced here like everyone's.
                checks: [
                    {
                        name: "helloworld-from-curl",
                        url,
                        labels: { app: "curl" },
                        outcomes: [
                            { name: "v1", contains: "Hello version: v1", share: 0.5 },
                            { name: "v2", contains: "Hello version: v2", share: 0.5 },
                        ],
                        describes: "requests from a pod labelled app: curl reach v1 and v2 alike",
                    },
                ],
            },
            {
                name: "source-v1",
                summary: "requests from pods labelled app: curl go to v1 only, everyone else's to both",
                routing: [{ host: "helloworld", origin: "catalog: helloworld", rules: [{ match: { sourceLabels: { app: "curl" } }, weights: { v1: 100 } }, {}] }],
            },
        ], "source-v1"),
        probes: {
            helloworld: {
                path: "/hello",
                versions: [
                    ["v1", "Hello version: v1"],
                    ["v2", "Hello version: v2"],
                ],
            },
        },
        traffic: [],
    };
}
