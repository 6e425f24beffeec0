/** Runs the real verification script (`verify.sh`) for a check, against a fake curl. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { VERIFY_SCRIPT, verifyEnv, type CheckPlan } from "../components/scenarios/build";

export interface CheckRun {
    readonly status: number | null;
    readonly stdout: string;
    /** What the script wrote as the pod's termination message. */
    readonly log: string;
}

/**
 * The fake curl answers the readiness probe (`-o /dev/null`) and the sidecar's
 * quit call, and otherwise prints the next file of `bodies`, in order: each a
 * whole reply body, as the app sends it.
 */
export function runCheck(plan: CheckPlan, bodies: readonly string[]): CheckRun {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-verify-"));
    fs.writeFileSync(path.join(dir, "bodies"), bodies.join("\n") + "\n");
    fs.writeFileSync(
        path.join(dir, "curl"),
        [
            "#!/bin/sh",
            'case " $* " in *" -X POST "*) exit 0 ;; esac',
            'case " $* " in *" -o /dev/null "*) exit 0 ;; esac',
            `n=$(cat ${dir}/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/count`,
            `cat "$(sed -n "\${n}p" ${dir}/bodies)"`,
        ].join("\n"),
        { mode: 0o755 },
    );
    const env = Object.fromEntries(verifyEnv(plan).map((e) => [e.name, e.value]));
    const r = spawnSync("sh", ["-c", VERIFY_SCRIPT], {
        encoding: "utf8",
        env: { ...env, PATH: `${dir}:${process.env.PATH}`, TERMINATION_LOG: path.join(dir, "termination-log") },
    });
    const log = fs.existsSync(path.join(dir, "termination-log")) ? fs.readFileSync(path.join(dir, "termination-log"), "utf8") : "";
    return { status: r.status, stdout: r.stdout, log };
}
