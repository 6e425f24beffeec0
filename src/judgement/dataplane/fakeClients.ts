/**
 * The verification script (`verify.sh`) run as it is shipped, with fake
 * clients in its PATH: curl, nc, date and sleep. The clients do not compute
 * anything: they play back what they are given, in order (the answers of the
 * world a caller decides: recorded replies in the unit tests, the mesh model
 * in the check runner), and honour the script's own flags where the outcome
 * depends on them (`--max-time`: a slower answer is curl's 000).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** One answer as curl reports it: the body, the status, the seconds it took. */
export interface PlayedAnswer {
    readonly body: string;
    readonly status: number | string;
    readonly seconds: number;
}

/** The caller's proxy statistics (`upstream_rq_completed` per cluster), as the script reads them. */
export type Stats = Readonly<Record<string, number>>;

export interface Playback {
    /** What the readiness probe sees, every time it asks: a status (`000`: no answer). */
    readonly readyStatus: number | string;
    /** The answers to the check's requests, in order; with `--parallel`, their statuses. */
    readonly answers: readonly PlayedAnswer[];
    /** Statistics at the first look, at later looks before the answers are given, and once they are. */
    readonly stats?: { readonly first: Stats; readonly warm: Stats; readonly after: Stats };
    /** Seconds the clock moves between the end of the wait and the last answer. */
    readonly elapsedSeconds?: number;
}

export interface ScriptRun {
    readonly status: number | null;
    readonly stdout: string;
    /** What the script wrote as the pod's termination message. */
    readonly log: string;
    /** The arguments of every curl call, one call per line. */
    readonly curlCalls: string[];
}

const statsText = (s: Stats) => Object.entries(s).map(([c, n]) => `cluster.${c}.upstream_rq_completed: ${n}`).join("\n") + "\n";

/** Runs `script` with `env`, its clients playing `p` back. */
export function runVerifyScript(script: string, env: Readonly<Record<string, string>>, p: Playback): ScriptRun {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-verify-"));
    try {
        p.answers.forEach((a, i) => fs.writeFileSync(path.join(dir, `a${i + 1}`), a.body));
        fs.writeFileSync(path.join(dir, "answers"), p.answers.map((a, i) => `a${i + 1}|${String(a.status).padStart(3, "0")}|${a.seconds.toFixed(6)}`).join("\n") + "\n");
        const stats = p.stats ?? { first: {}, warm: {}, after: {} };
        fs.writeFileSync(path.join(dir, "stats-first"), statsText(stats.first));
        fs.writeFileSync(path.join(dir, "stats-warm"), statsText(stats.warm));
        fs.writeFileSync(path.join(dir, "stats-after"), statsText(stats.after));
        const n = p.answers.length;
        const next = [
            `n=$(cat ${dir}/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/count`,
            `IFS='|' read -r file status seconds <<EOF`,
            `$(sed -n "\${n}p" ${dir}/answers)`,
            "EOF",
            `file=${dir}/$file`,
        ];
        fs.writeFileSync(
            path.join(dir, "curl"),
            [
                "#!/bin/sh",
                // One line per call (the -w format's newlines as spaces).
                `{ printf '%s' "$*" | tr '\\n' ' '; echo; } >> ${dir}/curl-calls`,
                'case " $* " in *" -X POST "*) exit 0 ;; esac',
                `case " $* " in *"127.0.0.1:15000/stats"*) k=$(cat ${dir}/looks 2>/dev/null || echo 0); k=$((k+1)); echo $k > ${dir}/looks; c=$(cat ${dir}/count 2>/dev/null || echo 0); if [ "$c" -ge ${n} ] && [ ${n} -gt 0 ]; then cat ${dir}/stats-after; elif [ "$k" -gt 1 ]; then cat ${dir}/stats-warm; else cat ${dir}/stats-first; fi; exit 0 ;; esac`,
                'format=""; prev=""; max=""; for a in "$@"; do [ "$prev" = "-w" ] && format="$a"; [ "$prev" = "--max-time" ] && max="$a"; prev="$a"; done',
                `case " $* " in *" --parallel "*) while IFS='|' read -r file status seconds; do echo "$status"; done < ${dir}/answers; echo ${n} > ${dir}/count; exit 0 ;; esac`,
                `case " $* " in *" -o /dev/null "*) [ -n "$format" ] && printf '%s' "${p.readyStatus}"; exit 0 ;; esac`,
                ...next,
                // curl gives up at --max-time: no body, status 000.
                'if [ -n "$max" ] && awk -v t="$seconds" -v m="$max" \'BEGIN { exit !(t + 0 > m + 0) }\'; then status=000; seconds=$max; else cat "$file"; fi',
                '[ -n "$format" ] && printf "%s" "$format" | sed -e "s/%{http_code}/$status/" -e "s/%{time_total}/$seconds/"',
                '[ "$status" = "000" ] && exit 28',
                "exit 0",
            ].join("\n"),
            { mode: 0o755 },
        );
        fs.writeFileSync(
            path.join(dir, "nc"),
            [
                "#!/bin/sh",
                "cat >/dev/null",
                `[ -f ${dir}/ready ] || { touch ${dir}/ready; ${String(p.readyStatus) === "000" ? "exit 1" : "echo ready; exit 0"}; }`,
                ...next,
                '[ "$status" = "000" ] && exit 1',
                'cat "$file"',
            ].join("\n"),
            { mode: 0o755 },
        );
        fs.writeFileSync(path.join(dir, "sleep"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
        // The clock: 1000 until the first answer is given, then `elapsedSeconds` later.
        fs.writeFileSync(path.join(dir, "date"), `#!/bin/sh\n[ -f ${dir}/count ] && echo ${1000 + (p.elapsedSeconds ?? 0)} || echo 1000\n`, { mode: 0o755 });
        const r = spawnSync("sh", ["-c", script], { encoding: "utf8", env: { ...env, PATH: `${dir}:${process.env.PATH}`, TERMINATION_LOG: path.join(dir, "termination-log") } });
        const log = fs.existsSync(path.join(dir, "termination-log")) ? fs.readFileSync(path.join(dir, "termination-log"), "utf8") : "";
        const calls = fs.existsSync(path.join(dir, "curl-calls")) ? fs.readFileSync(path.join(dir, "curl-calls"), "utf8").split("\n").filter((l) => l !== "") : [];
        return { status: r.status, stdout: r.stdout, log, curlCalls: calls };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
