/**
 * Checks over the whole scenario set, before anything is registered, in the
 * spirit of `istioctl analyze`. Each finding names the check (the matching
 * `istioctl analyze` code where one exists), the object or config key, and
 * what is wrong.
 */
import * as pulumi from "@pulumi/pulumi";
import { GATEWAY_HOST, selects, type RoutingDef, type ScenarioDef, type WorkloadDef } from "./model";

export const CHECKS = {
    weights: "WeightsNot100",
    missingReference: "IST0101 ReferencedResourceNotFound",
    portName: "IST0118 PortNameIsNotUnderNamingConvention",
    gatewayHost: "IST0132 VirtualServiceHostNotFoundInGateway",
    subsetNoPods: "SubsetSelectsNoPods",
    serviceNoPods: "ServiceSelectsNoPods",
} as const;

/** Istio's protocol selection by port name: `<protocol>[-<suffix>]`. */
export const PORT_NAME = /^(http|http2|https|grpc|grpc-web|tcp|tls|udp|mongo|mysql|redis)(-[a-z0-9-]*)?$/;

/** Mesh checks that failed: Pulumi prints the message without a stack trace; nothing was registered. */
export class MeshCheckError extends pulumi.RunError {
    constructor(readonly findings: readonly string[]) {
        super(`Mesh checks failed (as istioctl analyze would), nothing was registered:\n${findings.map((f) => ` - ${f}`).join("\n")}`);
        this.name = "MeshCheckError";
    }
}

const running = (workloads: readonly WorkloadDef[]) => workloads.filter((w) => w.replicas > 0);

/** Does a gateway server host (`*`, `*.example.com`, `a.example.com`) serve this VirtualService host? */
export function hostServed(vsHost: string, serverHosts: readonly string[]): boolean {
    const bare = (h: string) => h.replace(/^[^/]*\//, ""); // servers may be written `namespace/host`
    return serverHosts.map(bare).some((s) => s === "*" || s === vsHost || (s.startsWith("*.") && vsHost.endsWith(s.slice(1))));
}

function ruleKey(r: RoutingDef, i: number): string {
    return `${r.origin}[${i}]`;
}

/** Every finding for the scenarios, given the hosts the shared Gateway serves and the hosts gateway routes use. */
export function analyzeScenarios(
    scenarios: readonly ScenarioDef[],
    gateway: { readonly serverHosts: readonly string[]; readonly routeHosts: readonly string[] },
): string[] {
    const findings: string[] = [];
    for (const s of scenarios) {
        const why = s.stages?.find((x) => x.name === s.stage)?.cannotWork?.(s);
        if (why !== undefined) findings.push(`StageCannotWork: ${s.name} at stage ${s.stage} ${why}`);
        // Policies are enforced by sidecars: a stage that runs without them would pass every caller.
        const enforced = (s.policies ?? []).filter((p) => p.kind === "AuthorizationPolicy" || p.kind === "PeerAuthentication" || p.kind === "OutboundPolicy");
        if (s.withoutSidecars && enforced.length > 0) {
            findings.push(`StageCannotWork: ${s.name} at stage ${s.stage} runs its workloads without sidecars, so nothing enforces its ${enforced.map((p) => `${p.kind} ${p.name}`).join(", ")}`);
        }
        const services = new Map(s.services.map((svc) => [svc.name, svc]));
        const pods = running(s.workloads);

        for (const svc of s.services) {
            for (const p of svc.ports) {
                if (!PORT_NAME.test(p.name)) {
                    findings.push(
                        `${CHECKS.portName}: Service ${s.name}/${svc.name} port ${p.port} is named "${p.name}"; name it <protocol>[-suffix] with protocol http, http2, https, grpc, grpc-web, tcp, tls, udp, mongo, mysql or redis`,
                    );
                }
            }
            if (!s.workloads.some((w) => selects(svc.selector, w.labels))) {
                findings.push(`${CHECKS.serviceNoPods}: Service ${s.name}/${svc.name} selects ${JSON.stringify(svc.selector)}, which no Deployment's pods carry`);
            }
        }

        for (const [host, subsets] of Object.entries(s.subsets)) {
            const svc = services.get(host);
            if (!svc) {
                findings.push(`${CHECKS.missingReference}: DestinationRule ${s.name}/${host} is for host "${host}", which is not a Service of the scenario`);
                continue;
            }
            for (const [subset, labels] of Object.entries(subsets)) {
                if (!pods.some((w) => selects({ ...svc.selector, ...labels }, w.labels))) {
                    findings.push(`${CHECKS.subsetNoPods}: subset "${subset}" of ${s.name}/${host} selects ${JSON.stringify(labels)}, which no running Deployment's pods carry`);
                }
            }
        }

        for (const r of s.routing) {
            const isGateway = r.host === GATEWAY_HOST;
            if (!isGateway && !services.has(r.host)) {
                findings.push(`${CHECKS.missingReference}: ${r.origin}: host "${r.host}" is not a Service of the scenario (services: ${[...services.keys()].join(", ")})`);
                continue;
            }
            r.rules.forEach((rule, i) => {
                const key = ruleKey(r, i);
                // A redirect answers the client itself: it sends no request anywhere.
                if (rule.redirect) return;
                const dest = rule.to ?? (isGateway ? undefined : r.host);
                if (dest === undefined) {
                    findings.push(`${CHECKS.missingReference}: ${key}: a gateway route needs "to": the Service it sends requests to`);
                    return;
                }
                if (!services.has(dest)) {
                    findings.push(`${CHECKS.missingReference}: ${key}: destination Service "${dest}" is not a Service of the scenario (services: ${[...services.keys()].join(", ")})`);
                    return;
                }
                if (rule.weights === undefined) return;
                const entries = Object.entries(rule.weights);
                const total = entries.reduce((sum, [, w]) => sum + w, 0);
                if (total !== 100) {
                    findings.push(`${CHECKS.weights}: ${key}: weights must add up to 100, got ${entries.map(([k, w]) => `${k}=${w}`).join(" + ")} = ${total}`);
                }
                const defined = Object.keys(s.subsets[dest] ?? {});
                for (const [subset] of entries) {
                    if (!defined.includes(subset)) {
                        findings.push(
                            `${CHECKS.missingReference}: ${key}: subset "${subset}" of host ${dest} is not defined by a DestinationRule (defined: ${defined.join(", ") || "none"}); Istio would answer 503`,
                        );
                    }
                }
            });
        }
    }
    for (const h of gateway.routeHosts) {
        if (!hostServed(h, gateway.serverHosts)) {
            findings.push(`${CHECKS.gatewayHost}: host "${h}" of a gateway route is not served by the Gateway (it serves ${gateway.serverHosts.join(", ")})`);
        }
    }
    return findings;
}
