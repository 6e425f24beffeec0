import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MeshCheckError, analyzeScenarios, hostServed } from "../src/lessons/analyze";
import { bookinfo } from "../src/lessons/catalog/bookinfo";
import { curlLoop } from "../src/lessons/catalog/common";
import { helloworld } from "../src/lessons/catalog/helloworld";
import { VERIFY_SCRIPT, checkPlans, verifyEnv } from "../src/lessons/checks";
import { buildScenario, namespaceManifests } from "../src/lessons/build";
import { gatewayPlacement, resolveScenarios } from "../src/lessons/resolve";
import { gatewayDelegates, rootRoutes } from "../src/lessons/routing";
import type { ScenarioDef } from "../src/lessons/model";
import { acceptanceInterval, binomialPmf, splitIntervals } from "../src/lessons/stats";
import { EKS_RAW, settingsFor } from "./helpers";
import { replyPath } from "./upstream";
import { runCheck } from "./verifyRunner";
import { lessonsPlan } from "../src/workshop/lessons";

const GATEWAY = { serverHosts: ["*"], routeHosts: ["*"] };
const appsOf = (apps: Record<string, unknown>) => settingsFor({ ...EKS_RAW, apps }).apps;
const findingsFor = (apps: Record<string, unknown>) => analyzeScenarios(resolveScenarios(appsOf(apps)), GATEWAY);
const build = (s: ScenarioDef) => buildScenario(s, { namespace: "demo", verify: true, requests: 100, rate: 1 });

