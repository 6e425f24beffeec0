/**
 * The class walked through a lesson's stages on the real control plane: after the first `up`, one `up` per move
 * (stack keys changed, as the organiser changes `apps.<lesson>.stage`), each after the one before, as the engine
 * runs them. Helm upgrades the lessons release to the stage (what the stage drops is deleted, what it adds applied,
 * its checks run as hooks); every move must apply with nothing refused and every check passing.
 */
import type { Plan } from "../plan/plan";
import type { CheckVerdict } from "../dataplane/checkRun";
import type { PreviousUp, ReplayStep } from "./replay";
import { upOutcome, type UpOutcome } from "./recovery";

/** One move of the walk: what it changed, and how its `up` went. */
export interface WalkStep {
    readonly move: string;
    readonly outcome: UpOutcome;
    readonly checksPassed: readonly string[];
    /** How long the move's `up` took on the control plane (its checks played by the mesh model). */
    readonly seconds: number;
}

export interface WalkContext {
    /** The program recorded with a move's keys. */
    readonly moved: (keys: Readonly<Record<string, unknown>>) => Promise<Plan>;
    /** Runs an `up` with verification pods played by the check runner. */
    readonly up: (plan: Plan, previous: PreviousUp) => Promise<{ steps: ReplayStep[]; verdicts: readonly CheckVerdict[] }>;
}

/** Each move's `up`, in order, from the run's first. */
export async function runWalk(moves: readonly Readonly<Record<string, unknown>>[], first: PreviousUp, ctx: WalkContext): Promise<{ steps: WalkStep[]; last: PreviousUp }> {
    const steps: WalkStep[] = [];
    let last = first;
    for (const keys of moves) {
        const plan = await ctx.moved(keys);
        const t = Date.now();
        const up = await ctx.up(plan, last);
        const seconds = (Date.now() - t) / 1000;
        steps.push({ move: JSON.stringify(keys), outcome: upOutcome(up.steps, up.verdicts), checksPassed: up.verdicts.filter((v) => v.outcome === "passed").map((v) => `${v.namespace}/${v.check}`), seconds });
        last = { plan, steps: up.steps };
    }
    return { steps, last };
}

/** What the walk must show: every move applied, its lessons release upgraded, every check passing, at least one run. */
export function walkFailures(steps: readonly WalkStep[]): string[] {
    return steps.flatMap((s) => [
        ...s.outcome.failed.map((f) => `walk ${s.move}: ${f} failed`),
        ...s.outcome.checksFailed.map((c) => `walk ${s.move}: check failed in the mesh model: ${c}`),
        ...(s.outcome.ran.length === 0 ? [`walk ${s.move}: no release upgraded (the move changed nothing)`] : []),
        ...(s.checksPassed.length === 0 ? [`walk ${s.move}: no check ran`] : []),
    ]);
}

/** The report's lines: one per move. */
export function walkLines(steps: readonly WalkStep[]): string[] {
    return steps.map((s) => `  walk ${s.move}: ran ${s.outcome.ran.join(", ") || "no release"}; failed ${s.outcome.failed.join(", ") || "nothing"}; checks passed ${s.checksPassed.length}, failed ${s.outcome.checksFailed.length}; ${s.seconds.toFixed(0)} s`);
}
