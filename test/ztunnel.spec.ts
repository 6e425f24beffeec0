/**
 * Ambient mode's ztunnel in the data-plane model (`src/judgement/dataplane/ztunnel.ts`): enrolment, PeerAuthentication,
 * L4 AuthorizationPolicy, the defensive drop of a policy beyond L4, no HTTP routing without a waypoint. Each case
 * is a behaviour istio.io's "Use Layer 4 security policy" page or istio/api's label definitions state.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { ISTIO_DEFAULTS, Mesh, drawsFrom } from "../src/judgement/dataplane/mesh";
import { loadReplies, modelPod, worldOf } from "../src/judgement/dataplane/world";
import { ambientEnrolled, beyondL4 } from "../src/judgement/dataplane/ztunnel";
import { IMAGES } from "../src/model/images";

const REPLIES = loadReplies(path.join(__dirname, "fixtures", "replies"));
const ns = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
const AMBIENT_NS = ns("amb", { "istio.io/dataplane-mode": "ambient" });
const template = (labels: Record<string, string>, sa: string, image = IMAGES.helloApp("1.0")) => ({ metadata: { labels }, spec: { serviceAccountName: sa, containers: [{ name: "c", image }] } });
const policy = (name: string, spec: Record<string, unknown>, namespace = "amb") => ({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace }, spec });
const peer = (mode: string) => ({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "istio-system" }, spec: { mtls: { mode } } });
const SERVER = [
    { apiVersion: "v1", kind: "Service", metadata: { name: "hello", namespace: "amb" }, spec: { selector: { app: "hello" }, ports: [{ name: "http", port: 8080, targetPort: 8080 }] } },
];

/** The status a client gets from the server in a world of these objects (the client and server pods made as the plan makes them). */
function status(extra: readonly any[], client: { namespace: string; labels?: Record<string, string> }): number {
    const objects = [AMBIENT_NS, ns("out"), ...SERVER, ...extra];
    const server = modelPod(objects, "amb", "hello-1", template({ app: "hello" }, "hello"));
    const caller = modelPod(objects, client.namespace, "curl-1", template({ app: "curl", ...(client.labels ?? {}) }, "curl", "quay.io/curl/curl:8.16.0"));
    const { world } = worldOf(objects, [server, caller], REPLIES, ISTIO_DEFAULTS);
    return new Mesh(world, drawsFrom("ztunnel")).request(caller, "http://hello.amb:8080/", {}, 30).status;
}

describe("ambient mode in the mesh model: ztunnel at L4", () => {
    it("enrols a pod by its namespace's label or its own; `none` opts a pod out; a pod with a sidecar is never ambient", () => {
        assert.equal(ambientEnrolled([AMBIENT_NS], "amb", { labels: {} }, false), true);
        assert.equal(ambientEnrolled([AMBIENT_NS], "amb", { labels: { "istio.io/dataplane-mode": "none" } }, false), false);
        assert.equal(ambientEnrolled([ns("out")], "out", { labels: { "istio.io/dataplane-mode": "ambient" } }, false), true);
        assert.equal(ambientEnrolled([AMBIENT_NS], "amb", { labels: {} }, true), false);
        assert.equal(modelPod([AMBIENT_NS], "amb", "p", template({}, "sa")).ambient, true);
    });

    it("PeerAuthentication STRICT refuses a caller outside the mesh and admits a mesh caller (HBONE); PERMISSIVE admits both", () => {
        assert.equal(status([peer("STRICT")], { namespace: "amb" }), 200);
        assert.equal(status([peer("STRICT")], { namespace: "out" }), 0);
        assert.equal(status([peer("STRICT")], { namespace: "amb", labels: { "istio.io/dataplane-mode": "none" } }), 0);
        assert.equal(status([peer("PERMISSIVE")], { namespace: "out" }), 200);
        assert.equal(status([], { namespace: "out" }), 200, "Istio's default mode is PERMISSIVE");
    });

    it("an L4 ALLOW policy admits the principals it names and resets everyone else's connection", () => {
        const allowOther = policy("only-gateway", { selector: { matchLabels: { app: "hello" } }, action: "ALLOW", rules: [{ from: [{ source: { principals: ["cluster.local/ns/istio-ingress/sa/istio-ingressgateway"] } }] }] });
        const allowCurl = policy("only-curl", { selector: { matchLabels: { app: "hello" } }, action: "ALLOW", rules: [{ from: [{ source: { principals: ["cluster.local/ns/amb/sa/curl"] } }] }] });
        assert.equal(status([allowOther], { namespace: "amb" }), 0);
        assert.equal(status([allowCurl], { namespace: "amb" }), 200);
        // Outside the mesh there is no identity to allow.
        assert.equal(status([allowCurl], { namespace: "out" }), 0);
    });

    it("a policy ztunnel would enforce that needs L7 (a method) makes it drop all traffic; attached to a waypoint (targetRefs) it is not ztunnel's", () => {
        const l7 = policy("get-only", { selector: { matchLabels: { app: "hello" } }, action: "ALLOW", rules: [{ to: [{ operation: { methods: ["GET"] } }] }] });
        assert.equal(beyondL4(l7), "to.operation.methods");
        assert.equal(status([l7], { namespace: "amb" }), 0);
        const onWaypoint = policy("waypoint-get-only", { targetRefs: [{ kind: "Gateway", group: "gateway.networking.k8s.io", name: "waypoint" }], action: "ALLOW", rules: [{ to: [{ operation: { methods: ["GET"] } }] }] });
        assert.equal(status([onWaypoint], { namespace: "amb" }), 200);
        assert.equal(beyondL4(policy("l4", { rules: [{ from: [{ source: { namespaces: ["amb"] } }], to: [{ operation: { ports: ["8080"] } }] }] })), undefined);
    });

    it("applies no HTTP routing without a waypoint: a VirtualService that answers a sidecar's request with 500 leaves an ambient caller's alone", () => {
        const fault = { apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "hello", namespace: "amb" }, spec: { hosts: ["hello"], http: [{ fault: { abort: { httpStatus: 500, percentage: { value: 100 } } }, route: [{ destination: { host: "hello" } }] }] } };
        assert.equal(status([fault], { namespace: "amb" }), 200);
        assert.equal(status([fault, ns("side", { "istio-injection": "enabled" })], { namespace: "side" }), 500);
    });
});
