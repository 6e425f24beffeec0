/**
 * The end-to-end run (`npm run e2e`): the whole workshop on a throw-away kind
 * cluster. Creates the cluster the stack's context names (`kind-istio-workshop`:
 * cluster `istio-workshop`, in a kubeconfig of its own; its gateway node ports
 * published on localhost), runs `up` on the stack with the policy pack through
 * the Automation API (the `up` waits for every verification Job), reads every
 * Job's result, checks that each UI answers through a port-forward and that the
 * gateway answers on localhost (and ends TLS with the workshop CA's
 * certificate), runs `destroy`, deletes the cluster, and prints a report.
 * `classroom` runs the stack as a class of two attendees at different stages
 * (`E2E_CLASSROOM`, set on the run's copy of the stack file): every attendee's
 * checks, and each one's product page under their own path.
 *
 * Needs Docker, kind, kubectl and the Pulumi CLI (from PATH, else the pinned
 * one). Pulumi runs on a copy of the project with a temporary local backend:
 * nothing in the project changes. `keep` leaves the cluster and the stack up.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { E2E_TOOLS, PROGRAM_FILES, formatReport, jobStates, kindClusterOf, kindConfig, productPagePaths, withClassroom, type Step, type UiCheck, uiChecks } from "./e2e";
import { loadStackConfig } from "../settings/stackFile";
import { settingsFromConfig } from "../settings/parse";
import { attendeeIds } from "../settings/schema";
import { createStack, locatePulumi, openStack, stackOutputs } from "./pulumi";
import { parseOperation, runOperation } from "./operations";
import { PROJECT_DIR } from "./target";
import { freePort } from "./freePort";

const HOST_PORTS = { http: 8080, https: 8443 };

function has(cmd: string, args: readonly string[]): boolean {
    return spawnSync(cmd, [...args], { stdio: "ignore" }).status === 0;
}

function get(url: string, timeoutMs = 10_000): Promise<number> {
    return new Promise((resolve) => {
        const req = http.get(url, { timeout: timeoutMs }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
        });
        req.on("timeout", () => req.destroy());
        req.on("error", () => resolve(0));
    });
}

/** An HTTPS request whose server certificate must chain to `ca` and name `servername`: the status, or why TLS failed. */
function getTls(url: string, ca: string, servername: string, timeoutMs = 10_000): Promise<number | string> {
    return new Promise((resolve) => {
        const req = https.get(url, { ca, servername, timeout: timeoutMs }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
        });
        req.on("timeout", () => req.destroy(new Error("timed out")));
        req.on("error", (err) => resolve(err.message));
    });
}

async function checkUi(ui: UiCheck, env: NodeJS.ProcessEnv): Promise<string | undefined> {
    const local = await freePort();
    const forward: ChildProcess = spawn("kubectl", ["-n", ui.namespace, "port-forward", `svc/${ui.service}`, `${local}:${ui.port}`], { env, stdio: "ignore" });
    try {
        for (let attempt = 0; attempt < 30; attempt++) {
            const status = await get(`http://127.0.0.1:${local}${ui.path}`);
            if (ui.accept.includes(status)) return undefined;
            await new Promise((r) => setTimeout(r, 2000));
        }
        return `${ui.name}: http://localhost${ui.path} through svc/${ui.service}:${ui.port} did not answer ${ui.accept.join(" or ")} within a minute`;
    } finally {
        forward.kill();
    }
}

/** A mistake the run refuses before it starts: one sentence, exit code 2. */
export class E2eRefusal extends Error {}

/**
 * The whole workshop of an existing-cluster stack on a throw-away kind cluster:
 * its report, and whether every step passed.
 */
