/**
 * The lesson guide (`docs/lessons.md`), printed from the lessons' own data:
 * for each lesson and each stage, what it shows, how the organiser or a
 * hands-on attendee moves there, what to look at in the UIs, and what each
 * verification Job proves (its requests, and the counts it accepts). Only the
 * introductions and the "what you see" lines are written by hand, here; a test
 * requires one for every stage and keeps `docs/lessons.md` equal to this output.
 */
import { SCENARIOS, atStage, type ScenarioKey } from "./resolve";
import { checkPlans } from "./checks";
import { handOutFile } from "./handOut";
import { NO_INJECTION_LABEL } from "./model";
import { AMBIENT_STAGES, STAGES } from "../settings/stages";

/** Where each lesson comes from, and what it teaches. */
export const INTRODUCTIONS: Readonly<Record<ScenarioKey, string>> = {
    helloworld:
        "Seed 002 (helloworld and curl): routing by who calls. Two versions of helloworld answer on `/hello`; clients `curl` and `curl1` call them.",
    bookinfo:
        "Seed 001 (bookinfo), with Istio's own request-routing, fault-injection, request-timeouts, circuit-breaking, mirroring, authorization and end-user authentication tasks: four services, three versions of reviews, routed by weight, by user, broken on purpose, and locked down.",
    myApp: "Seed 003 (my-app behind the gateway and an NGINX proxy): ingress through the shared gateway, and a proxy inside the mesh.",
    grpc: "Seed 000 (a gRPC service and its client): sidecar injection, and gRPC metrics in Kiali.",
    mtls: "Istio's mutual-TLS migration task (off unless `apps.mtls: true`): httpbin, a client with a sidecar (`curl-mtls`) and one without (`curl-legacy`), from accepting both to mutual TLS only.",
    egress:
        "Istio's egress-control tasks (off unless `apps.egress: true`): what a proxy does with a host outside the mesh. The outside host is a stand-in inside the cluster, `httpbin.workshop-external.svc.cluster.local` (httpbin in its own namespace, without sidecars, which no attendee namespace imports), so the lesson works where the classroom has no internet; to the attendee's proxy it is as unknown as a host on the internet. The policies apply to the lesson's client (`curl-egress`) and its checks, labelled `istio-workshop/egress: client`. The last stage, `egress-gateway`, sends the calls through the platform's egress gateway and needs `istio.egressGateway: true`.",
    ambient:
        "Istio's ambient Getting Started on bookinfo (off unless `apps.ambient: true`; it needs `istio.dataplane: ambient` and `istio.ingress.api: gateway-api`, as the shipped `ambient` stack sets them): no sidecars; ztunnel on every node carries the pods' calls over mutual TLS and enforces L4 policy, a waypoint (a Gateway API `Gateway` of class `istio-waypoint`) takes L7 policy and routing. The Getting Started's `curl` client is `curl` here; bookinfo's per-version Services (`reviews-v1`, `reviews-v2`, `reviews-v3`) are there from the start. The waypoint is bound to the lesson's Services with `istio.io/use-waypoint` rather than to the namespace (`istioctl waypoint apply --enroll-namespace`): the namespace is the platform's.",
    tcp: "Istio's TCP traffic-shifting task with its tcp-echo sample (off unless `apps.tcp: true`): two versions that echo each line with their own prefix, `one` and `two`, routed per connection inside the mesh.",
};

