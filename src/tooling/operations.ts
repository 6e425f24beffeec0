/**
 * `up`, `preview` and `destroy` of a stack through the Automation API: the
 * flags the commands take (each one the Pulumi CLI's own, passed on), the
 * project's policy pack on `up` and `preview`, and, as the CLI does in a
 * terminal, a preview and a question before anything changes unless `--yes`.
 */
import type { DestroyOptions, PreviewOptions, Stack, UpOptions } from "@pulumi/pulumi/automation";
import { parseArgs } from "util";
import { cliWords } from "./pulumi";

export type Operation = "up" | "preview" | "destroy";
export const OPERATIONS: readonly Operation[] = ["up", "preview", "destroy"];

/** The flags the commands pass on to the CLI's command of the same name: Pulumi's own names, each for the operations that have it. */
export const OPERATION_FLAGS = {
    stack: { type: "string", short: "s", for: ["up", "preview", "destroy"] },
    yes: { type: "boolean", short: "y", for: ["up", "destroy"] },
    diff: { type: "boolean", for: ["up", "preview", "destroy"] },
    refresh: { type: "boolean", for: ["up", "preview", "destroy"] },
    "expect-no-changes": { type: "boolean", for: ["up", "preview"] },
    message: { type: "string", short: "m", for: ["up", "preview", "destroy"] },
    parallel: { type: "string", short: "p", for: ["up", "preview", "destroy"] },
    target: { type: "string", multiple: true, short: "t", for: ["up", "preview", "destroy"] },
    "target-dependents": { type: "boolean", for: ["up", "preview", "destroy"] },
    replace: { type: "string", multiple: true, for: ["up", "preview"] },
    "policy-pack": { type: "string", multiple: true, for: ["up", "preview"] },
    "policy-pack-config": { type: "string", multiple: true, for: ["up", "preview"] },
    // The project's own, not the CLI's: refuse to go on when the offline validation left anything unchecked.
    strict: { type: "boolean", for: ["up", "preview"] },
} as const;

/** Flags of the project's own among `OPERATION_FLAGS`: read by the commands, never passed to the CLI. */
export const PROJECT_FLAGS: ReadonlySet<string> = new Set(["strict"]);

export interface OperationFlags {
    readonly stack: string;
    readonly yes: boolean;
    readonly diff: boolean;
    readonly refresh: boolean;
    readonly expectNoChanges: boolean;
    readonly message?: string;
    readonly parallel?: number;
    readonly target: readonly string[];
    readonly targetDependents: boolean;
    readonly replace: readonly string[];
    /** Policy packs instead of the project's; none given: the project's. */
    readonly policyPacks: readonly string[];
    readonly policyPackConfigs: readonly string[];
    /** Stop before the CLI when the offline validation left anything unchecked (charts not rendered, schemas not known). */
    readonly strict: boolean;
}

const flagList = (op: Operation) =>
    Object.entries(OPERATION_FLAGS)
        .filter(([, f]) => (f.for as readonly string[]).includes(op))
        .filter(([name]) => !PROJECT_FLAGS.has(name))
        .map(([name, f]) => `--${name}${f.type === "string" ? " <value>" : ""}`)
        .join(", ");