export async function runEndToEnd(stack: string, keep: boolean, classroom = false): Promise<boolean> {
    const fail = (message: string): never => {
        throw new E2eRefusal(message);
    };
    const args = { stack, keep };
    const original = loadStackConfig(PROJECT_DIR, args.stack);
    // The classroom variant's keys, on a copy of the stack file: validated before anything starts.
    const classroomText = classroom ? withClassroom(fs.readFileSync(path.join(PROJECT_DIR, original.file), "utf8"), original.project) : undefined;
    const cfg = classroomText === undefined ? original : (() => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-e2e-config-"));
        fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        fs.writeFileSync(path.join(dir, original.file), classroomText);
        return loadStackConfig(dir, args.stack);
    })();
    const settings = settingsFromConfig(cfg.config, { stack: cfg.stack, source: cfg.file });
    if (settings.cluster.mode !== "existing") return fail(`stack ${args.stack} has cluster.mode "${settings.cluster.mode}": the end-to-end run needs a stack with mode "existing" (such as local)`);
    const missing = E2E_TOOLS.filter((t) => !has(t.name, t.check));
    if (missing.length > 0) return fail(`The end-to-end run needs ${missing.map((t) => `${t.name} (${t.install})`).join(", ")}.`);

    // The kind cluster the stack names: context kind-<cluster>, in a kubeconfig of the run's own.
    const cluster = kindClusterOf(settings.cluster.context);
    if (cluster === undefined) return fail(`stack ${args.stack} names the context "${settings.cluster.context}": the end-to-end run creates a kind cluster, whose context is "kind-<name>"`);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "iw-e2e-"));
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        KUBECONFIG: path.join(work, "kubeconfig"),
        PULUMI_BACKEND_URL: `file://${path.join(work, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "e2e",
        PULUMI_SKIP_UPDATE_CHECK: "true",
    };
    fs.mkdirSync(path.join(work, "state"));
    // Pulumi writes to the stack file (the passphrase salt): it runs on a copy of the project.
    const project = path.join(work, "project");
    fs.mkdirSync(project);
    for (const f of [...PROGRAM_FILES, cfg.file]) fs.cpSync(path.join(PROJECT_DIR, f), path.join(project, f), { recursive: true });
    if (classroomText !== undefined) fs.writeFileSync(path.join(project, cfg.file), classroomText);
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(project, "node_modules"), "dir");
    // The same CLI as `npm run up`: a recent enough one on PATH, else the pinned one.
    const cli = await locatePulumi();
    if ("refusal" in cli) return fail(cli.refusal);
    const place = { projectDir: project, command: cli.command, envVars: { KUBECONFIG: env.KUBECONFIG!, PULUMI_BACKEND_URL: env.PULUMI_BACKEND_URL!, PULUMI_CONFIG_PASSPHRASE: env.PULUMI_CONFIG_PASSPHRASE!, PULUMI_SKIP_UPDATE_CHECK: "true" } };
    const print = { out: (t: string) => void process.stdout.write(t), err: (t: string) => void process.stderr.write(t) };
    let workshopStack: Awaited<ReturnType<typeof openStack>> | undefined;
    const outputs = async (): Promise<Record<string, unknown>> => (workshopStack && !("refusal" in workshopStack) ? stackOutputs(workshopStack) : {});
    const steps: Step[] = [];
    const step = async (name: string, fn: () => Promise<string | undefined> | string | undefined): Promise<boolean> => {
        const started = Date.now();
        process.stdout.write(`== ${name}\n`);
        let problem: string | undefined;
        try {
            problem = await fn();
        } catch (err) {
            problem = (err as Error).message;
        }
        steps.push({ name, ok: problem === undefined, seconds: (Date.now() - started) / 1000, detail: problem });
        return problem === undefined;
    };
    const run = (cmd: string[], opts: { capture?: boolean } = {}) => {
        const r = spawnSync(cmd[0], cmd.slice(1), { cwd: project, env, encoding: "utf8", stdio: opts.capture ? ["ignore", "pipe", "inherit"] : "inherit", maxBuffer: 64 * 1024 * 1024 });
        if (r.status !== 0) throw new Error(`${cmd.slice(0, 3).join(" ")} ... exited with ${r.status}`);
        return r.stdout ?? "";
    };

    const { httpNodePort, httpsNodePort } = settings.istio.ingress;
    fs.writeFileSync(path.join(work, "kind.yaml"), kindConfig({ http: httpNodePort, https: httpsNodePort }, HOST_PORTS));
    const created = await step("create the kind cluster", () => void run(["kind", "create", "cluster", "--name", cluster, "--config", path.join(work, "kind.yaml"), "--wait", "120s"]));
    let up = false;
    if (created) {
        up = await step("pulumi up (waits for every verification Job)", async () => {
            await createStack(place, args.stack);
            workshopStack = await openStack(place, args.stack);
            if ("refusal" in workshopStack) return workshopStack.refusal;
            // With the policy pack, as `npm run up` runs it: its rules hold on a real deployment too.
            const flags = parseOperation("up", ["--stack", args.stack, "--yes"]);
            if ("refusal" in flags) return flags.refusal;
            const code = await runOperation(workshopStack, "up", flags.flags, path.join(project, "policy"), print);
            return code === 0 ? undefined : `pulumi up exited with ${code}`;
        });
        await step("every verification Job succeeded", () => {
            const jobs = jobStates(run(["kubectl", "get", "jobs", "-A", "-l", "app=verify", "-o", "json"], { capture: true }), run(["kubectl", "get", "pods", "-A", "-o", "json"], { capture: true }));
            if (jobs.length === 0) return "no verification Job found";
            const bad = jobs.filter((j) => j.state !== "succeeded");
            return bad.length === 0 ? undefined : bad.map((j) => `${j.namespace}/${j.name} ${j.state}${j.message ? `: ${j.message}` : ""}`).join("; ");
        });
        if (up) {
            const forwards = ((await outputs()).portForwards ?? {}) as Record<string, string>;
            for (const ui of uiChecks(forwards)) await step(`${ui.name} answers through a port-forward`, () => checkUi(ui, env));
            await step("the ingress gateway answers on localhost (each attendee's product page under their path)", async () => {
                const wrong: string[] = [];
                for (const p of productPagePaths(attendeeIds(settings.attendees))) {
                    const status = await get(`http://127.0.0.1:${HOST_PORTS.http}${p}`);
                    if (status !== 200) wrong.push(`http://localhost:${HOST_PORTS.http}${p} answered ${status}`);
                }
                return wrong.length === 0 ? undefined : wrong.join("; ");
            });
            await step("the ingress gateway ends TLS with the workshop CA's certificate (for the name localhost)", async () => {
                const ca = (await outputs()).gatewayCaCertificate;
                if (typeof ca !== "string") return "no gatewayCaCertificate output";
                const page = productPagePaths(attendeeIds(settings.attendees))[0];
                const status = await getTls(`https://127.0.0.1:${HOST_PORTS.https}${page}`, ca, "localhost");
                return status === 200 ? undefined : `https://localhost:${HOST_PORTS.https}${page}: ${status}`;
            });
        }
        if (!args.keep) {
            await step("pulumi destroy", async () => {
                const flags = parseOperation("destroy", ["--stack", args.stack, "--yes"]);
                if ("refusal" in flags) return flags.refusal;
                if (!workshopStack || "refusal" in workshopStack) return "no stack to destroy";
                const code = await runOperation(workshopStack, "destroy", flags.flags, path.join(project, "policy"), print);
                return code === 0 ? undefined : `pulumi destroy exited with ${code}`;
            });
            await step("delete the kind cluster", () => void run(["kind", "delete", "cluster", "--name", cluster]));
        }
    }
    process.stdout.write(`\n${formatReport(steps)}\n`);
    if (args.keep) process.stdout.write(`Kept: kind cluster ${cluster}, KUBECONFIG=${env.KUBECONFIG}, PULUMI_BACKEND_URL=${env.PULUMI_BACKEND_URL}\n`);
    return steps.every((s) => s.ok);
}
