/**
 * The replay engine of the cluster tests: a recorded program (every resource
 * with its inputs, parent and dependencies, as the Pulumi engine receives
 * them) applied to a real API server in Pulumi's order. A resource starts when
 * everything it depends on is done (a component is done when its children
 * are); a failed resource skips its dependents, as Pulumi does. Kubernetes
 * objects go by server-side apply; Helm releases by a real `helm upgrade
 * --install` with the same chart, version, values, hooks, wait and timeout.
 *
 * It is not the Pulumi engine, and its report says so. Where it cannot do what
 * the engine would, it says what it did instead: the bridged `random` and
 * `tls` providers are not run (their outputs are stand-ins, good for admission,
 * not for TLS); a release whose chart archive is not in the chart cache is not
 * installed (for `istio-base`, the CRDs its chart renders are applied from the
 * upstream data instead).
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Plan, PlannedResource } from "../plan/plan";
import { kubectl, relaxWebhooks, type ClusterState } from "../../tooling/controlplane/cluster";
import { parseWaitFor, waitForExpressions, waitMet } from "./waitFor";
import { WAIT_FOR } from "../../classroom/attendeeSpec";
import { CONFIG_FILE } from "../plan/manifests";
import { gatewayApiRelease } from "../../mesh/meshSpec";
import { manifestObjects } from "../../workshop/charts";

export type Outcome = "applied" | "deployed" | "not-run" | "not-installed" | "failed" | "skipped" | "deleted" | "unchanged";

export interface ReplayStep {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly outcome: Outcome;
    readonly detail?: string;
    readonly seconds: number;
}

export interface ReplayTools {
    readonly kubectl: string;
    readonly helm: string;
    readonly state: ClusterState;
    /** Where the project is (the lessons chart's path is relative to it). */
    readonly projectDir: string;
    /** A chart archive's path in the chart cache, if it is there. */
    readonly archiveOf: (repo: string, chart: string, version: string) => string | undefined;
    /** Objects a release's chart would create, for a release whose chart is not cached (the CRDs of istio-base). */
    readonly standIn?: (release: { readonly chart: string; readonly version: string }) => { readonly objects: readonly unknown[]; readonly source: string } | undefined;
    /** Objects a manifest the provider reads from a URL holds (`yaml/v2:ConfigFile`: the Gateway API's), from elsewhere. */
    readonly standInManifest?: (url: string) => { readonly objects: readonly unknown[]; readonly source: string } | undefined;
    readonly parallel?: number;
    readonly say?: (line: string) => void;
}

const PROVIDERS_NOT_RUN = /^(random|tls):/;

/** The resources of a plan the engine would register (not the objects a release renders), and what each waits for. */
export function replayGraph(plan: Plan): { readonly nodes: PlannedResource[]; readonly waitsFor: ReadonlyMap<string, readonly string[]> } {
    const nodes = plan.resources.filter((r) => !r.renderedBy);
    const known = new Set(nodes.map((r) => r.urn));
    const children = new Map<string, string[]>();
    for (const r of nodes) if (r.parent && known.has(r.parent)) children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]);
    const waitsFor = new Map<string, readonly string[]>();
    for (const r of nodes) {
        // A custom resource waits for what it depends on and its provider; a component for its children.
        const deps = r.custom ? [...r.dependsOn, ...(r.provider ? [r.provider] : [])] : [...r.dependsOn, ...(children.get(r.urn) ?? [])];
        waitsFor.set(r.urn, [...new Set(deps.filter((d) => known.has(d) && d !== r.urn))]);
    }
    return { nodes, waitsFor };
}

/** Pulumi's order as a sequence: each resource after everything it waits for, ties in the plan's (URN) order. */
export function replayOrder(plan: Plan): PlannedResource[] {
    const { nodes, waitsFor } = replayGraph(plan);
    const done = new Set<string>();
    const order: PlannedResource[] = [];
    let progress = true;
    while (order.length < nodes.length && progress) {
        progress = false;
        for (const r of nodes) {
            if (done.has(r.urn) || !(waitsFor.get(r.urn) ?? []).every((d) => done.has(d))) continue;
            done.add(r.urn);
            order.push(r);
            progress = true;
        }
    }
    if (order.length < nodes.length) throw new Error(`a dependency cycle among ${nodes.filter((r) => !done.has(r.urn)).map((r) => r.name).join(", ")}`);
    return order;
}

