import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { showProgress } from "../src/tooling/progress";
import { progressLine } from "../scripts/kubeconfigs";
import { POLICY_PACK, pulumiArgs, target } from "../scripts/pulumi";
import { PINNED_PULUMI, awsEnvironment, locatePulumi, recentEnough, stackNames, unknownStackLine } from "../src/tooling/pulumiCli";
import { SettingsError, settingsFromConfig } from "../src/settings/parse";
import { kindClusterOf } from "../src/tooling/e2e";
import { EKS_RAW, settingsFor } from "./helpers";

const PROJECT_DIR = path.resolve(__dirname, "..");

/**
 * A fake `pulumi` on PATH: prints `version` as given, records every call, and
 * answers `stack select` (exit 0 for the stacks in FAKE_STACKS, 255 otherwise, as
 * the CLI does for a missing stack) and `stack ls --json` from FAKE_STACKS.
 */
function fakePulumi(version: string): { dir: string; calls: () => string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-fake-pulumi-"));
    const log = path.join(dir, "calls");
    fs.writeFileSync(
        path.join(dir, "pulumi"),
        [
            "#!/bin/sh",
            `echo "$*" >> ${log}`,
            `[ "$1" = version ] && { echo ${version}; exit 0; }`,
            '[ "$1 $2" = "stack select" ] && { case " $FAKE_STACKS " in *" $3 "*) exit 0 ;; *) echo "error: no stack named $3 found" >&2; exit 255 ;; esac; }',
            '[ "$1 $2" = "stack ls" ] && { printf "["; sep=""; for s in $FAKE_STACKS; do printf "%s{\\"name\\":\\"%s\\"}" "$sep" "$s"; sep=","; done; echo "]"; exit 0; }',
            "exit 0",
        ].join("\n"),
        { mode: 0o755 },
    );
    return { dir, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []) };
}

/** `npm run <command> -- <args>` as the package script runs it, with a PATH of our choosing. */
function npmRun(command: string, args: string[], env: Record<string, string>) {
    return spawnSync(process.execPath, ["-r", "sucrase/register/ts", path.join(PROJECT_DIR, "scripts", "pulumi.ts"), command, ...args], {
        cwd: PROJECT_DIR,
        encoding: "utf8",
        env: { ...process.env, ...env },
        timeout: 120_000,
    });
}