describe("scenarios: exact Istio objects", () => {
    it("helloworld: subsets v1/v2; app=curl goes to v1, everyone else to both", () => {
        const b = build(helloworld({ rate: 1 }));
        assert.deepEqual(b.destinationRules, [
            {
                apiVersion: "networking.istio.io/v1",
                kind: "DestinationRule",
                metadata: { name: "helloworld", namespace: "demo" },
                spec: { host: "helloworld", subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }] },
            },
        ]);
        assert.deepEqual(b.virtualServices, [
            {
                host: "helloworld",
                object: {
                    apiVersion: "networking.istio.io/v1",
                    kind: "VirtualService",
                    metadata: { name: "helloworld", namespace: "demo" },
                    spec: {
                        hosts: ["helloworld"],
                        http: [
                            { name: "rule-1", match: [{ sourceLabels: { app: "curl" } }], route: [{ destination: { host: "helloworld", subset: "v1" }, weight: 100 }] },
                            { name: "rule-2", route: [{ destination: { host: "helloworld" } }] },
                        ],
                    },
                },
            },
        ]);
        assert.deepEqual(b.deployments.map((d) => d.name), ["helloworld-v1", "helloworld-v2", "curl", "curl1"]);
    });

    it("bookinfo: DestinationRules for all, every service to v1, reviews 50/50 v1/v3, productpage through the gateway", () => {
        const b = build(bookinfo());
        assert.deepEqual(
            b.destinationRules.map((d) => [d.metadata.name, d.spec.subsets?.map((s) => s.name)]),
            [["productpage", ["v1"]], ["details", ["v1"]], ["ratings", ["v1"]], ["reviews", ["v1", "v2", "v3"]]],
        );
        const vs = Object.fromEntries(b.virtualServices.map((v) => [v.object.metadata.name, v.object.spec]));
        for (const svc of ["productpage", "details", "ratings"]) {
            assert.deepEqual(vs[svc], { hosts: [svc], http: [{ name: "rule-1", route: [{ destination: { host: svc, subset: "v1" }, weight: 100 }] }] });
        }
        assert.deepEqual(vs.reviews.http, [
            { name: "rule-1", route: [{ destination: { host: "reviews", subset: "v1" }, weight: 50 }, { destination: { host: "reviews", subset: "v3" }, weight: 50 }] },
        ]);
        // The paths of Istio's samples/bookinfo/networking/bookinfo-gateway.yaml, sign-in and the API included.
        const productpage = [{ destination: { host: "productpage.demo.svc.cluster.local", port: { number: 9080 } } }];
        assert.deepEqual(vs["bookinfo-gateway"], {
            hosts: ["*"],
            gateways: ["istio-ingress/workshop-gateway"],
            // Read by the gateway's proxies, in their namespace; the mesh default keeps everything else in its own.
            exportTo: ["istio-ingress"],
            http: [
                { name: "rule-1", match: [{ uri: { exact: "/productpage" } }], route: productpage },
                { name: "rule-2", match: [{ uri: { prefix: "/static" } }], route: productpage },
                { name: "rule-3", match: [{ uri: { exact: "/login" } }], route: productpage },
                { name: "rule-4", match: [{ uri: { exact: "/logout" } }], route: productpage },
                { name: "rule-5", match: [{ uri: { prefix: "/api/v1/products" } }], route: productpage },
            ],
        });
        // An attendee's copy lives under their prefix, rewritten away before productpage sees it: a delegate
        // with no host and no gateway, exported to the gateway's namespace, where the platform's root hands over to it.
        const placement = gatewayPlacement("ana", undefined);
        const ana = buildScenario(bookinfo(), { namespace: "ana", verify: false, requests: 100, placement });
        const anaVs = ana.virtualServices.find((v) => v.host === "gateway")!.object;
        assert.deepEqual([anaVs.metadata, anaVs.spec.hosts, anaVs.spec.gateways, anaVs.spec.exportTo], [{ name: "bookinfo-gateway", namespace: "ana" }, undefined, undefined, ["istio-ingress"]]);
        assert.deepEqual(rootRoutes("ana", placement, gatewayDelegates([bookinfo()], placement)), {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "attendee-ana", namespace: "istio-ingress" },
            spec: {
                hosts: ["*"],
                gateways: ["istio-ingress/workshop-gateway"],
                exportTo: ["."],
                // Exactly the paths bookinfo serves under ana's prefix: no other lesson's, no other attendee's.
                http: [
                    {
                        name: "bookinfo-gateway",
                        match: [
                            { uri: { exact: "/ana/productpage" } },
                            { uri: { prefix: "/ana/static" } },
                            { uri: { exact: "/ana/login" } },
                            { uri: { exact: "/ana/logout" } },
                            { uri: { prefix: "/ana/api/v1/products" } },
                        ],
                        delegate: { name: "bookinfo-gateway", namespace: "ana" },
                    },
                ],
            },
        });
        const anaGw = anaVs.spec.http!;
        assert.deepEqual(
            anaGw.map((h) => [h.match?.[0].uri, h.rewrite?.uri]),
            [
                [{ exact: "/ana/productpage" }, "/productpage"],
                [{ prefix: "/ana/static" }, "/static"],
                [{ exact: "/ana/login" }, "/login"],
                [{ exact: "/ana/logout" }, "/logout"],
                [{ prefix: "/ana/api/v1/products" }, "/api/v1/products"],
            ],
        );
    });

    it("my-app: /v1 and /v2 through the gateway, two replicas each, and the NGINX proxy in the mesh", () => {
        const [myApp] = resolveScenarios(appsOf({ helloworld: false, bookinfo: false, grpc: false }));
        const b = build(myApp);
        assert.deepEqual(b.virtualServices.map((v) => v.object.spec.http?.map((h) => [h.match?.[0].uri?.prefix, h.route?.[0].destination?.host])), [
            [
                ["/v1", "my-app-v1.demo.svc.cluster.local"],
                ["/v2", "my-app-v2.demo.svc.cluster.local"],
            ],
        ]);
        assert.deepEqual(b.deployments.map((d) => [d.name, (d.spec.spec as any).replicas]), [["my-app-v1", 2], ["my-app-v2", 2], ["nginx-proxy", 1], ["traffic-my-app", 1]]);
        assert.match((b.configMaps[0].spec.data as any)["default.conf"], /location \/v1 \{ proxy_pass http:\/\/my-app-v1; \}/);
    });

    it("grpc: a fortio gRPC server and a client calling it, checked by a gRPC ping and by what the server sees of its caller", () => {
        const [g] = resolveScenarios(appsOf({ helloworld: false, bookinfo: false, myApp: false }));
        const b = build(g);
        assert.deepEqual(b.services.map((s) => (s.spec.spec as any).ports.map((p: any) => p.name)), [["grpc", "http"]]);
        assert.deepEqual((b.deployments[1].spec.spec as any).template.spec.containers[0].args, ["load", "-grpc", "-ping", "-qps", "1", "-t", "0", "-c", "1", "grpc-echo:8079"]);
        assert.deepEqual(b.checks.map((c) => c.name), ["verify-grpc-echo-mtls", "verify-grpc-ping"]);
    });

    it("routes from stack config replace the lesson's routes host by host", () => {
        const s = resolveScenarios(appsOf({ bookinfo: { routes: { reviews: [{ weights: { v2: 80, v3: 20 } }] } } })).find((x) => x.name === "bookinfo")!;
        assert.deepEqual(s.routing.find((r) => r.host === "reviews"), { host: "reviews", rules: [{ weights: { v2: 80, v3: 20 } }], origin: "apps.bookinfo.routes.reviews" });
        assert.equal(s.routing.filter((r) => r.host === "reviews").length, 1);
    });
});