/** A Kubernetes resource's object as the provider would send it: its inputs. */
export function objectOf(r: PlannedResource): Record<string, unknown> {
    return r.inputs as Record<string, unknown>;
}

const isRelease = (r: PlannedResource) => r.type === "kubernetes:helm.sh/v3:Release";
const isKubernetesObject = (r: PlannedResource) => r.custom && r.type.startsWith("kubernetes:") && !isRelease(r);

function runFile(file: string, args: readonly string[], input?: string, timeoutMs = 1_800_000): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = execFile(file, [...args], { maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs }, (err, stdout, stderr) => {
            if (err) reject(new Error((stderr || err.message).trim()));
            else resolve(stdout);
        });
        if (input !== undefined) child.stdin?.end(input);
    });
}

/** Applies one Kubernetes object as the provider does (server-side apply), then waits as it would for workloads. */
async function applyObject(t: ReplayTools, r: PlannedResource): Promise<Outcome> {
    const o = objectOf(r) as any;
    await kubectl(t.kubectl, t.state, ["apply", "--server-side", "--force-conflicts", "--field-manager=pulumi-kubernetes", "-f", "-"], JSON.stringify(o));
    await waitEstablished(t, [o]);
    const ns = o.metadata?.namespace ? ["-n", o.metadata.namespace] : [];
    if (o.kind === "Deployment") await kubectl(t.kubectl, t.state, ["rollout", "status", `deployment/${o.metadata.name}`, ...ns, "--timeout=600s"]);
    if (o.kind === "Service" && o.spec?.type === "LoadBalancer") {
        await kubectl(t.kubectl, t.state, ["wait", `service/${o.metadata.name}`, ...ns, "--for=jsonpath={.status.loadBalancer.ingress[0].ip}", "--timeout=120s"]);
    }
    // The provider's `pulumi.com/waitFor`: every expression must hold, parsed and judged as the provider does; 10 minutes, its default.
    const target = `${String(o.kind).toLowerCase()}/${o.metadata.name}`;
    for (const raw of waitForExpressions(o.metadata?.annotations?.[WAIT_FOR])) {
        const expression = parseWaitFor(raw);
        if ("condition" in expression) {
            await kubectl(t.kubectl, t.state, ["wait", target, ...ns, `--for=condition=${expression.condition}`, "--timeout=600s"]);
            continue;
        }
        const deadline = Date.now() + 600_000;
        while (!waitMet(expression, JSON.parse(await kubectl(t.kubectl, t.state, ["get", target, ...ns, "-o", "json"])))) {
            if (Date.now() > deadline) throw new Error(`${target}: ${raw} not met within 600 s`);
            await new Promise((done) => setTimeout(done, 2000));
        }
    }
    return "applied";
}

/**
 * A manifest the provider would read from its URL at deploy time (`yaml/v2:ConfigFile`): no URL is fetched here, so
 * its objects come from the stand-in (the upstream data), said so; without one, it is not installed.
 */
async function applyManifest(t: ReplayTools, r: PlannedResource): Promise<Result> {
    const file = String((r.inputs as any).file);
    const standIn = t.standInManifest?.(file);
    if (!standIn) return { outcome: "not-installed", detail: `${file} is read by the provider at deploy time; this run fetches nothing: not installed` };
    await kubectl(t.kubectl, t.state, ["apply", "--server-side", "--force-conflicts", "--field-manager=pulumi-kubernetes", "-f", "-"], standIn.objects.map((o) => JSON.stringify(o)).join("\n"));
    await waitEstablished(t, standIn.objects);
    return { outcome: "not-installed", detail: `${file} is read by the provider at deploy time: its ${standIn.objects.length} objects applied from ${standIn.source} instead` };
}

/** The CRDs of the manifests a plan's provider reads at deploy time (`yaml/v2:ConfigFile`), from their stand-ins: what admission defaults their objects by. */
export function standInCrds(plan: Plan, standInManifest: ReplayTools["standInManifest"]): unknown[] {
    return plan.resources
        .filter((r) => r.type === CONFIG_FILE)
        .flatMap((r) => standInManifest?.(String((r.inputs as any).file))?.objects ?? [])
        .filter((o: any) => o?.kind === "CustomResourceDefinition");
}

