/**
 * What the lesson apps answer, as a model: each app known by its image, its
 * answers the recorded reply bodies (`test/fixtures/replies/`, origin in its
 * ORIGIN.md) with the serving pod's name put in, its behaviour as Istio
 * 1.30.3's sources describe it (`shared/upstream/istio-samples/SERVICE-RESPONSES.md`):
 *  - productpage calls details, then reviews (tried twice), each with a 3 s
 *    client timeout, and answers its page whatever they answer;
 *  - reviews v1 answers alone; v2 and v3 call ratings (timeout 10 s for v2's
 *    black stars, 2.5 s for v3's red), forwarding `end-user`, and answer with
 *    the ratings error in the body when ratings fails;
 *  - ratings `v-faulty` fails half its requests with 503;
 *  - helloworld, hello-app, tcp-echo (`<prefix> <line>`), go-httpbin
 *    (`/status/<code>`, `/headers`, `/get`) answer at once;
 *  - fortio's HTTP server (fortio/fortio's fhttp/http_server.go): `/debug`
 *    answers the request's method, URL and headers as it received them (Go's
 *    canonical header names, sorted), every other path echoes the request body.
 * An app the model does not know, or a path it does not model, is refused as
 * not modelled rather than guessed.
 */
import { imageRepository } from "../../model/images";
import { NotModelled } from "../kubernetes/network";

/** Reply bodies by file name (`test/fixtures/replies/`). */
export type Replies = Readonly<Record<string, string>>;

/** A pod as the model needs it: who it is, what it runs. */
export interface ModelPod {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly serviceAccount: string;
    readonly image: string;
    readonly env: Readonly<Record<string, string>>;
    readonly args: readonly string[];
    readonly sidecar: boolean;
    /** In ambient mode (no sidecar: the node's ztunnel carries its traffic, `ztunnel.ts`). */
    readonly ambient?: boolean;
}

/** A request as an app sees it. */
export interface AppRequest {
    readonly path: string;
    /** The name the request was addressed to (its Host header). */
    readonly host?: string;
    readonly headers: Readonly<Record<string, string>>;
    /** For a TCP connection: the line sent. */
    readonly line?: string;
}

/** An answer: status (0: no answer, the connection reset or timed out), body, seconds it took. */
export interface Answer {
    readonly status: number;
    readonly body: string;
    readonly seconds: number;
    /**
     * What the caller's proxy counted: clusters it completed a request to (`outbound|<port>|<subset>|<host>`),
     * and Istio's request metric per destination principal (`requestMetric`).
     */
    readonly counted?: readonly string[];
}

const REQUEST_METRIC = "istio_requests_total|";

/** The key of a request reported in Istio's metric with this destination principal (`unknown`: none proved). */
export const requestMetric = (principal: string) => `${REQUEST_METRIC}${principal}`;

/** The destination principal of a `requestMetric` key, or undefined for a cluster's. */
export const metricPrincipal = (key: string): string | undefined => (key.startsWith(REQUEST_METRIC) ? key.slice(REQUEST_METRIC.length) : undefined);

/** A call an app makes while answering, with its client timeout; the model routes it through the mesh. */
export type Call = (pod: ModelPod, url: string, headers: Readonly<Record<string, string>>, timeoutSeconds: number) => Answer;

export { NotModelled } from "../kubernetes/network";

/** Headers the bookinfo apps forward to the services they call (the subset the lessons route or authorise on). */
const FORWARDED = ["end-user", "authorization", "x-request-id", "user-agent", "cookie", "jwt"];
const forwarded = (h: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(h).filter(([k]) => FORWARDED.includes(k)));

/** A recorded body with its pod name replaced by the serving pod's (the recordings name a pod of the same Deployment). */
function body(replies: Replies, file: string, pod: ModelPod): string {
    const text = replies[file];
    if (text === undefined) throw new NotModelled(`no recorded reply ${file}`);
    return text.replace(/\b[a-z0-9-]+-[a-z0-9]{8,10}-[a-z0-9]{5}\b/g, pod.name);
}

const ok = (b: string, seconds = 0.01): Answer => ({ status: 200, body: b, seconds });

