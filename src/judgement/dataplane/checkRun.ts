/**
 * One verification pod run in a world: its own script (the namespace's
 * `verify-script` ConfigMap, as the pod mounts it) with its own environment,
 * the fake clients playing back what the mesh model answers to each request
 * the script makes, in the order it makes them: the readiness wait until the
 * route answers as the check waits for (at most its 90 tries), then the
 * requests, then the caller's proxy statistics.
 */
import { createHash } from "crypto";
import { VERIFY_CONFIG_MAP } from "../../lessons/checks";
import { NotModelled, type Answer, type ModelPod } from "./apps";
import { runVerifyScript, type PlayedAnswer, type Playback } from "./fakeClients";
import { Mesh, drawsFrom, type World } from "./mesh";
import { modelPod } from "./world";

export type CheckOutcome = "passed" | "failed" | "not-modelled";

/** Checks the model cannot run, with why: they neither pass nor fail in it; any other check it cannot run is a gap. */
export const CHECKS_NOT_MODELLED: Readonly<Record<string, string>> = {
    "verify-grpc-ping": "fortio's gRPC ping is its own client, not the verification script, and the model speaks no gRPC",
};

export interface CheckVerdict {
    readonly namespace: string;
    readonly check: string;
    readonly outcome: CheckOutcome;
    /** The script's verdict line, or what the model does not cover. */
    readonly detail: string;
}

/** A verification pod: who runs it (its labels, identity, sidecar) and what (its command and environment). */
export interface CheckPod {
    readonly check: string;
    readonly pod: ModelPod;
    readonly command: readonly string[];
    readonly env: Readonly<Record<string, string>>;
}

const code = (s: number) => String(s).padStart(3, "0");

function count(into: Record<string, number>, a: Answer): void {
    for (const c of a.counted ?? []) into[c] = (into[c] ?? 0) + 1;
}

/** What runs the script against its playback: the shipped script with the fake clients, or a memo of it. */
export type ScriptRunner = typeof runVerifyScript;

/**
 * A runner that runs the script once per distinct input (script, environment, playback): the script is a
 * function of them (its clients only play back, its clock is the playback's), so a repeat gives the same run.
 * For callers that run the same checks against many worlds (the stage matrix).
 */
export function memoizedRunner(run: ScriptRunner = runVerifyScript): ScriptRunner {
    const seen = new Map<string, ReturnType<ScriptRunner>>();
    return (script, env, p) => {
        const key = createHash("sha256").update(JSON.stringify([script, Object.entries(env).sort(), p])).digest("hex");
        const hit = seen.get(key);
        if (hit) return hit;
        const r = run(script, env, p);
        seen.set(key, r);
        return r;
    };
}

/** What a check pod's clients see in a world, in order, and how long it takes by the model's clock. */
export interface CheckPlay extends Playback {
    /** Seconds of the wait for the stage: each try's answer (cut at --max-time), 2 s between tries. */
    readonly readySeconds: number;
}

/** The script's one wait for the stage, by the clock (verify.sh). */
const READY_SECONDS = 180;
const READY_PAUSE = 2;

function headersOf(env: Readonly<Record<string, string>>): Record<string, string> {
    return Object.fromEntries(
        (env.VERIFY_HEADERS ?? "")
            .split("\n")
            .filter((l) => l.includes(":"))
            .map((l) => [l.slice(0, l.indexOf(":")).trim(), l.slice(l.indexOf(":") + 1).trim()]),
    );
}

/**
 * The answers a verification pod gets in a world, as the mesh model gives them: the readiness wait until the
 * route answers as the check waits for (within the script's 3 minutes), then the requests, then the caller's
 * proxy statistics. Throws NotModelled where the model has a gap.
 */
