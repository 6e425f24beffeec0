/**
 * The Pulumi CLI, driven through Pulumi's Automation API
 * (`@pulumi/pulumi/automation`): which CLI runs, the stacks its backend has,
 * and `up`, `preview` and `destroy` of a stack of this project with its policy pack.
 *
 * A `pulumi` on PATH is used when it is at least the version this project pins
 * (the `pulumi` npm package's); without one, the pinned CLI is installed by the
 * Automation API (`PulumiCommand.install`, into `~/.pulumi/versions/<version>`).
 * Each way that cannot work ends in one sentence that says what to do, never in
 * a stack trace.
 */
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The CLI version this project pins: its `pulumi` npm package's. */
export const PINNED_PULUMI: string = require("pulumi/package.json").version;

export const INSTALL_URL = "https://www.pulumi.com/docs/iac/download-install/";

export type CliChoice = { readonly command: PulumiCommand; readonly line: string } | { readonly refusal: string };

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

/**
 * The installation root the Automation API expects of a CLI binary (`<root>/bin/pulumi`): its own
 * when it sits in a `bin` folder, else a folder of links beside the user's cache that makes one.
 */
export function installationRoot(binary: string, cacheDir: string = path.join(os.homedir(), ".pulumi", "istio-workshop")): string {
    const dir = path.dirname(binary);
    if (path.basename(dir) === "bin") return path.dirname(dir);
    const root = path.join(cacheDir, "path-cli");
    const link = path.join(root, "bin", path.basename(binary));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.rmSync(link, { force: true });
    fs.symlinkSync(binary, link);
    return root;
}

export interface LocateOptions {
    readonly env?: NodeJS.ProcessEnv;
    /** The Automation API's handle on the CLI installed under a root (default `PulumiCommand.get`, its version unchecked: it is checked here). */
    readonly get?: (root: string) => Promise<PulumiCommand>;
    /** Installs (or finds already installed) the pinned CLI; default `PulumiCommand.install` into `~/.pulumi/versions/<version>`. */
    readonly install?: (version: string) => Promise<PulumiCommand>;
    /** Where a CLI outside a `bin` folder gets a root of links (default `~/.pulumi/istio-workshop`). */
    readonly cacheDir?: string;
}

/** A version as the Automation API takes it: a SemVer of the semver it uses itself (another copy's would not do). */
type AutomationVersion = NonNullable<PulumiCommand["version"]>;
function automationVersion(version: string): AutomationVersion {
    const semver = require(require.resolve("semver", { paths: [path.dirname(require.resolve("@pulumi/pulumi/package.json"))] })) as { SemVer: new (v: string) => AutomationVersion };
    return new semver.SemVer(version);
}

const getCommand = (root: string) => PulumiCommand.get({ root, skipVersionCheck: true });
const installCommand = (version: string) => PulumiCommand.install({ version: automationVersion(version), root: path.join(os.homedir(), ".pulumi", "versions", version) });

/** The CLI to run: a recent enough one on PATH, else the pinned one (installed on first use); or why neither works. */
export async function locatePulumi(options: LocateOptions = {}): Promise<CliChoice> {
    const env = options.env ?? process.env;
    const pinned = parseVersion(PINNED_PULUMI)!;
    const onPath = pulumiOnPath(env);
    if (onPath !== undefined) {
        let command: PulumiCommand;
        try {
            command = await (options.get ?? getCommand)(installationRoot(onPath, options.cacheDir));
        } catch {
            return { refusal: `${onPath} is on PATH but \`pulumi version\` did not answer: fix or remove it (${INSTALL_URL}); nothing was run` };
        }
        const found = command.version ? [command.version.major, command.version.minor, command.version.patch] : undefined;
        if (found === undefined) return { refusal: `${onPath} is on PATH but \`pulumi version\` did not answer: fix or remove it (${INSTALL_URL}); nothing was run` };
        if (!recentEnough(found, pinned)) {
            return {
                refusal: `pulumi on PATH (${onPath}) is v${found.join(".")}; this project needs v${PINNED_PULUMI} or a later v${pinned[0]}.x: upgrade it (${INSTALL_URL}) or take it off PATH to use the pinned one; nothing was run`,
            };
        }
        return { command, line: `Pulumi CLI: v${found.join(".")} from PATH (${onPath})` };
    }
    try {
        const command = await (options.install ?? installCommand)(PINNED_PULUMI);
        return { command, line: `Pulumi CLI: v${PINNED_PULUMI}, the pinned one (${command.command})` };
    } catch (err) {
        const why = (err instanceof Error ? err.message : String(err)).split("\n")[0];
        return {
            refusal: `no pulumi on PATH, and the pinned v${PINNED_PULUMI} could not be installed (${why}): install the Pulumi CLI (${INSTALL_URL}), put it on PATH and run this again; nothing was run`,
        };
    }
}

/** What the CLI's environment adds for a stack: its aws:profile as AWS_PROFILE (for the AWS CLI the kubeconfig's token command runs). */
export function awsEnvironment(settings: { readonly awsProfile?: string }): Record<string, string> {
    return settings.awsProfile ? { AWS_PROFILE: settings.awsProfile } : {};
}

/** One line for a stack the backend does not have: the stacks it has, and the command that creates one. */
export function unknownStackLine(stack: string, backendStacks: readonly string[] | undefined): string {
    const there = backendStacks === undefined ? "the backend's stacks could not be listed" : `stacks in the backend: ${backendStacks.length > 0 ? backendStacks.join(", ") : "none"}`;
    return `stack "${stack}" does not exist in the backend (${there}); create it with \`npm run stack-init -- --stack ${stack}\`; nothing was run`;
}

/** Where a stack of the project runs: its directory, the CLI, the environment the CLI gets besides the process's. */
export interface StackPlace {
    readonly projectDir: string;
    readonly command: PulumiCommand;
    readonly envVars: Record<string, string>;
}

/** The first line of what the CLI said when it failed (the Automation API's error carries all of it). */
export function cliWords(err: unknown): string {
    const text = err instanceof Error ? err.message : String(err);
    const stderr = /stderr: ([\s\S]*?)(\n\S+: |$)/.exec(text)?.[1]?.trim();
    return (stderr || text).split("\n").find((l) => l.trim() !== "")?.trim() ?? text;
}

/**
 * The stack, selected; or, when the backend does not have it, one line that
 * lists the stacks it has (never creating one). Any other failure (no backend
 * login, say) is the CLI's own words.
 */
export async function openStack(place: StackPlace, stack: string): Promise<Stack | { readonly refusal: string }> {
    const opts = { pulumiCommand: place.command, envVars: place.envVars };
    try {
        return await LocalWorkspace.selectStack({ stackName: stack, workDir: place.projectDir }, opts);
    } catch (err) {
        let stacks: string[] | undefined;
        try {
            const ws = await LocalWorkspace.create({ workDir: place.projectDir, ...opts });
            stacks = (await ws.listStacks()).map((s) => s.name).sort();
        } catch {
            stacks = undefined;
        }
        return { refusal: stacks !== undefined && stacks.includes(stack) ? cliWords(err) : unknownStackLine(stack, stacks) };
    }
}

/** Creates the stack in the backend (`npm run stack-init`): the one way a stack is made. */
export async function createStack(place: StackPlace, stack: string): Promise<void> {
    await LocalWorkspace.createStack({ stackName: stack, workDir: place.projectDir }, { pulumiCommand: place.command, envVars: place.envVars });
}

/** The stack's outputs, secrets shown, as plain values. */
export async function stackOutputs(stack: Stack): Promise<Record<string, unknown>> {
    return Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
}