/**
 * The Gateway API's standard-install manifest of a release, from the upstream data: the release generates it by
 * concatenating `config/crd/standard/gateway*.yaml` at the tag, which the upstream data holds file by file.
 */
export function upstreamGatewayApi(upstreamDir: string): (url: string) => { objects: unknown[]; source: string } | undefined {
    return (url) => {
        const release = gatewayApiRelease(url);
        const dir = release ? path.join(upstreamDir, "gateway-api", release.version, release.channel) : undefined;
        if (!dir || !fs.existsSync(dir)) return undefined;
        const files = fs.readdirSync(dir).filter((f) => /^gateway.*\.yaml$/.test(f)).sort();
        return { objects: files.flatMap((f) => manifestObjects(fs.readFileSync(path.join(dir, f), "utf8"))), source: path.relative(path.dirname(upstreamDir), dir) };
    };
}

/** As Helm does for a chart's CRDs: the objects that are CRDs served before anything uses them. */
async function waitEstablished(t: ReplayTools, objects: readonly unknown[]): Promise<void> {
    const crds = objects.filter((o: any) => o?.kind === "CustomResourceDefinition").map((o: any) => `crd/${o.metadata.name}`);
    if (crds.length > 0) await kubectl(t.kubectl, t.state, ["wait", "--for=condition=Established", "--timeout=60s", ...crds]);
}

