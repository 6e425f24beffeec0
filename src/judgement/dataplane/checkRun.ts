/**
 * One verification pod run in a world: its own script (the namespace's
 * `verify-script` ConfigMap, as the pod mounts it) with its own environment,
 * the fake clients playing back what the mesh model answers to each request
 * the script makes, in the order it makes them: the readiness wait until the
 * route answers as the check waits for (at most its 90 tries), then the
 * requests, then the caller's proxy statistics.
 */
import { VERIFY_CONFIG_MAP } from "../../lessons/checks";
import { NotModelled, type Answer, type ModelPod } from "./apps";
import { runVerifyScript, type PlayedAnswer, type Stats } from "./fakeClients";
import { Mesh, drawsFrom, type World } from "./mesh";
import { modelPod } from "./world";

export type CheckOutcome = "passed" | "failed" | "not-modelled";

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

const READY_TRIES = 90;
const code = (s: number) => String(s).padStart(3, "0");

function count(into: Record<string, number>, a: Answer): void {
    for (const c of a.counted ?? []) into[c] = (into[c] ?? 0) + 1;
}

/** Runs one check pod's script in a world; the model's gaps come back as `not-modelled`, never as a pass. */
export function runCheckPod(world: World, c: CheckPod): CheckVerdict {
    const at = { namespace: c.pod.namespace, check: c.check };
    if (c.command.join(" ") !== "sh /verify/verify.sh") return { ...at, outcome: "not-modelled", detail: `its command (${c.command.join(" ")}) is not the verification script` };
    const script = world.objects.find((o) => o.kind === "ConfigMap" && o.metadata?.namespace === c.pod.namespace && o.metadata?.name === VERIFY_CONFIG_MAP)?.data?.["verify.sh"];
    if (typeof script !== "string") return { ...at, outcome: "failed", detail: `ConfigMap ${VERIFY_CONFIG_MAP} is missing: the pod cannot start` };
    const e = c.env;
    const headers = Object.fromEntries(
        (e.VERIFY_HEADERS ?? "")
            .split("\n")
            .filter((l) => l.includes(":"))
            .map((l) => [l.slice(0, l.indexOf(":")).trim(), l.slice(l.indexOf(":") + 1).trim()]),
    );
    const maxTime = Number(e.VERIFY_TIMEOUT ?? "5");
    const line = e.VERIFY_TCP_SEND;
    const readyList = e.VERIFY_READY_STATUS?.split(",");
    const isReady = (s: string) => (readyList ? readyList.includes(s) : /^2\d\d$/.test(s));
    const mesh = new Mesh(world, drawsFrom(`${c.pod.namespace}/${c.check}`));
    try {
        const ask = (concurrent = 1) => mesh.request(c.pod, e.VERIFY_URL, headers, Infinity, { concurrent, ...(line !== undefined ? { line } : {}) });
        const warm: Record<string, number> = {};
        let readyStatus = "000";
        for (let i = 0; i < READY_TRIES; i++) {
            const a = ask();
            count(warm, a);
            // The probe's curl gives up at the same --max-time; over TCP, an answer is ready.
            readyStatus = line !== undefined ? (a.status === 200 ? "200" : "000") : a.seconds > maxTime ? "000" : code(a.status);
            if (isReady(readyStatus)) break;
        }
        const after: Record<string, number> = { ...warm };
        const parallel = Number(e.VERIFY_PARALLEL ?? "0");
        const answers: PlayedAnswer[] = [];
        let elapsed = 0;
        for (let i = 0; i < Number(e.VERIFY_REQUESTS ?? "0"); i++) {
            const a = ask(parallel > 0 ? (i % parallel) + 1 : 1);
            count(after, a);
            elapsed += parallel > 0 ? a.seconds / parallel : a.seconds;
            answers.push(line !== undefined ? { body: a.status === 200 ? a.body : "", status: a.status === 200 ? 200 : "000", seconds: 0 } : { body: a.body, status: code(a.status), seconds: a.seconds });
        }
        const stats: { first: Stats; warm: Stats; after: Stats } = { first: warm, warm, after };
        const run = runVerifyScript(script, { ...e }, { readyStatus, answers, stats, elapsedSeconds: Math.round(elapsed) });
        const verdict = run.stdout.split("\n").find((l) => /^(PASS|FAIL) /.test(l)) ?? run.log.trim();
        return { ...at, outcome: run.status === 0 ? "passed" : "failed", detail: verdict };
    } catch (err) {
        if (err instanceof NotModelled) return { ...at, outcome: "not-modelled", detail: `the model does not cover ${err.message}` };
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
