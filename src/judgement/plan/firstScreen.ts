/**
 * The plan's first screen (`npm run plan` without `--verbose`): what the stack creates counted by component and by
 * namespace rather than listed (namespaces built alike, such as a class's, on one line), the Helm releases counted
 * by what became of them, and what was not checked grouped by why. `--verbose` prints every resource instead.
 */
import type { Plan, PlannedResource } from "./plan";

/** Kinds by count, most first: `17 Deployment, 11 Job, …` (at most `max` kinds). */
function kinds(objects: readonly { readonly kind: string }[], max = 6): string {
    const counts = new Map<string, number>();
    for (const o of objects) counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
    const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    return sorted.slice(0, max).map(([k, n]) => `${n} ${k}`).join(", ") + (sorted.length > max ? `, and ${sorted.length - max} more kinds` : "");
}

/** Names of a group: all of them when few, else the first and the last. */
const names = (list: readonly string[]) => (list.length <= 3 ? list.join(", ") : `${list[0]} … ${list[list.length - 1]} (${list.length} namespaces)`);

/** What a plan creates: its resources under each top-level component, and the Kubernetes objects of each namespace. */
export function createdSummary(plan: Plan): string[] {
    const rendered = plan.resources.filter((r) => r.renderedBy);
    const releases = new Set(rendered.map((r) => r.renderedBy)).size;
    const known = new Set(plan.resources.map((r) => r.urn));
    const children = new Map<string, PlannedResource[]>();
    for (const r of plan.resources) if (r.parent !== null && known.has(r.parent)) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
    const below = (r: PlannedResource): number => (children.get(r.urn) ?? []).reduce((n, c) => n + 1 + below(c), 0);
    const tops = plan.resources.filter((r) => r.parent === null || !known.has(r.parent));
    const lines = [`What it creates: ${plan.resources.length - rendered.length} Pulumi resources${rendered.length > 0 ? `, and ${rendered.length} Kubernetes objects its ${releases} Helm release${releases === 1 ? "" : "s"} install` : ""}:`];
    for (const t of tops.filter((x) => below(x) > 0)) lines.push(`  ${t.name} (${t.type}): ${below(t)} below it`);
    const loose = tops.filter((x) => below(x) === 0);
    if (loose.length > 0) lines.push(`  and ${loose.length} on their own (${kinds(loose.map((r) => ({ kind: r.type.split(":").pop()! })), 4)})`);
    // Kubernetes objects by namespace, namespaces with the same kinds in the same numbers on one line.
    const byNamespace = new Map<string, { kind: string }[]>();
    for (const r of plan.resources) {
        const o = r.inputs as any;
        if (typeof o?.kind === "string" && typeof o.metadata?.namespace === "string") byNamespace.set(o.metadata.namespace, [...(byNamespace.get(o.metadata.namespace) ?? []), o]);
    }
    const groups = new Map<string, string[]>();
    for (const [ns, objects] of [...byNamespace].sort((a, b) => a[0].localeCompare(b[0]))) {
        const key = kinds(objects, 100);
        groups.set(key, [...(groups.get(key) ?? []), ns]);
    }
    lines.push("Kubernetes objects by namespace (those the plan knows: a release not rendered adds its own):");
    for (const [, group] of groups) {
        const objects = byNamespace.get(group[0])!;
        lines.push(`  ${names(group)}: ${objects.length} object${objects.length === 1 ? "" : "s"}${group.length > 1 ? " each" : ""} (${kinds(objects)})`);
    }
    return lines;
}

/** What was not checked, grouped by the reason's kind (a release not rendered, a schema, an address, a manifest), each group on one line. */
export function notCheckedSummary(notChecked: readonly string[]): string[] {
    const groups = new Map<string, string[]>();
    for (const n of notChecked) {
        const kind = /^release /.test(n) ? "releases not rendered (their objects and values not checked)" : /^schema of /.test(n) ? "schemas without a CRD in the plan" : /^address /.test(n) ? "addresses in releases not rendered" : /^manifest /.test(n) ? "manifests read at deploy time" : "other";
        groups.set(kind, [...(groups.get(kind) ?? []), n]);
    }
    const what = (n: string) => n.replace(/^release (\S+) .*$/, "$1").replace(/^schema of (.+?): .*$/, "$1").replace(/^address (\S+) .*$/, "$1").replace(/^manifest (\S+): .*$/, "$1");
    const lines = [...groups].map(([kind, items]) => `  - ${items.length} ${kind}: ${items.slice(0, 4).map(what).join(", ")}${items.length > 4 ? `, and ${items.length - 4} more` : ""}`);
    const cache = notChecked.some((n) => n.includes("chart cache")) ? ["  (most need the chart cache: `npm run charts`, docs/plan.md)"] : [];
    return [...lines, ...cache];
}
