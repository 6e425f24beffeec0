/**
 * LimitRange and ResourceQuota admission, evaluated offline for the attack
 * suite: whether a pod's containers (with the LimitRange's defaults filled in,
 * as the LimitRanger plugin does before it validates) stay under the
 * container and pod maxima, and whether `count` objects of a kind, by
 * themselves, exceed a quota of the namespace (count/<resource>[.<group>], the
 * legacy names, and a pod's requests and limits times the count).
 *
 * A lower bound, on purpose: what the namespace already holds is not
 * counted, so a refusal here is a refusal on any cluster, and what passes
 * here may still be refused there. The control-plane run holds these verdicts
 * to the API server's (`src/judgement/cluster/serverJudge.ts`).
 *
 * Pure: the namespace's LimitRanges and ResourceQuotas and the object in, a refusal or undefined out.
 */
import { mebibytes, milliCpu } from "../../model/demand";
import { sidecarInjected } from "./injection";
import { podOf } from "./podSecurityStandards";
import { resourceOf } from "./admission";

/** The resources Kubernetes also counts under their own name (ResourceQuota's "standard object count"). */
const LEGACY_COUNT: ReadonlySet<string> = new Set(["pods", "services", "configmaps", "secrets", "persistentvolumeclaims", "replicationcontrollers", "resourcequotas"]);

type Amounts = Record<string, number>;

const amount = (resource: string, value: string) => (resource.endsWith("cpu") ? milliCpu(value) : mebibytes(value));
const shown = (resource: string, value: number) => (resource.endsWith("cpu") ? `${value}m` : `${value}Mi`);

/**
 * A Container item as the API server stores it (SetDefaults_LimitRangeItem): a default limit where only a maximum is
 * given, then a default request where only a default limit is, then where only a minimum is.
 */
function defaulted(item: any): { default: Record<string, string>; defaultRequest: Record<string, string> } {
    const limit = { ...(item.max ?? {}), ...(item.default ?? {}) };
    return { default: limit, defaultRequest: { ...(item.min ?? {}), ...limit, ...(item.defaultRequest ?? {}) } };
}

/** Each container's requests and limits, with the LimitRange's Container defaults where it states none. */
function containerAmounts(pod: any, limitRanges: readonly any[]): { name: string; requests: Amounts; limits: Amounts }[] {
    const defaults = limitRanges.flatMap((lr) => (lr.spec?.limits ?? []).filter((l: any) => l.type === "Container").map(defaulted));
    return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c: any) => {
        const limits: Amounts = {};
        const requests: Amounts = {};
        for (const r of ["cpu", "memory"]) {
            const limit = c.resources?.limits?.[r] ?? defaults.find((d) => d.default[r])?.default[r];
            if (limit !== undefined) limits[r] = amount(r, String(limit));
            // A missing request is the container's own limit, else the LimitRange's default request.
            const request = c.resources?.requests?.[r] ?? c.resources?.limits?.[r] ?? defaults.find((d) => d.defaultRequest[r])?.defaultRequest[r];
            if (request !== undefined) requests[r] = amount(r, String(request));
        }
        return { name: c.name, requests, limits };
    });
}

/** The first maximum of the namespace's LimitRanges a pod exceeds, as the LimitRanger plugin says it; undefined if none. */
export function limitRangeRefusal(limitRanges: readonly any[], pod: any): string | undefined {
    if (pod?.kind !== "Pod") return undefined;
    const containers = containerAmounts(pod, limitRanges);
    for (const lr of limitRanges) {
        for (const l of lr.spec?.limits ?? []) {
            for (const [r, max] of Object.entries<string>(l.max ?? {})) {
                const ceiling = amount(r, max);
                if (l.type === "Container") {
                    const over = containers.find((c) => (c.limits[r] ?? 0) > ceiling);
                    if (over) return `maximum ${r} usage per Container is ${max}, but limit is ${shown(r, over.limits[r])} (container ${over.name}, LimitRange ${lr.metadata?.name})`;
                }
                if (l.type === "Pod") {
                    const total = containers.reduce((n, c) => n + (c.limits[r] ?? 0), 0);
                    if (total > ceiling) return `maximum ${r} usage per Pod is ${max}, but limit is ${shown(r, total)} (LimitRange ${lr.metadata?.name})`;
                }
            }
        }
    }
    return undefined;
}

