/**
 * A fake `pulumi` for the commands' tests: prints `version` as given, records
 * every call, answers `stack select --stack <name>` (exit 0 for the stacks in
 * FAKE_STACKS, 255 and the CLI's words otherwise), `stack ls --json`,
 * `stack output --json` and `stack history --json` (empty), and writes the
 * summary event an operation's `--event-log` file would hold. Each fake sits in
 * a `bin` folder, where the Automation API looks for an installed CLI.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface FakePulumi {
    /** The folder to put on PATH (`<root>/bin`). */
    readonly dir: string;
    /** Every call so far, one line of its arguments each. */
    readonly calls: () => string[];
}

export function fakePulumi(version: string): FakePulumi {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "iw-fake-pulumi-"));
    const dir = path.join(root, "bin");
    fs.mkdirSync(dir);
    const log = path.join(root, "calls");
    const summary = '{"sequence":0,"timestamp":0,"summaryEvent":{"maybeCorrupt":false,"durationSeconds":0,"resourceChanges":{},"PolicyPacks":{}}}';
    fs.writeFileSync(
        path.join(dir, "pulumi"),
        [
            "#!/bin/sh",
            `echo "$*" >> ${log}`,
            `[ "$1" = version ] && { echo ${version}; exit 0; }`,
            'if [ "$1 $2" = "stack select" ]; then case " $FAKE_STACKS " in *" $4 "*) exit 0 ;; *) echo "error: no stack named \'$4\' found" >&2; exit 255 ;; esac; fi',
            '[ "$1 $2" = "stack ls" ] && { printf "["; sep=""; for s in $FAKE_STACKS; do printf "%s{\\"name\\":\\"%s\\"}" "$sep" "$s"; sep=","; done; echo "]"; exit 0; }',
            '[ "$1 $2" = "stack output" ] && { echo "{}"; exit 0; }',
            '[ "$1 $2" = "stack history" ] && { echo "[]"; exit 0; }',
            `prev=""; for a in "$@"; do [ "$prev" = "--event-log" ] && echo '${summary}' > "$a"; prev="$a"; done`,
            "exit 0",
        ].join("\n"),
        { mode: 0o755 },
    );
    return { dir, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []) };
}
