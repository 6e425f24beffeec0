/**
 * What proves a stage: one check per routing rule a probe can observe, and the
 * stage's own checks, each with the counts a correct mesh gives (exact binomial
 * intervals), and the verification Jobs that run them with the shared script.
 */
import type { types } from "@pulumi/kubernetes";
import * as fs from "fs";
import * as path from "path";
import { GATEWAY_HOST, OUT_OF_MESH_LABELS, selects, type Labels, type ProbeDef, type RouteRuleDef, type ScenarioDef, type ServiceDef, type StageCheckDef } from "./model";
import { type GatewayPlacement } from "./resolve";
import { GATEWAY_HTTPS_URL, GATEWAY_URL } from "./catalog/common";
import { REDIRECT_STATUS } from "./routing";
import { FALSE_ALARM, splitIntervals } from "./stats";
import { GATEWAY_TLS_PORT } from "../model/platform";
import { GATEWAY_CA_CONFIG_MAP, GATEWAY_CA_FILE } from "./gatewayCa";
import { VERIFY_HOOK } from "./delivery";
import { RESTRICTED_POD_SECURITY } from "../model/podSecurity";
import { isTcp } from "./routing";

export interface Expectation {
    readonly version: string;
    readonly contains: string;
    /** Share of requests a correct mesh sends here. */
    readonly share: number;
    readonly range: readonly [number, number];
}

