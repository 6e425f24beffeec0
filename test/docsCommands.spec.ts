/**
 * Every command the README and the docs show: the offline ones are run; the
 * Pulumi CLI ones (typed by hand, or run by `npm run up|preview|destroy|
 * stack-init|kubeconfigs`) are checked against the CLI's own reference for its
 * commands and flags (`test/fixtures/pulumi-cli/commands.json`, origin noted
 * there); every `npm run` names a script of package.json and only flags the
 * script reads. Links between the documents resolve.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { OPERATION_FLAGS, OPERATIONS, PROJECT_FLAGS, parseOperation, runOperation, type Operation } from "../src/tooling/operations";
import { createStack, locatePulumi, openStack, stackOutputs } from "../src/tooling/pulumi";
import { POLICY_PACK, PROJECT_DIR } from "../src/tooling/target";
import { fakePulumi } from "./fakePulumi";
import { locateHelm, locatePackagedKubectl } from "../src/tooling/helm";

const ROOT = path.resolve(__dirname, "..");
const DOCS = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const CLI = JSON.parse(fs.readFileSync(path.join(ROOT, "test/fixtures/pulumi-cli/commands.json"), "utf8"));

/** Scripts that only read the repository and print (or write where they are told): the docs' commands for them are run. */
const OFFLINE = new Set(["plan", "attacks", "lessons-guide", "config-reference"]);
/** Scripts that hand their flags to the Pulumi CLI command of the same name. */
const PASS_THROUGH: Readonly<Record<string, Operation>> = { up: "up", preview: "preview", destroy: "destroy" };
/** Tools the docs show that are not this project's: named, not run. */
const TOOLS = new Set(["kubectl", "aws", "helm", "istioctl", "kind", "curl", "export", "docker"]);

interface Shown {
    readonly file: string;
    readonly command: string;
    /** Named in prose rather than shown in a block: a bare name (`npm run plan`) is not run. */
    readonly inline?: boolean;
}

/** The file a package script runs. */
const scriptFile = (script: string) => PACKAGE.scripts[script].split(" ").find((w: string) => w.endsWith(".ts"));

