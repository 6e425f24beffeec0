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

/** An HTTPRoute match as the graph labels it (the first match: path, headers). */
function apiMatchText(matches: any[] | undefined): string {
    const m = matches?.[0];
    if (!m) return "";
    const headers = (m.headers ?? []).map((h: any) => `${h.name}=${h.value}`).join(",");
    const path = m.path ? (m.path.type === "Exact" ? `= ${m.path.value}` : m.path.value) : undefined;
    return [headers ? `header ${headers}` : "", path !== undefined ? (headers ? `path ${path}` : path) : ""].filter((t) => t !== "").join(" ");
}

export function meshGraph(plan: Plan): string {
    const objs = plan.resources.filter((r) => r.custom && typeof (r.inputs as any).kind === "string").map((r) => r.inputs as any);
    const vss = objs.filter((o) => o.kind === "VirtualService");
    const drs = objs.filter((o) => o.kind === "DestinationRule");
    const routes = objs.filter((o) => o.kind === "HTTPRoute");
    // The platform's root routes (in the gateway's namespace) only hand over: their delegates are drawn in their own namespaces.
    const namespaces = [...new Set([...vss.filter((v) => !(v.spec.http ?? []).every((h: any) => h.delegate)), ...drs, ...routes].map((o) => o.metadata.namespace as string))].sort();
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
        for (const vs of vss.filter((v) => v.metadata.namespace === ns && !(v.spec.http ?? []).every((h: any) => h.delegate))) {
            // Bound to a gateway, or a delegate (no hosts: a root route of the gateway's hands over to it).
            const fromGateway = (vs.spec.gateways ?? []).length > 0 || (vs.spec.hosts ?? []).length === 0;
            (vs.spec.http ?? []).forEach((h: any) => {
                const cond = matchText(h.match);
                const vsHost = String(vs.spec.hosts?.[0] ?? "gateway").split(".")[0];
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
        // The Gateway API's: routes on the shared Gateway, and (ambient) routes of a Service its waypoint carries out.
        for (const r of routes.filter((x) => x.metadata.namespace === ns)) {
            const parent = (r.spec.parentRefs ?? [])[0] ?? {};
            const from = parent.kind === "Service" ? node(parent.name, parent.name, "service") : "gateway";
            for (const rule of r.spec.rules ?? []) {
                const cond = apiMatchText(rule.matches);
                const backends = rule.backendRefs ?? [];
                for (const b of backends) {
                    const weight = backends.length > 1 || b.weight !== undefined ? `${b.weight ?? 1}${backends.some((x: any) => x.weight !== undefined) ? "%" : ""}` : "";
                    edges.push(`  ${from} -- ${quote([cond, weight].filter((t) => t !== "").join(": ") || "all")} --> ${node(b.name, b.name, "service")}`);
                }
            }
        }
        lines.push("  end");
    }
    return [...lines, ...edges].join("\n") + "\n";
}
