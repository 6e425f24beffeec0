/**
 * Istio's TCP traffic-shifting task.
 */
import { type RoutingDef, type ScenarioDef, type WorkloadDef } from "../model";
import { IMAGES } from "../../model/images";
import { service, small, staged } from "./common";

/**
 * Istio's TCP traffic-shifting task with its tcp-echo sample: two versions that
 * echo each line with their own prefix (`one`, `two`), routed per connection.
 * The routes are those of tcp-echo-all-v1.yaml and tcp-echo-20-v2.yaml, bound
 * to the mesh (the Service's port) instead of a gateway port: one TCP port of the
 * shared gateway could not be split between attendees.
 */
export function tcp(): ScenarioDef {
    const server = (v: string, prefix: string): WorkloadDef => ({
        name: `tcp-echo-${v}`,
        labels: { app: "tcp-echo", version: v },
        image: IMAGES.tcpEcho,
        replicas: 1,
        args: ["9000,9001,9002", prefix],
        containerPort: 9000,
        runAsUser: 65534, // a static Go binary that needs no file of its own
        resources: small,
    });
    const to = (weights: Record<string, number>): RoutingDef => ({ host: "tcp-echo", origin: "catalog: tcp-echo", rules: [{ weights }] });
    return {
        name: "tcp-echo",
        workloads: [server("v1", "one"), server("v2", "two")],
        services: [
            service("tcp-echo", { app: "tcp-echo" }, [
                { name: "tcp", port: 9000, targetPort: 9000 },
                { name: "tcp-other", port: 9001, targetPort: 9001 },
            ]),
        ],
        subsets: { "tcp-echo": { v1: { version: "v1" }, v2: { version: "v2" } } },
        ...staged(
            [
                { name: "all-v1", summary: "every connection to tcp-echo v1 (tcp-echo-all-v1.yaml)", routing: [to({ v1: 100 })] },
                { name: "v1-v2-80-20", summary: "connections split 80/20 between v1 and v2 (tcp-echo-20-v2.yaml)", routing: [to({ v1: 80, v2: 20 })] },
            ],
            "v1-v2-80-20",
        ),
        probes: {
            "tcp-echo": {
                path: "",
                versions: [
                    ["v1", "one hello"],
                    ["v2", "two hello"],
                ],
            },
        },
        traffic: [],
    };
}
