/** Runs the real verification script (`verify.sh`) for a check, against a fake curl. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { VERIFY_SCRIPT, verifyEnv, type CheckPlan } from "../src/lessons/checks";

export interface CheckRun {
    readonly status: number | null;
    readonly stdout: string;
    /** What the script wrote as the pod's termination message. */
    readonly log: string;
    /** The arguments of every curl call, one call per line. */
    readonly curlCalls: string[];
}

/** One answer of the fake app: a reply body file, and how curl measured it (default 200, 0.01 s). */
export type Answer = string | { readonly file: string; readonly status?: number; readonly seconds?: number };

export interface RunOptions {
    /** The status the readiness probe sees (default 200). */
    readonly readyStatus?: number | string;
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
 * The fake curl answers the readiness probe (`-o /dev/null`, with `readyStatus`
 * when asked for the status), the sidecar's quit call and its statistics
 * (`completed` requests of `statsCluster`, once the answers
 * are given), and otherwise prints the next answer, in order: a whole reply
 * body as the app sends it, then what curl's `-w` format asks for
 * (`%{http_code}`, `%{time_total}`) of that answer. With `--parallel` it gives
 * every answer's status, one per line. The fake nc echoes a TCP answer's body;
 * the fake date moves by `elapsedSeconds` once answers are given.
 */
export function runCheck(plan: CheckPlan, answers: readonly Answer[], opts: RunOptions | number = {}): CheckRun {
    const { readyStatus = 200, completed = 0, elapsedSeconds = 0, statsCluster = "outbound|9080|v2|reviews.ns.svc.cluster.local", lateWarmUp = 0 } = typeof opts === "number" ? { readyStatus: opts } : opts;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-verify-"));
    const lines = answers.map((a) => (typeof a === "string" ? { file: a } : a)).map((a) => `${a.file}|${String(a.status ?? 200).padStart(3, "0")}|${(a.seconds ?? 0.01).toFixed(6)}`);
    fs.writeFileSync(path.join(dir, "answers"), lines.join("\n") + "\n");
    const next = [
        `n=$(cat ${dir}/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/count`,
        `IFS='|' read -r file status seconds <<EOF`,
        `$(sed -n "\${n}p" ${dir}/answers)`,
        "EOF",
    ];
    fs.writeFileSync(
        path.join(dir, "curl"),
        [
            "#!/bin/sh",
            // One line per call (the -w format's newlines as spaces).
            `{ printf '%s' "$*" | tr '\\n' ' '; echo; } >> ${dir}/curl-calls`,
            'case " $* " in *" -X POST "*) exit 0 ;; esac',
            `case " $* " in *"127.0.0.1:15000/stats"*) n=$(cat ${dir}/count 2>/dev/null || echo 0); s=$(cat ${dir}/stats 2>/dev/null || echo 0); s=$((s+1)); echo $s > ${dir}/stats; m=0; [ "$s" -gt 1 ] && m=${lateWarmUp}; [ "$n" -ge ${answers.length} ] && m=$((m+${completed})); echo "cluster.outbound|8080||unrelated.ns.svc.cluster.local.upstream_rq_completed: 7"; echo "cluster.${statsCluster}.upstream_rq_completed: $m"; exit 0 ;; esac`,
            'format=""; prev=""; for a in "$@"; do [ "$prev" = "-w" ] && format="$a"; prev="$a"; done',
            `case " $* " in *" --parallel "*) while IFS='|' read -r file status seconds; do echo "$status"; done < ${dir}/answers; echo ${answers.length} > ${dir}/count; exit 0 ;; esac`,
            `case " $* " in *" -o /dev/null "*) [ -n "$format" ] && printf '%s' "${readyStatus}"; exit 0 ;; esac`,
            ...next,
            'cat "$file"',
            '[ -n "$format" ] && printf "%s" "$format" | sed -e "s/%{http_code}/$status/" -e "s/%{time_total}/$seconds/"',
            "exit 0",
        ].join("\n"),
        { mode: 0o755 },
    );
    fs.writeFileSync(
        path.join(dir, "nc"),
        [
            "#!/bin/sh",
            "cat >/dev/null",
            `[ -f ${dir}/ready ] || { touch ${dir}/ready; ${String(readyStatus) === "000" ? "exit 1" : "echo ready; exit 0"}; }`,
            ...next,
            '[ "$status" = "000" ] && exit 1',
            'cat "$file"',
        ].join("\n"),
        { mode: 0o755 },
    );
    fs.writeFileSync(path.join(dir, "sleep"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    // The clock: 1000 until the first answer is given, then `elapsedSeconds` later.
    fs.writeFileSync(path.join(dir, "date"), `#!/bin/sh\n[ -f ${dir}/count ] && echo ${1000 + elapsedSeconds} || echo 1000\n`, { mode: 0o755 });
    const env = Object.fromEntries(verifyEnv(plan).map((e) => [e.name, e.value]));
    const r = spawnSync("sh", ["-c", VERIFY_SCRIPT], {
        encoding: "utf8",
        env: { ...env, PATH: `${dir}:${process.env.PATH}`, TERMINATION_LOG: path.join(dir, "termination-log") },
    });
    const log = fs.existsSync(path.join(dir, "termination-log")) ? fs.readFileSync(path.join(dir, "termination-log"), "utf8") : "";
    const calls = fs.existsSync(path.join(dir, "curl-calls")) ? fs.readFileSync(path.join(dir, "curl-calls"), "utf8").split("\n").filter((l) => l !== "") : [];
    return { status: r.status, stdout: r.stdout, log, curlCalls: calls };
}
