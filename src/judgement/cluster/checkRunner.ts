/**
 * The kubelet of verification pods on the cluster tests' control plane. kwok
 * runs every other pod; a pod labelled as a check (`CHECK_POD_LABEL`) it only
 * starts. This runner watches for such pods running, reads what the API
 * server holds at that moment (every namespace's objects, the gateways' routes,
 * the pods that run), runs the pod's own script in the mesh model
 * (`../dataplane`) and sets the pod Succeeded or Failed, with the script's
 * verdict as its termination message. The Job controller, Helm's hooks and
 * the replayed Pulumi order then decide what follows, as on a real cluster.
 */
import { CHECK_POD_LABEL } from "../../lessons/checks";
import { kubectl, type ClusterState } from "../../tooling/controlplane/cluster";
import { checkPodOf, runCheckPod, type CheckVerdict } from "../dataplane/checkRun";
import type { Replies } from "../dataplane/apps";
import type { MeshConfig } from "../dataplane/mesh";
import { worldOf, modelPod } from "../dataplane/world";

/** What the model reads from the API server: every kind it evaluates. */
const KINDS = [
    "namespaces",
    "pods",
    "services",
    "configmaps",
    "secrets",
    "networkpolicies",
    "virtualservices.networking.istio.io",
    "destinationrules.networking.istio.io",
    "gateways.networking.istio.io",
    "serviceentries.networking.istio.io",
    "sidecars.networking.istio.io",
    "envoyfilters.networking.istio.io",
    "authorizationpolicies.security.istio.io",
    "peerauthentications.security.istio.io",
    "requestauthentications.security.istio.io",
    // The Gateway API's (the stack installs its CRDs: istio.gatewayApi.crds).
    "gateways.gateway.networking.k8s.io",
    "httproutes.gateway.networking.k8s.io",
    "referencegrants.gateway.networking.k8s.io",
];

export interface CheckRunnerReport {
    readonly verdicts: readonly CheckVerdict[];
    /** Gateway pods the model stood in for (their chart not installed). */
    readonly standIns: readonly string[];
}

export class CheckRunner {
    private readonly done = new Set<string>();
    private readonly verdicts: CheckVerdict[] = [];
    private readonly standIns = new Set<string>();
    private timer: NodeJS.Timeout | undefined;
    private busy = false;

    constructor(
        private readonly kubectlPath: string,
        private readonly state: ClusterState,
        private readonly replies: Replies,
        private readonly mesh: MeshConfig,
        private readonly say?: (line: string) => void,
    ) {}

    start(): void {
        this.timer = setInterval(() => void this.tick(), 1000);
    }

    /** Stops watching once the current pass is over; what ran. */
    async stop(): Promise<CheckRunnerReport> {
        if (this.timer) clearInterval(this.timer);
        while (this.busy) await new Promise((r) => setTimeout(r, 100));
        return { verdicts: [...this.verdicts], standIns: [...this.standIns] };
    }

    private async get(args: readonly string[]): Promise<any[]> {
        return JSON.parse(await kubectl(this.kubectlPath, this.state, ["get", ...args, "-o", "json"])).items as any[];
    }

    private async tick(): Promise<void> {
        if (this.busy) return;
        this.busy = true;
        try {
            const running = (await this.get(["pods", "-A", "-l", CHECK_POD_LABEL, "--field-selector=status.phase=Running"])).filter((p) => !this.done.has(p.metadata.uid));
            if (running.length === 0) return;
            // The cluster as it stands when the checks run.
            const objects = await this.get([KINDS.join(","), "-A"]);
            const pods = objects.filter((o) => o.kind === "Pod" && o.status?.phase === "Running" && !o.metadata.deletionTimestamp);
            const { world, standIns } = worldOf(objects, pods.map((p) => modelPod(objects, p.metadata.namespace, p.metadata.name, p)), this.replies, this.mesh);
            standIns.forEach((s) => this.standIns.add(`${s.namespace}/${s.name}`));
            for (const p of running) {
                this.done.add(p.metadata.uid);
                const v = runCheckPod(world, checkPodOf(objects, p.metadata.labels[CHECK_POD_LABEL], p.metadata.namespace, p.metadata.name, p));
                this.verdicts.push(v);
                this.say?.(`  check ${v.namespace}/${v.check}: ${v.outcome}${v.outcome === "passed" ? "" : ` (${v.detail})`}`);
                await this.finish(p, v);
            }
        } catch (err) {
            this.say?.(`  check runner: ${(err as Error).message.split("\n")[0]}`);
        } finally {
            this.busy = false;
        }
    }

    /** The pod ends as its script did: a model's gap ends it Succeeded, and the report lists it as not modelled. */
    private async finish(pod: any, v: CheckVerdict): Promise<void> {
        const now = new Date().toISOString();
        const exitCode = v.outcome === "failed" ? 1 : 0;
        const status = {
            phase: exitCode === 0 ? "Succeeded" : "Failed",
            conditions: [
                { type: "Ready", status: "False", reason: "PodCompleted", lastTransitionTime: now },
                { type: "ContainersReady", status: "False", reason: "PodCompleted", lastTransitionTime: now },
            ],
            containerStatuses: (pod.spec.containers ?? []).map((c: any) => ({
                name: c.name,
                image: c.image,
                imageID: "",
                ready: false,
                restartCount: 0,
                started: false,
                state: { terminated: { exitCode, reason: exitCode === 0 ? "Completed" : "Error", message: v.detail.slice(0, 4000), startedAt: pod.status?.startTime ?? now, finishedAt: now } },
            })),
        };
        await kubectl(this.kubectlPath, this.state, ["patch", "pod", pod.metadata.name, "-n", pod.metadata.namespace, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);
    }
}