/** An operation's flags, or one sentence naming what it does not take and what it does. */
export function parseOperation(op: Operation, args: readonly string[]): { readonly flags: OperationFlags } | { readonly refusal: string } {
    const options = Object.fromEntries(Object.entries(OPERATION_FLAGS).filter(([, f]) => (f.for as readonly string[]).includes(op)).map(([name, { for: _, ...f }]) => [name, f]));
    const refuse = (why: string) => ({
        refusal: `npm run ${op}: ${why}; it takes ${flagList(op)}, each passed on to \`pulumi ${op}\`${op === "destroy" ? "" : ", and --strict (stop when the offline validation left anything unchecked)"} (for anything else run the CLI itself: npm run -s pulumi -- ${op} --stack <name> ...); nothing was run`,
    });
    let values: Record<string, string | boolean | string[] | undefined>;
    try {
        values = parseArgs({ args: [...args], options: options as NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>, strict: true, allowPositionals: false }).values as typeof values;
    } catch (err) {
        return refuse((err as Error).message.split("\n")[0].replace(/\. To specify .*$/, ""));
    }
    if (typeof values.stack !== "string" || values.stack === "") return refuse("--stack <name> is required");
    const parallel = values.parallel !== undefined ? Number(values.parallel) : undefined;
    if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1)) return refuse(`--parallel must be a positive integer, got ${JSON.stringify(values.parallel)}`);
    const list = (k: string) => (values[k] as string[] | undefined) ?? [];
    return {
        flags: {
            stack: values.stack,
            yes: values.yes === true,
            diff: values.diff === true,
            refresh: values.refresh === true,
            expectNoChanges: values["expect-no-changes"] === true,
            ...(typeof values.message === "string" ? { message: values.message } : {}),
            ...(parallel !== undefined ? { parallel } : {}),
            target: list("target"),
            targetDependents: values["target-dependents"] === true,
            replace: list("replace"),
            policyPacks: list("policy-pack"),
            policyPackConfigs: list("policy-pack-config"),
            strict: values.strict === true,
        },
    };
}

/** What the Automation API gets for an operation: the flags as its options, the project's policy pack unless others are given (destroy runs none). */
export function automationOptions(op: Operation, f: OperationFlags, policyPack: string): UpOptions & PreviewOptions & DestroyOptions {
    const common = {
        ...(f.diff ? { diff: true } : {}),
        ...(f.refresh ? { refresh: true } : {}),
        ...(f.message !== undefined ? { message: f.message } : {}),
        ...(f.parallel !== undefined ? { parallel: f.parallel } : {}),
        ...(f.target.length > 0 ? { target: [...f.target] } : {}),
        ...(f.targetDependents ? { targetDependents: true } : {}),
    };
    if (op === "destroy") return common;
    return {
        ...common,
        ...(f.expectNoChanges ? { expectNoChanges: true } : {}),
        ...(f.replace.length > 0 ? { replace: [...f.replace] } : {}),
        policyPacks: f.policyPacks.length > 0 ? [...f.policyPacks] : [policyPack],
        ...(f.policyPackConfigs.length > 0 ? { policyPackConfigs: [...f.policyPackConfigs] } : {}),
    };
}

export interface OperationIo {
    readonly out: (text: string) => void;
    readonly err: (text: string) => void;
    /** Asks a yes/no question; undefined where nothing can answer (no terminal). */
    readonly confirm?: (question: string) => Promise<boolean>;
}

/**
 * Runs the operation on the selected stack, the CLI's output streamed; returns
 * the exit code. Without `--yes`, `up` and `destroy` first show what they would
 * do and ask, as the CLI does in a terminal; where nothing can answer they stop
 * and say how to go on.
 */
export async function runOperation(stack: Stack, op: Operation, f: OperationFlags, policyPack: string, io: OperationIo): Promise<number> {
    let said = false;
    const options = { ...automationOptions(op, f, policyPack), onOutput: io.out, onError: (text: string) => ((said = true), io.err(text)) };
    try {
        if (op === "preview") {
            await stack.preview(options);
            return 0;
        }
        if (!f.yes) {
            if (io.confirm === undefined) {
                io.err(`npm run ${op} asks before it changes anything, and nothing here can answer: run it in a terminal, or add --yes; nothing was ${op === "up" ? "deployed" : "destroyed"}\n`);
                return 2;
            }
            if (op === "up") await stack.preview(options);
            else await stack.destroy({ ...options, previewOnly: true });
            if (!(await io.confirm(op === "up" ? "Do you want to perform this update?" : "Do you want to destroy these resources?"))) {
                io.out(`Nothing was ${op === "up" ? "deployed" : "destroyed"}.\n`);
                return 1;
            }
        }
        if (op === "up") await stack.up(options);
        else await stack.destroy(options);
        return 0;
    } catch (err) {
        // The CLI's own words went to stderr on the way; a CLI that did not run says nothing, so its error is printed.
        if (!said) io.err(`${cliWords(err)}\n`);
        return 1;
    }
}
