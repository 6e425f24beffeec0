/**
 * Recovery on the real control plane: a mesh broken by one attendee by hand
 * never leaves the class stuck, and stops no other attendee.
 *
 * After the class is up, the attendee edits one of their routes by hand to the
 * wrong version, with their own token, as they may. The organiser moves the
 * class on: an `up` that changes the lessons releases the move touches. Helm
 * upgrades a custom resource by the release's old and new manifests alone, so
 * the hand edit survives the upgrade; the attendee's checks then fail, and
 * with them their release: that `up` must fail on that attendee's release
 * alone, naming their check. The attendee undoes the edit by hand; the next
 * `up` of the same program (the engine tries again what failed, and only that)
 * must converge with nothing else done.
 *
 * The real API server and the real helm decide each step (the upgrade's patch,
 * the hooks, their failure); the checks run in the mesh model as in the rest
 * of the run.
 */
import type { Plan } from "../plan/plan";
import { kubectl } from "../../tooling/controlplane/cluster";
import type { CheckVerdict } from "../dataplane/checkRun";
import type { PreviousUp, ReplayStep } from "./replay";

/** What the run breaks and how the organiser moves the class on. */
export interface RecoverySpec {
    /** The attendee who breaks their own mesh. */
    readonly attendee: string;
    /** Their VirtualService edited by hand, and the subset it is sent to instead. */
    readonly route: { readonly name: string; readonly wrongSubset: string };
    /** Stack keys the class move changes (merged over the run's). */
    readonly move: Readonly<Record<string, unknown>>;
}

export interface UpOutcome {
    /** Resources that failed, or were skipped because something they wait for failed. */
    readonly failed: readonly string[];
    readonly checksFailed: readonly string[];
    /** Releases the `up` installed or upgraded (not left unchanged). */
    readonly ran: readonly string[];
}

export interface RecoveryReport {
    readonly attendee: string;
    readonly broke: string;
    /** The class move's `up`, after the edit; whether the route was still the edited one after it. */
    readonly onBreak: UpOutcome;
    readonly editSurvived: boolean;
    /** The `up` after the attendee undid the edit. */
    readonly afterUndo: UpOutcome;
}

/** What the recovery needs of the run. */
export interface RecoveryContext {
    readonly kubectl: string;
    /** A kubeconfig of the attendee's own token. */
    readonly attendeeConfig: string;
    /** The program recorded with the move. */
    readonly moved: () => Promise<Plan>;
    /** Runs an `up` with verification pods played by the check runner. */
    readonly up: (plan: Plan, previous: PreviousUp) => Promise<{ steps: ReplayStep[]; verdicts: readonly CheckVerdict[] }>;
}

/** How an `up` went: what failed, which checks failed, which releases ran. */
export function upOutcome(steps: readonly ReplayStep[], verdicts: readonly CheckVerdict[]): UpOutcome {
    // Components only follow their children: the resources say what failed.
    const resources = steps.filter((s) => s.type.startsWith("kubernetes:"));
    return {
        failed: resources.filter((s) => s.outcome === "failed" || s.outcome === "skipped").map((s) => s.name),
        checksFailed: verdicts.filter((v) => v.outcome === "failed").map((v) => `${v.namespace}/${v.check}`),
        ran: resources.filter((s) => s.type === "kubernetes:helm.sh/v3:Release" && s.outcome === "deployed").map((s) => s.name),
    };
}

/** The edit, the class move's `up`, the undo, the next `up`: each as the engine would run it after the one before. */
export async function runRecovery(spec: RecoverySpec, first: PreviousUp, ctx: RecoveryContext): Promise<{ report: RecoveryReport; last: PreviousUp }> {
    const as = (args: readonly string[]) => kubectl(ctx.kubectl, { kubeconfig: ctx.attendeeConfig }, args);
    const ns = spec.attendee;
    const routes = async () => JSON.parse(await as(["get", "virtualservice", spec.route.name, "-n", ns, "-o", "json"])).spec;
    const chart = await routes();
    const wrong = [{ route: [{ destination: { host: chart.hosts[0], subset: spec.route.wrongSubset } }] }];
    await as(["patch", "virtualservice", spec.route.name, "-n", ns, "--type=merge", "-p", JSON.stringify({ spec: { http: wrong } })]);
    const moved = await ctx.moved();
    const onBreak = await ctx.up(moved, first);
    const editSurvived = JSON.stringify((await routes()).http) === JSON.stringify(wrong);
    // The undo by hand: the routes as they were.
    await as(["patch", "virtualservice", spec.route.name, "-n", ns, "--type=merge", "-p", JSON.stringify({ spec: { http: chart.http } })]);
    const afterUndo = await ctx.up(moved, { plan: moved, steps: onBreak.steps });
    return {
        report: {
            attendee: ns,
            broke: `${ns}/${spec.route.name} edited by hand with the attendee's token: every request to subset ${spec.route.wrongSubset}`,
            onBreak: upOutcome(onBreak.steps, onBreak.verdicts),
            editSurvived,
            afterUndo: upOutcome(afterUndo.steps, afterUndo.verdicts),
        },
        last: { plan: moved, steps: afterUndo.steps },
    };
}

/**
 * What the recovery must show: the class move's `up` failing on the attendee's release alone, naming one of their
 * checks; after the undo, nothing failing, and only what failed run again.
 */
export function recoveryFailures(r: RecoveryReport): string[] {
    const mine = (name: string) => name.startsWith(`classroom-${r.attendee}-`) || name.startsWith(`${r.attendee}/`);
    const failures = (u: UpOutcome) => [...u.failed, ...u.checksFailed];
    const problems: string[] = [];
    if (r.onBreak.failed.length === 0) problems.push(`recovery: after ${r.broke}, the class move's up did not fail`);
    const others = failures(r.onBreak).filter((n) => !mine(n));
    if (others.length > 0) problems.push(`recovery: ${r.broke} failed the up beyond ${r.attendee}: ${others.join(", ")}`);
    if (r.onBreak.failed.length > 0 && !r.onBreak.checksFailed.some(mine)) problems.push(`recovery: the up failed on ${r.broke} without naming a check of ${r.attendee}`);
    if (failures(r.afterUndo).length > 0) problems.push(`recovery: after the undo the up still failed: ${failures(r.afterUndo).join(", ")}`);
    const rerun = r.afterUndo.ran.filter((n) => !mine(n));
    if (rerun.length > 0) problems.push(`recovery: after the undo the up ran again releases that had not failed: ${rerun.join(", ")}`);
    return problems;
}

/** The report's lines. */
export function recoveryLines(r: RecoveryReport): string[] {
    const up = (u: UpOutcome) =>
        `ran ${u.ran.join(", ") || "no release"} (the rest unchanged); failed ${u.failed.join(", ") || "nothing"}; checks failed ${u.checksFailed.join(", ") || "none"}`;
    return [
        `  recovery: ${r.broke}; the class moved on: ${up(r.onBreak)}; the edit ${r.editSurvived ? "survived the upgrade" : "was undone by the upgrade"}`,
        `  recovery: the edit undone by the attendee; the next up: ${up(r.afterUndo)}`,
    ];
}