export interface CheckPlan {
    readonly name: string;
    readonly url: string;
    readonly podLabels: Labels;
    readonly headers: Readonly<Record<string, string>>;
    readonly requests: number;
    readonly expectations: readonly Expectation[];
    /** What the rule says, for messages. */
    readonly describes: string;
    /** Seconds one request may take (default 5): more where a delay is injected. */
    readonly timeoutSeconds?: number;
    /** The status that tells the route is in place, where it is not 2xx (an injected abort's; `000`: refused). */
    readonly readyStatus?: number | string;
    /** The ServiceAccount the check runs as (default `verify`): the caller's mesh identity. */
    readonly serviceAccount?: string;
    /** Requests sent at once (curl --parallel), to load a connection pool. */
    readonly parallel?: number;
    /** For a TCP check: the line sent on each connection. */
    readonly tcpSend?: string;
    /** Seconds the requests may take, from the end of the wait for the stage (a rate limit's fill interval). */
    readonly withinSeconds?: number;
    /** For an HTTPS check: the CA file (mounted from the namespace's `workshop-gateway-ca` ConfigMap) the server's certificate must chain to. */
    readonly caFile?: string;
    /**
     * Requests the caller's own proxy completes to a cluster (`outbound|<port>|<subset>|<host>.`):
     * those a route mirrors to its mirror target, or those that went through the egress gateway.
     */
    readonly completed?: {
        readonly name: string;
        readonly range: readonly [number, number];
        /** Counted by an Envoy cluster's completed requests... */
        readonly cluster?: string;
        /** ...or by Istio's request metric, for a destination principal (an extended regular expression; `unknown`: none). */
        readonly peer?: string;
    };
    /** Annotations of the check's pod (the proxy configuration a completed-request count needs). */
    readonly podAnnotations?: Readonly<Record<string, string>>;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** Seconds per request from which a check counts as slow (its answers wait out an injected delay or timeout). */
export const SLOW_REQUEST_SECONDS = 1;
/**
 * Requests of a slow check whose every answer is certain: 20, as many as make a world that answers otherwise half
 * the time pass with probability 2^-20, below the checks' false-alarm rate: the statistics of 100 requests, in a fifth
 * of the time.
 */
export const SLOW_CHECK_REQUESTS = 20;
/** A slow check that reads only statuses and times sends this many requests at once. */
export const SLOW_CHECK_PARALLEL = 10;

/** The share of requests each version receives under a rule, as a correct mesh routes it. */
function sharesFor(rule: RouteRuleDef, dest: ServiceDef, s: ScenarioDef): Record<string, number> | undefined {
    if (rule.weights) {
        const shares: Record<string, number> = {};
        for (const [subset, w] of Object.entries(rule.weights)) {
            const version = s.subsets[dest.name]?.[subset]?.version;
            if (version === undefined) return undefined; // a subset not keyed by version cannot be told apart in answers
            shares[version] = (shares[version] ?? 0) + w / 100;
        }
        return shares;
    }
    const pods = s.workloads.filter((w) => w.replicas > 0 && selects(dest.selector, w.labels));
    const total = pods.reduce((n, w) => n + w.replicas, 0);
    const shares: Record<string, number> = {};
    for (const w of pods) shares[w.labels.version] = (shares[w.labels.version] ?? 0) + w.replicas / total;
    return shares;
}

/** What an injected fault answers, as the verification script tells it apart: by status, or by how long it took. */
function faultOutcome(rule: RouteRuleDef): { name: string; contains: string; share: number; delaySeconds?: number; abortStatus?: number } | undefined {
    // A timeout the stage makes every request outlive: Envoy answers 504 once it expires (with a second's margin).
    if (rule.timeout?.outlived) {
        const t = rule.timeout.seconds;
        return { name: `timed-out-${t}s`, contains: `@status=504&time<${t + 1}`, share: 1, abortStatus: 504 };
    }
    const f = rule.fault;
    if (!f) return undefined;
    if (f.abortStatus !== undefined) return { name: `aborted-${f.abortStatus}`, contains: `@status=${f.abortStatus}`, share: f.percent / 100, abortStatus: f.abortStatus };
    if (f.delaySeconds !== undefined) return { name: `delayed-${f.delaySeconds}s`, contains: `@time>=${f.delaySeconds}`, share: f.percent / 100, delaySeconds: f.delaySeconds };
    return undefined;
}

/** Does a route's `retryOn` retry an answer with this status? (`5xx`: any 5xx; `gateway-error`: 502, 503, 504.) */
function retriesStatus(retryOn: string, status: number): boolean {
    return retryOn.split(",").some((x) => (x === "5xx" && status >= 500) || (x === "gateway-error" && [502, 503, 504].includes(status)));
}

/**
 * The answers a destination's own failures leave failed (`WorkloadDef.fails`),
 * after the rule's retries: a version whose pods fail a share f of requests
 * fails f^(1 + attempts) of them when its status is retried, f otherwise. (Istio's
 * default retries do not retry a 503 the app answers: its default `retryOn` names
 * no status code.) Per version, and in total over the rule's shares.
 */
function appFailures(rule: RouteRuleDef, dest: ServiceDef, s: ScenarioDef, shares: Record<string, number>) {
    const pods = s.workloads.filter((w) => w.replicas > 0 && selects(dest.selector, w.labels));
    const status = pods.find((w) => w.fails)?.fails?.status;
    if (status === undefined) return undefined;
    const byVersion: Record<string, number> = {};
    let total = 0;
    for (const [version, share] of Object.entries(shares)) {
        const of = pods.filter((w) => w.labels.version === version);
        const n = of.reduce((a, w) => a + w.replicas, 0);
        if (n === 0) continue;
        const f = of.reduce((a, w) => a + w.replicas * (w.fails?.share ?? 0), 0) / n;
        const tries = 1 + (rule.retries && retriesStatus(rule.retries.retryOn, status) ? rule.retries.attempts : 0);
        byVersion[version] = f ** tries;
        total += share * byVersion[version];
    }
    return { status, total, byVersion };
}

/** The path a probe requests to exercise a rule's path match, if the probe's page is one the rule matches. */
function probePath(probe: ProbeDef, match: RouteRuleDef["match"]): string | undefined {
    const { prefix, exact } = match ?? {};
    if (exact !== undefined) return probe.anyPath || probe.path === exact ? exact : undefined;
    if (prefix !== undefined) return probe.anyPath ? prefix : probe.path.startsWith(prefix) ? probe.path : undefined;
    return probe.path;
}

/** The longest delay injected on a host's routes. */
const routeDelay = (s: ScenarioDef, host: string) => Math.max(0, ...s.routing.filter((r) => r.host === host).flatMap((r) => r.rules.map((x) => x.fault?.delaySeconds ?? 0)));

/**
 * Seconds a Service's answers may wait on the Services its pods call while answering (`WorkloadDef.calls`),
 * their routes' injected delays added up along the longest chain: what a check of it must wait out.
 */
export function delayBehind(s: ScenarioDef, service: string, seen: ReadonlySet<string> = new Set()): number {
    const svc = s.services.find((x) => x.name === service);
    if (!svc || seen.has(service)) return 0;
    const callees = new Set(s.workloads.filter((w) => w.replicas > 0 && selects(svc.selector, w.labels)).flatMap((w) => w.calls ?? []));
    return Math.max(0, ...[...callees].map((c) => routeDelay(s, c) + delayBehind(s, c, new Set([...seen, service]))));
}

/** One check per routing rule that a probe can observe: where to send requests, from which pod labels, what to expect. */
export function checkPlans(s: ScenarioDef, requests: number, placement: GatewayPlacement = {}): CheckPlan[] {
    const plans: CheckPlan[] = [];
    for (const r of s.routing) {
        const isGateway = r.host === GATEWAY_HOST;
        r.rules.forEach((rule, i) => {
            const hostName = isGateway ? `${s.name}-gw` : r.host;
            const gatewayHeaders: Record<string, string> = isGateway && placement.host ? { Host: placement.host } : {};
            if (rule.redirect) {
                // The gateway answers a redirect itself, to every request the rule matches.
                if (!isGateway) return;
                plans.push({
                    name: `verify-${hostName}-${i + 1}`,
                    url: `${GATEWAY_URL}${placement.prefix ?? ""}${rule.match?.exact ?? rule.match?.prefix ?? "/"}`,
                    podLabels: { app: `verify-${s.name}`, version: "verify" },
                    headers: { ...gatewayHeaders },
                    requests,
                    expectations: [{ version: `redirected-${REDIRECT_STATUS}`, contains: `@status=${REDIRECT_STATUS}`, share: 1, range: [requests, requests] }],
                    describes: `${r.origin}[${i}]`,
                    readyStatus: REDIRECT_STATUS,
                });
                return;
            }
            const destName = rule.to ?? r.host;
            const dest = s.services.find((svc) => svc.name === destName);
            const probe = s.probes[destName];
            if (!dest || !probe) return;
            const path = probePath(probe, rule.match);
            if (path === undefined) return; // the probe's page is not one this rule matches
            const shares = sharesFor(rule, dest, s);
            if (!shares) return;
            // An injected fault answers its share of the requests itself (listed first, so a delayed answer counts
            // as delayed); where another rule of the host delays, an answer this slow must not come from this one.
            const faulted = faultOutcome(rule);
            const rest = 1 - (faulted?.share ?? 0);
            const slowest = Math.max(0, ...r.rules.map((x) => x.fault?.delaySeconds ?? 0));
            const failing = appFailures(rule, dest, s, shares);
            const answers: [string, string, number][] = [
                ...(faulted ? [[faulted.name, faulted.contains, faulted.share] as [string, string, number]] : []),
                ...(faulted?.delaySeconds === undefined && slowest > 0 ? [[`delayed-${slowest}s`, `@time>=${slowest}`, 0] as [string, string, number]] : []),
                ...(failing ? [[`failed-${failing.status}`, `@status=${failing.status}`, failing.total * rest] as [string, string, number]] : []),
                ...probe.versions.map(([version, contains]) => [version, contains, (shares[version] ?? 0) * rest * (1 - (failing?.byVersion[version] ?? 0))] as [string, string, number]),
            ];
            const positive = Object.fromEntries(answers.filter(([, , p]) => p > 0).map(([v, , p]) => [v, p]));
            // A check whose every answer waits out a delay or a timeout is slow: where each answer is certain (every
            // share 0 or 1), fewer requests prove as much (SLOW_CHECK_REQUESTS); where it reads no body, they go at once.
            const perRequest = faulted?.abortStatus === 504 ? (rule.timeout?.seconds ?? 0) : Math.max(faulted?.delaySeconds ?? 0, delayBehind(s, destName));
            const slow = perRequest >= SLOW_REQUEST_SECONDS && !isTcp(dest);
            const certain = answers.every(([, , p]) => p === 0 || p === 1);
            const n = slow && certain ? Math.min(requests, SLOW_CHECK_REQUESTS) : requests;
            const ranges = splitIntervals(n, positive);
            const expectations = answers.map(([version, contains, share]) => ({ version, contains, share, range: ranges[version] ?? ([0, 0] as const) }));
            const bodiless = expectations.every((e) => e.range[1] === 0 || e.contains.startsWith("@"));
            // Over HTTPS where the rule matches the gateway's TLS port: the gateway's certificate checked against the workshop's CA.
            const tls = isGateway && rule.match?.port === GATEWAY_TLS_PORT;
            const target = isGateway
                ? { url: `${tls ? GATEWAY_HTTPS_URL : GATEWAY_URL}${placement.prefix ?? ""}${path}`, ...(tls ? { caFile: GATEWAY_CA_FILE } : {}) }
                : serviceTarget(dest, path);
            const source = rule.match?.sourceLabels;
            const checkAs = s.checkAs?.[destName];
            const mirror = rule.mirror && !isGateway ? mirrorCount(rule.mirror, dest, requests) : undefined;
            plans.push({
                ...(checkAs ? { serviceAccount: checkAs } : {}),
                ...(mirror ?? {}),
                name: `verify-${hostName}-${i + 1}`,
                ...target,
                podLabels: source ? { version: "verify", ...source } : { app: `verify-${s.name}`, version: "verify" },
                headers: { ...gatewayHeaders, ...(s.checkHeaders?.[r.host] ?? {}), ...(rule.match?.headers ?? {}) },
                requests: n,
                expectations,
                ...(slow && bodiless && !mirror ? { parallel: SLOW_CHECK_PARALLEL } : {}),
                describes: `${r.origin}[${i}]`,
                // Room for the slowest answer: a delay on this host's routes, or one behind it (reviews v2 waits out ratings' delay).
                ...(Math.max(slowest, delayBehind(s, destName)) > 0 ? { timeoutSeconds: Math.max(slowest, delayBehind(s, destName)) + 5 } : {}),
                ...(faulted?.abortStatus !== undefined && faulted.share === 1 ? { readyStatus: faulted.abortStatus } : {}),
            });
        });
    }
    // A service of several versions with no routing rule at this stage: Kubernetes' (or the sidecar's own)
    // balancing, each version in proportion to its pods; the "before" of every routing lesson.
    const routed = new Set(s.routing.map((r) => r.host));
    for (const dest of s.services) {
        const probe = s.probes[dest.name];
        if (!probe || routed.has(dest.name)) continue;
        const shares = sharesFor({}, dest, s)!;
        if (Object.keys(shares).length < 2) continue;
        const ranges = splitIntervals(requests, shares);
        plans.push({
            name: `verify-${dest.name}-balanced`,
            ...serviceTarget(dest, probe.path),
            podLabels: { app: `verify-${s.name}`, version: "verify" },
            headers: {},
            requests,
            expectations: probe.versions.map(([version, contains]) => ({ version, contains, share: shares[version] ?? 0, range: ranges[version] ?? ([0, 0] as const) })),
            describes: `${s.name} at stage ${s.stage ?? "(default)"}: no routing rule for ${dest.name}, every version in proportion to its pods`,
            ...(s.checkAs?.[dest.name] ? { serviceAccount: s.checkAs[dest.name] } : {}),
        });
    }
    return [...plans, ...(s.checks ?? []).map((c) => stageCheckPlan(c, s, requests))];
}

/** The line a TCP check sends on each connection (tcp-echo answers `<prefix> hello`). */
export const TCP_LINE = "hello";

/** Where a check reaches a service of the lesson: its first port, over HTTP at `path`, or a TCP connection that sends one line. */
function serviceTarget(dest: ServiceDef, path: string): Pick<CheckPlan, "url" | "tcpSend"> {
    const port = dest.ports[0].port;
    return isTcp(dest) ? { url: `tcp://${dest.name}:${port}`, tcpSend: TCP_LINE } : { url: `http://${dest.name}:${port}${path}` };
}

/** The mirror count of a check: every request the route matches is mirrored, as its percentage says. */
function mirrorCount(m: NonNullable<RouteRuleDef["mirror"]>, dest: ServiceDef, requests: number): Pick<CheckPlan, "completed" | "podAnnotations"> {
    const share = m.percent / 100;
    const range = share === 1 ? ([requests, requests] as const) : splitIntervals(requests, { mirrored: share, other: 1 - share }).mirrored;
    return proxyCount(`mirrored-to-${m.subset}`, `outbound|${dest.ports[0].port}|${m.subset}|${dest.name}.`, range);
}

/** Requests the caller's own proxy must count as completed to a cluster, and the pod annotation that makes it keep that statistic. */
function proxyCount(name: string, cluster: string, range: readonly [number, number]): Pick<CheckPlan, "completed" | "podAnnotations"> {
    // Istio's proxies keep only some of Envoy's statistics: the cluster's are asked for.
    const annotations = { "proxy.istio.io/config": JSON.stringify({ proxyStatsMatcher: { inclusionPrefixes: [`cluster.${cluster}`] } }) };
    return { completed: { name, cluster, range }, podAnnotations: annotations };
}

/** The destination principal Istio reports for a ServiceAccount's workloads, whatever the trust domain and namespace (a check's caller reaches only its own). */
function peerPattern(serviceAccount: string | null): string {
    return serviceAccount === null ? "unknown" : `spiffe://[^"]*/sa/${serviceAccount}`;
}

/** A stage's own check as a plan: exact shares get the statistical ranges, "at least one" gets [1, requests]. */
function stageCheckPlan(c: StageCheckDef, s: ScenarioDef, requests: number): CheckPlan {
    const exact = Object.fromEntries(c.outcomes.filter((o) => (o.share ?? 0) > 0).map((o) => [o.name, o.share!]));
    const ranges = Object.keys(exact).length > 0 ? splitIntervals(requests, exact) : {};
    const expectations = c.outcomes.map((o) => ({
        version: o.name,
        contains: o.contains,
        share: o.share ?? 0,
        range: o.atLeastOne
            ? ([1, requests] as const)
            : o.atMost !== undefined
              ? ([0, Math.min(o.atMost, requests)] as const)
              : o.allButAtMost !== undefined
                ? ([Math.max(0, requests - o.allButAtMost), requests] as const)
                : (ranges[o.name] ?? ([0, 0] as const)),
    }));
    const tcp = c.url.startsWith("tcp://");
    return {
        name: `verify-${c.name}`,
        url: c.url,
        podLabels: { app: `verify-${s.name}`, version: "verify", ...(c.labels ?? {}), ...(c.withoutSidecar ? OUT_OF_MESH_LABELS : {}) },
        headers: { ...(c.headers ?? {}) },
        requests,
        expectations,
        describes: `${s.name} at stage ${s.stage ?? "(default)"}: ${c.describes}`,
        ...(c.serviceAccount ? { serviceAccount: c.serviceAccount } : {}),
        ...(c.parallel ? { parallel: c.parallel } : {}),
        ...(c.readyStatus !== undefined ? { readyStatus: c.readyStatus } : {}),
        ...(c.withinSeconds !== undefined ? { withinSeconds: c.withinSeconds } : {}),
        ...(c.through ? proxyCount(c.through.name, c.through.cluster, c.through.none ? [0, 0] : [requests, requests]) : {}),
        ...(c.peer ? { completed: { name: c.peer.name, peer: peerPattern(c.peer.serviceAccount), range: [requests, requests] as const } } : {}),
        ...(tcp ? { tcpSend: TCP_LINE } : {}),
    };
}

/**
 * The verification script (`verify.sh` beside this file), one copy per namespace
 * in a ConfigMap, driven by each Job's environment: wait until the route
 * answers, send VERIFY_REQUESTS requests to VERIFY_URL, count the answers per
 * version (VERIFY_EXPECT lines `version|text the answer contains|lowest|highest|share`)
 * and compare the counts with the ranges. A failure prints what was expected and
 * what was measured, also as the pod's termination message.
 */
export const VERIFY_SCRIPT = fs.readFileSync(path.join(__dirname, "verify.sh"), "utf8");

/** The ServiceAccount every verification Job of a namespace runs as. */
export const VERIFY_ACCOUNT = "verify";

/** The ConfigMap that holds the verification script in a namespace. */
export const VERIFY_CONFIG_MAP = "verify-script";

/** The environment that tells the shared script what one check expects. */
export function verifyEnv(c: CheckPlan): { name: string; value: string }[] {
    for (const e of c.expectations) {
        if (/[|\n]/.test(e.contains)) throw new Error(`${c.name}: the text to look for may not contain "|" or a newline: ${JSON.stringify(e.contains)}`);
    }
    return [
        { name: "VERIFY_NAME", value: c.name },
        { name: "VERIFY_URL", value: c.url },
        { name: "VERIFY_REQUESTS", value: String(c.requests) },
        { name: "VERIFY_HEADERS", value: Object.entries(c.headers).map(([k, v]) => `${k}: ${v}`).join("\n") },
        { name: "VERIFY_EXPECT", value: c.expectations.map((e) => [e.version, e.contains, e.range[0], e.range[1], e.share === 0 && e.range[1] > 0 ? "-" : pct(e.share)].join("|")).join("\n") },
        { name: "VERIFY_DESCRIBES", value: c.describes },
        { name: "VERIFY_ALPHA", value: FALSE_ALARM.toExponential() },
        ...(c.timeoutSeconds !== undefined ? [{ name: "VERIFY_TIMEOUT", value: String(c.timeoutSeconds) }] : []),
        ...(c.readyStatus !== undefined ? [{ name: "VERIFY_READY_STATUS", value: String(c.readyStatus) }] : []),
        ...(c.parallel !== undefined ? [{ name: "VERIFY_PARALLEL", value: String(c.parallel) }] : []),
        ...(c.tcpSend !== undefined ? [{ name: "VERIFY_TCP_SEND", value: c.tcpSend }] : []),
        ...(c.withinSeconds !== undefined ? [{ name: "VERIFY_WITHIN", value: String(c.withinSeconds) }] : []),
        ...(c.caFile !== undefined ? [{ name: "VERIFY_CACERT", value: c.caFile }] : []),
        ...(c.completed
            ? [
                  { name: "VERIFY_COMPLETED", value: c.completed.name },
                  ...(c.completed.cluster !== undefined ? [{ name: "VERIFY_COMPLETED_CLUSTER", value: c.completed.cluster }] : []),
                  ...(c.completed.peer !== undefined ? [{ name: "VERIFY_COMPLETED_PEER", value: c.completed.peer }] : []),
                  { name: "VERIFY_COMPLETED_RANGE", value: `${c.completed.range[0]} ${c.completed.range[1]}` },
              ]
            : []),
    ];
}

/** The label every verification pod carries, its value the check's name: what a runner of checks (the cluster tests') selects them by. */
export const CHECK_POD_LABEL = "istio-workshop/check";

export const JOB_RESOURCES = { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } };

