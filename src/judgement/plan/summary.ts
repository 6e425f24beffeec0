/**
 * The human-readable side of a plan: resources as a tree under their components,
 * a count by type, and the stack outputs (secrets already masked by the recorder).
 */
import type { Plan, PlannedResource } from "./plan";

export function formatPlan(plan: Plan, warnings: readonly string[] = [], capacity: readonly string[] = []): string {
    const lines: string[] = [];
    lines.push(`Offline plan for ${plan.project} / ${plan.stack} (Pulumi mock runtime: no cloud, no CLI, no network)`);
    lines.push("Values only the cloud knows are shown as [unknown]; secrets as [secret].");
    lines.push("");
    const rendered = plan.resources.filter((r) => r.renderedBy);
    const releases = new Set(rendered.map((r) => r.renderedBy));
    lines.push(
        `Resources (${plan.resources.length - rendered.length} Pulumi resources${rendered.length > 0 ? `, and ${rendered.length} Kubernetes objects their ${releases.size} Helm release${releases.size === 1 ? "" : "s"} install, listed under their release` : ""}):`,
    );
    const children = new Map<string | null, PlannedResource[]>();
    const known = new Set(plan.resources.map((r) => r.urn));
    for (const r of plan.resources) {
        const key = r.parent !== null && known.has(r.parent) ? r.parent : null;
        children.set(key, [...(children.get(key) ?? []), r]);
    }
    const walk = (parent: string | null, depth: number) => {
        for (const r of children.get(parent) ?? []) {
            lines.push(`${"  ".repeat(depth + 1)}${r.name}  (${r.type})`);
            walk(r.urn, depth + 1);
        }
    };
    walk(null, 0);

    lines.push("");
    const byType = (title: string, rs: readonly PlannedResource[]) => {
        if (rs.length === 0) return;
        lines.push(title);
        const counts = new Map<string, number>();
        for (const r of rs) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
        for (const [type, n] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) lines.push(`  ${String(n).padStart(4)}  ${type}`);
    };
    byType("By type:", plan.resources.filter((r) => !r.renderedBy));
    byType("Installed by the Helm releases, by type:", rendered);

    if (capacity.length > 0) {
        lines.push("");
        lines.push("Capacity and cost (estimate):");
        capacity.forEach((c) => lines.push(`  ${c}`));
    }

    lines.push("");
    lines.push("Outputs:");
    for (const [key, value] of Object.entries(plan.outputs)) {
        if (key === "capacity") continue; // shown above
        const nonEmpty = typeof value === "object" && value !== null && Object.keys(value).length > 0;
        if (nonEmpty && Array.isArray(value) && value.every((v) => typeof v === "string")) {
            lines.push(`  ${key}:`);
            value.forEach((v) => lines.push(`    ${v}`));
        } else if (nonEmpty && Object.values(value as object).every((v) => typeof v === "string")) {
            lines.push(`  ${key}:`);
            Object.entries(value).forEach(([k, v]) => lines.push(`    ${k}: ${v}`));
        } else {
            lines.push(`  ${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
        }
    }
    if (warnings.length > 0) {
        lines.push("");
        lines.push("Warnings:");
        warnings.forEach((w) => lines.push(`  ! ${w}`));
    }
    return lines.join("\n");
}

/**
 * The classroom's security controls as the plan holds them, one line each:
 * what the Pod Security labels, the CNI release, the admission policies, the
 * Sidecars, NetworkPolicies, AuthorizationPolicies and routes amount to.
 */
export function securityControls(plan: Plan): string[] {
    const objects = plan.resources.map((r) => r.inputs as any).filter((o) => typeof o?.kind === "string");
    const of = (kind: string) => objects.filter((o) => o.kind === kind);
    const restricted = of("Namespace").filter((o) => o.metadata?.labels?.["pod-security.kubernetes.io/enforce"] === "restricted");
    const versions = [...new Set(restricted.map((o) => o.metadata.labels["pod-security.kubernetes.io/enforce-version"]))].join(", ");
    const cni = plan.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any).chart === "cni");
    const policies = of("ValidatingAdmissionPolicy").map((o) => o.metadata.name);
    const bindings = of("ValidatingAdmissionPolicyBinding");
    const selectors = [...new Set(bindings.map((b) => Object.entries(b.spec?.matchResources?.namespaceSelector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(",")))];
    const virtualServices = of("VirtualService");
    const roots = virtualServices.filter((v) => (v.spec?.http ?? []).some((h: any) => h.delegate));
    const delegates = virtualServices.filter((v) => (v.spec?.hosts ?? []).length === 0);
    const count = (kind: string) => {
        const byName = new Map<string, number>();
        for (const o of of(kind)) byName.set(`${o.metadata.name}`, (byName.get(o.metadata.name) ?? 0) + 1);
        return [...byName].map(([name, n]) => `${n} × ${name}`).join(", ") || "none";
    };
    const c = (inputs: any) => `${inputs.namespace}/${inputs.name} (chart ${inputs.chart} ${inputs.version})`;
    return [
        "Security controls:",
        `  Pod Security restricted (${versions || "-"}): ${restricted.length} namespace${restricted.length === 1 ? "" : "s"}`,
        `  Istio CNI plugin: ${cni ? c(cni.inputs) : "none"}`,
        `  Admission policies: ${policies.join(", ") || "none"}${bindings.length > 0 ? `; ${bindings.length} bindings to namespaces labelled ${selectors.join(" / ")}` : ""}`,
        `  Sidecars: ${count("Sidecar")}`,
        `  NetworkPolicies: ${count("NetworkPolicy")}`,
        `  AuthorizationPolicies: ${count("AuthorizationPolicy")}`,
        `  Gateway routes: ${roots.length} platform root route${roots.length === 1 ? "" : "s"} handing over to ${delegates.length} delegate VirtualService${delegates.length === 1 ? "" : "s"}`,
    ];
}
