/**
 * The four lessons of the seed tutorials as data: workloads, services, subsets,
 * default routes, and how to tell versions apart in a response.
 */
import { EGRESS_GATEWAY, GATEWAY_TLS_PORT, INGRESS_GATEWAY, INGRESS_NAMESPACE } from "../model/platform";
import { IMAGES } from "../model/images";
import { GATEWAY_CA_CONFIG_MAP } from "./gatewayCa";
import { LESSON_JWKS, LESSON_JWT, LESSON_JWT_ISSUER, LESSON_JWT_SUBJECT } from "./lessonJwt";
import { GATEWAY_HOST, NO_INJECTION_LABEL, selects, type FaultDef, type StageCheckDef, type ProbeDef, type RoutingDef, type ScenarioDef, type ServiceDef, type StageDef, type WorkloadDef } from "./model";

import { EXTERNAL_NAMESPACE } from "../model/platform";
/** A lesson's stages and, from the one it starts at, its routing. */
function staged(stages: readonly StageDef[], start: string): Pick<ScenarioDef, "stages" | "stage" | "routing" | "withoutSidecars"> {
    const at = stages.find((x) => x.name === start)!;
    return { stages, stage: at.name, routing: at.routing, withoutSidecars: at.withoutSidecars };
}

/** The user the curl image runs as (`curl_user`). */
const CURL_USER = 100;

export interface CatalogContext {
    /** Requests per second each traffic generator sends; undefined: traffic off. */
    readonly rate?: number;
}

const small = { cpu: "10m", memory: "32Mi", memoryLimit: "128Mi" };
const app = { cpu: "50m", memory: "128Mi", memoryLimit: "512Mi" };
const jvm = { cpu: "100m", memory: "256Mi", memoryLimit: "1Gi" };

const http = (port: number, targetPort = port) => [{ name: "http", port, targetPort }];
const service = (name: string, selector: Record<string, string>, ports: ServiceDef["ports"]): ServiceDef => ({ name, selector, ports });

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