export function jobSpec(
    name: string,
    namespace: string,
    podLabels: Labels,
    container: types.input.core.v1.Container,
    pod: { readonly serviceAccount?: string; readonly annotations?: Readonly<Record<string, string>>; readonly gatewayCa?: boolean } = {},
): types.input.batch.v1.Job {
    return {
        // A hook of the namespace's lessons release: runs once everything else is applied and ready.
        metadata: { name, namespace, labels: { app: "verify", check: name }, annotations: { ...VERIFY_HOOK } },
        spec: {
            // One pod, one bounded readiness wait: a failing check fails once, within the wait's 3 minutes, not twice.
            backoffLimit: 0,
            activeDeadlineSeconds: 900,
            template: {
                metadata: { labels: { ...podLabels, [CHECK_POD_LABEL]: name }, ...(pod.annotations ? { annotations: { ...pod.annotations } } : {}) },
                spec: {
                    restartPolicy: "Never",
                    serviceAccountName: pod.serviceAccount ?? VERIFY_ACCOUNT,
                    automountServiceAccountToken: false,
                    securityContext: RESTRICTED_POD_SECURITY,
                    ...(container.volumeMounts
                        ? {
                              volumes: [
                                  { name: "verify", configMap: { name: VERIFY_CONFIG_MAP } },
                                  ...(pod.gatewayCa ? [{ name: "gateway-ca", configMap: { name: GATEWAY_CA_CONFIG_MAP } }] : []),
                              ],
                          }
                        : {}),
                    containers: [
                        {
                            ...container,
                            resources: JOB_RESOURCES,
                            terminationMessagePolicy: "FallbackToLogsOnError",
                            securityContext: {
                                allowPrivilegeEscalation: false,
                                readOnlyRootFilesystem: true,
                                runAsNonRoot: true,
                                runAsUser: 100,
                                capabilities: { drop: ["ALL"] },
                            },
                        },
                    ],
                },
            },
        },
    };
}