/** What `count` objects like `object` take of each quota name (a pod's resources included), alone. */
export function quotaUsage(object: any, resource: string, group: string, count: number, limitRanges: readonly any[] = []): Amounts {
    const use: Amounts = { [`count/${resource}${group ? `.${group}` : ""}`]: count };
    if (!group && LEGACY_COUNT.has(resource)) use[resource] = count;
    if (object?.kind === "Pod") {
        for (const c of containerAmounts(object, limitRanges)) {
            for (const [r, v] of Object.entries(c.requests)) use[`requests.${r}`] = (use[`requests.${r}`] ?? 0) + v * count;
            for (const [r, v] of Object.entries(c.limits)) use[`limits.${r}`] = (use[`limits.${r}`] ?? 0) + v * count;
        }
        if (use["requests.cpu"] !== undefined) use.cpu = use["requests.cpu"];
        if (use["requests.memory"] !== undefined) use.memory = use["requests.memory"];
    }
    if (object?.kind === "PersistentVolumeClaim") {
        const storage = object.spec?.resources?.requests?.storage;
        if (storage) use["requests.storage"] = mebibytes(String(storage)) * count;
    }
    return use;
}

/** The first quota of the namespace that `count` objects like `object` exceed by themselves, as the API server says it. */
export function quotaRefusal(quotas: readonly any[], object: any, resource: string, group: string, count: number, limitRanges: readonly any[] = [], existing: readonly any[] = []): string | undefined {
    const use = quotaUsage(object, resource, group, count, limitRanges);
    // The quota names each held object counts under (its count, and a core kind's legacy name).
    const held = existing.map((o) => Object.keys(quotaUsage(o, resourceOf(o).resource, resourceOf(o).group, 1)));
    for (const q of quotas) {
        for (const [name, hard] of Object.entries<string>(q.spec?.hard ?? {})) {
            if (use[name] === undefined) continue;
            const counted = name.startsWith("count/") || LEGACY_COUNT.has(name);
            const limit = counted ? Number(hard) : amount(name, hard);
            // What the namespace already holds of a counted kind (the API server's quota counts it as used).
            const used = counted ? held.filter((names) => names.includes(name)).length : 0;
            if (use[name] + used > limit) return `exceeded quota: ${q.metadata?.name}, requested: ${name}=${use[name]}${counted ? `, used: ${name}=${used}` : ""}, limited: ${name}=${hard}`;
        }
    }
    return undefined;
}

/**
 * The workloads of a namespace whose pods its LimitRanges would refuse: the API server admits a Deployment or a
 * Job, then refuses every pod its controller creates (no error reaches whoever applied it; the rollout waits). Each
 * pod is judged with the sidecar Istio's injector adds where it adds one (`sidecar`: its resources), as the
 * LimitRanger validates pods after the mutating webhooks.
 */
export function workloadPodRefusals(objects: readonly any[], namespace: string, sidecar: { readonly limits?: Record<string, string>; readonly requests?: Record<string, string> } | undefined): { object: any; reason: string }[] {
    const limitRanges = objects.filter((o) => o.kind === "LimitRange" && o.metadata?.namespace === namespace);
    if (limitRanges.length === 0) return [];
    return objects
        .filter((o) => o.kind !== "Pod" && o.metadata?.namespace === namespace && podOf(o)?.spec)
        .flatMap((o) => {
            const template = podOf(o)!;
            const proxy = sidecar && sidecarInjected(objects, namespace, template.metadata) ? [{ name: "istio-proxy", resources: sidecar }] : [];
            const reason = limitRangeRefusal(limitRanges, { kind: "Pod", spec: { ...template.spec, containers: [...(template.spec?.containers ?? []), ...proxy] } });
            return reason ? [{ object: o, reason }] : [];
        });
}
