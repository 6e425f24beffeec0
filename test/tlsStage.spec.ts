/**
 * The myApp lesson's tls stage (Istio's secure-gateways task): the gateway ends
 * TLS itself with the workshop CA's certificate, the lesson's paths redirect
 * plain HTTP to HTTPS, and the checks verify the certificate against the CA.
 * Reply bodies are hello-app's own (`test/fixtures/replies/`, see ORIGIN.md).
 */
import { strict as assert } from "assert";
import { gatewayCertificateSpec } from "../src/mesh/meshSpec";
import { GATEWAY_CERT_SECRET } from "../src/model/platform";
import { atStage, gatewayPlacement } from "../src/lessons/resolve";
import { buildScenario } from "../src/lessons/build";
import { checkPlans, type CheckPlan } from "../src/lessons/checks";
import { GATEWAY_HTTPS_URL } from "../src/lessons/catalog/common";
import { myApp } from "../src/lessons/catalog/myApp";
import { GATEWAY_CA_CONFIG_MAP, GATEWAY_CA_FILE } from "../src/lessons/gatewayCa";
import { EKS_RAW, TEST_CERTIFICATE, planIndex, settingsFor } from "./helpers";
import { replyPath } from "./upstream";
import { runCheck, type Answer } from "./verifyRunner";

const lesson = () => atStage(myApp(), "tls");
const answers = (file: string, n: number, status = 200): Answer[] => Array<Answer>(n).fill({ file: replyPath(file), status });

