/**
 * Seed 001: Istio's bookinfo, stage by stage: routing by version and user, fault
 * injection, timeouts, retries, circuit breaking, mirroring, authorization, JWT,
 * rate limiting.
 */
import { GATEWAY_HOST, selects, type FaultDef, type ProbeDef, type RoutingDef, type ScenarioDef, type StageCheckDef, type StageDef, type WorkloadDef } from "../model";
import { app, http, jvm, service, staged } from "./common";
import { IMAGES } from "../../model/images";
import { LESSON_JWKS, LESSON_JWT, LESSON_JWT_ISSUER, LESSON_JWT_SUBJECT } from "../lessonJwt";

import { LESSON_LABEL } from "../handOut";
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

/** The label every bookinfo pod carries besides `app` and `version`: what selects the lesson's pods as a whole. */
export const BOOKINFO_LABELS: Readonly<Record<string, string>> = { [LESSON_LABEL]: "bookinfo" };

/** The Services each bookinfo Deployment calls while it answers: productpage details and reviews; reviews v2 and v3 ratings (v1 shows no stars). */
const CALLS: Readonly<Record<string, readonly string[]>> = {
    "productpage-v1": ["details", "reviews"],
    "reviews-v2": ["ratings"],
    "reviews-v3": ["ratings"],
};

/**
 * Whether productpage runs with a sidecar, by what the server proves: a caller with a sidecar reports each request
 * with the identity productpage's certificate presented (its ServiceAccount), or none where it has no sidecar.
 * (bookinfo's apps echo nothing a server-side proxy adds, so the proof is the caller's report of the handshake.)
 */
function productpageIdentity(serviceAccount: string | null, describes: string): StageCheckDef {
    return {
        name: `productpage-${serviceAccount === null ? "plaintext" : "mtls"}`,
        url: "http://productpage:9080/productpage",
        outcomes: [{ name: "v1", contains: "Simple Bookstore App", share: 1 }],
        peer: { name: serviceAccount === null ? "no-identity" : `identity-${serviceAccount}`, serviceAccount },
        describes,
    };
}

/** Seed 001: bookinfo; every service to v1, reviews split between v1 and v3, productpage through the gateway. */
export function bookinfo(): ScenarioDef {
    const server = (svc: string, v: string, resources = app): WorkloadDef => ({
        name: `${svc}-${v}`,
        // Every bookinfo pod also carries the lesson's label: the authz stage's allow-nothing selects bookinfo by it, not the namespace.
        labels: { app: svc, version: v, ...BOOKINFO_LABELS },
        image: IMAGES.bookinfo(svc, v),
        // One identity per service, as Istio's bookinfo.yaml names them.
        serviceAccount: `bookinfo-${svc}`,
        replicas: 1,
        containerPort: 9080,
        writableRoot: true,
        resources,
        // Who calls whom while answering (productpage.py, reviews' LibertyRestEndpoint: v2 and v3 fetch ratings).
        ...(CALLS[`${svc}-${v}`] ? { calls: CALLS[`${svc}-${v}`] } : {}),
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
                {
                    name: "no-sidecars",
                    summary: "bookinfo outside the mesh: no sidecars, reviews answered by v1, v2 and v3 in turn",
                    routing: [gateway],
                    withoutSidecars: true,
                    checks: [productpageIdentity(null, "productpage has no sidecar: a caller's proxy reaches it in plaintext, no identity proved")],
                },
                {
                    name: "no-rules",
                    summary: "in the mesh, no routing rule yet: reviews answered by v1, v2 and v3 in turn",
                    routing: [gateway],
                    checks: [productpageIdentity("bookinfo-productpage", "productpage has a sidecar: a caller's proxy reaches it over mTLS, its certificate proving bookinfo-productpage")],
                },
                {
                    name: "all-v1",
                    summary: "every service to v1 (Istio's virtual-service-all-v1.yaml)",
                    routing: [...["productpage", "details", "ratings", "reviews"].map(v1Only), gateway],
                    // What the later stages change, shown still undone: jason's reviews, a copy to v2, a connection limit.
                    checks: [
                        {
                            name: "reviews-v1-for-jason",
                            url: "http://reviews:9080/reviews/0",
                            headers: jason.headers,
                            outcomes: [{ name: "v1", contains: podName("reviews", "v1"), share: 1 }],
                            through: { name: "mirrored-to-v2", cluster: "outbound|9080|v2|reviews.", none: true },
                            describes: "reviews answers v1 to every user, jason too, and copies no request to v2",
                        },
                        {
                            name: "details-unlimited",
                            url: "http://details:9080/details/0",
                            parallel: 5,
                            outcomes: [{ name: "answered", contains: "@status=200", share: 1 }],
                            describes: "five requests at a time to details, all answered: no connection limit yet",
                        },
                    ],
                },
                {
                    name: "jason-v2",
                    cannotWork: needsSignIn,
                    summary: "the user jason sees reviews v2, everyone else v1 (virtual-service-reviews-test-v2.yaml)",
                    routing: [...["productpage", "details", "ratings"].map(v1Only), jasonToV2, gateway],
                    checks: [
                        {
                            name: "ratings-for-jason",
                            url: "http://ratings:9080/ratings/0",
                            headers: jason.headers,
                            outcomes: [{ name: "v1", contains: "ratings", share: 1 }],
                            describes: "ratings answers jason at once: no fault injected yet",
                        },
                    ],
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
                        // Istio's task puts allow-nothing on the whole namespace; here other lessons share it, so it selects bookinfo's pods.
                        { kind: "AuthorizationPolicy", name: "allow-nothing", selector: { ...BOOKINFO_LABELS }, rules: [] },
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
