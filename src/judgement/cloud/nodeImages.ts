/**
 * Which ECR images the nodes' IAM role lets the kubelet pull: any pod of any
 * attendee names an image, and the kubelet pulls it with the node's
 * credentials. Judged over the plan's node role: its inline policies
 * (statements evaluated as IAM does: an explicit Deny wins, then any Allow
 * whose Action and Resource, or NotResource, match, `*` and `?` as wildcards)
 * and its AWS-managed attachments (their ECR statements, as AWS publishes the
 * documents; a managed policy not listed here counts as granting, so an
 * unknown one is never taken for a refusal).
 *
 * Pure: the plan in, the statement that grants (or nothing) out.
 */
import type { Plan } from "../plan/plan";

interface Statement {
    readonly Effect: "Allow" | "Deny";
    readonly Action: string | readonly string[];
    readonly Resource?: string | readonly string[];
    readonly NotResource?: string | readonly string[];
    readonly Sid?: string;
}

const READ_ONLY_ECR = ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy", "ecr:DescribeRepositories", "ecr:ListImages", "ecr:DescribeImages", "ecr:BatchGetImage"];

/** The ECR statements of the AWS-managed policies a node role may carry (none: the policy grants nothing in ECR). */
const MANAGED: Readonly<Record<string, readonly Statement[]>> = {
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy": [],
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy": [],
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly": [{ Effect: "Allow", Action: READ_ONLY_ECR, Resource: "*" }],
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly": [{ Effect: "Allow", Action: ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage"], Resource: "*" }],
};

const list = (x: string | readonly string[] | undefined): readonly string[] => (x === undefined ? [] : typeof x === "string" ? [x] : x);
const glob = (pattern: string, value: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`).test(value);

function matches(s: Statement, action: string, resource: string): boolean {
    if (!list(s.Action).some((a) => glob(a, action))) return false;
    if (s.Resource !== undefined) return list(s.Resource).some((r) => glob(r, resource));
    if (s.NotResource !== undefined) return !list(s.NotResource).some((r) => glob(r, resource));
    return false;
}

/** The node role's statements, by where they come from; managed policies not modelled, by ARN. */
export function nodeRoleStatements(plan: Plan): { readonly statements: readonly { from: string; s: Statement }[]; readonly unmodelled: readonly string[]; readonly found: boolean } {
    const role = plan.resources.find((r) => r.type === "aws:iam/role:Role" && r.name.endsWith("-node-role"));
    if (!role) return { statements: [], unmodelled: [], found: false };
    const prefix = role.name.slice(0, -"-node-role".length);
    const mine = plan.resources.filter((r) => r.name.startsWith(`${prefix}-node-`));
    const statements: { from: string; s: Statement }[] = [];
    const unmodelled: string[] = [];
    for (const r of mine) {
        const i = r.inputs as any;
        if (r.type === "aws:iam/rolePolicy:RolePolicy") for (const s of list(JSON.parse(i.policy).Statement) as unknown as Statement[]) statements.push({ from: r.name, s });
        if (r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
            if (MANAGED[i.policyArn] === undefined) unmodelled.push(i.policyArn);
            for (const s of MANAGED[i.policyArn] ?? []) statements.push({ from: i.policyArn, s });
        }
    }
    return { statements, unmodelled, found: true };
}

/** The account the node role's own policies name for ECR repositories (the plan's stand-in for it under preview). */
export function accountOf(plan: Plan): string | undefined {
    for (const { s } of nodeRoleStatements(plan).statements) {
        for (const arn of [...list(s.Resource), ...list(s.NotResource)]) {
            const m = /^arn:aws:ecr:[^:]*:([^:]+):repository\//.exec(arn);
            if (m) return m[1];
        }
    }
    return undefined;
}

/**
 * Whether the nodes may pull `repository` of `account` in `region` (`ecr:BatchGetImage`): the policy that grants
 * it, or undefined when nothing does (or a Deny refuses it).
 */
export function imagePullGrant(plan: Plan, region: string, account: string, repository: string): string | undefined {
    const { statements, unmodelled } = nodeRoleStatements(plan);
    const arn = `arn:aws:ecr:${region}:${account}:repository/${repository}`;
    if (statements.some(({ s }) => s.Effect === "Deny" && matches(s, "ecr:BatchGetImage", arn))) return undefined;
    const allow = statements.find(({ s }) => s.Effect === "Allow" && matches(s, "ecr:BatchGetImage", arn));
    if (allow) return `${allow.from}${allow.s.Sid ? ` (${allow.s.Sid})` : ""}`;
    return unmodelled.length > 0 ? `${unmodelled.join(", ")} (not modelled: taken as granting)` : undefined;
}