/** What the class looks at in the UIs at each stage. */
export const WHAT_YOU_SEE: Readonly<Record<string, string>> = {
    "helloworld.round-robin": "Kiali's versioned app graph: both `curl` clients reach helloworld v1 and v2.",
    "helloworld.source-v1": "Kiali's versioned app graph: the edge from `curl` goes to v1 only, `curl1`'s to both.",
    "bookinfo.no-sidecars": "`kubectl get pods`: 1/1 containers, no sidecar. Kiali shows the workloads without traffic edges or padlocks; the product page's reviews change colour from one reload to the next.",
    "bookinfo.no-rules": "Every pod 2/2. Kiali's graph shows reviews v1, v2 and v3 each taking a third of the calls, with padlocks (mTLS).",
    "bookinfo.all-v1": "Reviews without stars on every reload; in Kiali only the v1 workloads receive traffic.",
    "bookinfo.jason-v2": "Sign in as `jason` on the product page: black stars (v2); signed out: no stars (v1).",
    "bookinfo.reviews-v1-v3": "Reloads alternate between no stars (v1) and red stars (v3); Kiali's edge labels show 50 % each.",
    "bookinfo.reviews-v3": "Red stars on every reload; only reviews v3 receives traffic.",
    "bookinfo.ratings-delay": "Signed in as `jason`, the page takes about 6 s and says reviews are unavailable: productpage gives up after 3 s and one retry, before ratings' 7 s delay ends (the bug this task finds). Kiali's *Traces* tab of productpage (Jaeger's traces) shows the long ratings span.",
    "bookinfo.ratings-abort": "Signed in as `jason`: \"Ratings service is currently unavailable\"; everyone else sees reviews as usual. Kiali shows ratings' 500s in red.",
    "bookinfo.reviews-timeout": "The page loads after about a second with \"Sorry, product reviews are currently unavailable\": productpage calls reviews twice (its own retry), and each call is cut at 0.5 s. Kiali's *Traces* tab of productpage shows the two reviews calls cut off at 0.5 s while ratings still takes 2 s.",
    "bookinfo.retries":
        "Reviews with black stars (v2), and now and then \"Ratings service is currently unavailable\": ratings fails half of its answers and the retries hide most of them. Kiali shows ratings' 503s between reviews and ratings; Kiali's *Traces* tab of reviews shows the retried calls as several ratings spans under one reviews span.",
    "bookinfo.circuit-breaker":
        "The product page works (one reader at a time fits). In Kiali, details' edge shows a circuit-breaker icon; under load (the check's five requests at a time) the calling workload's *Outbound Metrics* in Kiali, shown by response flags, count 503s with UO (upstream overflow), as Grafana's Istio Service dashboard does.",
    "bookinfo.mirror": "Reviews without stars (v1) on every reload, while Kiali shows traffic arriving at reviews v2 as well: the mirrored copies, whose answers nobody sees.",
    "bookinfo.authz":
        "The product page still loads: each call is one the policies admit. Kiali's security view shows the policies on each workload; a call from anywhere else (a `kubectl exec` curl from another pod to details) answers `RBAC: access denied` (403).",
    "bookinfo.jwt":
        "The product page through the gateway answers 403 (`RBAC: access denied`) in a browser, which sends no token; `curl -H \"Authorization: Bearer $TOKEN\"` with the lesson's token (in the hand-out's `steps.txt`, and `LESSON_JWT` in `src/lessons/lessonJwt.ts`) gets the page. Kiali shows the traffic generator's calls refused.",
    "bookinfo.rate-limit":
        "The product page still answers, but its Book Details read \"Error fetching product details\": details refuses with 429 once its 4 tokens a minute are spent. With the traffic generator on (one request a second), they are spent within seconds of each refill, so nearly every reload shows the error; with `apps.traffic.enabled: false`, the fifth reload within a minute does. From a pod with a sidecar and curl (helloworld's `curl`), `kubectl exec deploy/curl -- curl -s -o /dev/null -w '%{http_code}' details:9080/details/0` prints 429 (with the header `x-local-rate-limit: true`), until the minute's tokens come back. Kiali shows details' edge with 429s; the filter is `kubectl get envoyfilter filter-local-ratelimit-svc -o yaml`.",
    "myApp.gateway": "`/<your path>/v1` and `/v2` through the gateway answer version 1.0.0 and 2.0.0; Kiali shows the gateway and nginx-proxy calling both.",
    "myApp.tls":
        "From a laptop, with the CA from the ConfigMap `workshop-gateway-ca` (`kubectl get configmap workshop-gateway-ca -o jsonpath='{.data.ca\\.crt}' > ca.crt`): `curl --cacert ca.crt https://<ingressGatewayAddress>/<your path>/v1` answers version 1.0.0: the certificate names the load balancer's hostname, the gateway's in-cluster names, `localhost` (a kind cluster's mapped port: `https://localhost:<httpsNodePort>/...`) and, with a classroom domain, the domain and its subdomains (`https://<your host>/v1`). The same URL with `http://` answers 301 with `location: https://...`. Kiali shows the gateway's requests to my-app unchanged, now over TLS at the edge.",
    "grpc.no-sidecar": "`kubectl get pods`: 1/1 containers (the check's pod too). The client's pings work, but Kiali shows no gRPC traffic: nothing in the mesh sees it.",
    "mtls.permissive":
        "In Kiali, httpbin's edge from `curl-mtls` has a padlock, the one from `curl-legacy` none (it comes from outside the mesh, as `unknown`). `kubectl exec deploy/curl-legacy -- curl -s httpbin:8000/headers` answers.",
    "mtls.strict": "The same `kubectl exec deploy/curl-legacy -- curl httpbin:8000/headers` fails: `Recv failure: Connection reset by peer` (curl's exit code 56); from `curl-mtls` it still answers, and its headers show `X-Forwarded-Client-Cert`.",
    "tcp.all-v1": "From a pod of the namespace with a sidecar (helloworld's `curl`, say), `kubectl exec deploy/curl -- sh -c \"(echo hello; sleep 1) | nc tcp-echo 9000\"` answers `one hello`, every time. Kiali shows TCP edges (bytes, not requests) to v1 only.",
    "tcp.v1-v2-80-20": "The same command answers `one hello` about four times in five and `two hello` otherwise; Kiali's TCP edges carry about 80 % and 20 % of the connections.",
    "egress.allow-any": "`kubectl exec deploy/curl-egress -- curl -s -o /dev/null -w '%{http_code}' http://httpbin.workshop-external.svc.cluster.local/status/200` prints 200. Kiali shows the call to PassthroughCluster.",
    "egress.registry-only": "The same command prints 502 (or 000: the connection is reset, where the proxy has no HTTP listener on port 80). Kiali shows the call to BlackHoleCluster.",
    "egress.service-entry": "The same command prints 200 again; Kiali shows httpbin.workshop-external.svc.cluster.local as a service entry node.",
    "egress.egress-gateway":
        "The same command prints 200; Kiali shows the call going from `curl-egress` to `istio-egressgateway` and from there to the host, and `kubectl -n istio-egress logs deploy/istio-egressgateway` (for the organiser) lists each call. The platform's half of the route (the organiser can list it): `kubectl -n istio-egress get gateway,virtualservice,serviceentry`.",
    "ambient.ingress": "`kubectl get pods`: 1/1 containers, and each bookinfo pod labelled `istio.io/dataplane-mode: none`. The product page answers through the gateway (`/productpage`); Kiali shows the gateway's calls but no mesh between bookinfo's workloads.",
    "ambient.enrolled": "Still 1/1 containers: no sidecar. Kiali's traffic graph now shows the calls between bookinfo's workloads with padlocks (ztunnel's mutual TLS), reported by ztunnel; `kubectl -n istio-system logs ds/ztunnel` lists the connections with both identities.",
    "ambient.l4-authz": "The product page through the gateway still loads. `kubectl exec deploy/curl -- curl -s http://productpage:9080/productpage` fails with `Recv failure: Connection reset by peer` (curl's exit code 56): ztunnel refuses the connection, and its log says why.",
    "ambient.waypoint": "`kubectl get gateway waypoint` shows the waypoint (class `istio-waypoint`), and a `waypoint` pod runs beside bookinfo. The same `kubectl exec deploy/curl` command now prints an HTTP 503 from the waypoint instead of a reset: the waypoint accepts the call, and productpage's ztunnel refuses the waypoint's identity. Kiali shows the waypoint between the callers and bookinfo's Services.",
    "ambient.l7-authz": "`kubectl exec deploy/curl -- curl -s http://productpage:9080/productpage` answers the page; `-X DELETE` answers `RBAC: access denied` (403), and so does a GET from any other pod (the traffic generator's calls through the gateway do not pass the waypoint). Kiali's security view shows the L7 policy on the waypoint.",
    "ambient.traffic-shift": "Reviews without stars (v1) on about nine reloads in ten, black stars (v2) on the tenth, never red (v3). Kiali shows the waypoint sending reviews' calls to `reviews-v1` and `reviews-v2` by weight; `kubectl get httproute reviews -o yaml` shows the split.",
    "grpc.mesh": "Every pod 2/2; Kiali shows grpc-client calling grpc-echo with a gRPC request rate and a padlock.",
};

