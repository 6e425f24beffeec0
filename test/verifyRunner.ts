/** Runs the real verification script (`verify.sh`) for a check, against a fake curl. */
import * as fs from "fs";
import { VERIFY_SCRIPT, verifyEnv, type CheckPlan } from "../src/lessons/checks";
import { runVerifyScript, type ScriptRun } from "../src/judgement/dataplane/fakeClients";

export type CheckRun = ScriptRun;

/** One answer of the fake app: a reply body file, and how curl measured it (default 200, 0.01 s). */
export type Answer = string | { readonly file: string; readonly status?: number; readonly seconds?: number };

export interface RunOptions {
    /** The status the readiness probe sees (default 200). */
    readonly readyStatus?: number | string;
    /** Seconds each readiness try takes (default 0). */
    readonly readyTrySeconds?: number;
    /** Of the answers given, how many the caller's proxy counts as completed to the cluster asked about (a mirror target, a gateway; default none). */
    readonly completed?: number;
    /** Seconds the clock moves between the end of the wait and the last answer (default 0). */
    readonly elapsedSeconds?: number;
    /** The Envoy cluster (its full name) the `completed` requests are counted for; another cluster's count is printed beside it. */
    readonly statsCluster?: string;
    /** Requests of the readiness wait completed to that cluster only after the first look at the statistics (a mirrored copy landing late; default 0). */
    readonly lateWarmUp?: number;
}

/**
 * The fake clients (`src/judgement/dataplane/fakeClients.ts`) answer the readiness probe
 * with `readyStatus`, the sidecar's statistics with `completed` requests of `statsCluster`
 * once the answers are given (and `lateWarmUp` of the readiness wait's after the first
 * look), and otherwise each answer in order: a reply body file as the app sends it, with
 * how curl measured it. The fake date moves by `elapsedSeconds` once answers are given.
 */
export function runCheck(plan: CheckPlan, answers: readonly Answer[], opts: RunOptions | number = {}): CheckRun {
    const { readyStatus = 200, readyTrySeconds = 0, completed = 0, elapsedSeconds = 0, statsCluster = "outbound|9080|v2|reviews.ns.svc.cluster.local", lateWarmUp = 0 } = typeof opts === "number" ? { readyStatus: opts } : opts;
    const unrelated = { "outbound|8080||unrelated.ns.svc.cluster.local": 7 };
    const played = answers.map((a) => (typeof a === "string" ? { file: a } : a)).map((a) => ({ body: fs.readFileSync(a.file, "utf8"), status: a.status ?? 200, seconds: a.seconds ?? 0.01 }));
    const env = Object.fromEntries(verifyEnv(plan).map((e) => [e.name, e.value]));
    return runVerifyScript(VERIFY_SCRIPT, env, {
        readyStatus,
        readyTrySeconds,
        answers: played,
        elapsedSeconds,
        stats: { first: { ...unrelated, [statsCluster]: 0 }, warm: { ...unrelated, [statsCluster]: lateWarmUp }, after: { ...unrelated, [statsCluster]: lateWarmUp + completed } },
    });
}
