/**
 * The pure parts of the end-to-end run (`scripts/e2e.ts`): the kind cluster's
 * configuration, what to check once the stack is up, how to read the cluster's
 * answers, and the report. Everything that talks to a cluster or a CLI lives
 * in the script.
 */
import YAML from "yaml";
import { gatewayPlacement } from "../lessons/resolve";

/** What Pulumi needs of the project to run the program (the run copies these; `node_modules` is linked). */
export const PROGRAM_FILES = ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json", "src", "charts", "policy"] as const;

/** The tools the run needs, and where each comes from. */
export const E2E_TOOLS = [
    { name: "kind", check: ["version"], install: "https://kind.sigs.k8s.io/docs/user/quick-start/#installation" },
    { name: "kubectl", check: ["version", "--client"], install: "https://kubernetes.io/docs/tasks/tools/" },
    { name: "docker", check: ["info"], install: "a running Docker engine (kind runs its node in a container)" },
] as const;

/** The kind cluster a kube context names (`kind-<cluster>`), or undefined for another context. */
export function kindClusterOf(context: string | undefined): string | undefined {
    const m = /^kind-([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(context ?? "");
    return m ? m[1] : undefined;
}

/**
 * A one-node kind cluster whose node ports 30080/30443 (the `local` stack's
 * gateway NodePorts) are published on the host, so the gateway answers on
 * localhost.
 */
export function kindConfig(nodePorts: { http: number; https: number }, hostPorts: { http: number; https: number }): string {
    return [
        "kind: Cluster",
        "apiVersion: kind.x-k8s.io/v1alpha4",
        "nodes:",
        "  - role: control-plane",
        "    extraPortMappings:",
        `      - { containerPort: ${nodePorts.http}, hostPort: ${hostPorts.http}, protocol: TCP }`,
        `      - { containerPort: ${nodePorts.https}, hostPort: ${hostPorts.https}, protocol: TCP }`,
        "",
    ].join("\n");
}

export interface UiCheck {
    readonly name: string;
    readonly namespace: string;
    readonly service: string;
    readonly port: number;
    /** What to request once port-forwarded, and the statuses that mean the UI answers. */
    readonly path: string;
    readonly accept: readonly number[];
}

/** Paths that show each UI is up (a health endpoint where the app has one). */
const UI_PROBES: Record<string, { path: (root: string) => string; accept: number[] }> = {
    kiali: { path: (root) => `${root}/healthz`, accept: [200] },
    grafana: { path: (root) => `${root}/api/health`, accept: [200] },
    jaeger: { path: (root) => `${root}/`, accept: [200] },
    prometheus: { path: () => "/-/ready", accept: [200] },
};

/**
 * The UI checks, from the stack's `portForwards` output (one
 * `kubectl -n <ns> port-forward svc/<svc> <p>:<p>  # then open http://localhost:<p><path>/`
 * per enabled UI).
 */
export function uiChecks(portForwards: Record<string, string>): UiCheck[] {
    return Object.entries(portForwards).map(([name, command]) => {
        const m = /kubectl -n (\S+) port-forward svc\/(\S+) (\d+):(\d+)\s+# then open http:\/\/localhost:\d+(\S*)/.exec(command);
        if (!m) throw new Error(`portForwards.${name}: not a port-forward command: ${command}`);
        const root = m[5].replace(/\/$/, "");
        const probe = UI_PROBES[name] ?? { path: () => `${root}/`, accept: [200] };
        return { name, namespace: m[1], service: m[2], port: Number(m[4]), path: probe.path(root), accept: probe.accept };
    });
}

export interface JobState {
    readonly name: string;
    readonly namespace: string;
    readonly state: "succeeded" | "failed" | "running";
    /** The failed pod's termination message (the verification script writes what it measured there). */
    readonly message?: string;
}

/** Verification Jobs' states from `kubectl get jobs -A -l app=verify -o json` and their pods' `-o json`. */
export function jobStates(jobsJson: string, podsJson = '{"items":[]}'): JobState[] {
    const pods: any[] = JSON.parse(podsJson).items ?? [];
    return (JSON.parse(jobsJson).items ?? []).map((j: any) => {
        const name = j.metadata.name;
        const namespace = j.metadata.namespace;
        const conditions: any[] = j.status?.conditions ?? [];
        const done = (type: string) => conditions.some((c) => c.type === type && c.status === "True");
        const state: JobState["state"] = done("Complete") ? "succeeded" : done("Failed") ? "failed" : "running";
        const message = pods
            .filter((p) => p.metadata?.namespace === namespace && p.metadata?.labels?.["job-name"] === name)
            .flatMap((p) => (p.status?.containerStatuses ?? []).map((c: any) => c.state?.terminated?.message))
            .find((m: unknown) => typeof m === "string" && m.trim() !== "");
        return { name, namespace, state, ...(message ? { message: message.trim() } : {}) };
    });
}

export interface Step {
    readonly name: string;
    readonly ok: boolean;
    readonly seconds: number;
    readonly detail?: string;
}

/** The run's report: one line per step, then the verdict. */
export function formatReport(steps: readonly Step[]): string {
    const width = Math.max(...steps.map((s) => s.name.length), 4);
    const lines = steps.map((s) => `${s.ok ? "PASS" : "FAIL"}  ${s.name.padEnd(width)}  ${s.seconds.toFixed(0).padStart(5)} s${s.detail ? `  ${s.detail}` : ""}`);
    const failed = steps.filter((s) => !s.ok).length;
    lines.push("", failed === 0 ? `End-to-end run passed: ${steps.length} steps.` : `End-to-end run FAILED: ${failed} of ${steps.length} steps.`);
    return lines.join("\n");
}

/** The classroom variant (`--classroom`): two attendees, the second at other stages than the class. */
export const E2E_CLASSROOM = {
    attendees: ["ana", "ben"],
    classroom: { stages: { ben: { bookinfo: "all-v1", helloworld: "round-robin" } } },
} as const;

/** A stack file's text with the classroom variant's keys set (on the run's copy: the project's file is not touched). */
export function withClassroom(stackFileText: string, project: string): string {
    const doc = YAML.parseDocument(stackFileText);
    doc.setIn(["config", `${project}:attendees`], [...E2E_CLASSROOM.attendees]);
    doc.setIn(["config", `${project}:classroom`], JSON.parse(JSON.stringify(E2E_CLASSROOM.classroom)));
    return doc.toString();
}

/** Where the gateway serves the product page: at the root, or under each attendee's path prefix. */
export function productPagePaths(attendees: readonly string[]): string[] {
    return attendees.length === 0 ? ["/productpage"] : attendees.map((id) => `${gatewayPlacement(id, undefined).prefix}/productpage`);
}