describe("myApp stage tls: HTTPS ended at the gateway", () => {
    const placement = gatewayPlacement("ana", undefined);
    const byName = (plans: CheckPlan[]) => Object.fromEntries(plans.map((c) => [c.url, c]));

    it("routes the lesson's paths on 443 and redirects them on 80, under the attendee's prefix", () => {
        const built = buildScenario(lesson(), { namespace: "ana", verify: true, requests: 100, placement });
        const vs = built.virtualServices.find((v) => v.host === "gateway")!.object;
        assert.deepEqual(
            vs.spec.http!.map((r) => [r.match?.[0].port, r.match?.[0].uri?.prefix, r.redirect ?? r.route?.[0].destination.host]),
            [
                [80, "/ana/v1", { scheme: "https", port: 443, redirectCode: 301 }],
                [80, "/ana/v2", { scheme: "https", port: 443, redirectCode: 301 }],
                [443, "/ana/v1", "my-app-v1.ana.svc.cluster.local"],
                [443, "/ana/v2", "my-app-v2.ana.svc.cluster.local"],
            ],
        );
        // A redirect answers by itself: no route, no rewrite.
        assert.ok(vs.spec.http!.slice(0, 2).every((r) => r.route === undefined && r.rewrite === undefined));
    });

    it("checks HTTPS against the workshop CA mounted from the namespace's ConfigMap, and the redirect's 301", () => {
        const plans = byName(checkPlans(lesson(), 100, placement));
        const gw = "istio-ingressgateway.istio-ingress.svc.cluster.local";
        const https = plans[`https://${gw}/ana/v1`];
        assert.equal(https.caFile, GATEWAY_CA_FILE);
        const redirect = plans[`http://${gw}/ana/v1`];
        assert.deepEqual([redirect.readyStatus, redirect.expectations.map((e) => [e.contains, e.range])], [301, [["@status=301", [100, 100]]]]);
        assert.equal(redirect.caFile, undefined);

        const job = buildScenario(lesson(), { namespace: "ana", verify: true, requests: 100, placement }).checks.find((c) => c.name === "verify-my-app-gw-3")!.job as any;
        const pod = job.spec.template.spec;
        assert.deepEqual(pod.volumes.find((v: any) => v.name === "gateway-ca"), { name: "gateway-ca", configMap: { name: GATEWAY_CA_CONFIG_MAP } });
        assert.deepEqual(pod.containers[0].volumeMounts.find((m: any) => m.name === "gateway-ca"), { name: "gateway-ca", mountPath: "/gateway-ca", readOnly: true });

        // The script hands curl the CA for every request, the readiness probe's too.
        const run = runCheck(https, answers("hello-app-v1.txt", 100));
        assert.equal(run.status, 0, run.stdout);
        const requests = run.curlCalls.filter((c) => c.includes(https.url));
        assert.ok(requests.length >= 101 && requests.every((c) => c.includes(`--cacert ${GATEWAY_CA_FILE}`)));
        assert.equal(runCheck(https, answers("hello-app-v2.txt", 100)).status, 1, "v2 answered on /v1");
        // A redirect has no body: the check counts its status. Plain HTTP still served is no redirect.
        assert.equal(runCheck(redirect, answers("hello-app-v1.txt", 100, 301), { readyStatus: "301" }).status, 0);
        assert.match(runCheck(redirect, answers("hello-app-v1.txt", 100), { readyStatus: "301" }).stdout, /^FAIL verify-my-app-gw-1: .*measured redirected-301=0 other=1 \(stopped after 1: already out of bounds\)$/m);
    });

    it("the gateway's certificate names the address the checks call, and every attendee host under a classroom domain", () => {
        const spec = gatewayCertificateSpec("class.example.org");
        assert.ok(spec.dnsNames.includes(new URL(GATEWAY_HTTPS_URL).hostname));
        // A wildcard covers exactly one label: each attendee's host is that label under the domain.
        const host = gatewayPlacement("ana", "class.example.org").host!;
        assert.ok(spec.dnsNames.includes(`*.${host.slice(host.indexOf(".") + 1)}`));
        assert.deepEqual(gatewayCertificateSpec(undefined).dnsNames.filter((n) => n.includes("*")), []);
        // The load balancer's name once it has one (an NLB's hostname, or an address), so a browser trusting the CA accepts it.
        const nlb = "a1b2c3-0123456789.elb.eu-west-1.amazonaws.com";
        assert.ok(gatewayCertificateSpec(undefined, nlb).dnsNames.includes(nlb));
        assert.deepEqual(gatewayCertificateSpec(undefined, "203.0.113.7").ipAddresses, ["203.0.113.7"]);
        for (const notYet of ["pending", "any node's address, ports 30080 (http) and 30443 (https)"]) {
            assert.deepEqual(gatewayCertificateSpec(undefined, notYet), { ...gatewayCertificateSpec(undefined) }, notYet);
        }
        // Renewed by an `up` well before it lapses.
        assert.ok(spec.earlyRenewalHours > 0 && spec.earlyRenewalHours < spec.validityPeriodHours);
    });

    it("hands each namespace with the lesson the CA (a platform object), the gateway's TLS Secret is the one its Gateway names; refused where the load balancer ends TLS", async () => {
        const raw = { ...EKS_RAW, attendees: ["ana", "ben"], cluster: { ...EKS_RAW.cluster, nodeGroup: { desiredSize: 4, minSize: 4, maxSize: 6 } }, classroom: { stages: { ana: { myApp: "tls" } } } };
        const plan = await planIndex(raw);
        for (const ns of ["ana", "ben"]) {
            const cm = plan.resources.find((r) => r.name === `lessons:${ns}/${GATEWAY_CA_CONFIG_MAP}`);
            assert.ok(cm, `${ns} has no CA ConfigMap`);
            assert.equal((cm.inputs as any).metadata.labels["istio-workshop/part"], "platform");
        }
        const secret = plan.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && (r.inputs as any).metadata?.name === GATEWAY_CERT_SECRET)!;
        assert.equal((secret.inputs as any).type, "kubernetes.io/tls");
        const gateway = plan.resources.find((r) => r.name === "mesh-gateway")!;
        assert.ok(gateway.dependsOn.includes(secret.urn));
        assert.throws(
            () => settingsFor({ ...raw, istio: { ingress: { certificateArn: TEST_CERTIFICATE } } }),
            /classroom\.stages\.ana\.myApp: needs the gateway to end TLS itself/,
        );
        assert.throws(() => settingsFor({ ...EKS_RAW, istio: { ingress: { certificateArn: TEST_CERTIFICATE } }, apps: { myApp: { stage: "tls" } } }), /apps\.myApp\.stage: needs the gateway to end TLS itself/);
    });
});
