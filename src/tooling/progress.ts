/** Progress lines go to stderr on a terminal, or wherever ISTIO_WORKSHOP_PROGRESS=1 asks for them (CI logs, tests). */
export function showProgress(env: NodeJS.ProcessEnv = process.env, stderrIsTty = process.stderr.isTTY === true): boolean {
    return stderrIsTty || env.ISTIO_WORKSHOP_PROGRESS === "1";
}
