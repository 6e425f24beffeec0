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

const fence = (lang: string, body: string) => `\`\`\`${lang}\n${body.trimEnd()}\n\`\`\``;

export function renderComment(stacks: readonly StackInput[], sha?: string): string {
    const out = [COMMENT_MARKER, `## Offline plan${sha ? ` for ${sha.slice(0, 7)}` : ""}`, ""];
    out.push("| stack | validation | add | remove | change |", "|---|---|---|---|---|");
    const sections: string[] = [];
    for (const s of stacks) {
        if (!s.head) {
            out.push(`| \`${s.stack}\` | ❌ plan failed | | | |`);
            sections.push(`### \`${s.stack}\`: the plan failed`, "", fence("text", s.headLog ?? "(no output)"), "");
            continue;
        }
        const problems = validatePlan(s.head);
        const diff = s.base ? diffPlans(s.base, s.head) : undefined;
        const counts = diff ? [diff.added.length, diff.removed.length, diff.changed.length] : [s.head.resources.length, 0, 0];
        out.push(`| \`${s.stack}\` | ${problems.length === 0 ? "✅ passed" : `❌ ${problems.length} problems`} | ${counts.join(" | ")} |`);
        sections.push(`### \`${s.stack}\``, "");
        if (problems.length > 0) sections.push("**Validation problems**", "", ...problems.map((p) => `- ${p}`), "");
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
