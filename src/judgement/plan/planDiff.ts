/**
 * Differences between two plans: resources added, removed, and changed with the
 * input paths whose values differ. Pure; secrets are already masked in plans.
 */
import { isDeepStrictEqual } from "util";
import type { Plan, PlannedResource } from "./plan";
import { planObjects } from "../checks/clusterChecks";
import { attendeeNamespaces } from "../attacks/platformJudges";

export interface ChangedPath {
    readonly path: string;
    readonly old: unknown;
    readonly new: unknown;
}

export interface ResourceChange {
    readonly urn: string;
    readonly changes: ChangedPath[];
}

export interface PlanDiff {
    readonly added: string[];
    readonly removed: string[];
    readonly changed: ResourceChange[];
}

/** The fields of a planned resource that a diff compares. */
const COMPARED: readonly (keyof PlannedResource)[] = ["parent", "custom", "provider", "dependsOn", "inputs"];

export function diffPlans(before: Plan, after: Plan): PlanDiff {
    const old = new Map(before.resources.map((r) => [r.urn, r]));
    const now = new Map(after.resources.map((r) => [r.urn, r]));
    const changed: ResourceChange[] = [];
    for (const [urn, r] of now) {
        const o = old.get(urn);
        if (!o) continue;
        const changes = COMPARED.flatMap((field) => diffValues(field, o[field], r[field]));
        if (changes.length > 0) changed.push({ urn, changes });
    }
    return {
        added: [...now.keys()].filter((u) => !old.has(u)).sort(),
        removed: [...old.keys()].filter((u) => !now.has(u)).sort(),
        changed: changed.sort((a, b) => a.urn.localeCompare(b.urn)),
    };
}

/** Leaf-level differences between two JSON values, as dotted paths (`inputs.values.pilot.env`). */
export function diffValues(path: string, a: unknown, b: unknown): ChangedPath[] {
    if (isDeepStrictEqual(a, b)) return [];
    const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
    if (isObj(a) && isObj(b)) {
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
        return keys.flatMap((k) => diffValues(`${path}.${k}`, a[k], b[k]));
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
        return a.flatMap((v, i) => diffValues(`${path}[${i}]`, v, b[i]));
    }
    return [{ path, old: a, new: b }];
}

const MAX_VALUE = 120;
const show = (v: unknown) => {
    const text = v === undefined ? "(absent)" : JSON.stringify(v);
    return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 3)}...` : text;
};

/** A readable report of a plan diff; secrets are already masked in plans. */
export function formatDiff(diff: PlanDiff, before: Plan, after: Plan): string {
    const typeOf = new Map([...before.resources, ...after.resources].map((r) => [r.urn, r]));
    const label = (urn: string) => {
        const r = typeOf.get(urn)!;
        return `${r.type}  ${r.name}`;
    };
    const total = diff.added.length + diff.removed.length + diff.changed.length;
    if (total === 0) return `No changes between the plans of ${before.stack} (${before.resources.length} resources).`;
    const blocks: string[][] = [
        ...diff.added.map((u) => [`+ ${label(u)}`]),
        ...diff.removed.map((u) => [`- ${label(u)}`]),
        ...diff.changed.map((c) => [`~ ${label(c.urn)}`, ...c.changes.map((ch) => `    ${ch.path}: ${show(ch.old)} -> ${show(ch.new)}`), ...why(typeOf.get(c.urn), c.changes)]),
    ];
    // The same change in every attendee's namespace, once: "(20 attendees: attendee-01 … attendee-20)".
    const ids = [...new Set([...attendeeNamespaces(planObjects(before)), ...attendeeNamespaces(planObjects(after))])].sort((a, b) => b.length - a.length);
    const generic = (text: string) => ids.reduce((t, id) => t.replace(new RegExp(`(^|[^a-z0-9-])${id.replace(/[-]/g, "\\-")}(?![a-z0-9-])`, "g"), "$1<attendee>"), text);
    const groups = new Map<string, { block: string[]; who: string[] }>();
    for (const block of blocks) {
        const text = block.join("\n");
        const key = generic(text);
        const g = groups.get(key) ?? { block, who: [] };
        if (key !== text) g.who.push(...ids.filter((id) => text.includes(id)));
        groups.set(key, g);
    }
    const lines = [`Plan diff for ${after.stack}: ${diff.added.length} to add, ${diff.removed.length} to remove, ${diff.changed.length} to change`];
    for (const [key, g] of groups) {
        const who = [...new Set(g.who)].sort();
        if (who.length < 2) lines.push(...g.block);
        else lines.push(`${key.split("\n")[0]}  (${who.length} attendees: ${who.length <= 3 ? who.join(", ") : `${who[0]} … ${who[who.length - 1]}`})`, ...key.split("\n").slice(1));
    }
    return lines.join("\n");
}

/**
 * Why a change happened that the stack file does not name: istiod's resources and replicas follow the mesh's proxy
 * count (`src/mesh/meshScale.ts`), which a class's size and the lessons' stages (their pods) move.
 */
function why(r: PlannedResource | undefined, changes: readonly ChangedPath[]): string[] {
    const chart = (r?.inputs as any)?.chart;
    if (chart === "istiod" && changes.some((c) => /^inputs\.values\.(pilot|resources|replicaCount|autoscale)/.test(c.path) || /resources|replicaCount/.test(c.path))) {
        return ["    why: istiod is sized from the mesh's proxies (every pod with a sidecar, or ztunnel's): a class's size or a lesson's stage moves them (docs/operations.md, \"Operations at scale\")"];
    }
    return [];
}
