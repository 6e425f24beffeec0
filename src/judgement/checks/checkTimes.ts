/**
 * How long each namespace's verification takes, by the mesh model's clock.
 * Helm runs a release's hooks one at a time, so a namespace's checks take the
 * sum of theirs: each its wait for the stage (answers cut at the script's
 * --max-time, 2 s between tries) and its requests (`--parallel` ones
 * overlapping). Not counted, and said so wherever the figure is shown: the
 * pods' starts and image pulls, and the script's own overheads. The bodies of
 * the replies do not change the times, so the model runs without them.
 */
import { buildScenario, namespaceManifests } from "../../lessons/build";
import { CHECK_POD_LABEL } from "../../lessons/checks";
import { SCENARIOS, atStage, lessonKeys } from "../../lessons/resolve";
import type { Replies } from "../dataplane/apps";
import { checkPodOf, checkSeconds } from "../dataplane/checkRun";
import type { MeshConfig } from "../dataplane/mesh";
import { planMeshConfig, podsOfDeployments, worldOf } from "../dataplane/world";
import type { Plan } from "../plan/plan";
import { planObjects } from "./clusterChecks";

/** What a namespace's checks must finish within, at any stage (its hooks run one after another). */
export const CHECK_BUDGET_SECONDS = 300;

/** What the caveat says wherever a check time is shown. */
export const CHECK_TIME_BASIS = "by the mesh model's clock: waits and requests, not the pods' starts";

export interface NamespaceCheckTime {
    readonly namespace: string;
    readonly seconds: number;
    readonly checks: number;
    readonly longest?: { readonly check: string; readonly seconds: number };
    /** Checks the model cannot time (their own clients: grpc's fortio ping). */
    readonly notTimed: readonly string[];
}

/** Any reply body, empty: timing does not read them. */
const NO_BODIES: Replies = new Proxy({}, { get: (_, file) => (typeof file === "string" ? "" : undefined) });

/**
 * The check time of every namespace with verification Jobs among the objects. Namespaces whose objects are the
 * same but for their name (attendees at the same stages) are timed once, in the first of them: a class of a
 * thousand at a few stage combinations costs a few worlds, not a thousand.
 */
export function namespaceCheckTimes(objects: readonly any[], mesh: MeshConfig): NamespaceCheckTime[] {
    const isCheck = (o: any) => o.kind === "Job" && o.spec?.template?.metadata?.labels?.[CHECK_POD_LABEL] !== undefined;
    const lessonNamespaces = new Set(objects.filter(isCheck).map((j) => String(j.metadata?.namespace)));
    const own = new Map<string, any[]>();
    const platform: any[] = [];
    for (const o of objects) {
        const ns = o.metadata?.namespace;
        if (ns !== undefined && lessonNamespaces.has(ns)) {
            const list = own.get(ns);
            if (list) list.push(o);
            else own.set(ns, [o]);
        } else platform.push(o);
    }
    const timedShapes = new Map<string, Omit<NamespaceCheckTime, "namespace">>();
    return [...lessonNamespaces].sort().map((ns) => {
        const mine = own.get(ns) ?? [];
        // The namespace's objects with its name taken out wherever it stands as a word (a name, a host's label, a
        // path's segment): equal for attendees at the same stages.
        const shape = JSON.stringify(mine).replace(new RegExp(`(?<![a-z0-9-])${ns.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![a-z0-9-])`, "g"), "<ns>");
        const known = timedShapes.get(shape);
        if (known) return { namespace: ns, ...known };
        // The namespace's objects and everything outside the lesson namespaces: what its checks can reach.
        const visible = [...platform, ...mine];
        const { world } = worldOf(visible, podsOfDeployments(visible), NO_BODIES, mesh);
        const times = mine
            .filter(isCheck)
            .map((j) => ({ check: String(j.metadata.name), seconds: checkSeconds(world, checkPodOf(visible, j.metadata.name, ns, `${j.metadata.name}-timing`, j.spec.template)) }));
        const timed = times.filter((t): t is { check: string; seconds: number } => t.seconds !== undefined);
        const longest = [...timed].sort((a, b) => b.seconds - a.seconds)[0];
        const result = {
            seconds: Math.round(timed.reduce((n, t) => n + t.seconds, 0)),
            checks: times.length,
            ...(longest ? { longest: { check: longest.check, seconds: Math.round(longest.seconds) } } : {}),
            notTimed: times.filter((t) => t.seconds === undefined).map((t) => t.check),
        };
        timedShapes.set(shape, result);
        return { namespace: ns, ...result };
    });
}

