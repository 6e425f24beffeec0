/**
 * The attack suite's judges beyond the API server's layers, each over the
 * plan: what the platform's shared parts let an attendee do (Prometheus's
 * scrape jobs, cluster DNS names, the nodes' IAM role), and what istiod makes
 * of an admitted object (a pod labelled like a gateway; a delegate route).
 * Istio's semantics as its sources and documentation state them; each
 * judge's escape is shown by a test over a plan that lacks the control.
 */
import { isGatewayApi } from "../../model/gatewayApiObjects";
import { addressedServices } from "../dataplane/gatewayApi";
import { ATTENDEE_NAMESPACE_LABEL } from "../../model/platform";
import { namesDomain } from "../../settings/classroom";
import { accountOf, imagePullGrant, nodeRoleStatements } from "../cloud/nodeImages";
import { istiodEnvOf, uriWithin } from "../checks/meshVisibility";
import type { PlanObject } from "../checks/clusterChecks";
import type { Plan } from "../plan/plan";
import type { Attempt, Verdict } from "./attacks";
import { jobsScraping, scrapeAllowing } from "./prometheusTargets";

/** The attendee namespaces of a plan, by the attendee label, in order. */
export function attendeeNamespaces(planned: readonly PlanObject[]): string[] {
    return planned
        .map(({ o }) => o)
        .filter((o) => o.kind === "Namespace" && o.metadata?.labels?.[ATTENDEE_NAMESPACE_LABEL] === "true")
        .map((o) => String(o.metadata.name));
}

/** The stack's AWS region (its AWS provider's), for the ARNs the node role's policies name. */
function awsRegion(plan: Plan): string {
    const provider = plan.resources.find((r) => r.type === "pulumi:providers:aws");
    return String((provider?.inputs as any)?.region ?? "us-east-1");
}

/** An attempt that is no request to the API server nor a connection: a scrape, a DNS name, an image pull. */
export type PlatformAttempt = Extract<Attempt, { readonly scrape: unknown } | { readonly claimHost: unknown } | { readonly pullImage: unknown }>;

export function isPlatformAttempt(attempt: Attempt): attempt is PlatformAttempt {
    return "scrape" in attempt || "claimHost" in attempt || "pullImage" in attempt;
}

/** The verdict on a platform attempt, judged over the plan's Prometheus, attendee namespaces and node role. */
export function platformVerdict(plan: Plan, own: string, planned: readonly PlanObject[], attempt: PlatformAttempt): Verdict {
    if ("scrape" in attempt) {
        if (jobsScraping(plan, own).length === 0) return { layer: "Prometheus", reason: "no scrape job of the plan's Prometheus takes a pod of the namespace" };
        const job = scrapeAllowing(plan, own, attempt.scrape);
        const how = { labels: "honor_labels: true (the target's labels win)", redirect: "follow_redirects on (Prometheus's default)", series: "no sample_limit" }[attempt.scrape];
        return job ? { layer: "admitted", reason: `job ${job.job_name} scrapes the namespace's pods with ${how}` } : { layer: "Prometheus", reason: `every job that scrapes the namespace's pods bounds it (${jobsScraping(plan, own).map((j) => j.job_name).join(", ")})` };
    }
    if ("claimHost" in attempt) {
        // Every attendee namespace the plan holds: one named like a top-level domain would answer `<host>.<tld>`.
        const claimed = attendeeNamespaces(planned).filter(namesDomain);
        return claimed.length > 0
            ? { layer: "admitted", reason: `namespace ${claimed[0]} is named like a top-level domain: its Service ${attempt.claimHost} answers ${attempt.claimHost}.${claimed[0]}` }
            : { layer: "settings", reason: "no attendee id is a top-level domain or special-use name (the settings refuse them)" };
    }
    // An image pull with the node's credentials.
    if (!nodeRoleStatements(plan).found) return { layer: "admitted", reason: "the nodes' registry credentials are the cluster's own: the stack gives its nodes none" };
    const grant = imagePullGrant(plan, awsRegion(plan), accountOf(plan) ?? "123456789012", attempt.pullImage);
    return grant ? { layer: "admitted", reason: `the node role may pull it: ${grant}` } : { layer: "IAM", reason: `no policy of the node role grants ecr:BatchGetImage on the account's ${attempt.pullImage}` };
}

