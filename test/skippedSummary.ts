/**
 * A root hook (`.mocharc.json` requires it): after the last test, what was skipped and why, counted by reason, so
 * a run that skipped tests says so at its end, not only in the middle of the report. A skipped test's title
 * carries its reason (`skipWith` in `./upstream.ts`).
 */
import type { Context, Suite, Test } from "mocha";

function pending(suite: Suite): Test[] {
    return [...suite.tests.filter((t) => t.isPending()), ...suite.suites.flatMap(pending)];
}

/** The reasons of skipped tests (the `(skipped: …)` of their titles; none: skipped by the test itself), with their counts. */
export function skippedByReason(tests: readonly Pick<Test, "title">[]): [string, number][] {
    const counts = new Map<string, number>();
    for (const t of tests) {
        const reason = /\(skipped: (.+)\)$/.exec(t.title)?.[1] ?? "skipped without a stated reason";
        counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    return [...counts].sort((a, b) => b[1] - a[1]);
}

export const mochaHooks = {
    afterAll(this: Context) {
        let root = this.test?.parent;
        while (root?.parent) root = root.parent;
        const skipped = root ? pending(root) : [];
        if (skipped.length === 0) return;
        const lines = skippedByReason(skipped).map(([reason, n]) => `  ${n} × ${reason}`);
        process.stdout.write(`\n${skipped.length} test(s) skipped, by reason (docs/ci.md says what each needs):\n${lines.join("\n")}\n`);
    },
};
