/**
 * How a namespace's objects reach the cluster: one Helm release per namespace
 * of the small chart kept in this repository (`charts/lessons`), carrying the
 * objects the program computed in its values. One Pulumi resource per namespace
 * however many objects it holds; Helm owns the apply order (by kind), the 3-way
 * merges and the hooks; `helm ls -A` lists the classroom. Verification Jobs are
 * post-install/post-upgrade hooks: Helm runs them once every other object of
 * the release is applied and ready, and a failed Job fails the release (and so
 * `pulumi up`). Pure: `src/classroom/lessonsNamespace.ts` registers the release.
 */

/** The chart, relative to the project directory (where Pulumi and the plan run the program). */
export const LESSONS_CHART = "./charts/lessons";
/** The release's name in every namespace (Helm release names are per namespace). */
export const LESSONS_RELEASE = "lessons";
/** How long Helm waits for the objects to be ready and the verification hooks to finish. */
export const LESSONS_TIMEOUT_SECONDS = 1200;

/**
 * Revisions Helm keeps of a lessons release (one Secret each, in the attendee's namespace, counted by its
 * quota): without a bound every `up` would add one until the quota refused the next.
 */
export const LESSONS_HISTORY = 5;

/** What makes a verification Job a hook: after install and upgrade, the previous run deleted first. */
export const VERIFY_HOOK: Readonly<Record<string, string>> = {
    "helm.sh/hook": "post-install,post-upgrade",
    "helm.sh/hook-delete-policy": "before-hook-creation",
};

export interface LessonsReleaseSpec {
    readonly name: string;
    readonly chart: string;
    readonly namespace: string;
    readonly values: { readonly objectsJson: string };
    readonly timeout: number;
    /** A failed verification keeps what was applied, to be inspected; the next `up` upgrades it. */
    readonly atomic: false;
    readonly maxHistory: number;
}

/**
 * The objects as the release's values carry them: one JSON text, one object per
 * line. A string, not a tree: Pulumi serialises and stores it as it is (a tree
 * of thousands of fields costs seconds per plan and bytes per state write), and
 * a change to one object shows as a change to its line.
 */
export function objectsJson(objects: readonly Record<string, unknown>[]): string {
    return objects.length === 0 ? "[]" : `[\n${objects.map((o) => JSON.stringify(o)).join(",\n")}\n]`;
}

export function lessonsRelease(namespace: string, objects: readonly Record<string, unknown>[]): LessonsReleaseSpec {
    return { name: LESSONS_RELEASE, chart: LESSONS_CHART, namespace, values: { objectsJson: objectsJson(objects) }, timeout: LESSONS_TIMEOUT_SECONDS, atomic: false, maxHistory: LESSONS_HISTORY };
}

/**
 * The objects a lessons release installs: its values' objects, as the chart's
 * only template writes them out (test/render.spec.ts renders the chart with
 * helm and compares).
 */
export function lessonsObjects(values: unknown): Record<string, unknown>[] {
    const text = (values as { objectsJson?: unknown } | undefined)?.objectsJson;
    if (typeof text !== "string") return [];
    const objects: unknown = JSON.parse(text);
    return Array.isArray(objects) ? (objects as Record<string, unknown>[]) : [];
}
