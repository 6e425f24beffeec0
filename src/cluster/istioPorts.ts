/**
 * Security-group rules that Istio needs on EKS, as data.
 *
 * Pure: no resources here. `src/cluster/workshopCluster.ts` renders each rule as one
 * `aws.vpc.SecurityGroupIngressRule` into the node security group. Sources are
 * security groups, never CIDRs, so no rule can open an Istio port to the internet.
 */

/** Which security group a rule admits traffic from. */
export type RuleSource = "cluster" | "nodes";

export interface PortRule {
    /** Stable id: part of the Pulumi resource name, so never rename it (that replaces the rule). */
    readonly id: string;
    readonly port: number;
    readonly protocol: "tcp" | "udp";
    /** `cluster`: the EKS control plane's security group; `nodes`: the node security group itself. */
    readonly from: RuleSource;
    /** Who talks to whom and why; becomes the rule's AWS description. */
    readonly description: string;
}

/**
 * The EKS control plane reaches istiod's webhooks on 15017; proxies reach istiod's
 * xDS/CA port 15012. Node-to-node traffic is already open inside the node security
 * group, so only sources outside it need a rule.
 */
export const ISTIO_PORT_RULES: readonly PortRule[] = [
    {
        id: "webhook",
        port: 15017,
        protocol: "tcp",
        from: "cluster",
        description: "EKS API server to istiod 15017: sidecar-injector and config-validation webhooks",
    },
    {
        id: "xds",
        port: 15012,
        protocol: "tcp",
        from: "cluster",
        description: "Cluster security group to istiod 15012: xDS configuration and workload certificates (mTLS)",
    },
];

/** AWS limits a security-group rule description to 255 characters from a restricted set. */
const AWS_DESCRIPTION = /^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]{1,255}$/;

/** Checks a rule table: ports in range, ids and (port, protocol, source) unique, descriptions AWS accepts. */
export function checkPortRules(rules: readonly PortRule[]): string[] {
    const problems: string[] = [];
    const ids = new Set<string>();
    const keys = new Set<string>();
    for (const r of rules) {
        if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535) problems.push(`${r.id}: port ${r.port} is not from 1 to 65535`);
        if (!/^[a-z0-9-]+$/.test(r.id)) problems.push(`${r.id}: id must be lowercase letters, digits and '-'`);
        if (ids.has(r.id)) problems.push(`${r.id}: duplicate id`);
        const key = `${r.port}/${r.protocol} from ${r.from}`;
        if (keys.has(key)) problems.push(`${r.id}: duplicate rule ${key}`);
        if (!AWS_DESCRIPTION.test(r.description)) problems.push(`${r.id}: description is empty, too long or has characters AWS rejects`);
        ids.add(r.id);
        keys.add(key);
    }
    return problems;
}

export interface IngressRuleSpec<T> {
    readonly name: string;
    readonly securityGroupId: T;
    readonly referencedSecurityGroupId: T;
    readonly ipProtocol: string;
    readonly fromPort: number;
    readonly toPort: number;
    readonly description: string;
}

/** Turns the table into ingress-rule arguments for the node security group. */
export function ingressRuleSpecs<T>(
    prefix: string,
    rules: readonly PortRule[],
    groups: { readonly cluster: T; readonly nodes: T },
): IngressRuleSpec<T>[] {
    const problems = checkPortRules(rules);
    if (problems.length > 0) throw new Error(`Invalid Istio port rules:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
    return rules.map((r) => ({
        name: `${prefix}-${r.id}`,
        securityGroupId: groups.nodes,
        referencedSecurityGroupId: groups[r.from],
        ipProtocol: r.protocol,
        fromPort: r.port,
        toPort: r.port,
        description: r.description,
    }));
}
