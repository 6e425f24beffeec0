/**
 * Two of `istioctl analyze`'s analyzers, as Istio 1.30 writes them, over the
 * plan's objects and its hand-outs (what an attendee applies):
 *  - IST0130 VirtualServiceUnreachableRule and IST0131 VirtualServiceIneffectiveMatch
 *    (pkg/config/analysis/analyzers/virtualservice, `AnalyzeUnreachableHTTPRules`
 *    and its TCP and TLS twins): within one VirtualService, a match whose JSON equals a
 *    match of an earlier rule is never used; a rule whose every match is such a
 *    duplicate is unreachable, and so is any rule without a match but the last.
 *  - IST0151 EnvoyFilterUsesRelativeOperation (analyzers/envoyfilter): a patch
 *    with a relative operation (INSERT_BEFORE, INSERT_AFTER, REPLACE, REMOVE)
 *    in an EnvoyFilter whose priority is 0 may apply before or after another
 *    filter's patches depending on creation order.
 * A warning of istioctl analyze fails the plan here: the workshop ships none.
 */
import { objectLabel, originOf, type PlanObject } from "./clusterChecks";
import { handOutObjects } from "./meshVisibility";
import type { Plan } from "../plan/plan";

export const ANALYZER_CHECKS = {
    unreachable: "IST0130 VirtualServiceUnreachableRule",
    ineffective: "IST0131 VirtualServiceIneffectiveMatch",
    relative: "IST0151 EnvoyFilterUsesRelativeOperation",
} as const;

/** JSON with keys in one order: Istio compares the matches' proto serialisations, which do not depend on the order written. */
function canonical(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
    if (v !== null && typeof v === "object") {
        return `{${Object.keys(v)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
            .join(",")}}`;
    }
    return JSON.stringify(v);
}

/** Istio's `routeName`: the rule's name if it has one, else its index. */
const routeName = (route: any, i: number) => (route?.name ? `"${route.name}"` : `#${i}`);

/** The findings for one list of routes (a VirtualService's `http` or `tcp`). */
export function unreachableRules(routes: readonly any[]): string[] {
    const found: string[] = [];
    const seen = new Map<string, number>();
    let emptyMatch = -1;
    routes.forEach((route, i) => {
        const matches: readonly unknown[] = route?.match ?? [];
        if (matches.length === 0) {
            if (emptyMatch >= 0) found.push(`${ANALYZER_CHECKS.unreachable}: rule ${routeName(route, i)} not used (only the last rule can have no matches)`);
            emptyMatch = i;
            return;
        }
        let duplicates = 0;
        matches.forEach((m, j) => {
            const key = canonical(m);
            const earlier = seen.get(key);
            if (earlier === undefined) return void seen.set(key, i);
            duplicates++;
            found.push(`${ANALYZER_CHECKS.ineffective}: rule ${routeName(route, i)} match #${j} is not used (duplicates a match in rule ${routeName(routes[earlier], earlier)})`);
        });
        if (duplicates === matches.length) found.push(`${ANALYZER_CHECKS.unreachable}: rule ${routeName(route, i)} not used (all matches used by prior rules)`);
    });
    return found;
}

const RELATIVE = new Set(["INSERT_BEFORE", "INSERT_AFTER", "REPLACE", "REMOVE"]);
/** Where REPLACE and REMOVE are errors of their own, not relative operations (the analyzer reports those apart). */
const ROUTE_LEVEL = new Set(["ROUTE_CONFIGURATION", "HTTP_ROUTE"]);

/** The findings for one EnvoyFilter's spec. */
export function relativePatches(spec: any): string[] {
    if ((spec?.priority ?? 0) !== 0) return [];
    return (spec?.configPatches ?? []).flatMap((p: any, i: number) => {
        const op = p?.patch?.operation;
        if (!RELATIVE.has(op)) return [];
        if (op === "REMOVE" && ROUTE_LEVEL.has(p.applyTo)) return [];
        if (op === "REPLACE" && p.applyTo !== "HTTP_FILTER" && p.applyTo !== "NETWORK_FILTER") return [];
        return [`${ANALYZER_CHECKS.relative}: configPatches[${i}] uses the relative operation ${op} and the filter has no priority: the order it applies in depends on when it was created`];
    });
}

/** Every finding of these analyzers over the plan's objects and its hand-outs. */
export function analyzerProblems(plan: Plan, objs: readonly PlanObject[]): string[] {
    const problems = new Set<string>();
    for (const x of [...objs, ...handOutObjects(objs)]) {
        const where = `${objectLabel(x.o)} (${originOf(plan, x.r)})`;
        const findings =
            x.o.kind === "VirtualService" ? (["http", "tcp", "tls"] as const).flatMap((k) => unreachableRules(x.o.spec?.[k] ?? []).map((f) => f.replace(": rule ", `: ${k} rule `))) : x.o.kind === "EnvoyFilter" ? relativePatches(x.o.spec) : [];
        for (const f of findings) {
            const [code, ...rest] = f.split(": ");
            problems.add(`${code}: ${where} ${rest.join(": ")}`);
        }
    }
    return [...problems];
}