/** bookinfo's apps by the image name's service part (`examples-bookinfo-<service>-<version>`). */
function bookinfo(service: string, version: string, pod: ModelPod, req: AppRequest, replies: Replies, call: Call, draw: () => number): Answer {
    if (req.path === "/health") return ok(`{"status": "${service} is healthy"}`);
    switch (service) {
        case "productpage": {
            if (req.path !== "/productpage") throw new NotModelled(`productpage's ${req.path}`);
            const h = forwarded(req.headers);
            const details = call(pod, "http://details:9080/details/0", h, 3);
            let took = details.seconds;
            // Reviews is tried twice before the page gives up on it.
            for (let i = 0; i < 2; i++) {
                const reviews = call(pod, "http://reviews:9080/reviews/0", h, 3);
                took += reviews.seconds;
                if (reviews.status === 200) break;
            }
            return ok(body(replies, "productpage-v1.head.html", pod), took + 0.01);
        }
        case "details":
            if (!/^\/details\/\d+$/.test(req.path)) throw new NotModelled(`details' ${req.path}`);
            return ok(body(replies, "details-v1.json", pod));
        case "ratings": {
            if (!/^\/ratings\/\d+$/.test(req.path)) throw new NotModelled(`ratings' ${req.path}`);
            const faulty = (pod.env.SERVICE_VERSION ?? version) === "v-faulty";
            if (faulty && draw() < 0.5) return { status: 503, body: body(replies, "ratings-v-faulty-503.json", pod), seconds: 0.01 };
            return ok(body(replies, "ratings-v1.json", pod));
        }
        case "reviews": {
            if (!/^\/reviews\/\d+$/.test(req.path)) throw new NotModelled(`reviews' ${req.path}`);
            if (version === "v1") return ok(body(replies, "reviews-v1.json", pod));
            const timeout = version === "v2" ? 10 : 2.5;
            const ratings = call(pod, "http://ratings:9080/ratings/0", forwarded(req.headers), timeout);
            const file = ratings.status === 200 ? `reviews-${version}.json` : `reviews-${version}-ratings-unavailable.json`;
            return ok(body(replies, file, pod), Math.min(ratings.seconds, timeout) + 0.01);
        }
        default:
            throw new NotModelled(`bookinfo's ${service}`);
    }
}

/** Go's canonical form of a header name (`x-forwarded-client-cert` → `X-Forwarded-Client-Cert`). */
const canonical = (h: string) => h.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase());

/** fortio's debug handler: a banner, the request line, `Host`, then every header as the server received it, sorted by name. */
function fortioDebug(pod: ModelPod, version: string, req: AppRequest): string {
    const headers = Object.entries(req.headers)
        .filter(([k]) => k !== "host")
        .map(([k, v]) => [canonical(k), v] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return [
        `Φορτίο version ${version} echo debug server up for 1m on ${pod.name} - request from 10.0.0.1:40000`,
        "",
        `GET ${req.path} HTTP/1.1`,
        "",
        "headers:",
        "",
        [`Host: ${req.headers.host ?? req.host ?? ""}`, ...headers.map(([k, v]) => `${k}: ${v}`)].join("\n"),
        "",
        "body:",
        "",
        "",
    ].join("\n");
}

/** What a pod's app answers to a request (the mesh has already decided it reaches this pod). */
export function appAnswer(pod: ModelPod, req: AppRequest, replies: Replies, call: Call, draw: () => number): Answer {
    const repo = imageRepository(pod.image);
    const name = repo.slice(repo.lastIndexOf("/") + 1);
    const tag = pod.image.slice(repo.length + 1);
    const bi = /^examples-bookinfo-([a-z]+)-(v[0-9a-z-]+)$/.exec(name);
    if (bi) return bookinfo(bi[1], bi[2], pod, req, replies, call, draw);
    const hw = /^examples-helloworld-(v\d+)$/.exec(name);
    if (hw) {
        if (req.path === "/health") return ok("Helloworld is healthy");
        if (req.path !== "/hello") throw new NotModelled(`helloworld's ${req.path}`);
        return ok(body(replies, `helloworld-${pod.env.SERVICE_VERSION ?? hw[1]}.txt`, pod));
    }
    if (name === "hello-app") return ok(body(replies, `hello-app-v${tag.split(".")[0]}.txt`, pod));
    if (name === "tcp-echo-server") {
        if (req.line === undefined) throw new NotModelled("tcp-echo over HTTP");
        return ok(`${pod.args[1] ?? "hello"} ${req.line}\n`);
    }
    if (name === "fortio") {
        if (req.line !== undefined) throw new NotModelled("fortio over TCP");
        if (req.path.split("?")[0] === "/debug") return ok(fortioDebug(pod, tag, req));
        if (req.path.startsWith("/fortio")) throw new NotModelled(`fortio's UI ${req.path}`);
        return ok(""); // the echo handler: a GET has no body to echo
    }
    if (name === "go-httpbin") {
        const status = /^\/status\/(\d{3})$/.exec(req.path);
        if (status) return { status: Number(status[1]), body: "", seconds: 0.01 };
        if (req.path === "/headers" || req.path === "/get") return ok(JSON.stringify({ headers: req.headers }));
        throw new NotModelled(`httpbin's ${req.path}`);
    }
    throw new NotModelled(`the app of image ${pod.image}`);
}
