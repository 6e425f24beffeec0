import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { showProgress } from "../src/tooling/progress";
import { progressLine } from "../src/tooling/kubeconfigs";
import { automationOptions, parseOperation } from "../src/tooling/operations";
import { PINNED_PULUMI, awsEnvironment, locatePulumi, recentEnough, unknownStackLine } from "../src/tooling/pulumi";
import { POLICY_PACK, target } from "../src/tooling/target";
import { fakePulumi } from "./fakePulumi";
import { SettingsError, settingsFromConfig } from "../src/settings/parse";
import { kindClusterOf } from "../src/tooling/e2e";
import { EKS_RAW, settingsFor } from "./helpers";
import { listStacks } from "../src/settings/stackFile";

const PROJECT_DIR = path.resolve(__dirname, "..");

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
    it("runs up and preview with the policy pack, unless one is given; destroy without; passes on the CLI's own flags and refuses others in one sentence", () => {
        const flags = (op: "up" | "preview" | "destroy", args: string[]) => {
            const p = parseOperation(op, args);
            assert.ok("flags" in p, JSON.stringify(p));
            return p.flags;
        };
        assert.deepEqual(automationOptions("up", flags("up", ["--stack", "dev"]), POLICY_PACK), { policyPacks: [POLICY_PACK] });
        assert.deepEqual(automationOptions("preview", flags("preview", ["--stack", "dev", "--diff"]), POLICY_PACK), { diff: true, policyPacks: [POLICY_PACK] });
        assert.deepEqual(automationOptions("up", flags("up", ["-s", "dev", "--policy-pack", "other", "--policy-pack-config", "policy/lesson-permissive-mtls.json"]), POLICY_PACK), {
            policyPacks: ["other"],
            policyPackConfigs: ["policy/lesson-permissive-mtls.json"],
        });
        assert.deepEqual(automationOptions("destroy", flags("destroy", ["--stack", "dev", "--yes", "--target", "urn:a", "--target", "urn:b"]), POLICY_PACK), { target: ["urn:a", "urn:b"] });
        assert.equal(flags("up", ["--stack", "dev", "--yes"]).yes, true);
        const refused = parseOperation("up", ["--stack", "dev", "--skip-preview"]);
        assert.ok("refusal" in refused);
        assert.match(refused.refusal, /^npm run up: Unknown option '--skip-preview'; it takes --stack <value>, --yes, --diff, .*, each passed on to `pulumi up`, and --strict \(stop when the offline validation left anything unchecked\) \(for anything else run the CLI itself: npm run -s pulumi -- up --stack <name> \.\.\.\); nothing was run$/);
        assert.equal(flags("up", ["--stack", "dev", "--strict"]).strict, true);
        assert.equal(flags("up", ["--stack", "dev"]).strict, false);
        assert.match((parseOperation("destroy", ["--stack", "dev", "--strict"]) as { refusal: string }).refusal, /^npm run destroy: Unknown option '--strict'/);
        assert.match((parseOperation("preview", ["--stack", "dev", "--yes"]) as { refusal: string }).refusal, /^npm run preview: Unknown option '--yes'/, "preview asks nothing");
        assert.match((parseOperation("up", []) as { refusal: string }).refusal, /^npm run up: --stack <name> is required/);
        assert.match((parseOperation("up", ["--stack", "dev", "--parallel", "0"]) as { refusal: string }).refusal, /--parallel must be a positive integer, got "0"/);
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
        assert.equal(r.stderr, `No stack file Pulumi.nope.yaml: the stacks here are ${listStacks(PROJECT_DIR).join(", ")} (a new one starts as a copy of one of their files, then \`npm run stack-init -- --stack nope\`)\n`);
        assert.deepEqual(fake.calls(), []);
    });

    it("refuses a class that cannot work before looking for a CLI or a backend; kubeconfigs refuses a stack without attendees the same way", () => {
        const fake = fakePulumi(`v${PINNED_PULUMI}`);
        const file = path.join(PROJECT_DIR, "Pulumi.zz-too-big.yaml");
        fs.writeFileSync(file, `config:\n  istio-workshop:cluster:\n    adminCidrs: ["203.0.113.4/32"]\n  istio-workshop:attendees: 995\n`);
        try {
            const r = npmRun("up", ["--stack", "zz-too-big"], { PATH: `${fake.dir}${path.delimiter}${process.env.PATH}` });
            assert.equal(r.status, 2);
            assert.match(r.stderr, /attendees: 995 attendees need a node group of up to \d+ × t3\.large .*split the class into stacks of at most \d+ attendees/);
            assert.deepEqual(fake.calls(), []);
        } finally {
            fs.rmSync(file);
        }
        const k = spawnSync(process.execPath, ["-r", "sucrase/register/ts", path.join(PROJECT_DIR, "scripts", "kubeconfigs.ts"), "--stack", "dev"], {
            cwd: PROJECT_DIR,
            encoding: "utf8",
            env: { ...process.env, PATH: `${fake.dir}${path.delimiter}${process.env.PATH}` },
            timeout: 120_000,
        });
        assert.equal(k.status, 1);
        assert.equal(k.stderr, "stack dev has no attendees (istio-workshop:attendees in Pulumi.dev.yaml): there are no kubeconfigs to hand out\n");
        assert.deepEqual(fake.calls(), []);
    });

    it("npm run pulumi runs the project's Pulumi CLI (the one on PATH when recent enough) with the arguments as given, in the project's folder", () => {
        const fake = fakePulumi(`v${PINNED_PULUMI}`);
        const r = spawnSync(process.execPath, ["-r", "sucrase/register/ts", path.join(PROJECT_DIR, "scripts", "pulumi-cli.ts"), "stack", "output", "ingressGatewayAddress", "--stack", "workshop"], {
            cwd: PROJECT_DIR,
            encoding: "utf8",
            env: { ...process.env, PATH: `${fake.dir}${path.delimiter}${process.env.PATH}` },
            timeout: 120_000,
        });
        assert.equal(r.status, 0, r.stderr);
        assert.ok(fake.calls().includes("stack output ingressGatewayAddress --stack workshop"), fake.calls().join("\n"));
    });

    it("never creates a stack as a side effect: one the backend lacks is refused with the stacks it has; stack-init creates it", () => {
        const fake = fakePulumi(`v${PINNED_PULUMI}`);
        const env = { PATH: `${fake.dir}${path.delimiter}${process.env.PATH}`, FAKE_STACKS: "dev" };
        const r = npmRun("destroy", ["--stack", "workshop"], env);
        assert.equal(r.status, 2);
        assert.equal(r.stderr, 'stack "workshop" does not exist in the backend (stacks in the backend: dev); create it with `npm run stack-init -- --stack workshop`; nothing was run\n');
        assert.deepEqual(fake.calls(), ["version", "stack select --stack workshop --non-interactive", "stack ls --json --non-interactive"]);
        assert.match(r.stdout, new RegExp(`Pulumi CLI: v${PINNED_PULUMI.replace(/\./g, "\\.")} from PATH`));
        const init = npmRun("stack-init", ["--stack", "workshop"], env);
        assert.equal(init.status, 0, init.stderr);
        assert.deepEqual(fake.calls().slice(3), ["version", "stack init workshop --non-interactive"]);
        // A stack the backend has: destroy asks first, and where nothing can answer it stops and says so.
        const asked = npmRun("destroy", ["--stack", "dev"], env);
        assert.equal(asked.status, 2);
        assert.equal(asked.stderr, "npm run destroy asks before it changes anything, and nothing here can answer: run it in a terminal, or add --yes; nothing was destroyed\n");
        assert.deepEqual(fake.calls().slice(5), ["version", "stack select --stack dev --non-interactive"]);
        // With --yes it runs, and nothing else was created on the way.
        const destroy = npmRun("destroy", ["--stack", "dev", "--yes"], env);
        assert.equal(destroy.status, 0, destroy.stderr);
        const calls = fake.calls().slice(7);
        assert.deepEqual(calls.slice(0, 2), ["version", "stack select --stack dev --non-interactive"]);
        assert.match(calls[2], /^destroy --yes --skip-preview --exec-kind auto\.local( --event-log \S+)? --stack dev --non-interactive$/);
        assert.ok(!calls.some((c) => c.startsWith("stack init")), "no stack created");
    });

    it("up validates offline first (the plan, quietly), then runs the CLI with the policy pack", function () {
        this.timeout(180_000);
        const fake = fakePulumi(`v${PINNED_PULUMI}`);
        const r = npmRun("up", ["--stack", "dev", "--yes"], { PATH: `${fake.dir}${path.delimiter}${process.env.PATH}`, FAKE_STACKS: "dev" });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /Offline validation \(npm run plan -- --quiet\):\n[\s\S]*Validation passed/);
        const calls = fake.calls();
        assert.deepEqual(calls.slice(0, 2), ["version", "stack select --stack dev --non-interactive"]);
        assert.match(calls[2], new RegExp(`^up --yes --skip-preview --policy-pack ${POLICY_PACK} --exec-kind auto\\.local --stack dev --non-interactive$`));
    });

    it("uses a pulumi on PATH only when recent enough, installs the pinned one otherwise, and says what to do when neither works", async () => {
        const old = fakePulumi("v3.100.0");
        const refused = await locatePulumi({ env: { PATH: old.dir } });
        assert.ok("refusal" in refused && refused.refusal.startsWith(`pulumi on PATH (${path.join(old.dir, "pulumi")}) is v3.100.0; this project needs v${PINNED_PULUMI} or a later v3.x: upgrade it (https://`));
        const newer = await locatePulumi({ env: { PATH: fakePulumi("v3.999.0").dir } });
        assert.ok("command" in newer && newer.line.startsWith("Pulumi CLI: v3.999.0 from PATH"), JSON.stringify(newer));
        // A CLI outside a bin folder: the Automation API gets a root of links to it.
        const loose = fs.mkdtempSync(path.join(os.tmpdir(), "iw-loose-"));
        fs.copyFileSync(path.join(old.dir, "pulumi"), path.join(loose, "pulumi"));
        fs.chmodSync(path.join(loose, "pulumi"), 0o755);
        const looseChoice = await locatePulumi({ env: { PATH: loose }, cacheDir: fs.mkdtempSync(path.join(os.tmpdir(), "iw-cache-")) });
        assert.ok("refusal" in looseChoice && looseChoice.refusal.includes("is v3.100.0"), "found and asked through the root of links");
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "iw-empty-path-"));
        const pinned = fakePulumi(`v${PINNED_PULUMI}`);
        const installedAt: string[] = [];
        const install = async (version: string) => {
            installedAt.push(version);
            const c = await locatePulumi({ env: { PATH: pinned.dir } });
            if (!("command" in c)) throw new Error("fake");
            return c.command;
        };
        const installed = await locatePulumi({ env: { PATH: empty }, install });
        assert.ok("command" in installed && installed.line === `Pulumi CLI: v${PINNED_PULUMI}, the pinned one (${path.join(pinned.dir, "pulumi")})`, JSON.stringify(installed));
        assert.deepEqual(installedAt, [PINNED_PULUMI]);
        // `npm run` puts node_modules/.bin first on PATH: its `pulumi` is the npm package's downloader, not an installed CLI.
        const bin = path.join(PROJECT_DIR, "node_modules", ".bin");
        assert.ok(fs.existsSync(path.join(bin, "pulumi")));
        const viaNpm = await locatePulumi({ env: { PATH: `${bin}${path.delimiter}${empty}` }, install });
        assert.ok("command" in viaNpm && viaNpm.line.includes("the pinned one"), JSON.stringify(viaNpm));
        const offline = await locatePulumi({ env: { PATH: empty }, install: async () => Promise.reject(new Error("getaddrinfo ENOTFOUND get.pulumi.com")) });
        assert.ok("refusal" in offline && offline.refusal.includes("could not be installed (getaddrinfo ENOTFOUND get.pulumi.com): install the Pulumi CLI (https://"), JSON.stringify(offline));
        assert.ok(recentEnough([3, 265, 1], [3, 265, 0]) && !recentEnough([3, 264, 9], [3, 265, 0]) && !recentEnough([4, 0, 0], [3, 265, 0]));
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