/** Installs (or upgrades) one Helm release as the provider does: its chart, version, values; waiting for it and its hooks. */
async function installRelease(t: ReplayTools, r: PlannedResource): Promise<{ outcome: Outcome; detail?: string }> {
    const i = r.inputs as any;
    const repo = i.repositoryOpts?.repo as string | undefined;
    const local = repo === undefined && typeof i.chart === "string" && i.chart.startsWith(".");
    const chart = local ? path.resolve(t.projectDir, i.chart) : repo ? t.archiveOf(repo, i.chart, i.version) : undefined;
    if (chart === undefined) {
        const standIn = t.standIn?.({ chart: i.chart, version: i.version });
        if (!standIn) return { outcome: "not-installed", detail: `chart ${i.chart} ${i.version} is not in the chart cache (npm run charts needs its repository): not installed` };
        await kubectl(t.kubectl, t.state, ["apply", "--server-side", "--force-conflicts", "--field-manager=pulumi-kubernetes", "-f", "-"], standIn.objects.map((o) => JSON.stringify(o)).join("\n"));
        await waitEstablished(t, standIn.objects);
        return { outcome: "not-installed", detail: `chart ${i.chart} ${i.version} is not in the chart cache: ${standIn.objects.length} objects of it applied from ${standIn.source} instead` };
    }
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "iw-values-"));
    try {
        const values = path.join(tmp, "values.json");
        fs.writeFileSync(values, JSON.stringify(i.values ?? {}));
        const timeout = `${i.timeout ?? 300}s`;
        // Client-side apply and its three-way merge, as the Kubernetes provider's Helm library does (helm.sh/helm/v3
        // 3.18 in pulumi-kubernetes' provider), not Helm 4's server-side apply: an object edited by hand is patched
        // back to the chart's, where server-side apply would refuse the upgrade on the field's other manager.
        const args = ["upgrade", "--install", i.name, chart, "--namespace", i.namespace, "--values", values, "--server-side=false", "--wait=watcher", "--wait-for-jobs", "--timeout", timeout, "--kubeconfig", t.state.kubeconfig, "--kube-context", t.state.context];
        if (!local && i.version) args.push("--version", i.version);
        if (i.atomic) args.push("--rollback-on-failure");
        // The provider's default keeps every revision (0); helm's own default would keep 10.
        args.push("--history-max", String(i.maxHistory ?? 0));
        if (i.createNamespace) args.push("--create-namespace");
        await runFile(t.helm, args);
        // Istio's webhooks cannot be served here (no data plane): made to fail open, on this control plane only.
        await relaxWebhooks(t.kubectl, t.state);
        return { outcome: "deployed" };
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

type Result = { readonly outcome: Outcome; readonly detail?: string };

/**
 * Runs `work` for every resource, each once everything `blockers` names for it has a step, at most `limit` at
 * once; each step timed and recorded. The steps, by URN.
 */
async function schedule(
    nodes: readonly PlannedResource[],
    blockers: ReadonlyMap<string, readonly string[]>,
    limit: number,
    stuck: string,
    work: (r: PlannedResource, steps: ReadonlyMap<string, ReplayStep>) => Promise<Result>,
): Promise<Map<string, ReplayStep>> {
    const byUrn = new Map(nodes.map((r) => [r.urn, r]));
    const steps = new Map<string, ReplayStep>();
    const pending = new Set(nodes.map((r) => r.urn));
    const running = new Map<string, Promise<void>>();
    const run = async (r: PlannedResource): Promise<void> => {
        const started = Date.now();
        const { outcome, detail } = await work(r, steps);
        steps.set(r.urn, { urn: r.urn, type: r.type, name: r.name, outcome, ...(detail ? { detail } : {}), seconds: (Date.now() - started) / 1000 });
    };
    while (pending.size > 0 || running.size > 0) {
        for (const urn of [...pending]) {
            if (running.size >= limit) break;
            if (!(blockers.get(urn) ?? []).every((d) => steps.has(d))) continue;
            pending.delete(urn);
            running.set(urn, run(byUrn.get(urn)!).finally(() => running.delete(urn)));
        }
        if (running.size === 0 && pending.size > 0) throw new Error(`${stuck}: ${[...pending].slice(0, 3).join(", ")} wait for each other`);
        if (running.size > 0) await Promise.race(running.values());
    }
    return steps;
}

/** An earlier `up` of the same stack: what it applied, and how each resource ended. */
export interface PreviousUp {
    readonly plan: Plan;
    readonly steps: readonly ReplayStep[];
}

const SUCCEEDED: readonly Outcome[] = ["applied", "deployed", "not-run", "not-installed", "unchanged"];

/**
 * `up`: every resource in Pulumi's order, as many at once as the engine would run (Pulumi's default parallelism
 * bound: 16). After an earlier `up`, as the engine does: a resource whose inputs are the same and that succeeded
 * then is left as it is; one that failed (or was skipped) is tried again.
 */
export async function replayUp(plan: Plan, t: ReplayTools, previous?: PreviousUp): Promise<ReplayStep[]> {
    const { nodes, waitsFor } = replayGraph(plan);
    const failed = (steps: ReadonlyMap<string, ReplayStep>, urn: string) => ["failed", "skipped"].includes(steps.get(urn)?.outcome ?? "");
    const before = new Map((previous?.plan.resources ?? []).map((r) => [r.urn, JSON.stringify(r.inputs)]));
    const ended = new Map((previous?.steps ?? []).map((s) => [s.urn, s.outcome]));
    const unchanged = (r: PlannedResource) => r.custom && before.get(r.urn) === JSON.stringify(r.inputs) && SUCCEEDED.includes(ended.get(r.urn) ?? "failed");
    const steps = await schedule(nodes, waitsFor, t.parallel ?? 16, "nothing can start", async (r, done): Promise<Result> => {
        const blocked = (waitsFor.get(r.urn) ?? []).filter((d) => failed(done, d));
        if (blocked.length > 0) return { outcome: "skipped", detail: `waits for ${blocked.map((d) => done.get(d)!.name).join(", ")}, which failed` };
        if (unchanged(r)) return { outcome: "unchanged", detail: "the same inputs as the last up, which applied them" };
        try {
            if (r.type === CONFIG_FILE) return await applyManifest(t, r);
            if (!r.custom || r.type.startsWith("pulumi:providers:")) return { outcome: "applied", detail: r.custom ? "provider: the control plane's kubeconfig is used" : "component" };
            if (PROVIDERS_NOT_RUN.test(r.type)) return { outcome: "not-run", detail: "a bridged provider this run does not build: its outputs are stand-ins" };
            if (isRelease(r)) return await installRelease(t, r);
            if (isKubernetesObject(r)) return { outcome: await applyObject(t, r) };
            return { outcome: "failed", detail: `no way to apply a ${r.type} on this control plane` };
        } catch (err) {
            t.say?.(`  failed: ${r.name}: ${(err as Error).message.split("\n")[0]}`);
            return { outcome: "failed", detail: (err as Error).message.split("\n").slice(0, 3).join(" ") };
        }
    });
    return replayOrder(plan).map((r) => steps.get(r.urn)!);
}

/** `destroy`: releases uninstalled and objects deleted in the reverse order (each once nothing that waits for it is left), as many at once as `up` runs. */
export async function replayDestroy(plan: Plan, t: ReplayTools): Promise<ReplayStep[]> {
    const { nodes, waitsFor } = replayGraph(plan);
    const dependents = new Map<string, string[]>();
    for (const [urn, deps] of waitsFor) for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), urn]);
    const steps = await schedule(nodes, dependents, t.parallel ?? 16, "nothing can be deleted", async (r): Promise<Result> => {
        try {
            if (isRelease(r)) {
                const i = r.inputs as any;
                const installed = await runFile(t.helm, ["list", "--namespace", i.namespace, "--filter", `^${i.name}$`, "--short", "--kubeconfig", t.state.kubeconfig, "--kube-context", t.state.context]);
                if (installed.trim() === "") return { outcome: "skipped", detail: "not installed" };
                await runFile(t.helm, ["uninstall", i.name, "--namespace", i.namespace, "--wait", "--timeout", "600s", "--kubeconfig", t.state.kubeconfig, "--kube-context", t.state.context]);
                return { outcome: "deleted" };
            }
            if (isKubernetesObject(r)) {
                await kubectl(t.kubectl, t.state, ["delete", "--ignore-not-found", "--wait=true", "--timeout=600s", "-f", "-"], JSON.stringify(objectOf(r)));
                return { outcome: "deleted" };
            }
            const manifest = r.type === CONFIG_FILE ? t.standInManifest?.(String((r.inputs as any).file)) : undefined;
            if (manifest) {
                await kubectl(t.kubectl, t.state, ["delete", "--ignore-not-found", "--wait=true", "--timeout=600s", "-f", "-"], manifest.objects.map((o) => JSON.stringify(o)).join("\n"));
                return { outcome: "deleted" };
            }
            return { outcome: "skipped" };
        } catch (err) {
            return { outcome: "failed", detail: (err as Error).message.split("\n")[0] };
        }
    });
    return replayOrder(plan).reverse().map((r) => steps.get(r.urn)!);
}

