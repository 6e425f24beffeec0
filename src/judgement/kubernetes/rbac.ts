/**
 * A static `kubectl auth can-i` over a set of RBAC objects: Roles,
 * ClusterRoles, RoleBindings and ClusterRoleBindings, with the API server's
 * matching rules (verbs, API groups, resources and subresources, resource
 * names, `*`). RBAC only adds permissions, so what no rule grants is refused.
 * Kubernetes' own default bindings (discovery, self-reviews for every
 * authenticated user) grant nothing namespaced and are not modelled.
 *
 * Pure: the objects and a question in, the granting rules out.
 */

export interface Subject {
    readonly kind: "ServiceAccount" | "User" | "Group";
    readonly name: string;
    readonly namespace?: string;
}

export interface Question {
    readonly verb: string;
    readonly group: string;
    /** `pods`, or `pods/exec` for a subresource. */
    readonly resource: string;
    /** The namespace acted in (undefined: cluster-scoped). */
    readonly namespace?: string;
    readonly name?: string;
}

const has = (list: readonly string[] | undefined, x: string) => (list ?? []).includes("*") || (list ?? []).includes(x);

function ruleAllows(rule: any, q: Question): boolean {
    if (!has(rule.verbs, q.verb) || !has(rule.apiGroups, q.group)) return false;
    const [base, sub] = q.resource.split("/");
    const resources: string[] = rule.resources ?? [];
    // `pods` grants no subresource; `pods/*` every subresource of pods, `*/scale` the scale of anything.
    const resourceOk = resources.includes("*") || resources.includes(q.resource) || (sub !== undefined && (resources.includes(`${base}/*`) || resources.includes(`*/${sub}`)));
    if (!resourceOk) return false;
    const names: string[] = rule.resourceNames ?? [];
    return names.length === 0 || (q.name !== undefined && names.includes(q.name));
}

function bindsSubject(binding: any, s: Subject): boolean {
    return (binding.subjects ?? []).some((x: any) => {
        if (x.kind !== s.kind || x.name !== s.name) return false;
        return s.kind !== "ServiceAccount" || x.namespace === s.namespace;
    });
}

export interface Grant {
    readonly binding: string;
    readonly role: string;
}

/** The bindings (and roles) that let the subject do what the question asks; empty: refused. */
export function grants(objects: readonly any[], s: Subject, q: Question): Grant[] {
    const ofKind = (k: string) => objects.filter((o) => o.kind === k);
    const role = (ref: any, namespace: string | undefined) =>
        ref.kind === "ClusterRole"
            ? ofKind("ClusterRole").find((r) => r.metadata?.name === ref.name)
            : ofKind("Role").find((r) => r.metadata?.name === ref.name && r.metadata?.namespace === namespace);
    const out: Grant[] = [];
    const check = (b: any, scope: string | undefined) => {
        if (!bindsSubject(b, s)) return;
        const r = role(b.roleRef ?? {}, scope);
        if (r && (r.rules ?? []).some((rule: any) => ruleAllows(rule, q))) out.push({ binding: `${b.kind} ${scope ? `${scope}/` : ""}${b.metadata?.name}`, role: `${r.kind} ${r.metadata?.name}` });
    };
    for (const b of ofKind("ClusterRoleBinding")) check(b, undefined);
    if (q.namespace !== undefined) for (const b of ofKind("RoleBinding").filter((x) => x.metadata?.namespace === q.namespace)) check(b, q.namespace);
    return out;
}

export const can = (objects: readonly any[], s: Subject, q: Question) => grants(objects, s, q).length > 0;