describe("scenarios: refusals before anything is registered", () => {
    it("weights that do not add up to 100", () => {
        assert.deepEqual(findingsFor({ bookinfo: { routes: { reviews: [{ weights: { v1: 60, v3: 60 } }] } } }), [
            "WeightsNot100: apps.bookinfo.routes.reviews[0]: weights must add up to 100, got v1=60 + v3=60 = 120",
        ]);
    });

    it("a route to a subset no DestinationRule defines (IST0101)", () => {
        assert.deepEqual(findingsFor({ bookinfo: { routes: { reviews: [{ weights: { v1: 50, v4: 50 } }] } } }), [
            'IST0101 ReferencedResourceNotFound: apps.bookinfo.routes.reviews[0]: subset "v4" of host reviews is not defined by a DestinationRule (defined: v1, v2, v3); Istio would answer 503',
        ]);
    });

    it("a subset whose labels select no pods, and a route to an unknown service", () => {
        assert.deepEqual(
            findingsFor({
                bookinfo: { subsets: { reviews: { v1: { version: "v1" }, v3: { version: "v3" }, v4: { version: "v4" } } } },
                myApp: { routes: { gateway: [{ match: { prefix: "/v3" }, to: "my-app-v3" }] } },
            }),
            [
                'SubsetSelectsNoPods: subset "v4" of bookinfo/reviews selects {"version":"v4"}, which no running Deployment\'s pods carry',
                'IST0101 ReferencedResourceNotFound: apps.myApp.routes.gateway[0]: destination Service "my-app-v3" is not a Service of the scenario (services: my-app-v1, my-app-v2, nginx-proxy)',
            ],
        );
    });

    it("a Service that selects no pods, and a port name outside Istio's convention (IST0118)", () => {
        const base = helloworld({});
        const broken: ScenarioDef = {
            ...base,
            services: [...base.services, { name: "curl", selector: { app: "kurl" }, ports: [{ name: "curlport", port: 15001, targetPort: 15001 }] }],
        };
        assert.deepEqual(analyzeScenarios([broken], GATEWAY), [
            'IST0118 PortNameIsNotUnderNamingConvention: Service helloworld/curl port 15001 is named "curlport"; name it <protocol>[-suffix] with protocol http, http2, https, grpc, grpc-web, tcp, tls, udp, mongo, mysql or redis',
            'ServiceSelectsNoPods: Service helloworld/curl selects {"app":"kurl"}, which no Deployment\'s pods carry',
        ]);
    });

    it("a gateway route for a host the Gateway does not serve (IST0132)", () => {
        assert.deepEqual(analyzeScenarios([], { serverHosts: ["bookinfo.example.com"], routeHosts: ["*", "shop.example.com", "bookinfo.example.com"] }), [
            'IST0132 VirtualServiceHostNotFoundInGateway: host "*" of a gateway route is not served by the Gateway (it serves bookinfo.example.com)',
            'IST0132 VirtualServiceHostNotFoundInGateway: host "shop.example.com" of a gateway route is not served by the Gateway (it serves bookinfo.example.com)',
        ]);
        assert.ok(hostServed("a.example.com", ["istio-ingress/*.example.com"]));
    });

    it("collects every finding into one MeshCheckError", () => {
        const settings = settingsFor({ ...EKS_RAW, apps: { bookinfo: { routes: { reviews: [{ weights: { v1: 10, v9: 10 } }] } } } });
        assert.throws(
            () => lessonsPlan(settings),
            (err: Error) =>
                err instanceof MeshCheckError &&
                err.message ===
                    "Mesh checks failed (as istioctl analyze would), nothing was registered:\n" +
                        " - WeightsNot100: apps.bookinfo.routes.reviews[0]: weights must add up to 100, got v1=10 + v9=10 = 20\n" +
                        ' - IST0101 ReferencedResourceNotFound: apps.bookinfo.routes.reviews[0]: subset "v9" of host reviews is not defined by a DestinationRule (defined: v1, v2, v3); Istio would answer 503',
        );
    });

    it("property: weights that add up to 100 give a valid VirtualService; any other total is refused", () => {
        const weights = fc.record({ v1: fc.integer({ min: 0, max: 100 }), v2: fc.integer({ min: 0, max: 100 }), v3: fc.integer({ min: 0, max: 100 }) });
        fc.assert(
            fc.property(weights, (w) => {
                const apps = { bookinfo: { routes: { reviews: [{ weights: w }] } } };
                const findings = findingsFor(apps);
                if (w.v1 + w.v2 + w.v3 === 100) {
                    assert.deepEqual(findings, []);
                    const s = resolveScenarios(appsOf(apps)).find((x) => x.name === "bookinfo")!;
                    const vs = build(s).virtualServices.find((v) => v.host === "reviews")!.object;
                    assert.deepEqual(vs.spec.http?.[0].route?.map((r) => r.weight), [w.v1, w.v2, w.v3]);
                } else {
                    assert.equal(findings.length, 1);
                    assert.match(findings[0], /^WeightsNot100: apps\.bookinfo\.routes\.reviews\[0\]: weights must add up to 100, got /);
                }
            }),
            { numRuns: 300 },
        );
    });
});