describe("npm run up|preview|destroy", () => {
    it("runs up and preview with the policy pack, unless one is given; destroy without", () => {
        assert.deepEqual(pulumiArgs("up", ["--stack", "dev"]), ["up", "--stack", "dev", "--policy-pack", POLICY_PACK]);
        assert.deepEqual(pulumiArgs("preview", ["--stack", "dev", "--diff"]), ["preview", "--stack", "dev", "--diff", "--policy-pack", POLICY_PACK]);
        assert.deepEqual(pulumiArgs("up", ["--stack", "dev", "--policy-pack", "other"]), ["up", "--stack", "dev", "--policy-pack", "other"]);
        assert.deepEqual(pulumiArgs("destroy", ["--stack", "dev"]), ["destroy", "--stack", "dev"]);
        assert.ok(fs.existsSync(path.join(POLICY_PACK, "PulumiPolicy.yaml")));
    });

    it("names the kube context it deploys to, and refuses one the kubeconfig does not have", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-ctx-"));
        const file = path.join(dir, "config");
        fs.writeFileSync(file, "apiVersion: v1\nkind: Config\ncontexts:\n  - name: kind-istio-workshop\n  - name: prod-admin\n");
        const local = (context: string) => settingsFor({ cluster: { mode: "existing", context, kubeconfig: file } }, "local");
        assert.deepEqual(target(local("kind-istio-workshop")), { line: `Target: kube context kind-istio-workshop (kubeconfig ${file})` });
        assert.deepEqual(target(local("kind-other")), {
            refusal: `cluster.context "kind-other" is not a context of ${file} (contexts there: kind-istio-workshop, prod-admin): create the cluster or fix Pulumi.local.yaml; nothing was run`,
        });
        // Without a kubeconfig of its own, the stack uses $KUBECONFIG's files, as kubectl does.
        const env = { KUBECONFIG: [path.join(dir, "missing"), file].join(path.delimiter) };
        assert.ok("line" in target(settingsFor({ cluster: { mode: "existing", context: "prod-admin" } }, "local"), env));
        assert.deepEqual(target(settingsFor(EKS_RAW, "dev")), { line: "Target: EKS cluster istio-workshop-dev in eu-west-1 (AWS credentials from the environment)" });
    });

    it("`npm run up -- --stack nope` answers in one line with the stacks there, before looking for a CLI", () => {
        const fake = fakePulumi(`v${PINNED_PULUMI}`);
        const r = npmRun("up", ["--stack", "nope"], { PATH: `${fake.dir}${path.delimiter}${process.env.PATH}` });
        assert.equal(r.status, 2);
        assert.equal(r.stderr, "No stack file Pulumi.nope.yaml: the stacks here are dev, local, workshop (a new one starts as a copy of one of their files, then `npm run stack-init -- --stack nope`)\n");
        assert.deepEqual(fake.calls(), []);
    });

    it("never creates a stack as a side effect: one the backend lacks is refused with the stacks it has; stack-init creates it", () => {
        const fake = fakePulumi(`v${PINNED_PULUMI}`);
        const env = { PATH: `${fake.dir}${path.delimiter}${process.env.PATH}`, FAKE_STACKS: "dev" };
        const r = npmRun("destroy", ["--stack", "workshop"], env);
        assert.equal(r.status, 2);
        assert.equal(r.stderr, 'stack "workshop" does not exist in the backend (stacks in the backend: dev); create it with `npm run stack-init -- --stack workshop`; nothing was run\n');
        assert.deepEqual(fake.calls(), ["version", "stack select workshop", "stack ls --json"]);
        assert.match(r.stdout, new RegExp(`Pulumi CLI: v${PINNED_PULUMI.replace(/\./g, "\\.")} from PATH`));
        const init = npmRun("stack-init", ["--stack", "workshop"], env);
        assert.equal(init.status, 0);
        assert.deepEqual(fake.calls().slice(3), ["version", "stack init workshop"]);
        // A stack the backend has: destroy runs, and nothing else was created on the way.
        const destroy = npmRun("destroy", ["--stack", "dev"], env);
        assert.equal(destroy.status, 0);
        assert.deepEqual(fake.calls().slice(5), ["version", "stack select dev", "destroy --stack dev"]);
    });

    it("up validates offline first (the plan, quietly), then runs the CLI with the policy pack", function () {
        this.timeout(180_000);
        const fake = fakePulumi(`v${PINNED_PULUMI}`);
        const r = npmRun("up", ["--stack", "dev"], { PATH: `${fake.dir}${path.delimiter}${process.env.PATH}`, FAKE_STACKS: "dev" });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /Offline validation \(npm run plan -- --quiet\):\n[\s\S]*Validation passed/);
        assert.deepEqual(fake.calls(), ["version", "stack select dev", `up --stack dev --policy-pack ${POLICY_PACK}`]);
    });

    it("uses a pulumi on PATH only when recent enough, downloads the pinned one otherwise, and says what to do when neither works", async () => {
        const old = fakePulumi("v3.100.0");
        const refused = await locatePulumi({ env: { PATH: old.dir } });
        assert.ok("refusal" in refused && refused.refusal.startsWith(`pulumi on PATH (${path.join(old.dir, "pulumi")}) is v3.100.0; this project needs v${PINNED_PULUMI} or a later v3.x: upgrade it (https://`));
        const newer = await locatePulumi({ env: { PATH: old.dir }, versionOf: () => "v3.999.0" });
        assert.ok("bin" in newer && newer.bin === path.join(old.dir, "pulumi"));
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "iw-empty-path-"));
        const downloaded = await locatePulumi({ env: { PATH: empty }, download: async () => "/cache/pulumi" });
        assert.deepEqual(downloaded, { bin: "/cache/pulumi", line: `Pulumi CLI: v${PINNED_PULUMI}, the pinned one (/cache/pulumi)` });
        // `npm run` puts node_modules/.bin first on PATH: its `pulumi` is the npm package's downloader, not an installed CLI.
        const bin = path.join(PROJECT_DIR, "node_modules", ".bin");
        assert.ok(fs.existsSync(path.join(bin, "pulumi")));
        const viaNpm = await locatePulumi({ env: { PATH: `${bin}${path.delimiter}${empty}` }, download: async () => "/cache/pulumi" });
        assert.ok("bin" in viaNpm && viaNpm.bin === "/cache/pulumi", JSON.stringify(viaNpm));
        const offline = await locatePulumi({ env: { PATH: empty }, download: async () => Promise.reject(new Error("fetch failed")) });
        assert.ok("refusal" in offline && offline.refusal.includes("could not be downloaded (fetch failed): install the Pulumi CLI (https://"));
        assert.ok(recentEnough([3, 265, 1], [3, 265, 0]) && !recentEnough([3, 264, 9], [3, 265, 0]) && !recentEnough([4, 0, 0], [3, 265, 0]));
        assert.deepEqual(stackNames('[{"name":"workshop","current":false},{"name":"dev"}]'), ["dev", "workshop"]);
        assert.equal(stackNames("error"), undefined);
        assert.match(unknownStackLine("x", undefined), /the backend's stacks could not be listed/);
    });

    it("honours aws:profile (provider, kubeconfig token, CLI environment) and refuses an aws:region that is not cluster.region", () => {
        const config = (extra: Record<string, string>) => ({ "istio-workshop:cluster": JSON.stringify(EKS_RAW.cluster), ...extra });
        const ctx = { stack: "dev", source: "Pulumi.dev.yaml" };
        const withProfile = settingsFromConfig(config({ "aws:profile": "workshop-admin", "aws:region": "eu-west-1" }), ctx);
        assert.equal(withProfile.awsProfile, "workshop-admin");
        assert.deepEqual(awsEnvironment(withProfile), { AWS_PROFILE: "workshop-admin" });
        assert.deepEqual(target(withProfile), { line: "Target: EKS cluster istio-workshop-dev in eu-west-1 (AWS profile workshop-admin, from aws:profile)" });
        assert.throws(() => settingsFromConfig(config({ "aws:region": "us-east-1" }), ctx), (e: Error) => e instanceof SettingsError && /aws:region: "us-east-1" differs from istio-workshop:cluster\.region "eu-west-1"/.test(e.message));
        assert.throws(() => settingsFromConfig(config({ "aws:accessKey": "AKIA" }), ctx), /aws:accessKey: the stack's AWS provider takes only aws:profile/);
    });

    it("shows progress on a terminal, or when ISTIO_WORKSHOP_PROGRESS=1 asks, and keeps a pipe's output clean", () => {
        assert.deepEqual([showProgress({}, true), showProgress({ ISTIO_WORKSHOP_PROGRESS: "1" }, false), showProgress({}, false)], [true, true, false]);
        assert.deepEqual([1, 9, 10, 17, 17].map((n, i) => progressLine(n, i === 4 ? 17 : 300)), [undefined, undefined, "tokens: 10 of 300", undefined, "tokens: 17 of 17"]);
    });

    it("the end-to-end run creates the kind cluster the local stack's context names", () => {
        assert.equal(kindClusterOf("kind-istio-workshop"), "istio-workshop");
        assert.equal(kindClusterOf("prod-admin"), undefined);
        assert.equal(kindClusterOf(undefined), undefined);
    });
});
