/**
 * `npm run kubeconfigs -- --stack <name> [--out <dir>]`: writes one kubeconfig file
 * per attendee (`<dir>/<id>.kubeconfig.json`, readable by the owner only) from the
 * stack's `attendeeKubeconfigs` output, ready to hand out.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";

/** Writes each attendee's kubeconfig to its own file; returns the paths written. */
export function writeKubeconfigs(kubeconfigs: Record<string, string>, dir: string): string[] {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return Object.entries(kubeconfigs).map(([id, config]) => {
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(id)) throw new Error(`unexpected attendee id ${JSON.stringify(id)}`);
        const file = path.join(dir, `${id}.kubeconfig.json`);
        fs.writeFileSync(file, config.endsWith("\n") ? config : `${config}\n`, { mode: 0o600 });
        return file;
    });
}

function main(): void {
    const { values } = parseArgs({ options: { stack: { type: "string" }, out: { type: "string" } } });
    if (!values.stack) {
        process.stderr.write("usage: npm run kubeconfigs -- --stack <name> [--out <dir>]\n");
        process.exit(2);
    }
    const cli = path.join(path.dirname(require.resolve("pulumi/package.json")), "run.js");
    const r = spawnSync(process.execPath, [cli, "stack", "output", "attendeeKubeconfigs", "--show-secrets", "--json", "--stack", values.stack], {
        cwd: path.resolve(__dirname, ".."),
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) {
        process.stderr.write(r.stderr);
        process.exit(r.status ?? 1);
    }
    const files = writeKubeconfigs(JSON.parse(r.stdout), values.out ?? `kubeconfigs-${values.stack}`);
    process.stdout.write(`${files.length} kubeconfigs written:\n${files.map((f) => `  ${f}`).join("\n")}\n`);
}

if (require.main === module) main();
