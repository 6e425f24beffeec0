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

function ruleMatches(rule: any, from: Pod): boolean {
    return (rule.from ?? [{}]).some((f: any) => {
        const s = f.source ?? {};
        const { namespaces, principals, notNamespaces, notPrincipals } = s as Record<string, string[] | undefined>;
        return (
            (!namespaces || namespaces.includes(from.namespace)) &&
            (!principals || principals.includes(principal(from)) || principals.includes("*")) &&
            (!notNamespaces || !notNamespaces.includes(from.namespace)) &&
            (!notPrincipals || !notPrincipals.includes(principal(from)))
        );
    });
}

/** The AuthorizationPolicy that refuses a request on its mTLS identity, or undefined when the mesh admits it. */
export function meshRefusal(objects: readonly any[], from: Pod, to: Pod, rootNamespace = "istio-system"): string | undefined {
    const applying = objects.filter(
        (o) => o.kind === "AuthorizationPolicy" && (o.metadata?.namespace === to.namespace || o.metadata?.namespace === rootNamespace) && selectorMatches(o.spec?.selector, to.labels),
    );
    const name = (o: any) => `AuthorizationPolicy ${o.metadata.namespace}/${o.metadata.name}`;
    const denying = applying.filter((o) => o.spec?.action === "DENY" && (o.spec?.rules ?? []).some((r: any) => ruleMatches(r, from)));
    if (denying.length > 0) return `${name(denying[0])} denies ${principal(from)}`;
    const allows = applying.filter((o) => (o.spec?.action ?? "ALLOW") === "ALLOW");
    if (allows.length > 0 && !allows.some((o) => (o.spec?.rules ?? []).some((r: any) => ruleMatches(r, from)))) {
        return `${allows.map(name).join(", ")} allows no request from ${principal(from)}`;
    }
    return undefined;
}