export function playCheckPod(world: World, c: CheckPod): CheckPlay {
    const e = c.env;
    const headers = headersOf(e);
    const maxTime = Number(e.VERIFY_TIMEOUT ?? "5");
    const line = e.VERIFY_TCP_SEND;
    const readyList = e.VERIFY_READY_STATUS?.split(",");
    const isReady = (s: string) => (readyList ? readyList.includes(s) : /^2\d\d$/.test(s));
    const mesh = new Mesh(world, drawsFrom(`${c.pod.namespace}/${c.check}`));
    const ask = (concurrent = 1) => mesh.request(c.pod, e.VERIFY_URL, headers, Infinity, { concurrent, ...(line !== undefined ? { line } : {}) });
    const warm: Record<string, number> = {};
    let readyStatus = "000";
    let readySeconds = 0;
    let readyTrySeconds = 0;
    while (readySeconds < READY_SECONDS) {
        const a = ask();
        count(warm, a);
        readyTrySeconds = Math.min(a.seconds, maxTime);
        readySeconds += readyTrySeconds;
        // The probe's curl gives up at the same --max-time; over TCP, an answer is ready.
        readyStatus = line !== undefined ? (a.status === 200 ? "200" : "000") : a.seconds > maxTime ? "000" : code(a.status);
        if (isReady(readyStatus)) break;
        readySeconds += READY_PAUSE;
    }
    const after: Record<string, number> = { ...warm };
    const parallel = Number(e.VERIFY_PARALLEL ?? "0");
    const answers: PlayedAnswer[] = [];
    let elapsed = 0;
    for (let i = 0; i < Number(e.VERIFY_REQUESTS ?? "0"); i++) {
        const a = ask(parallel > 0 ? (i % parallel) + 1 : 1);
        count(after, a);
        elapsed += parallel > 0 ? Math.min(a.seconds, maxTime) / parallel : Math.min(a.seconds, maxTime);
        answers.push(line !== undefined ? { body: a.status === 200 ? a.body : "", status: a.status === 200 ? 200 : "000", seconds: 0 } : { body: a.body, status: code(a.status), seconds: a.seconds });
    }
    return { readyStatus, readyTrySeconds, answers, stats: { first: warm, warm, after }, elapsedSeconds: Math.round(elapsed), readySeconds };
}

/** The script of a check pod's namespace, as the pod mounts it, or why the pod cannot run it. */
function scriptOf(world: World, c: CheckPod): { script: string } | { outcome: CheckOutcome; detail: string } {
    if (c.command.join(" ") !== "sh /verify/verify.sh") return { outcome: "not-modelled", detail: `its command (${c.command.join(" ")}) is not the verification script` };
    const script = world.objects.find((o) => o.kind === "ConfigMap" && o.metadata?.namespace === c.pod.namespace && o.metadata?.name === VERIFY_CONFIG_MAP)?.data?.["verify.sh"];
    if (typeof script !== "string") return { outcome: "failed", detail: `ConfigMap ${VERIFY_CONFIG_MAP} is missing: the pod cannot start` };
    return { script };
}

/** Runs one check pod's script in a world; the model's gaps come back as `not-modelled`, never as a pass. */
export function runCheckPod(world: World, c: CheckPod, run: ScriptRunner = runVerifyScript): CheckVerdict {
    const at = { namespace: c.pod.namespace, check: c.check };
    const s = scriptOf(world, c);
    if (!("script" in s)) return { ...at, ...s };
    try {
        const { readySeconds: _, ...playback } = playCheckPod(world, c);
        const result = run(s.script, { ...c.env }, playback);
        const verdict = result.stdout.split("\n").find((l) => /^(PASS|FAIL) /.test(l)) ?? result.log.trim();
        return { ...at, outcome: result.status === 0 ? "passed" : "failed", detail: verdict };
    } catch (err) {
        if (err instanceof NotModelled) return { ...at, outcome: "not-modelled", detail: `the model does not cover ${err.message}` };
        throw err;
    }
}

/**
 * Seconds a check pod runs in a world by the model's clock: its wait for the stage and its requests (each cut at
 * the script's --max-time; `--parallel` ones overlapping). Not counted: the pod's start and the script's own
 * overheads. Undefined where the model does not cover the check.
 */
export function checkSeconds(world: World, c: CheckPod): number | undefined {
    if (!("script" in scriptOf(world, c))) return undefined;
    try {
        const p = playCheckPod(world, c);
        return p.readySeconds + (p.elapsedSeconds ?? 0);
    } catch (err) {
        if (err instanceof NotModelled) return undefined;
        throw err;
    }
}

/** A verification pod from its template (a Job's, or a Pod the API server holds), as the runner runs it. */
export function checkPodOf(objects: readonly any[], check: string, namespace: string, podName: string, template: any): CheckPod {
    const c = template.spec?.containers?.[0] ?? {};
    return {
        check,
        pod: modelPod(objects, namespace, podName, template),
        command: [...(c.command ?? []), ...(c.args ?? [])],
        env: Object.fromEntries((c.env ?? []).filter((e: any) => typeof e.value === "string").map((e: any) => [e.name, e.value])),
    };
}
