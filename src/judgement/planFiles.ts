/**
 * The files `npm run plan` reads and writes besides the stack's: an earlier
 * plan to diff against, a policy configuration, the plan's JSON and its mesh
 * as a Mermaid chart. A file that cannot be read is a user's mistake: one
 * sentence naming the file and the flag, no stack trace.
 */
import * as fs from "fs";
import * as path from "path";
import { policyLevels, type EnforcementLevel } from "./checks/validatePlan";
import { meshGraph } from "./plan/graph";
import type { Plan } from "./plan/plan";
import { writePlanJson } from "./plan/recorder";

/** A file the plan was pointed at that it cannot use. */
export class PlanFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PlanFileError";
    }
}

/** Why the plan's arguments do not go together, if they do not. */
export function checkPlanArguments(args: { readonly stack?: string; readonly diff?: string; readonly "expect-no-changes"?: boolean }): string | undefined {
    if (!args.stack) return "--stack is required";
    if (args["expect-no-changes"] && !args.diff) return "--expect-no-changes needs --diff <old.json>";
    return undefined;
}

/** Policy levels from a file of pulumi's --policy-pack-config form. */
export function readPolicyConfig(file: string): Record<string, EnforcementLevel> {
    try {
        return policyLevels(JSON.parse(fs.readFileSync(file, "utf8")));
    } catch (err) {
        throw new PlanFileError(`--policy-config ${file}: ${(err as Error).message.split("\n")[0]}`);
    }
}

/** A plan written earlier with --json. */
export function readPlan(file: string): Plan {
    let plan: Plan;
    try {
        plan = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new PlanFileError(`--diff ${file}: cannot read a plan (${(err as Error).message.split("\n")[0]})`);
    }
    if (!Array.isArray(plan.resources)) throw new PlanFileError(`--diff ${file}: not a plan written by --json`);
    return plan;
}

/** Writes the plan's JSON and its mesh graph where asked; the lines that say so. */
export function writePlanOutputs(plan: Plan, to: { readonly json?: string; readonly graph?: string }): string {
    let said = "";
    if (to.json) {
        fs.mkdirSync(path.dirname(path.resolve(to.json)), { recursive: true });
        writePlanJson(to.json, plan);
        said += `\nPlan written to ${path.resolve(to.json)}\n`;
    }
    if (to.graph) {
        fs.writeFileSync(to.graph, meshGraph(plan));
        said += `Mesh graph (Mermaid) written to ${path.resolve(to.graph)}\n`;
    }
    return said;
}

/**
 * A path the user typed, where they typed it: npm runs a script from the project's root, and says in `INIT_CWD`
 * where `npm run` was started (a relative `--json plans/x.json` from a subdirectory lands there, not in the root).
 */
export function userPath(p: string, env: NodeJS.ProcessEnv = process.env): string {
    return path.resolve(env.INIT_CWD ?? process.cwd(), p);
}
