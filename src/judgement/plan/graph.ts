/**
 * The mesh of a plan as a Mermaid flowchart: per namespace, each routed service,
 * its versions and the routes between them with their weights and matches, and
 * the gateway paths into each namespace. For the docs and pull requests.
 */
import type { Plan } from "./plan";

const id = (...parts: string[]) => parts.join("_").replace(/[^A-Za-z0-9_]/g, "_");
const quote = (s: string) => `"${s.replace(/"/g, "'")}"`;

function matchText(match: any[] | undefined): string {
    const m = match?.[0];
    if (!m) return "";
    const parts: string[] = [];
    if (m.sourceLabels) parts.push(`from ${Object.entries(m.sourceLabels).map(([k, v]) => `${k}=${v}`).join(",")}`);
    if (m.headers) parts.push(`header ${Object.entries(m.headers).map(([k, v]: [string, any]) => `${k}=${v.exact ?? JSON.stringify(v)}`).join(",")}`);
    const path = m.uri?.prefix ?? (m.uri?.exact !== undefined ? `= ${m.uri.exact}` : undefined);
    if (path !== undefined) parts.push(m.sourceLabels || m.headers ? `path ${path}` : path);
    return parts.join(" ");
}

export function meshGraph(plan: Plan): string {
    const objs = plan.resources.filter((r) => r.custom && typeof (r.inputs as any).kind === "string").map((r) => r.inputs as any);
    const vss = objs.filter((o) => o.kind === "VirtualService");
    const drs = objs.filter((o) => o.kind === "DestinationRule");
    const namespaces = [...new Set([...vss, ...drs].map((o) => o.metadata.namespace as string))].sort();
    const lines = ["flowchart LR", `  gateway[["ingress gateway"]]`];
    const edges: string[] = [];
    for (const ns of namespaces) {
        lines.push(`  subgraph ${id("ns", ns)}[${quote(ns)}]`);
        const nodes = new Set<string>();
        const node = (name: string, text: string, shape: "service" | "version") => {
            const n = id(ns, name);
            if (!nodes.has(n)) {
                nodes.add(n);
                lines.push(shape === "service" ? `    ${n}([${quote(text)}])` : `    ${n}[${quote(text)}]`);
            }
            return n;
        };
        const subsetsOf = new Map<string, string[]>();
        for (const dr of drs.filter((d) => d.metadata.namespace === ns)) {
            const host = String(dr.spec.host).split(".")[0];
            node(host, host, "service");
            subsetsOf.set(host, (dr.spec.subsets ?? []).map((s: any) => s.name));
            for (const s of dr.spec.subsets ?? []) node(`${host}_${s.name}`, `${host} ${s.name}`, "version");
        }
        for (const vs of vss.filter((v) => v.metadata.namespace === ns)) {
            const fromGateway = (vs.spec.gateways ?? []).length > 0;
            (vs.spec.http ?? []).forEach((h: any) => {
                const cond = matchText(h.match);
                const vsHost = String(vs.spec.hosts[0]).split(".")[0];
                const from = fromGateway ? "gateway" : node(vsHost, vsHost, "service");
                for (const r of h.route ?? []) {
                    const host = String(r.destination.host).split(".")[0];
                    const versions = subsetsOf.get(host) ?? [];
                    if (!r.destination.subset && !fromGateway && versions.length > 0) {
                        // No subset: the service's pods share the requests.
                        for (const v of versions) edges.push(`  ${from} -- ${quote(`${cond || "everyone else"}: shared`)} --> ${node(`${host}_${v}`, `${host} ${v}`, "version")}`);
                        continue;
                    }
                    const target = r.destination.subset ? node(`${host}_${r.destination.subset}`, `${host} ${r.destination.subset}`, "version") : node(host, host, "service");
                    const weight = r.weight !== undefined ? `${r.weight}%` : "";
                    edges.push(`  ${from} -- ${quote([cond, weight].filter((t) => t !== "").join(": ") || "all")} --> ${target}`);
                }
            });
        }
        lines.push("  end");
    }
    return [...lines, ...edges].join("\n") + "\n";
}
