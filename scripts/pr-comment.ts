/**
 * `npm run pr-comment -- --base <dir> --head <dir>`: the body of the pull-request
 * comment that CI posts (and edits on later pushes): per stack, whether the plan
 * passed validation, what changes against the base branch, and the mesh as a
 * Mermaid chart. `<dir>` holds `<stack>.json` plans (and `<stack>.txt`, the plan's
 * output, shown when a plan failed). Secrets are already masked in plans.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { renderComment } from "../src/judgement/plan/prComment";

function readIfExists<T>(file: string, parse: (text: string) => T): T | undefined {
    return fs.existsSync(file) ? parse(fs.readFileSync(file, "utf8")) : undefined;
}

function main(): void {
    const { values } = parseArgs({ options: { base: { type: "string" }, head: { type: "string" }, sha: { type: "string" } } });
    const head = values.head;
    const base = values.base;
    if (!head) {
        process.stderr.write("usage: npm run pr-comment -- --head <dir> [--base <dir>] [--sha <commit>]\n");
        process.exit(2);
    }
    const stacks = [
        ...new Set(
            fs
                .readdirSync(head)
                .map((f) => /^(.+)\.(json|txt)$/.exec(f)?.[1])
                .filter((s): s is string => s !== undefined),
        ),
    ].sort();
    const comment = renderComment(
        stacks.map((stack) => ({
            stack,
            base: base ? readIfExists(path.join(base, `${stack}.json`), JSON.parse) : undefined,
            head: readIfExists(path.join(head, `${stack}.json`), JSON.parse),
            headLog: readIfExists(path.join(head, `${stack}.txt`), (t) => t),
        })),
        values.sha,
    );
    process.stdout.write(comment);
}

main();
