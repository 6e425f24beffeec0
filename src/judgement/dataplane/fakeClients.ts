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
import { metricPrincipal } from "./apps";

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
    /** Seconds each readiness try takes (curl cuts it at its --max-time); the clock moves by them. */
    readonly readyTrySeconds?: number;
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

/** Envoy's `/stats` text: the clusters' completed requests. */
const statsText = (s: Stats) =>
    Object.entries(s)
        .filter(([k]) => metricPrincipal(k) === undefined)
        .map(([c, n]) => `cluster.${c}.upstream_rq_completed: ${n}`)
        .join("\n") + "\n";

/** Envoy's `/stats/prometheus`: Istio's request metric as the caller's proxy reports it (the labels a check reads; the proxy gives more). */
const prometheusText = (s: Stats) =>
    Object.entries(s)
        .flatMap(([k, n]) => {
            const p = metricPrincipal(k);
            return p === undefined ? [] : [`istio_requests_total{reporter="source",destination_principal="${p}",response_code="200"} ${n}`];
        })
        .join("\n") + "\n";

/** Runs `script` with `env`, its clients playing `p` back. */
export function runVerifyScript(script: string, env: Readonly<Record<string, string>>, p: Playback): ScriptRun {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-verify-"));
    try {
        p.answers.forEach((a, i) => fs.writeFileSync(path.join(dir, `a${i + 1}`), a.body));
        // One line per answer (`<body file>|<status>|<milliseconds>`), read by the clients with shell builtins only.
        p.answers.forEach((a, i) => fs.writeFileSync(path.join(dir, `m${i + 1}`), `a${i + 1}|${String(a.status).padStart(3, "0")}|${Math.round(a.seconds * 1000)}\n`));
        const stats = p.stats ?? { first: {}, warm: {}, after: {} };
        fs.writeFileSync(path.join(dir, "stats-first"), statsText(stats.first));
        fs.writeFileSync(path.join(dir, "stats-warm"), statsText(stats.warm));
        fs.writeFileSync(path.join(dir, "stats-after"), statsText(stats.after));
        fs.writeFileSync(path.join(dir, "stats-first-prom"), prometheusText(stats.first));
        fs.writeFileSync(path.join(dir, "stats-warm-prom"), prometheusText(stats.warm));
        fs.writeFileSync(path.join(dir, "stats-after-prom"), prometheusText(stats.after));
        const n = p.answers.length;
        // The next answer: its number counted in a file, its line read; builtins only (the script asks hundreds of times).
        const next = [
            `n=0; [ -f ${dir}/count ] && read -r n < ${dir}/count; n=$((n+1)); echo $n > ${dir}/count`,
            `IFS='|' read -r file ms < ${dir}/m$n || { file=""; ms=0; }`,
            'status=${ms%%|*}; ms=${ms#*|}',
            `file=${dir}/$file`,
        ];
        fs.writeFileSync(
            path.join(dir, "curl"),
            [
                "#!/bin/sh",
                // One record per call (its arguments; the -w format's newlines kept, the record ended by a line of its own).
                `printf '%s\\n\\036\\n' "$*" >> ${dir}/curl-calls`,
                'case " $* " in *" -X POST "*) exit 0 ;; esac',
                // The proxy's statistics: at the first look, at later looks before the answers, and once they are given.
                `case " $* " in *"127.0.0.1:15000/stats"*) case " $* " in *"/stats/prometheus"*) x=-prom ;; *) x="" ;; esac; k=0; [ -f ${dir}/looks ] && read -r k < ${dir}/looks; k=$((k+1)); echo $k > ${dir}/looks; c=0; [ -f ${dir}/count ] && read -r c < ${dir}/count; if [ "$c" -ge ${n} ] && [ ${n} -gt 0 ]; then cat ${dir}/stats-after$x; elif [ "$k" -gt 1 ]; then cat ${dir}/stats-warm$x; else cat ${dir}/stats-first$x; fi; exit 0 ;; esac`,
                'format=""; prev=""; max=""; for a in "$@"; do [ "$prev" = "-w" ] && format="$a"; [ "$prev" = "--max-time" ] && max="$a"; prev="$a"; done',
                // curl gives up at --max-time (seconds, maybe with a fraction, compared in milliseconds).
                'if [ -n "$max" ]; then case "$max" in *.*) f="${max#*.}000"; f=${f%"${f#???}"}; mx=$(( ${max%%.*} * 1000 + 1$f - 1000 )) ;; *) mx=$(( max * 1000 )) ;; esac; else mx=""; fi',
                'args=" $* "',
                // The clock, in milliseconds: moved by what takes time before the answers (see date).
                `tick() { c=1000000; [ -f ${dir}/clock ] && read -r c < ${dir}/clock; echo $((c + $1)) > ${dir}/clock; }`,
                // One answer ($file, $status, $ms) as curl gives it: the body (unless -o /dev/null), then the -w format
                // with its two variables put in by the shell's own pattern removal; past --max-time no body, status 000.
                "answer() {",
                '  if [ -n "$mx" ] && [ "$ms" -gt "$mx" ]; then status=000; ms=$mx; else case "$args" in *" -o /dev/null "*) ;; *) cat "$file" ;; esac; fi',
                '  r=00$(( ms % 1000 )); r=${r#"${r%???}"}; seconds="$(( ms / 1000 )).${r}000"',
                '  out=""; f=$format; while :; do case "$f" in *"%{http_code}"*) out="$out${f%%"%{http_code}"*}$status"; f=${f#*"%{http_code}"} ;; *"%{time_total}"*) out="$out${f%%"%{time_total}"*}$seconds"; f=${f#*"%{time_total}"} ;; *) break ;; esac; done',
                // curl reads a backslash-n in a -w format as a newline, as printf's %b does.
                '  [ -n "$format" ] && printf "%b" "$out$f"',
                "  return 0",
                "}",
                // --parallel: every answer at once, each as the -w format gives it (the script asks for status and time).
                `case " $* " in *" --parallel "*) k=0; while [ $k -lt ${n} ]; do k=$((k+1)); IFS='|' read -r file ms < ${dir}/m$k; status=\${ms%%|*}; ms=\${ms#*|}; answer; done; echo ${n} > ${dir}/count; exit 0 ;; esac`,
                `case " $* " in *" -o /dev/null "*) ms=${Math.round((p.readyTrySeconds ?? 0) * 1000)}; [ -n "$mx" ] && [ "$ms" -gt "$mx" ] && ms=$mx; tick $ms; [ -n "$format" ] && printf '%s' "${p.readyStatus}"; exit 0 ;; esac`,
                ...next,
                'answer',
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
        // The clock (milliseconds in a file): it starts at 1000 s and moves by the readiness tries, by what the
        // script sleeps and, once the first answer is given, by `elapsedSeconds`: the requests' time.
        fs.writeFileSync(path.join(dir, "sleep"), `#!/bin/sh\nc=1000000; [ -f ${dir}/clock ] && read -r c < ${dir}/clock; echo $((c + \${1%%.*} * 1000)) > ${dir}/clock\n`, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "date"), `#!/bin/sh\nc=1000000; [ -f ${dir}/clock ] && read -r c < ${dir}/clock; c=$((c / 1000)); [ -f ${dir}/count ] && c=$((c + ${p.elapsedSeconds ?? 0})); echo $c\n`, { mode: 0o755 });
        const r = spawnSync("sh", ["-c", script], { encoding: "utf8", env: { ...env, PATH: `${dir}:${process.env.PATH}`, TERMINATION_LOG: path.join(dir, "termination-log") } });
        const log = fs.existsSync(path.join(dir, "termination-log")) ? fs.readFileSync(path.join(dir, "termination-log"), "utf8") : "";
        const calls = fs.existsSync(path.join(dir, "curl-calls"))
            ? fs
                  .readFileSync(path.join(dir, "curl-calls"), "utf8")
                  .split("\n\x1e\n")
                  .filter((l) => l !== "")
                  .map((l) => l.replace(/\n/g, " "))
            : [];
        return { status: r.status, stdout: r.stdout, log, curlCalls: calls };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