/** The commands of a document: each line of its shell blocks (continuations joined, comments cut), and inline code that is a command. */
export function shownCommands(file: string, text: string): Shown[] {
    const out: Shown[] = [];
    for (const block of text.matchAll(/```(?:bash|sh|shell)\n([\s\S]*?)```/g)) {
        const joined = block[1].replace(/\\\n\s*/g, " ");
        for (const line of joined.split("\n")) {
            const command = line.replace(/\s+#.*$/, "").trim();
            if (command !== "" && !command.startsWith("#")) out.push({ file, command });
        }
    }
    const prose = text.replace(/```[\s\S]*?```/g, "");
    for (const span of prose.matchAll(/`([^`\n]+)`/g)) {
        const c = span[1];
        // Messages quoted in prose (they carry an ellipsis) are not commands.
        if (/^(npm (run|ci|test)|npx pulumi |pulumi |kubectl |helm )/.test(c) && !c.includes("…")) out.push({ file, command: c, inline: true });
    }
    return out;
}

/**
 * Simple commands of a line, as a shell reads them: split at `&&`, `||`, `;`, `|` and `&` outside
 * quotes, words split at blanks outside quotes (the quotes removed), `$(...)` as one word, and
 * assignments like `id=$(...)` dropped.
 */
function simpleCommands(line: string): string[][] {
    // `npm run up|preview|destroy`: the docs' way of naming several scripts at once.
    const text = line.replace(/npm run ([\w-]+(?:\|[\w-]+)+)/, (_m, names: string) => `npm run ${names.split("|")[0]}`).replace(/\$\([^)]*\)/g, "VALUE");
    const commands: string[][] = [];
    let words: string[] = [];
    let word: string | undefined;
    let quote: string | undefined;
    const endWord = () => {
        if (word !== undefined) words.push(word);
        word = undefined;
    };
    const endCommand = () => {
        endWord();
        if (words.length > 0 && !/^\w+=/.test(words[0])) commands.push(words);
        words = [];
    };
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (quote !== undefined) {
            if (c === quote) quote = undefined;
            else word = (word ?? "") + c;
        } else if (c === "'" || c === '"') {
            quote = c;
            word ??= "";
        } else if (/\s/.test(c)) {
            endWord();
        } else if (c === ";" || c === "|" || c === "&") {
            if ((c === "|" || c === "&") && text[i + 1] === c) i++;
            endCommand();
        } else {
            word = (word ?? "") + c;
        }
    }
    endCommand();
    return commands;
}

/**
 * Flags the CLI keeps out of its help (hidden), each with a value, that the Automation API of
 * `@pulumi/pulumi` passes to the operations it runs (`automation/stack.js`: how the program runs,
 * where the engine's events go): not in the CLI's command reference, so left out of the check.
 */
const AUTOMATION_FLAGS = ["--exec-kind", "--event-log"] as const;

/** Does a Pulumi CLI invocation name a command of the reference, with only its flags? The problem, if not. */
export function pulumiProblem(args: readonly string[]): string | undefined {
    const words = args.filter((a) => !a.startsWith("-"));
    const name = [2, 1].map((n) => words.slice(0, n).join(" ")).find((n) => CLI.commands[n] !== undefined);
    if (name === undefined) return `pulumi ${args.join(" ")}: no such command in the CLI reference`;
    const known = new Set([...CLI.commands[name].flags, ...CLI.global]);
    for (const a of args) {
        if (!a.startsWith("-")) continue;
        const flag = a.split("=")[0];
        if (!known.has(flag)) return `pulumi ${args.join(" ")}: ${name} has no flag ${flag}`;
    }
    return undefined;
}

const placeholder = (words: readonly string[]) => words.some((w) => /[<>]|^(X|NAME|VALUE)$|\.\.\.|^s3:/.test(w));

describe("the commands the README and the docs show", () => {
    const shown = DOCS.flatMap((f) => shownCommands(f, fs.readFileSync(path.join(ROOT, f), "utf8")));

    it("finds commands in every document that has any, among them the two of the README", () => {
        assert.ok(shown.length > 60, `${shown.length} commands`);
        const readme = shown.filter((s) => s.file === "README.md").map((s) => s.command);
        assert.ok(readme.includes("npm ci && npm test") && readme.includes("npm run up -- --stack dev"));
    });

    it("name scripts of package.json with flags those scripts read, and Pulumi CLI commands and flags that exist", () => {
        const problems: string[] = [];
        for (const s of shown) {
            for (const words of simpleCommands(s.command)) {
                const where = `${s.file}: ${s.command}`;
                if (words[0] === "npm") {
                    if (words[1] === "ci" || words[1] === "test") continue;
                    if (words[1] !== "run") {
                        problems.push(`${where}: npm ${words[1]}`);
                        continue;
                    }
                    // `npm run -s <script>`: npm's own silence flag (what a command's output is captured with) is not the script's.
                    if (["-s", "--silent"].includes(words[2])) words.splice(2, 1);
                    const script = words[2];
                    if (script === undefined) continue; // `npm run`: the list of scripts
                    if (!PACKAGE.scripts[script]) {
                        problems.push(`${where}: no script ${script} in package.json`);
                        continue;
                    }
                    const flags = words.slice(3).filter((w) => w.startsWith("--") && w !== "--");
                    if (script === "pulumi") {
                        // The project's Pulumi CLI, with the CLI's own command and flags after `--`.
                        const p = pulumiProblem(words.slice(words[3] === "--" ? 4 : 3));
                        if (p) problems.push(`${where}: ${p}`);
                        continue;
                    }
                    if (PASS_THROUGH[script]) {
                        // A mention in passing (`npm run up`) names no stack: its flags are what is checked.
                        const given = words.slice(4);
                        const p = parseOperation(PASS_THROUGH[script], given.some((w) => w === "--stack" || w === "-s") ? given : ["--stack", "a-stack", ...given]);
                        if ("refusal" in p) problems.push(`${where}: ${p.refusal}`);
                        continue;
                    }
                    const source = fs.readFileSync(path.join(ROOT, scriptFile(script)), "utf8");
                    for (const f of flags) if (!source.includes(`"${f.slice(2)}"`) && !source.includes(` ${f.slice(2)}:`)) problems.push(`${where}: ${script} reads no ${f}`);
                } else if (words[0] === "npx" || words[0] === "pulumi") {
                    const args = words[0] === "npx" ? words.slice(2) : words.slice(1);
                    if (words[0] === "npx" && words[1] !== "pulumi") problems.push(`${where}: npx ${words[1]}`);
                    const p = pulumiProblem(args);
                    if (p) problems.push(`${where}: ${p}`);
                } else if (!TOOLS.has(words[0])) {
                    problems.push(`${where}: ${words[0]} is neither a project command nor a known tool`);
                }
            }
        }
        assert.deepEqual(problems, []);
    });

    it("the CLI calls the Automation API makes for the commands exist too, with those flags; every flag the commands pass on is the CLI's", async function () {
        this.timeout(60_000);
        // Each operation's flags are flags of the CLI's command of the same name.
        for (const op of OPERATIONS) {
            for (const [name, f] of Object.entries(OPERATION_FLAGS)) {
                if (!(f.for as readonly string[]).includes(op) || PROJECT_FLAGS.has(name)) continue;
                const flags = [`--${name}`, ..."short" in f ? [`-${f.short}`] : []];
                for (const flag of flags) assert.equal(pulumiProblem([op, flag]), undefined, `${op} ${flag}`);
            }
        }
        // The calls themselves, as the Automation API makes them, on a fake CLI that records them.
        const fake = fakePulumi(`v${require("pulumi/package.json").version}`);
        const cli = await locatePulumi({ env: { PATH: fake.dir } });
        assert.ok("command" in cli, JSON.stringify(cli));
        const place = { projectDir: PROJECT_DIR, command: cli.command, envVars: { FAKE_STACKS: "dev" } };
        await createStack(place, "other");
        assert.ok("refusal" in (await openStack(place, "missing")));
        const stack = await openStack(place, "dev");
        assert.ok(!("refusal" in stack));
        const quiet = { out: () => undefined, err: () => undefined, confirm: async () => true };
        const all = ["--stack", "dev", "--diff", "--refresh", "--message", "m", "--parallel", "4", "--target", "urn:a", "--target-dependents"];
        for (const [op, extra] of [["preview", ["--expect-no-changes", "--replace", "urn:b", "--policy-pack-config", "c.json"]], ["up", []], ["up", ["--yes"]], ["destroy", []]] as const) {
            const parsed = parseOperation(op, [...all, ...extra]);
            assert.ok("flags" in parsed, JSON.stringify(parsed));
            assert.equal(await runOperation(stack, op, parsed.flags, POLICY_PACK, quiet), 0, op);
        }
        await stackOutputs(stack);
        const calls = fake.calls().map((c) => c.split(" "));
        assert.ok(calls.length >= 15, `${calls.length} calls`);
        for (const c of calls) for (const hidden of AUTOMATION_FLAGS) if (c.includes(hidden)) c.splice(c.indexOf(hidden), 2);
        assert.deepEqual(calls.map(pulumiProblem).filter(Boolean), []);
        // The reference is strict: what the CLI does not have is named.
        assert.match(pulumiProblem(["stack", "unprotect", "--all"])!, /no such command/);
        assert.match(pulumiProblem(["stack", "select", "--create-if-missing", "x"])!, /stack select has no flag --create-if-missing/);
    });

    it("the hidden flags the Automation API passes are the ones its own source passes", () => {
        const source = fs.readFileSync(require.resolve("@pulumi/pulumi/automation/stack.js"), "utf8");
        for (const flag of AUTOMATION_FLAGS) assert.ok(source.includes(`"${flag}"`), flag);
    });

    /** The docs' commands of a tool, each checked by the tool's own parser: resolved, flags parsed, help asked for (nothing run). */
    function toolProblems(tool: string, binary: string): { problems: string[]; checked: number } {
        const problems: string[] = [];
        let checked = 0;
        for (const s of shown) {
            for (const words of simpleCommands(s.command)) {
                if (words[0] !== tool) continue;
                const args = words.slice(1);
                const end = args.indexOf("--");
                const withHelp = end >= 0 ? [...args.slice(0, end), "--help", ...args.slice(end)] : [...args, "--help"];
                const r = spawnSync(binary, withHelp, { encoding: "utf8", env: { PATH: "", HOME: os.tmpdir() } });
                checked++;
                if (r.status !== 0) problems.push(`${s.file}: ${tool} ${args.join(" ")}: ${r.stderr.trim().split("\n")[0]}`);
            }
        }
        return { problems, checked };
    }

    it("every kubectl command is one kubectl 1.35 has, with flags it takes (its own parser, asked for help)", async function () {
        const kubectl = await locatePackagedKubectl();
        if (!("path" in kubectl)) this.skip();
        const { problems, checked } = toolProblems("kubectl", kubectl.path);
        assert.deepEqual(problems, []);
        assert.ok(checked > 30, `${checked} kubectl commands`);
        // The check can fail: a typo'd subcommand or flag is named.
        assert.notEqual(spawnSync(kubectl.path, ["get", "pods", "--namespaces", "x", "--help"]).status, 0);
        assert.notEqual(spawnSync(kubectl.path, ["portforward", "--help"]).status, 0);
    });

    it("every helm command is one the pinned helm has, with flags it takes", async function () {
        const helm = await locateHelm();
        if (!("path" in helm)) this.skip();
        const { problems, checked } = toolProblems("helm", helm.path);
        assert.deepEqual(problems, []);
        assert.ok(checked >= 2, `${checked} helm commands`);
        assert.notEqual(spawnSync(helm.path, ["ls", "--all-namespace", "--help"]).status, 0);
    });

    it("the offline ones run, in the order the docs show them, and succeed", function () {
        this.timeout(600_000);
        // A scratch directory: files the commands write (plans, graphs) land there; paths the docs give exist there.
        const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "iw-docs-"));
        fs.symlinkSync(path.join(ROOT, "policy"), path.join(cwd, "policy"));
        const ran: string[] = [];
        for (const s of shown) {
            for (const words of simpleCommands(s.command)) {
                if (words[0] !== "npm" || words[1] !== "run" || !OFFLINE.has(words[2]) || placeholder(words) || (s.inline && words.length === 3)) continue;
                const args = words.slice(3).filter((w) => w !== "--");
                // The reference writes into the repository: checked, not rewritten.
                if (words[2] === "config-reference") args.push("--check");
                const key = `${words[2]} ${args.join(" ")}`;
                if (ran.includes(key)) continue;
                const script = path.join(ROOT, scriptFile(words[2]));
                // As npm run would start them from there: the scripts resolve the paths they are given from INIT_CWD.
                const r = spawnSync(process.execPath, ["-r", require.resolve("sucrase/register/ts"), script, ...args], { cwd, env: { ...process.env, INIT_CWD: cwd }, encoding: "utf8", timeout: 300_000 });
                assert.equal(r.status, 0, `${s.file}: npm run ${key} failed:\n${r.stderr.slice(-2000)}`);
                ran.push(key);
            }
        }
        assert.ok(ran.some((k) => k.startsWith("plan --stack dev --diff old.json")) && ran.some((k) => k.startsWith("attacks")), ran.join("\n"));
    });

    it("the README is task-first and short, and every link between the documents resolves", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        assert.ok(readme.split("\n").length <= 200, "the README stays at most 200 lines");
        const broken: string[] = [];
        for (const f of DOCS) {
            const text = fs.readFileSync(path.join(ROOT, f), "utf8");
            for (const link of text.matchAll(/\]\(([^)\s]+)\)/g)) {
                const target = link[1];
                if (/^(https?:|mailto:)/.test(target)) continue;
                const [file, anchor] = target.split("#");
                const resolved = file === "" ? path.join(ROOT, f) : path.resolve(path.dirname(path.join(ROOT, f)), file);
                if (!fs.existsSync(resolved)) {
                    broken.push(`${f}: ${target}`);
                    continue;
                }
                if (anchor && resolved.endsWith(".md")) {
                    const slugs = [...fs.readFileSync(resolved, "utf8").matchAll(/^#+ (.+)$/gm)].map((h) => slug(h[1]));
                    if (!slugs.includes(anchor)) broken.push(`${f}: ${target} (no such heading)`);
                }
            }
        }
        assert.deepEqual(broken, []);
    });
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
    return heading
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replace(/ /g, "-");
}