const share = (x: number) => `${Math.round(x * 1000) / 10} %`;

/** The guide, as Markdown. */
export function lessonsGuide(requests = 100): string {
    const out = [
        "# The lessons, stage by stage",
        "",
        "Printed by `npm run lessons-guide` from the lessons' data (`src/lessons/`); a test keeps this file equal to it.",
        "Each lesson is a list of stages; each stage is a complete state of the lesson, with the verification Jobs that prove it.",
        "The Jobs of each stage tell it from every other stage of its lesson: run in the project's mesh model against the objects of any other stage, at least one fails (`test/stageMatrix.spec.ts`). Whether a workload has a sidecar is proved by what its server sees or proves (the client certificate header its sidecar adds, the identity its certificate gives the caller's proxy), never by a route.",
        "A Job waits at most 3 minutes by the clock for its stage, then fails at the first answer its bounds can no longer accept; Helm runs a namespace's Jobs one after another, and the plan prints how long they take.",
        "The organiser sets a stage for the class (`apps.<lesson>.stage`) or for one attendee (`classroom.stages.<id>.<lesson>`) and runs `npm run up`.",
        "In hands-on mode (`apps.handsOn: true`) attendees apply each stage's routing objects themselves, from the hand-out in their namespace.",
        "",
        "Where to look: Kiali. In a classroom it is at `https://<gateway>/kiali/` (the `exposedUiUrls` output), each attendee logging in with the token of their kubeconfig and seeing their own namespace alone: its graph, workloads, Istio configuration, and each workload's *Metrics* (from Prometheus) and *Traces* (from Jaeger). Grafana and Jaeger show every namespace, so they are the organiser's; what these lines show in them, Kiali's tabs show an attendee for their namespace.",
        "",
    ];
    for (const key of Object.keys(SCENARIOS) as ScenarioKey[]) {
        const lesson = SCENARIOS[key]({ rate: 1 });
        out.push(`## \`${key}\``, "", INTRODUCTIONS[key], "");
        const ambient = AMBIENT_STAGES[key];
        if (ambient) {
            out.push(
                `In ambient mode (\`istio.dataplane: ambient\`, with \`istio.ingress.api: gateway-api\`) it runs ${ambient.runs.map((n) => `\`${n}\``).join(", ")}: its Services use a waypoint from the start, its routes are HTTPRoutes on them (weights to the per-version Services \`<service>-<version>\`, as Istio's \`bookinfo-versions.yaml\` declares them), and the checks that read a caller's sidecar (its counters, the identity its handshake proved) are left out, an ambient caller having none. The settings refuse every other stage, naming \`apps.${key}.stage\`:`,
                "",
                ...Object.entries(ambient.refused).map(([stage, why]) => `- \`${stage}\`: ${why}.`),
                "",
            );
        }
        (lesson.stages ?? []).forEach((stage, i) => {
            const at = atStage(lesson, stage.name);
            out.push(`### ${i + 1}. \`${stage.name}\`${stage.name === STAGES[key].default ? " (where a class starts)" : ""}`, "");
            out.push(`${stage.summary.charAt(0).toUpperCase()}${stage.summary.slice(1)}.`, "");
            out.push(`- Organiser: \`apps.${key}.stage: ${stage.name}\`, then \`npm run up\`.`);
            const outOfMesh = lesson.dataplane === "ambient" ? "the pods' opting out of ambient is the organiser's to set" : "the sidecars are the organiser's to remove";
            const file = `apply \`${handOutFile({ lesson: lesson.name, stage: stage.name, summary: stage.summary, objects: [] }, i)}\` from the hand-out (\`steps.txt\` has the commands)`;
            out.push(
                stage.withoutSidecars
                    ? `- Hands-on: ${outOfMesh} (the stack deploys the workloads); the routing objects of this stage are in the hand-out as for any other.`
                    : stage.waypoint
                      ? `- Hands-on: ${file}; the Services' \`istio.io/use-waypoint\` label is the organiser's to set (the stack deploys the Services).`
                      : `- Hands-on: ${file}.`,
            );
            out.push(`- What you see: ${WHAT_YOU_SEE[`${key}.${stage.name}`]}`);
            const checks = checkPlans(at, requests);
            const extra = (lesson.extraChecks ?? []).map((x) => `\`verify-${x.name}\` runs \`${x.command.join(" ")}\``);
            if (checks.length + extra.length > 0) {
                out.push("- What the Jobs prove:");
                for (const c of checks) {
                    const expect = [
                        ...c.expectations.map((e) =>
                            e.share > 0
                                ? `${e.version} ${share(e.share)} (${e.range[0]}–${e.range[1]} of ${c.requests})`
                                : e.range[1] === 0
                                  ? `no ${e.version}`
                                  : e.range[0] === 1 && e.range[1] === c.requests
                                    ? `${e.version} at least once`
                                    : `${e.version} ${e.range[0]}–${e.range[1]} of ${c.requests}`,
                        ),
                        ...(c.completed
                            ? [
                                  c.completed.peer !== undefined
                                      ? `${c.completed.range[0]}–${c.completed.range[1]} ${c.completed.name} (the server's identity, as the caller's proxy reports it)`
                                      : c.completed.range[1] === 0
                                        ? `none ${c.completed.name} (by the caller's proxy's count)`
                                        : `${c.completed.range[0]}–${c.completed.range[1]} ${c.completed.name} (completed by the caller's proxy)`,
                              ]
                            : []),
                    ].join(", ");
                    const within = c.withinSeconds !== undefined ? `, all within ${c.withinSeconds} s of the first ${c.readyStatus ?? "answer"}` : "";
                    const short = (v: string) => (v.length > 48 ? `${v.slice(0, 24)}…` : v);
                    const headers = Object.entries(c.headers).map(([k, v]) => ` with \`${k}: ${short(v)}\``).join("");
                    const as = `${c.serviceAccount ? ` as \`${c.serviceAccount}\`` : ""}${c.podLabels[NO_INJECTION_LABEL] === "false" ? (lesson.dataplane === "ambient" ? " from a pod outside the mesh" : " from a pod without a sidecar") : ""}`;
                    const how = c.parallel ? ` (${c.parallel} at a time)` : "";
                    const what = c.tcpSend !== undefined ? "connections" : "requests";
                    out.push(`  - \`${c.name}\`: ${c.requests} ${what}${how}${as} to \`${c.url}\`${headers}: ${expect}${within}.`);
                }
                for (const x of extra) out.push(`  - ${x}.`);
            }
            out.push("");
        });
    }
    return out.join("\n");
}