/** What istiod's judgement needs of the plan: its Istio Gateways, whether it scopes them, the root routes. */
export interface IstioView {
    readonly gateways: readonly any[];
    readonly scopedGateways: boolean;
    readonly roots: readonly any[];
    /** The Gateway API's Gateways of manual deployment, each with the Services its Hostname addresses name. */
    readonly apiGateways: readonly { readonly gateway: any; readonly services: readonly any[] }[];
}

export function istioViewOf(plan: Plan, objs: readonly any[]): IstioView {
    const services = objs.filter((o) => o.kind === "Service");
    return {
        gateways: objs.filter((o) => o.kind === "Gateway" && !isGatewayApi(o)),
        scopedGateways: istiodEnvOf(plan).PILOT_SCOPE_GATEWAY_TO_NAMESPACE === "true",
        roots: objs.filter((o) => o.kind === "VirtualService" && (o.spec?.http ?? []).some((h: any) => h.delegate)),
        apiGateways: objs
            .filter((o) => o.kind === "Gateway" && isGatewayApi(o))
            .map((gateway) => ({ gateway, services: addressedServices(gateway, services) })),
    };
}

/** What istiod makes of an object the API server admitted (`p`: its pod, if it makes one); undefined when nothing stops it. */
export function istioVerdict(view: IstioView, object: any, p: { readonly metadata?: unknown } | undefined): Verdict | undefined {
    const { gateways, scopedGateways, roots } = view;
    const ns = object.metadata?.namespace;
    const podLabels = (p?.metadata as { readonly labels?: Readonly<Record<string, string>> } | undefined)?.labels;
    // A pod labelled like a gateway: every Gateway whose selector matches it configures it as a gateway, in any
    // namespace unless istiod scopes Gateways to their own (Istio's Gateway.selector, PILOT_SCOPE_GATEWAY_TO_NAMESPACE).
    const claimed = p ? gateways.filter((g) => g.spec?.selector && g.metadata?.namespace !== ns && Object.entries(g.spec.selector).every(([k, v]) => podLabels?.[k] === v)) : [];
    if (claimed.length > 0) {
        if (scopedGateways) return { layer: "Istio", reason: `istiod applies Gateway ${claimed[0].metadata.namespace}/${claimed[0].metadata.name} to pods of its own namespace only (PILOT_SCOPE_GATEWAY_TO_NAMESPACE)` };
        return { layer: "admitted", reason: `Gateway ${claimed[0].metadata.namespace}/${claimed[0].metadata.name} selects it: istiod sends it the gateway's listeners and routes` };
    }
    // A Gateway API Gateway of manual deployment configures the pods of the Service its address names: a Service
    // selects pods of its own namespace only, whatever their labels say (a pod carrying any of its selector's labels
    // is one meant to look like a gateway).
    const labelledLike = p ? view.apiGateways.filter((a) => a.services.some((svc) => Object.entries(svc.spec?.selector ?? {}).some(([k, v]) => podLabels?.[k] === v))) : [];
    if (labelledLike.length > 0 && labelledLike.every((a) => a.services.every((svc) => svc.metadata.namespace !== ns))) {
        const { gateway, services } = labelledLike[0];
        return { layer: "Istio", reason: `Gateway ${gateway.metadata.namespace}/${gateway.metadata.name} is served by the pods of Service ${services[0].metadata.namespace}/${services[0].metadata.name}, which selects pods of its own namespace only` };
    }
    // A VirtualService without hosts is a delegate: Istio uses it only as a root route hands over to it, within that route's match.
    if (object.kind === "VirtualService" && (object.spec?.hosts ?? []).length === 0) {
        const handing = roots.flatMap((r) => (r.spec.http as any[]).filter((h) => h.delegate?.name === object.metadata.name && h.delegate?.namespace === object.metadata.namespace));
        if (handing.length === 0) return { layer: "Istio", reason: "no root route hands over to it: Istio ignores it" };
        const outside = (object.spec?.http ?? []).filter((leaf: any) => !handing.some((root) => (leaf.match ?? [{}]).every((lm: any) => (root.match ?? [{}]).some((rm: any) => uriWithin(rm.uri, lm.uri)))));
        if (outside.length > 0) return { layer: "Istio", reason: `its routes lie outside the root's match ${handing.map((h) => JSON.stringify(h.match?.[0]?.uri ?? "the attendee's host")).join(", ")}: Istio drops them` };
    }
    return undefined;
}