/**
 * The Istio release whose charts the upstream data holds for a version: that version, or for a patch the data does
 * not hold (one published after it was taken), the newest patch of the same minor it holds; undefined for neither.
 */
export function heldIstioVersion(upstreamDir: string, version: string): string | undefined {
    const dir = path.join(upstreamDir, "chart-values", "istio");
    const minor = version.split(".").slice(0, 2).join(".");
    const held = (fs.existsSync(dir) ? fs.readdirSync(dir) : [])
        .map((d) => /^base-(\d+\.\d+)\.(\d+)$/.exec(d))
        .filter((m): m is RegExpExecArray => m !== null && m[1] === minor)
        .map((m) => ({ version: `${m[1]}.${m[2]}`, patch: Number(m[2]) }))
        .sort((a, b) => b.patch - a.patch);
    return (held.find((h) => h.version === version) ?? held[0])?.version;
}

/**
 * The upstream CRDs a release of `istio-base` renders (the chart's own `files/crd-all.gen.yaml`), from the upstream
 * data: that version's, or for a patch release the data does not hold, the newest patch of the same minor it holds
 * (the source names which, so the run says what stood in for what).
 */
export function upstreamBaseCrds(upstreamDir: string): (release: { readonly chart: string; readonly version: string }) => { objects: unknown[]; source: string } | undefined {
    return (release) => {
        if (release.chart !== "base") return undefined;
        const held = heldIstioVersion(upstreamDir, release.version);
        if (held === undefined) return undefined;
        const file = path.join(upstreamDir, "chart-values", "istio", `base-${held}`, "files", "crd-all.gen.yaml");
        const source = path.relative(path.dirname(upstreamDir), file) + (held === release.version ? "" : ` (standing in for ${release.version})`);
        return { objects: manifestObjects(fs.readFileSync(file, "utf8")).filter((o) => o.kind === "CustomResourceDefinition"), source };
    };
}
