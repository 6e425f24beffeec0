/**
 * `npm run config-reference`: writes the configuration reference
 * (`docs/configuration.md`) and the stack files' JSON Schema
 * (`schema/stack.schema.json`), both from the settings' zod schema.
 * `--check` writes nothing and exits 1 when either file differs.
 */
import * as fs from "fs";
import * as path from "path";
import { GENERATED } from "../src/settings/reference";

const ROOT = path.resolve(__dirname, "..");
const check = process.argv.includes("--check");
let stale = 0;
for (const [file, make] of Object.entries(GENERATED)) {
    const target = path.join(ROOT, file);
    const text = make();
    const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : undefined;
    if (current === text) continue;
    if (check) {
        process.stderr.write(`${file} is out of date: run \`npm run config-reference\`\n`);
        stale++;
    } else {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, text);
        process.stdout.write(`${file} written\n`);
    }
}
process.exit(stale > 0 ? 1 : 0);