describe("verification statistics", () => {
    it("gives exact binomial acceptance intervals", () => {
        assert.deepEqual(
            [acceptanceInterval(100, 0.5), acceptanceInterval(100, 1), acceptanceInterval(100, 0), acceptanceInterval(1000, 0.5), acceptanceInterval(100, 0.2)],
            [[26, 74], [100, 100], [0, 0], [423, 577], [3, 41]],
        );
        assert.deepEqual(splitIntervals(100, { v1: 0.5, v3: 0.5 }), { v1: [25, 75], v3: [25, 75] });
    });

    it("property: a correct mesh falls outside the interval with probability at most alpha", () => {
        fc.assert(
            fc.property(fc.integer({ min: 20, max: 400 }), fc.integer({ min: 1, max: 99 }), (n, w) => {
                const p = w / 100;
                const [lo, hi] = acceptanceInterval(n, p);
                const pmf = binomialPmf(n, p);
                const outside = pmf.reduce((sum, q, k) => (k < lo || k > hi ? sum + q : sum), 0);
                assert.ok(outside <= 1e-6 * (1 + 1e-9), `n=${n} p=${p}: ${outside}`);
                assert.ok(lo <= n * p && n * p <= hi);
            }),
            { numRuns: 150 },
        );
    });
});

describe("verification Jobs", () => {
    const reviewsCheck = () => checkPlans(bookinfo(), 100).find((c) => c.name === "verify-reviews-1")!;
    /** Real reviews replies (test/fixtures/replies), v1/v2/v3 in these numbers. */
    const answers = (v1: number, v2: number, v3: number) => [
        ...Array<string>(v1).fill(replyPath("reviews-v1.json")),
        ...Array<string>(v2).fill(replyPath("reviews-v2.json")),
        ...Array<string>(v3).fill(replyPath("reviews-v3.json")),
    ];

    it("derives one check per observable rule, from the right pod labels", () => {
        assert.deepEqual(
            checkPlans(helloworld({}), 100).map((c) => [c.name, c.url, c.podLabels, c.expectations.map((e) => [e.version, e.range])]),
            [
                ["verify-helloworld-1", "http://helloworld:5000/hello", { version: "verify", app: "curl" }, [["v1", [100, 100]], ["v2", [0, 0]]]],
                ["verify-helloworld-2", "http://helloworld:5000/hello", { app: "verify-helloworld", version: "verify" }, [["v1", [25, 75]], ["v2", [25, 75]]]],
            ],
        );
    });

    it("passes a 50/50 split that a correct mesh produces", () => {
        const r = runCheck(reviewsCheck(), answers(48, 0, 52));
        assert.equal(r.status, 0, r.stdout);
        assert.equal(r.stdout.trim(), "PASS verify-reviews-1: v1=48 v2=0 v3=52 other=0");
    });

    it("fails a mesh that ignores the split, saying what was expected and what was measured, as soon as the count is out of bounds", () => {
        const r = runCheck(reviewsCheck(), answers(100, 0, 0));
        assert.equal(r.status, 1);
        const expected =
            "FAIL verify-reviews-1: expected catalog: bookinfo reviews[0]: of 100 requests to http://reviews:9080/reviews/0, " +
            "v1 in [25, 75] (share 50%), v2 in [0, 0] (share 0%), v3 in [25, 75] (share 50%), other answers 0; " +
            "a correct mesh fails this check with probability below 1e-6; measured v1=76 v2=0 v3=0 other=0 (stopped after 76: already out of bounds)";
        assert.equal(r.stdout.trim(), expected);
        assert.equal(r.log.trim(), expected, "the message is the pod's termination message");
    });

    it("fails on errors and on traffic to a version the rule excludes", () => {
        // A reply from another service (a misrouted request) counts as no version.
        assert.equal(runCheck(reviewsCheck(), [...answers(50, 0, 49), replyPath("details-v1.json")]).status, 1);
        assert.equal(runCheck(reviewsCheck(), answers(49, 1, 50)).status, 1);
    });

    it("sends the configured headers, such as an attendee's Host", () => {
        const plan = { ...reviewsCheck(), headers: { Host: "ana.example.com", "x-lesson": "3" } };
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-hdr-"));
        fs.writeFileSync(path.join(dir, "curl"), `#!/bin/sh\necho "$@" >> ${dir}/calls\ncase " $* " in *" -o /dev/null "*) printf 200; exit 0 ;; esac\ncat ${replyPath("reviews-v3.json")}\n`, { mode: 0o755 });
        const env = Object.fromEntries(verifyEnv({ ...plan, requests: 1 }).map((e) => [e.name, e.value]));
        spawnSync("sh", ["-c", VERIFY_SCRIPT], { encoding: "utf8", env: { ...env, PATH: `${dir}:${process.env.PATH}`, TERMINATION_LOG: path.join(dir, "log") } });
        const calls = fs.readFileSync(path.join(dir, "calls"), "utf8").split("\n");
        assert.equal(calls[0], "-s --max-time 5 -H x-lesson: 3 -H Host: ana.example.com -o /dev/null -w %{http_code} http://reviews:9080/reviews/0");
    });

    it("ships the script and the Jobs' ServiceAccount once per namespace; every Job mounts the script and runs as that account", () => {
        const manifests = namespaceManifests([build(bookinfo()), build(helloworld({ rate: 1 }))], "demo");
        assert.deepEqual(manifests[0].metadata, { name: "verify-script", namespace: "demo" });
        assert.equal(manifests.filter((m) => m.kind === "ConfigMap" && m.metadata.name === "verify-script").length, 1);
        assert.equal(manifests.filter((m) => m.kind === "ServiceAccount" && m.metadata.name === "verify").length, 1);
        const jobs = manifests.filter((m) => m.kind === "Job");
        assert.equal(jobs.length, 7);
        for (const j of jobs) {
            const pod = (j as any).spec.template.spec;
            assert.deepEqual([pod.serviceAccountName, pod.volumes[0].configMap.name], ["verify", "verify-script"]);
        }
        const names = manifests.map((m) => `${m.kind}/${m.metadata.name}`);
        assert.equal(new Set(names).size, names.length, "no object twice");
    });

    it("traffic through the gateway follows an attendee's prefix or host", () => {
        const [, , my] = resolveScenarios(appsOf({ grpc: false }));
        const command = (placement: object) =>
            (buildScenario(my, { namespace: "ana", verify: false, requests: 100, rate: 1, placement }).deployments.find((d) => d.name === "traffic-my-app")!.spec.spec as any).template.spec
                .containers[0].command[2];
        assert.match(command({ prefix: "/ana" }), /curl -s -o \/dev\/null --max-time 5 http:\/\/istio-ingressgateway\.istio-ingress\.svc\.cluster\.local\/ana\/v1;/);
        assert.match(command({ prefix: "/ana" }), /--max-time 5 http:\/\/nginx-proxy\/v1;/);
        assert.match(command({ host: "ana.example.com" }), /--max-time 5 -H 'Host: ana\.example\.com' http:\/\/istio-ingressgateway\.istio-ingress\.svc\.cluster\.local\/v1;/);
    });

    it("traffic generators call at the configured rate, or idle", () => {
        assert.deepEqual(curlLoop(["http://a/", "http://b/"], 4), ["sh", "-c", "while true; do curl -s -o /dev/null --max-time 5 http://a/; curl -s -o /dev/null --max-time 5 http://b/; sleep 0.50; done"]);
        assert.deepEqual(curlLoop(["http://a/"], undefined), ["sh", "-c", "while true; do sleep 3600; done"]);
    });
});
