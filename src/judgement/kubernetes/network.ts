/**
 * Who may connect to whom, offline: Kubernetes NetworkPolicies as the API
 * documents their semantics (a pod selected by no policy of a direction
 * admits everything in it; a selected pod admits what any of its policies'
 * rules admit: peers by pod and namespace selectors, ports by number), and
 * Istio AuthorizationPolicies on mTLS identities (DENY first, then, if any
 * ALLOW policy applies to the workload, one of its rules must match), for
 * the `from.source.namespaces` and `from.source.principals` the stack uses.
 *
 * Pure: the plan's objects and a connection in, the policy that refuses it out.
 */

export interface Pod {
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly serviceAccount?: string;
}

type Labels = Readonly<Record<string, string>>;

/** A label selector (`matchLabels` and `matchExpressions`) against labels; an empty selector selects everything. */
export function selectorMatches(selector: any, labels: Labels): boolean {
    if (!selector) return true;
    const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    const byExpressions = (selector.matchExpressions ?? []).every((e: any) => {
        const has = e.key in labels;
        switch (e.operator) {
            case "In":
                return has && e.values.includes(labels[e.key]);
            case "NotIn":
                return !has || !e.values.includes(labels[e.key]);
            case "Exists":
                return has;
            case "DoesNotExist":
                return !has;
            default:
                return false;
        }
    });
    return byLabels && byExpressions;
}

/** Kubernetes labels every namespace with its name; the plan's own labels come on top. */
const namespaceLabels = (objects: readonly any[], ns: string): Labels => ({
    ...(objects.find((o) => o.kind === "Namespace" && o.metadata?.name === ns)?.metadata?.labels ?? {}),
    "kubernetes.io/metadata.name": ns,
});

function peerMatches(objects: readonly any[], peer: any, policyNamespace: string, pod: Pod): boolean {
    if (peer.ipBlock) return false; // pods' addresses are not known offline: never counted as admitting a pod
    const nsOk = peer.namespaceSelector ? selectorMatches(peer.namespaceSelector, namespaceLabels(objects, pod.namespace)) : pod.namespace === policyNamespace;
    return nsOk && selectorMatches(peer.podSelector, pod.labels);
}

const portMatches = (ports: readonly any[] | undefined, port: number) => !ports || ports.length === 0 || ports.some((p) => p.port === undefined || (p.port === port && (p.protocol ?? "TCP") === "TCP") || (typeof p.endPort === "number" && port >= p.port && port <= p.endPort));

/** The NetworkPolicy that leaves a TCP connection unadmitted, or undefined when the connection is admitted. */
export function networkRefusal(objects: readonly any[], from: Pod, to: Pod, port: number): string | undefined {
    const policies = objects.filter((o) => o.kind === "NetworkPolicy");
    const types = (p: any): string[] => p.spec?.policyTypes ?? ["Ingress", ...(p.spec?.egress ? ["Egress"] : [])];
    const ingress = policies.filter((p) => p.metadata?.namespace === to.namespace && types(p).includes("Ingress") && selectorMatches(p.spec?.podSelector, to.labels));
    if (ingress.length > 0) {
        const admitted = ingress.some((p) => (p.spec?.ingress ?? []).some((r: any) => portMatches(r.ports, port) && (!r.from || r.from.length === 0 || r.from.some((peer: any) => peerMatches(objects, peer, p.metadata.namespace, from)))));
        if (!admitted) return `NetworkPolicy ${ingress.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(", ")} admits no connection from ${from.namespace} to port ${port}`;
    }
    const egress = policies.filter((p) => p.metadata?.namespace === from.namespace && types(p).includes("Egress") && selectorMatches(p.spec?.podSelector, from.labels));
    if (egress.length > 0) {
        const admitted = egress.some((p) => (p.spec?.egress ?? []).some((r: any) => portMatches(r.ports, port) && (!r.to || r.to.length === 0 || r.to.some((peer: any) => peerMatches(objects, peer, p.metadata.namespace, to)))));
        if (!admitted) return `NetworkPolicy ${egress.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(", ")} lets no connection out to ${to.namespace} port ${port}`;
    }
    return undefined;
}

/** The mTLS identity of a pod's ServiceAccount. */
const principal = (p: Pod) => `cluster.local/ns/${p.namespace}/sa/${p.serviceAccount ?? "default"}`;

/** A policy or request attribute an evaluator does not model: refused by name rather than guessed. */
export class NotModelled extends Error {}

/**
 * What an AuthorizationPolicy sees of a request. An attribute left undefined is unknown (a connection
 * judged for every request it could carry): an ALLOW rule's condition on it can hold, a DENY rule's need not.
 * Without mTLS there is no `principal` nor `namespace`: a rule that names one never matches.
 */
export interface AuthzRequest {
    readonly mtls: boolean;
    readonly principal?: string;
    readonly namespace?: string;
    /** The verified token's `iss/sub`; `null`: the request carries none (undefined: unknown). */
    readonly requestPrincipal?: string | null;
    readonly method?: string;
    readonly path?: string;
    readonly port?: number;
    /** A TCP connection: a rule that needs HTTP attributes never matches (Istio drops it from an ALLOW policy). */
    readonly tcp?: boolean;
}

const SOURCE_FIELDS = ["principals", "notPrincipals", "namespaces", "notNamespaces", "requestPrincipals", "notRequestPrincipals"];
const OPERATION_FIELDS = ["methods", "notMethods", "paths", "notPaths", "ports"];

/** Istio's string match: exact, `*`, a prefix `x*` or a suffix `*x`. */
const matchesOne = (pattern: string, v: string) => pattern === "*" || pattern === v || (pattern.endsWith("*") && v.startsWith(pattern.slice(0, -1))) || (pattern.startsWith("*") && v.endsWith(pattern.slice(1)));