const minutes = (s: number) => `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;

/** The plan's lines: the namespaces' check times (every namespace up to five, else the longest and the spread). */
export function describeCheckTimes(times: readonly NamespaceCheckTime[]): string[] {
    if (times.length === 0) return [];
    const line = (t: NamespaceCheckTime) =>
        `${t.namespace}: ${minutes(t.seconds)} for ${t.checks} checks${t.longest ? `, longest ${t.longest.check} ${t.longest.seconds} s` : ""}${t.notTimed.length > 0 ? ` (not timed: ${t.notTimed.join(", ")})` : ""}${t.seconds > CHECK_BUDGET_SECONDS ? ` — over the ${CHECK_BUDGET_SECONDS / 60} minutes a namespace's checks may take` : ""}`;
    const sorted = [...times].sort((a, b) => b.seconds - a.seconds || a.namespace.localeCompare(b.namespace));
    const head = `Verification per namespace (${CHECK_TIME_BASIS}; Helm runs a namespace's checks one after another):`;
    if (sorted.length <= 5) return [head, ...sorted.map((t) => `  ${line(t)}`)];
    const shortest = sorted[sorted.length - 1];
    const spread = shortest.seconds === sorted[0].seconds ? `each ${minutes(shortest.seconds)}` : `from ${minutes(shortest.seconds)} to ${minutes(sorted[0].seconds)}`;
    return [head, `  ${sorted.length} namespaces, ${spread}; the longest:`, `  ${line(sorted[0])}`];
}

/** A plan's objects but what a namespace's lessons release installs: the world a stage's own objects join. */
export function beside(plan: Plan, namespace: string): any[] {
    return planObjects(plan)
        .filter((p) => !(p.o.metadata?.namespace === namespace && p.r.renderedBy))
        .map((p) => p.o);
}

/** The namespaces a plan's namespace imports (its default Sidecar's hosts): a lesson's own Sidecars import the same. */
export function namespaceSidecarHosts(plan: Plan, namespace: string): string[] | undefined {
    const sidecar = planObjects(plan).find(({ o }) => o.kind === "Sidecar" && o.metadata?.namespace === namespace && o.metadata?.name === "default");
    return sidecar?.o.spec?.egress?.[0]?.hosts;
}

export interface StageTime {
    readonly lesson: string;
    readonly stage: string;
    readonly seconds: number;
}

/**
 * Every lesson of the plan's data plane at its slowest stage, each alone in `namespace` beside the plan's platform (its
 * gateway, root routes, egress gateway and the namespace's own policies): what a namespace holding every lesson that
 * can share it takes at worst, their sum. (A lesson runs in one data plane only: `ScenarioDef.dataplane`.)
 */
export function slowestStages(plan: Plan, namespace: string, requests: number, dataplane: "sidecar" | "ambient" = "sidecar"): { readonly stages: readonly StageTime[]; readonly seconds: number } {
    const platform = beside(plan, namespace);
    const mesh = planMeshConfig(plan);
    const sidecarHosts = namespaceSidecarHosts(plan, namespace);
    const stages = lessonKeys(dataplane).map((key) => {
        const lesson = SCENARIOS[key]({ rate: 1 });
        const times = (lesson.stages ?? []).map((st) => {
            const own = namespaceManifests([buildScenario(atStage(lesson, st.name), { namespace, verify: true, requests, rate: 1, sidecarHosts })], namespace) as any[];
            const [t] = namespaceCheckTimes([...platform, ...own], mesh);
            return { lesson: key, stage: st.name, seconds: t?.seconds ?? 0 };
        });
        return times.sort((a, b) => b.seconds - a.seconds)[0];
    });
    return { stages, seconds: stages.reduce((n, s) => n + s.seconds, 0) };
}
