/**
 * The body of the pull-request comment CI posts (and edits on later pushes):
 * per stack, whether the plan passed validation, what changes against the base
 * branch, and the mesh as a Mermaid chart. Secrets are already masked in plans.
 */
import { validatePlan } from "../checks/validatePlan";
import { meshGraph } from "./graph";
import type { Plan } from "./plan";
import { diffPlans, formatDiff } from "./planDiff";

/** Marks the comment so CI edits it instead of adding another. */
export const COMMENT_MARKER = "<!-- istio-workshop offline plan -->";

export interface StackInput {
    readonly stack: string;
    readonly base?: Plan;
    readonly head?: Plan;
    /** The head plan's output, shown when there is no head plan. */
    readonly headLog?: string;
}

/**
 * A fenced block that no line of its body can close: a fence longer than any run of backticks in it (a pull
 * request's plan output is its author's text, and the comment is posted with the repository's identity).
 */
export function fence(lang: string, body: string): string {
    const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((r) => r.length));
    const ticks = "`".repeat(Math.max(3, longest + 1));
    return `${ticks}${lang}\n${body.trimEnd()}\n${ticks}`;
}

/** Text of the plan in running Markdown: no markup, no HTML, no mention, no link of its author's. */
export function inline(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/([\\`*_{}[\]()#+!|~@:])/g, "\\$1");
}

/** The last lines of a failed plan's output: enough to read the failure, never a comment of megabytes. */
export const LOG_LINES = 200;
const tail = (log: string) => {
    const lines = log.trimEnd().split("\n");
    return lines.length > LOG_LINES ? [`(the last ${LOG_LINES} of ${lines.length} lines)`, ...lines.slice(-LOG_LINES)].join("\n") : lines.join("\n");
};

export function renderComment(stacks: readonly StackInput[], sha?: string): string {
    const commit = sha && /^[0-9a-f]{7,40}$/.test(sha) ? ` for ${sha.slice(0, 7)}` : "";
    const out = [COMMENT_MARKER, `## Offline plan${commit}`, "", "_Rendered by the base branch's code from the plans of the pull request's stack files._", ""];
    out.push("| stack | validation | add | remove | change |", "|---|---|---|---|---|");
    const sections: string[] = [];
    for (const s of stacks) {
        if (!s.head) {
            out.push(`| ${inline(s.stack)} | ❌ plan failed | | | |`);
            sections.push(`### ${inline(s.stack)}: the plan failed`, "", fence("text", tail(s.headLog ?? "(no output)")), "");
            continue;
        }
        const problems = validatePlan(s.head);
        const diff = s.base ? diffPlans(s.base, s.head) : undefined;
        const counts = diff ? [diff.added.length, diff.removed.length, diff.changed.length] : [s.head.resources.length, 0, 0];
        out.push(`| ${inline(s.stack)} | ${problems.length === 0 ? "✅ passed" : `❌ ${problems.length} problems`} | ${counts.join(" | ")} |`);
        sections.push(`### ${inline(s.stack)}`, "");
        if (problems.length > 0) sections.push("**Validation problems**", "", ...problems.map((p) => `- ${inline(p)}`), "");
        sections.push(
            "<details><summary>Changes against the base branch</summary>",
            "",
            fence("diff", diff ? formatDiff(diff, s.base!, s.head) : `New stack: ${s.head.resources.length} resources`),
            "",
            "</details>",
            "",
            "<details><summary>Mesh</summary>",
            "",
            fence("mermaid", meshGraph(s.head)),
            "",
            "</details>",
            "",
        );
    }
    return [...out, "", ...sections].join("\n");
}