function ruleMatches(rule: any, req: AuthzRequest, action: "ALLOW" | "DENY"): boolean {
    for (const k of Object.keys(rule)) if (!["from", "to"].includes(k)) throw new NotModelled(`the authorization rule field ${k}`);
    const httpOnly =
        (rule.from ?? []).some(({ source: s = {} }: any) => s.requestPrincipals || s.notRequestPrincipals) ||
        (rule.to ?? []).some(({ operation: o = {} }: any) => o.methods || o.notMethods || o.paths || o.notPaths);
    if (req.tcp && httpOnly) {
        if (action === "DENY") throw new NotModelled("a DENY policy with HTTP fields on a TCP connection");
        return false;
    }
    // An unknown attribute: an ALLOW condition on it can hold; a DENY condition need not.
    const unknown = action === "ALLOW";
    // Without mTLS a request has no identity: it is none of the principals or namespaces a rule names (so a DENY on
    // `notPrincipals: ["*"]` refuses it); with mTLS an identity left undefined is unknown.
    const any = (list: readonly string[] | undefined, v: string | undefined) => list === undefined || (v === undefined ? req.mtls && unknown : list.some((x) => matchesOne(x, v)));
    const none = (list: readonly string[] | undefined, v: string | undefined) => list === undefined || (v === undefined ? !req.mtls || unknown : !list.some((x) => matchesOne(x, v)));
    // `null`: known to be absent (a request without a token), which no pattern matches, not even `*`.
    const anyOp = (list: readonly string[] | undefined, v: string | null | undefined) => list === undefined || (v === undefined ? unknown : v !== null && list.some((x) => matchesOne(x, v)));
    const noneOp = (list: readonly string[] | undefined, v: string | null | undefined) => list === undefined || (v === undefined ? unknown : v === null || !list.some((x) => matchesOne(x, v)));
    const fromOk = (rule.from ?? [{ source: {} }]).some(({ source: s = {} }: any) => {
        for (const k of Object.keys(s)) if (!SOURCE_FIELDS.includes(k)) throw new NotModelled(`the source field ${k}`);
        const p = req.mtls ? req.principal : undefined;
        const ns = req.mtls ? req.namespace : undefined;
        return any(s.principals, p) && none(s.notPrincipals, p) && any(s.namespaces, ns) && none(s.notNamespaces, ns) && anyOp(s.requestPrincipals, req.requestPrincipal) && noneOp(s.notRequestPrincipals, req.requestPrincipal);
    });
    const toOk = (rule.to ?? [{ operation: {} }]).some(({ operation: o = {} }: any) => {
        for (const k of Object.keys(o)) if (!OPERATION_FIELDS.includes(k)) throw new NotModelled(`the operation field ${k}`);
        const path = req.path?.split("?")[0];
        return anyOp(o.methods, req.method) && noneOp(o.notMethods, req.method) && anyOp(o.paths, path) && noneOp(o.notPaths, path) && anyOp(o.ports, req.port === undefined ? undefined : String(req.port));
    });
    return fromOk && toOk;
}

/**
 * The AuthorizationPolicy that refuses a request to a workload (DENY first; then, where ALLOW policies
 * apply, one of their rules must match), or undefined when the workload's proxy admits it.
 */
export function authorizationRefusal(objects: readonly any[], to: Pod, req: AuthzRequest, rootNamespace = "istio-system"): string | undefined {
    // A policy attached by targetRefs is a gateway's or a waypoint's, never a workload's (Istio's AuthorizationPolicy reference).
    const applying = objects.filter(
        (o) =>
            o.kind === "AuthorizationPolicy" &&
            !o.spec?.targetRefs &&
            !o.spec?.targetRef &&
            (o.metadata?.namespace === to.namespace || o.metadata?.namespace === rootNamespace) &&
            selectorMatches(o.spec?.selector, to.labels),
    );
    return policiesRefusal(applying, req);
}

/** Which of the policies that apply to a request refuses it (DENY first; then, where ALLOW policies apply, one of their rules must match), or undefined. */
export function policiesRefusal(applying: readonly any[], req: AuthzRequest): string | undefined {
    if (applying.some((o) => o.spec?.action === "CUSTOM" || o.spec?.action === "AUDIT")) throw new NotModelled("a CUSTOM or AUDIT AuthorizationPolicy");
    const name = (o: any) => `AuthorizationPolicy ${o.metadata.namespace}/${o.metadata.name}`;
    const who = req.mtls ? (req.principal ?? "an unknown identity") : "a caller without mTLS";
    const denying = applying.filter((o) => o.spec?.action === "DENY" && (o.spec?.rules ?? []).some((r: any) => ruleMatches(r, req, "DENY")));
    if (denying.length > 0) return `${name(denying[0])} denies ${who}`;
    const allows = applying.filter((o) => (o.spec?.action ?? "ALLOW") === "ALLOW");
    if (allows.length > 0 && !allows.some((o) => (o.spec?.rules ?? []).some((r: any) => ruleMatches(r, req, "ALLOW")))) {
        return `${allows.map(name).join(", ")} allows no request from ${who}`;
    }
    return undefined;
}

/** The AuthorizationPolicy that refuses every request of a pod's mTLS identity to another, or undefined when some request is admitted. */
export function meshRefusal(objects: readonly any[], from: Pod, to: Pod, rootNamespace = "istio-system"): string | undefined {
    return authorizationRefusal(objects, to, { mtls: true, principal: principal(from), namespace: from.namespace }, rootNamespace);
}
