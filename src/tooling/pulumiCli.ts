/**
 * Which Pulumi CLI the commands run, and the stacks its backend has.
 *
 * A `pulumi` on PATH is used when it is at least the version this project pins
 * (the `pulumi` npm package's, which is also what gets downloaded); without one,
 * the pinned CLI is downloaded on first use. Each way that cannot work ends in
 * one sentence that says what to do, never in a stack trace.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** The CLI version this project pins: its `pulumi` npm package's. */
export const PINNED_PULUMI: string = require("pulumi/package.json").version;

export const INSTALL_URL = "https://www.pulumi.com/docs/iac/download-install/";

export type CliChoice = { readonly bin: string; readonly line: string } | { readonly refusal: string };

/** The `pulumi` npm package's own launcher (`node_modules/.bin/pulumi` under `npm run`): the pinned CLI's downloader, not an installed CLI. */
const NPM_LAUNCHER_DIR = path.dirname(require.resolve("pulumi/package.json"));

/** The first executable `pulumi` on PATH that is an installed CLI (not the npm package's launcher), if any. */
export function pulumiOnPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
    const exe = process.platform === "win32" ? "pulumi.exe" : "pulumi";
    for (const dir of (env.PATH ?? "").split(path.delimiter).filter((d) => d !== "")) {
        const file = path.join(dir, exe);
        try {
            fs.accessSync(file, fs.constants.X_OK);
            if (!fs.statSync(file).isFile()) continue;
            if (fs.realpathSync(file).startsWith(`${fs.realpathSync(NPM_LAUNCHER_DIR)}${path.sep}`)) continue;
            return file;
        } catch {
            // not here
        }
    }
    return undefined;
}

/** `3.270.0` of `v3.270.0` (what `pulumi version` prints); undefined when it prints no version. */
export function parseVersion(text: string): [number, number, number] | undefined {
    const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Is `found` the pinned major and at least the pinned version? */
export function recentEnough(found: readonly number[], pinned: readonly number[]): boolean {
    if (found[0] !== pinned[0]) return false;
    for (let i = 1; i < 3; i++) if (found[i] !== pinned[i]) return found[i] > pinned[i];
    return true;
}

export interface LocateOptions {
    readonly env?: NodeJS.ProcessEnv;
    /** Runs `<bin> version` and returns what it printed (undefined when it cannot run). */
    readonly versionOf?: (bin: string) => string | undefined;
    /** Downloads (or finds in its cache) the pinned CLI; default the `pulumi` npm package's resolver. */
    readonly download?: () => Promise<string>;
}

const versionOfBinary = (bin: string): string | undefined => {
    const r = spawnSync(bin, ["version"], { encoding: "utf8", timeout: 30_000 });
    return r.status === 0 ? r.stdout.trim() : undefined;
};

/** The CLI to run: a recent enough one on PATH, else the pinned one (downloaded on first use); or why neither works. */
export async function locatePulumi(options: LocateOptions = {}): Promise<CliChoice> {
    const env = options.env ?? process.env;
    const pinned = parseVersion(PINNED_PULUMI)!;
    const onPath = pulumiOnPath(env);
    if (onPath !== undefined) {
        const printed = (options.versionOf ?? versionOfBinary)(onPath);
        const found = printed === undefined ? undefined : parseVersion(printed);
        if (found === undefined) return { refusal: `${onPath} is on PATH but \`pulumi version\` did not answer: fix or remove it (${INSTALL_URL}); nothing was run` };
        if (!recentEnough(found, pinned)) {
            return {
                refusal: `pulumi on PATH (${onPath}) is v${found.join(".")}; this project needs v${PINNED_PULUMI} or a later v${pinned[0]}.x: upgrade it (${INSTALL_URL}) or take it off PATH to use the pinned one; nothing was run`,
            };
        }
        return { bin: onPath, line: `Pulumi CLI: v${found.join(".")} from PATH (${onPath})` };
    }
    const download = options.download ?? (() => (require("pulumi/lib/resolve") as { resolve: () => Promise<string> }).resolve());
    try {
        const bin = await download();
        return { bin, line: `Pulumi CLI: v${PINNED_PULUMI}, the pinned one (${bin})` };
    } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        return {
            refusal: `no pulumi on PATH, and the pinned v${PINNED_PULUMI} could not be downloaded (${why}): install the Pulumi CLI (${INSTALL_URL}), put it on PATH and run this again; nothing was run`,
        };
    }
}

/** What the CLI's environment adds for a stack: its aws:profile as AWS_PROFILE (for the AWS CLI the kubeconfig's token command runs). */
export function awsEnvironment(settings: { readonly awsProfile?: string }): Record<string, string> {
    return settings.awsProfile ? { AWS_PROFILE: settings.awsProfile } : {};
}

/** The stack names of `pulumi stack ls --json` output (its `name` fields); undefined if it is not that. */
export function stackNames(json: string): string[] | undefined {
    try {
        const list = JSON.parse(json);
        return Array.isArray(list) ? list.map((s: { name?: unknown }) => String(s.name)).sort() : undefined;
    } catch {
        return undefined;
    }
}

/** One line for a stack the backend does not have: the stacks it has, and the command that creates one. */
export function unknownStackLine(stack: string, backendStacks: readonly string[] | undefined): string {
    const there = backendStacks === undefined ? "the backend's stacks could not be listed" : `stacks in the backend: ${backendStacks.length > 0 ? backendStacks.join(", ") : "none"}`;
    return `stack "${stack}" does not exist in the backend (${there}); create it with \`npm run stack-init -- --stack ${stack}\`; nothing was run`;
}