function curlClient(name: string, urls: readonly string[], ctx: CatalogContext): WorkloadDef {
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
            { name: "round-robin", summary: "no routing rule: requests go to v1 and v2 alike", routing: [] },
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

/** How a bookinfo reply names the pod of Deployment `<service>-<version>` that served it. */
export function podName(service: string, version: string): string {
    return `"podname": "${service}-${version}-`;
}

/** Does a subset of a lesson's host select a running pod? */
function hasPods(lesson: ScenarioDef, host: string, subset: string): boolean {
    const labels = lesson.subsets[host]?.[subset];
    const svc = lesson.services.find((x) => x.name === host);
    return labels !== undefined && svc !== undefined && lesson.workloads.some((w) => w.replicas > 0 && selects(svc.selector, w.labels) && selects(labels, w.labels));
}

/** The token bucket of the rate-limit stage: Istio's task's local limit, 4 requests a minute per proxy. */
export const RATE_LIMIT = { maxTokens: 4, tokensPerFill: 4, fillIntervalSeconds: 60 } as const;

/**
 * Bookinfo's local rate limit, on details rather than productpage (where Istio's
 * task puts it) so that the gateway's routes and the class's traffic to the page
 * stay unlimited: while details refuses, productpage still answers, with
 * "Error fetching product details" in the page. The check waits for a 429 (details'
 * bucket empty), then sends its requests at once: within one fill interval a
 * proxy's bucket can refill at most once, so each details pod answers at most
 * max + per-fill of them and refuses the rest with 429.
 */
function rateLimitStage(workloads: readonly WorkloadDef[], routing: readonly RoutingDef[]): StageDef {
    const pods = workloads.filter((w) => w.labels.app === "details").reduce((n, w) => n + w.replicas, 0);
    const answered = pods * (RATE_LIMIT.maxTokens + RATE_LIMIT.tokensPerFill);
    return {
        name: "rate-limit",
        summary: `details answers at most ${RATE_LIMIT.maxTokens} requests a minute per pod (Envoy's local rate limit, as in Istio's rate-limit task) and refuses the rest with 429`,
        routing,
        policies: [{ kind: "LocalRateLimit", name: "filter-local-ratelimit-svc", selector: { app: "details" }, ...RATE_LIMIT }],
        handOutNote:
            "the rate limit is an EnvoyFilter, which attendees may not create: the stack installs it when your stage (set by the organiser) is rate-limit; inspect it with `kubectl get envoyfilter -o yaml`",
        checks: [
            {
                name: "details-rate-limit",
                url: "http://details:9080/details/0",
                parallel: 10,
                readyStatus: "429",
                withinSeconds: RATE_LIMIT.fillIntervalSeconds,
                outcomes: [
                    { name: "answered", contains: "@status=200", atMost: answered },
                    { name: "limited-429", contains: "@status=429", allButAtMost: answered },
                ],
                describes: `details, once its bucket is empty, answers at most ${answered} of the requests sent within one fill interval (${RATE_LIMIT.fillIntervalSeconds} s) and refuses the others with 429`,
            },
        ],
    };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The same token with its signature reversed: well-formed, and verified by no key. */
export function forged(token: string): string {
    const [header, payload, signature] = token.split(".");
    return `${header}.${payload}.${[...signature].reverse().join("")}`;
}

/** A check that a caller is admitted: every request answered by the app (its reply contains `text`). */
function allowed(name: string, url: string, serviceAccount: string, text: string, describes: string): StageCheckDef {
    return { name, url, serviceAccount, outcomes: [{ name: "allowed", contains: text, share: 1 }], describes };
}

/** A check that a caller is refused: every request answered 403 by the destination's proxy (Istio's "RBAC: access denied"). */
function denied(name: string, url: string, serviceAccount: string | undefined, describes: string): StageCheckDef {
    return {
        name,
        url,
        ...(serviceAccount ? { serviceAccount } : {}),
        readyStatus: "403",
        outcomes: [{ name: "denied-403", contains: "@status=403", share: 1 }],
        describes,
    };
}

/** Seed 001: bookinfo; every service to v1, reviews split between v1 and v3, productpage through the gateway. */
export function bookinfo(): ScenarioDef {
    const server = (svc: string, v: string, resources = app): WorkloadDef => ({
        name: `${svc}-${v}`,
        labels: { app: svc, version: v },
        image: IMAGES.bookinfo(svc, v),
        // One identity per service, as Istio's bookinfo.yaml names them.
        serviceAccount: `bookinfo-${svc}`,
        replicas: 1,
        containerPort: 9080,
        writableRoot: true,
        resources,
    });
    const services = ["productpage", "details", "ratings", "reviews"];
    const v1Only = (host: string): RoutingDef => ({ host, origin: `catalog: bookinfo ${host}`, rules: [{ weights: { v1: 100 } }] });
    const reviewsTo = (weights: Record<string, number>): RoutingDef => ({ host: "reviews", origin: "catalog: bookinfo reviews", rules: [{ weights }] });
    const jason = { headers: { "end-user": "jason" } };
    // The user jason exists only once signed in: the gateway must route productpage's sign-in and sign-out.
    const needsSignIn = (lesson: ScenarioDef): string | undefined => {
        const paths = lesson.routing.filter((r) => r.host === GATEWAY_HOST).flatMap((r) => r.rules.map((x) => x.match?.exact ?? x.match?.prefix));
        const missing = ["/login", "/logout"].filter((p) => !paths.includes(p));
        return missing.length > 0 ? `needs the gateway to route ${missing.join(" and ")} to productpage (signing in as jason), which apps.bookinfo.routes.gateway leaves out` : undefined;
    };
    const jasonToV2: RoutingDef = { host: "reviews", origin: "catalog: bookinfo reviews", rules: [{ match: jason, weights: { v2: 100 } }, { weights: { v1: 100 } }] };
    const ratingsForJason = (fault: FaultDef): RoutingDef => ({
        host: "ratings",
        origin: "catalog: bookinfo ratings",
        rules: [{ match: jason, fault, weights: { v1: 100 } }, { weights: { v1: 100 } }],
    });
    const gateway: RoutingDef = {
        host: GATEWAY_HOST,
        origin: "catalog: bookinfo gateway",
        // The paths Istio's bookinfo-gateway.yaml routes: the page, its assets, sign-in and
        // sign-out (seed 001's "sign in as jason") and the product API.
        rules: [
            { match: { exact: "/productpage" }, to: "productpage" },
            { match: { prefix: "/static" }, to: "productpage" },
            { match: { exact: "/login" }, to: "productpage" },
            { match: { exact: "/logout" }, to: "productpage" },
            { match: { prefix: "/api/v1/products" }, to: "productpage" },
        ],
    };
    const probe = (path: string, versions: ProbeDef["versions"]): ProbeDef => ({ path, versions });
    const workloads = [
        server("productpage", "v1"),
        server("details", "v1"),
        server("ratings", "v1"),
        server("reviews", "v1", jvm),
        server("reviews", "v2", jvm),
        server("reviews", "v3", jvm),
    ];
    return {
        name: "bookinfo",
        workloads,
        services: services.map((s) => service(s, { app: s }, http(9080))),
        subsets: {
            productpage: { v1: { version: "v1" } },
            details: { v1: { version: "v1" } },
            ratings: { v1: { version: "v1" } },
            reviews: { v1: { version: "v1" }, v2: { version: "v2" }, v3: { version: "v3" } },
        },
        ...staged(
            [
                { name: "no-sidecars", summary: "bookinfo outside the mesh: no sidecars, reviews answered by v1, v2 and v3 in turn", routing: [gateway], withoutSidecars: true },
                { name: "no-rules", summary: "in the mesh, no routing rule yet: reviews answered by v1, v2 and v3 in turn", routing: [gateway] },
                { name: "all-v1", summary: "every service to v1 (Istio's virtual-service-all-v1.yaml)", routing: [...["productpage", "details", "ratings", "reviews"].map(v1Only), gateway] },
                {
                    name: "jason-v2",
                    cannotWork: needsSignIn,
                    summary: "the user jason sees reviews v2, everyone else v1 (virtual-service-reviews-test-v2.yaml)",
                    routing: [...["productpage", "details", "ratings"].map(v1Only), jasonToV2, gateway],
                },
                {
                    name: "reviews-v1-v3",
                    summary: "reviews split 50/50 between v1 and v3, everything else v1 (virtual-service-reviews-50-v3.yaml)",
                    routing: [...["productpage", "details", "ratings"].map(v1Only), reviewsTo({ v1: 50, v3: 50 }), gateway],
                },
                {
                    name: "reviews-v3",
                    summary: "reviews all to v3 (virtual-service-reviews-v3.yaml)",
                    routing: [...["productpage", "details", "ratings"].map(v1Only), reviewsTo({ v3: 100 }), gateway],
                },
                {
                    name: "ratings-delay",
                    cannotWork: needsSignIn,
                    summary: "jason's calls to ratings wait 7 s (virtual-service-ratings-test-delay.yaml): productpage's 3 s timeout shows his reviews as unavailable",
                    routing: [...["productpage", "details"].map(v1Only), jasonToV2, ratingsForJason({ delaySeconds: 7, percent: 100 }), gateway],
                },
                {
                    name: "ratings-abort",
                    cannotWork: needsSignIn,
                    summary: "jason's calls to ratings fail with HTTP 500 (virtual-service-ratings-test-abort.yaml): his reviews show ratings unavailable",
                    routing: [...["productpage", "details"].map(v1Only), jasonToV2, ratingsForJason({ abortStatus: 500, percent: 100 }), gateway],
                },
                {
                    name: "reviews-timeout",
                    summary: "ratings answers after 2 s and reviews (v2, which calls ratings) gets 0.5 s: callers see 504 after half a second (Istio's request-timeouts task)",
                    routing: [
                        ...["productpage", "details"].map(v1Only),
                        { host: "reviews", origin: "catalog: bookinfo reviews", rules: [{ weights: { v2: 100 }, timeout: { seconds: 0.5, outlived: true } }] },
                        { host: "ratings", origin: "catalog: bookinfo ratings", rules: [{ fault: { delaySeconds: 2, percent: 100 }, weights: { v1: 100 } }] },
                        gateway,
                    ],
                },
                {
                    name: "retries",
                    summary:
                        "ratings v1 runs as `v-faulty` (the ratings app's own mode that answers 503 to half of the requests); the route retries 5xx up to 3 times, so 1 request in 16 still fails (1 in 2 without the retries)",
                    workloads: [{ ...server("ratings", "v1"), env: { SERVICE_VERSION: "v-faulty" }, fails: { share: 0.5, status: 503 } }],
                    routing: [
                        ...["productpage", "details"].map(v1Only),
                        reviewsTo({ v2: 100 }),
                        { host: "ratings", origin: "catalog: bookinfo ratings", rules: [{ weights: { v1: 100 }, retries: { attempts: 3, retryOn: "5xx", perTryTimeoutSeconds: 2 } }] },
                        gateway,
                    ],
                },
                {
                    name: "circuit-breaker",
                    summary:
                        "details allows one connection and one pending request (Istio's circuit-breaking task): requests beyond that answer 503 at once, without reaching details",
                    trafficPolicies: { details: { maxConnections: 1, maxPendingRequests: 1, maxRequestsPerConnection: 1 } },
                    routing: [...services.map(v1Only), gateway],
                    checks: [
                        {
                            name: "details-circuit-breaker",
                            url: "http://details:9080/details/0",
                            parallel: 5,
                            outcomes: [
                                { name: "answered", contains: "@status=200", atLeastOne: true },
                                { name: "overflow-503", contains: "@status=503", atLeastOne: true },
                            ],
                            describes: "five requests at a time to details, which admits one connection and one pending request: some answered, some refused with 503 by the caller's proxy",
                        },
                    ],
                },
                {
                    name: "mirror",
                    cannotWork: (lesson) => (hasPods(lesson, "reviews", "v2") ? undefined : "mirrors reviews to subset v2, which selects no running pod of the lesson"),
                    summary: "reviews answered by v1 only, and every request copied to v2, whose answers are dropped (Istio's mirroring task)",
                    routing: [...["productpage", "details", "ratings"].map(v1Only), { host: "reviews", origin: "catalog: bookinfo reviews", rules: [{ weights: { v1: 100 }, mirror: { subset: "v2", percent: 100 } }] }, gateway],
                },
                {
                    name: "authz",
                    summary:
                        "each workload accepts only the callers it needs (Istio's authorization task: allow-nothing, then productpage for everyone, details and reviews for productpage, ratings for reviews), each caller known by its ServiceAccount",
                    routing: [gateway],
                    policies: [
                        { kind: "AuthorizationPolicy", name: "allow-nothing", rules: [] },
                        { kind: "AuthorizationPolicy", name: "productpage-viewer", selector: { app: "productpage" }, rules: [{ methods: ["GET"] }] },
                        { kind: "AuthorizationPolicy", name: "details-viewer", selector: { app: "details" }, rules: [{ fromServiceAccounts: ["bookinfo-productpage"], methods: ["GET"] }] },
                        { kind: "AuthorizationPolicy", name: "reviews-viewer", selector: { app: "reviews" }, rules: [{ fromServiceAccounts: ["bookinfo-productpage"], methods: ["GET"] }] },
                        { kind: "AuthorizationPolicy", name: "ratings-viewer", selector: { app: "ratings" }, rules: [{ fromServiceAccounts: ["bookinfo-reviews"], methods: ["GET"] }] },
                    ],
                    checkAs: { details: "bookinfo-productpage", reviews: "bookinfo-productpage", ratings: "bookinfo-reviews" },
                    checks: [
                        allowed("details-allowed", "http://details:9080/details/0", "bookinfo-productpage", "author", "details admits productpage"),
                        allowed("ratings-allowed", "http://ratings:9080/ratings/0", "bookinfo-reviews", "ratings", "ratings admits reviews"),
                        denied("details-denied", "http://details:9080/details/0", undefined, "details refuses a caller that is not productpage"),
                        denied("ratings-denied", "http://ratings:9080/ratings/0", "bookinfo-productpage", "ratings refuses productpage, which may call only details and reviews"),
                    ],
                },
                {
                    name: "jwt",
                    summary:
                        "productpage accepts only requests carrying a token of the lesson's issuer (Istio's end-user authentication task: a RequestAuthentication and an AuthorizationPolicy requiring a request principal): without one 403, with a forged one 401",
                    routing: [...services.map(v1Only), gateway],
                    policies: [
                        { kind: "RequestAuthentication", name: "jwt-example", selector: { app: "productpage" }, issuer: LESSON_JWT_ISSUER, jwks: LESSON_JWKS },
                        {
                            kind: "AuthorizationPolicy",
                            name: "require-jwt",
                            selector: { app: "productpage" },
                            rules: [{ requestPrincipals: [`${LESSON_JWT_ISSUER}/${LESSON_JWT_SUBJECT}`] }],
                        },
                    ],
                    checkHeaders: { productpage: bearer(LESSON_JWT), [GATEWAY_HOST]: bearer(LESSON_JWT) },
                    handOutNote: `the lesson's token (send it as \`Authorization: Bearer <token>\`): ${LESSON_JWT}`,
                    checks: [
                        denied("productpage-without-token", "http://productpage:9080/productpage", undefined, "productpage refuses a request without a token"),
                        {
                            name: "productpage-forged-token",
                            url: "http://productpage:9080/productpage",
                            headers: bearer(forged(LESSON_JWT)),
                            readyStatus: "401",
                            outcomes: [{ name: "unauthenticated-401", contains: "@status=401", share: 1 }],
                            describes: "productpage refuses a token whose signature its issuer's keys do not verify",
                        },
                    ],
                },
                rateLimitStage(workloads, [...["productpage", "ratings", "reviews"].map(v1Only), gateway]),
            ],
            "reviews-v1-v3",
        ),
        probes: {
            productpage: probe("/productpage", [["v1", "Simple Bookstore App"]]),
            details: probe("/details/0", [["v1", "author"]]),
            ratings: probe("/ratings/0", [["v1", "ratings"]]),
            // Every reviews reply names the pod that served it ("podname", from HOSTNAME): the one
            // text that tells v1, v2 and v3 apart, also when the ratings call failed (v2 and v3 then
            // answer alike). Star colours do not: every reply contains "compared".
            reviews: probe("/reviews/0", ["v1", "v2", "v3"].map((v) => [v, podName("reviews", v)] as const)),
        },
        traffic: ["http://productpage:9080/productpage"],
    };
}

/** The in-cluster address of the ingress gateway, as the mesh's own clients reach it. */
export const GATEWAY_URL = `http://${INGRESS_GATEWAY.release}.${INGRESS_NAMESPACE}.svc.cluster.local`;
/** The same over HTTPS: TLS ended at the gateway itself, with the workshop CA's certificate. */
export const GATEWAY_HTTPS_URL = `https://${INGRESS_GATEWAY.release}.${INGRESS_NAMESPACE}.svc.cluster.local`;

/**
 * nginx routing /v1 and /v2 to the two my-app services (seed 003's proxy).
 * nginx proxies with HTTP/1.0 unless told otherwise, and the sidecar's outbound
 * listeners refuse HTTP/1.0 (426 Upgrade Required) unless istiod runs with
 * PILOT_HTTP10: the proxy speaks HTTP/1.1, as seed 003's own manifest does.
 */
export function nginxProxyConfig(): string {
    return [
        "server {",
        "    listen 8080;",
        "    proxy_http_version 1.1;",
        "    location = /healthz { access_log off; return 200; }",
        "    location /v1 { proxy_pass http://my-app-v1; }",
        "    location /v2 { proxy_pass http://my-app-v2; }",
        "}",
        "",
    ].join("\n");
}

/** Seed 003: my-app v1/v2 (two replicas each) at /v1 and /v2 through the gateway, and behind an NGINX proxy in the mesh. */
export function myApp(): ScenarioDef {
    const server = (v: string, tag: string): WorkloadDef => ({
        name: `my-app-${v}`,
        labels: { app: "my-app", version: v },
        image: IMAGES.helloApp(tag),
        replicas: 2,
        containerPort: 8080,
        runAsUser: 65532, // hello-app's distroless "nonroot"
        readinessPath: "/",
        resources: small,
    });
    const versions: ProbeDef["versions"] = [
        ["v1", "Version: 1.0.0"],
        ["v2", "Version: 2.0.0"],
    ];
    return {
        name: "my-app",
        workloads: [
            server("v1", "1.0"),
            server("v2", "2.0"),
            {
                name: "nginx-proxy",
                labels: { app: "nginx-proxy", version: "v1" },
                image: IMAGES.nginx,
                replicas: 1,
                containerPort: 8080,
                runAsUser: 101, // nginx-unprivileged's "nginx"
                readinessPath: "/healthz",
                resources: small,
                config: { name: "nginx-proxy", mountPath: "/etc/nginx/conf.d", files: { "default.conf": nginxProxyConfig() } },
            },
        ],
        services: [
            service("my-app-v1", { app: "my-app", version: "v1" }, http(80, 8080)),
            service("my-app-v2", { app: "my-app", version: "v2" }, http(80, 8080)),
            service("nginx-proxy", { app: "nginx-proxy" }, http(80, 8080)),
        ],
        subsets: {},
        ...staged(
            [
                {
                    name: "gateway",
                    summary: "/v1 and /v2 through the shared gateway, and through the NGINX proxy in the mesh",
                    routing: [
                        {
                            host: GATEWAY_HOST,
                            origin: "catalog: my-app gateway",
                            rules: [
                                { match: { prefix: "/v1" }, to: "my-app-v1" },
                                { match: { prefix: "/v2" }, to: "my-app-v2" },
                            ],
                        },
                    ],
                },
                {
                    name: "tls",
                    summary: `/v1 and /v2 over HTTPS only (Istio's secure-gateways task): the gateway ends TLS on ${GATEWAY_TLS_PORT} with the workshop CA's certificate, and answers plain HTTP to those paths with a redirect to HTTPS`,
                    routing: [
                        {
                            host: GATEWAY_HOST,
                            origin: "catalog: my-app tls",
                            rules: [
                                // Only the lesson's own paths: other lessons share the gateway (and, without attendees, its host).
                                { match: { prefix: "/v1", port: 80 }, redirect: { scheme: "https", port: GATEWAY_TLS_PORT } },
                                { match: { prefix: "/v2", port: 80 }, redirect: { scheme: "https", port: GATEWAY_TLS_PORT } },
                                { match: { prefix: "/v1", port: GATEWAY_TLS_PORT }, to: "my-app-v1" },
                                { match: { prefix: "/v2", port: GATEWAY_TLS_PORT }, to: "my-app-v2" },
                            ],
                        },
                    ],
                    handOutNote: `the workshop CA's certificate is in the ConfigMap ${GATEWAY_CA_CONFIG_MAP} of your namespace: \`kubectl get configmap ${GATEWAY_CA_CONFIG_MAP} -o jsonpath='{.data.ca\\.crt}' > ca.crt\`, then \`curl --cacert ca.crt https://...\``,
                },
            ],
            "gateway",
        ),
        probes: {
            "my-app-v1": { path: "/", versions, anyPath: true },
            "my-app-v2": { path: "/", versions, anyPath: true },
            "nginx-proxy": { path: "/v1", versions },
        },
        traffic: [`${GATEWAY_URL}/v1`, `${GATEWAY_URL}/v2`, "http://nginx-proxy/v1", "http://nginx-proxy/v2"],
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

/** httpbin as Istio's samples/httpbin/httpbin.yaml runs it. */
function httpbinServer(): WorkloadDef {
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

/**
 * Istio's mutual-TLS migration task: httpbin, a client in the mesh (`curl-mtls`, Istio's `curl` in `foo`) and
 * one without a sidecar (`curl-legacy`, Istio's `legacy` namespace). Under
 * PERMISSIVE httpbin accepts both; under STRICT only the client with a sidecar.
 * The client without a sidecar lives in the lesson's own namespace: attendee
 * namespaces admit no connection from elsewhere (NetworkPolicy), which would
 * hide the very difference the lesson shows.
 */
export function mtls(ctx: CatalogContext): ScenarioDef {
    const url = "http://httpbin:8000/headers";
    const legacy = curlClient("curl-legacy", [url], ctx);
    const peer = (mode: "STRICT" | "PERMISSIVE") => ({ kind: "PeerAuthentication" as const, name: "httpbin", selector: { app: "httpbin" }, mode });
    const fromMesh: StageCheckDef = {
        name: "httpbin-from-mesh",
        url,
        outcomes: [{ name: "answered", contains: "@status=200", share: 1 }],
        describes: "a client with a sidecar reaches httpbin (over mutual TLS)",
    };
    const fromLegacy = (refused: boolean): StageCheckDef => ({
        name: "httpbin-from-legacy",
        url,
        withoutSidecar: true,
        ...(refused ? { readyStatus: "000" } : {}),
        outcomes: [refused ? { name: "refused", contains: "@status=000", share: 1 } : { name: "answered", contains: "@status=200", share: 1 }],
        describes: refused ? "a client without a sidecar (plaintext) is refused: the connection is reset" : "a client without a sidecar (plaintext) is answered",
    });
    return {
        name: "mtls",
        workloads: [
            httpbinServer(),
            curlClient("curl-mtls", [url], ctx),
            { ...legacy, labels: { ...legacy.labels, [NO_INJECTION_LABEL]: "false" } },
        ],
        services: [service("httpbin", { app: "httpbin" }, [{ name: "http", port: 8000, targetPort: 8080 }])],
        subsets: {},
        ...staged(
            [
                {
                    name: "permissive",
                    summary: "httpbin accepts mutual TLS and plaintext (PeerAuthentication PERMISSIVE): both clients are answered",
                    routing: [],
                    policies: [peer("PERMISSIVE")],
                    checks: [fromMesh, fromLegacy(false)],
                },
                {
                    name: "strict",
                    summary: "httpbin accepts mutual TLS only (PeerAuthentication STRICT): the client without a sidecar is refused",
                    routing: [],
                    policies: [peer("STRICT")],
                    checks: [fromMesh, fromLegacy(true)],
                },
            ],
            "strict",
        ),
        probes: {},
        traffic: [],
    };
}

export const EXTERNAL_HOST = `httpbin.${EXTERNAL_NAMESPACE}.svc.cluster.local`;
/** Its port: plain HTTP on 80, as the hosts of Istio's egress tasks. */
export const EXTERNAL_PORT = 80;
/** The platform's egress gateway, as the mesh addresses it, and the port outside calls go through it on. */
export const EGRESS_GATEWAY_HOST = `${EGRESS_GATEWAY.release}.${EGRESS_GATEWAY.namespace}.svc.cluster.local`;
export const EGRESS_GATEWAY_PORT = 80;

export function externalStandIn(): ScenarioDef {
    return {
        name: "external",
        workloads: [{ ...httpbinServer(), labels: { app: "httpbin", version: "v1", [NO_INJECTION_LABEL]: "false" } }],
        // Also seen by the egress gateway, which forwards the egress-gateway stage's calls to it.
        services: [{ ...service("httpbin", { app: "httpbin" }, http(EXTERNAL_PORT, 8080)), exportTo: [EGRESS_GATEWAY.namespace] }],
        subsets: {},
        routing: [],
        probes: {},
        traffic: [],
    };
}

/** Istio's egress-control tasks, against the stand-in host: open, closed to unknown hosts, opened again for one host. */
export function egress(ctx: CatalogContext): ScenarioDef {
    const url = `http://${EXTERNAL_HOST}/status/200`;
    const serviceEntry = { kind: "ServiceEntry" as const, name: "httpbin-ext", host: EXTERNAL_HOST, port: { number: EXTERNAL_PORT, name: "http", protocol: "HTTP" } };
    const client = { "istio-workshop/egress": "client" };
    const outbound = (mode: "ALLOW_ANY" | "REGISTRY_ONLY") => ({ kind: "OutboundPolicy" as const, name: "egress-client", selector: client, mode });
    const reaches = (describes: string): StageCheckDef => ({ name: "external-host", url, labels: client, outcomes: [{ name: "answered", contains: "@status=200", share: 1 }], describes });
    const curl = curlClient("curl-egress", [url], ctx);
    return {
        name: "egress",
        workloads: [{ ...curl, labels: { ...curl.labels, ...client } }],
        services: [],
        subsets: {},
        ...staged(
            [
                {
                    name: "allow-any",
                    summary: `the client's proxy passes calls to hosts it does not know straight through (outboundTrafficPolicy ALLOW_ANY): ${EXTERNAL_HOST} answers`,
                    routing: [],
                    policies: [outbound("ALLOW_ANY")],
                    checks: [reaches("a host outside the mesh answers")],
                },
                {
                    name: "registry-only",
                    summary: "the client's proxy refuses hosts outside the mesh's registry (REGISTRY_ONLY): the call ends at Istio's BlackHoleCluster",
                    routing: [],
                    policies: [outbound("REGISTRY_ONLY")],
                    checks: [
                        {
                            name: "external-host",
                            url,
                            labels: client,
                            readyStatus: "502,000",
                            // 502 where the proxy has an HTTP listener on the port, a reset connection where it has none.
                            outcomes: [{ name: "blocked", contains: "@status=502,000", share: 1 }],
                            describes: "a host outside the registry is refused by the caller's own proxy",
                        },
                    ],
                },
                {
                    name: "service-entry",
                    summary: `still REGISTRY_ONLY, with a ServiceEntry that adds ${EXTERNAL_HOST} to the registry: that host answers again`,
                    routing: [],
                    policies: [outbound("REGISTRY_ONLY"), serviceEntry],
                    checks: [reaches("the host the ServiceEntry names answers")],
                },
                {
                    name: "egress-gateway",
                    summary: `calls to ${EXTERNAL_HOST} leave through the platform's egress gateway (Istio's egress gateway task): the namespace's route sends them to the gateway, the platform's gateway route on to the host`,
                    routing: [],
                    policies: [
                        outbound("REGISTRY_ONLY"),
                        serviceEntry,
                        { kind: "EgressRoute", name: "direct-httpbin-through-egress-gateway", host: EXTERNAL_HOST, port: EXTERNAL_PORT, via: { host: EGRESS_GATEWAY_HOST, port: EGRESS_GATEWAY_PORT } },
                    ],
                    handOutNote: `the gateway's half of the route (the Gateway on ${EGRESS_GATEWAY.namespace} and its route on to ${EXTERNAL_HOST}) is the platform's: attendees may not bind routes to gateways. See it with \`kubectl -n ${EGRESS_GATEWAY.namespace} get gateway,virtualservice\``,
                    checks: [
                        {
                            ...reaches("the host answers, every call completed by the caller's proxy to the egress gateway"),
                            through: { name: "via-egress-gateway", cluster: `outbound|${EGRESS_GATEWAY_PORT}||${EGRESS_GATEWAY_HOST}.` },
                        },
                    ],
                },
            ],
            "service-entry",
        ),
        probes: {},
        traffic: [],
    };
}
