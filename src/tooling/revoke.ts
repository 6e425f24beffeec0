/**
 * The end of a workshop for its attendees (`npm run kubeconfigs -- --revoke`):
 * each attendee's ServiceAccount and RoleBinding deleted: the rights end at
 * once, and every token of it within seconds (the API server checks a bound
 * token's ServiceAccount, caching an authentication for 10 s; no pod runs as
 * it: an admission rule refuses that), and the
 * workloads the attendee made (top-level, not the lessons release's) deleted
 * with their pods. The lessons stay until `npm run destroy`; the next
 * `pulumi up` that upgrades a namespace's release gives the access back.
 */
import { spawnSync } from "child_process";
import { ATTENDEE_ACCOUNT } from "../classroom/attendeeSpec";

/** How kubectl reaches the cluster as its administrator. */
export interface AdminAccess {
    readonly kubeconfig?: string;
    readonly context?: string;
}

/** The kinds of workload an attendee may create (their Role), pods included. */
export const ATTENDEE_WORKLOAD_KINDS = ["deployments.apps", "statefulsets.apps", "replicasets.apps", "cronjobs.batch", "jobs.batch", "pods"] as const;

/** Whether an object is the attendee's own: not a release's (Helm's annotation, or a hook's), not owned by another object. */
export function attendeeMade(o: any): boolean {
    const annotations = o.metadata?.annotations ?? {};
    return !annotations["meta.helm.sh/release-name"] && !annotations["helm.sh/hook"] && (o.metadata?.ownerReferences ?? []).length === 0;
}

export interface Revocation {
    readonly namespace: string;
    /** The access objects deleted (ServiceAccount, RoleBinding) that were there. */
    readonly access: readonly string[];
    /** The attendee's workloads deleted, as kind/name. */
    readonly workloads: readonly string[];
}

function kubectlArgs(admin: AdminAccess, args: readonly string[]): string[] {
    return [...(admin.kubeconfig ? ["--kubeconfig", admin.kubeconfig] : []), ...(admin.context ? ["--context", admin.context] : []), ...args];
}

function run(kubectl: string, admin: AdminAccess, args: readonly string[], env: NodeJS.ProcessEnv): string {
    const full = kubectlArgs(admin, args);
    const r = spawnSync(kubectl, full, { encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw new Error(`could not run ${kubectl} (${r.error.message}): install kubectl or set KUBECTL`);
    if (r.status !== 0) throw new Error(`${kubectl} ${full.join(" ")} failed: ${r.stderr.trim()}`);
    return r.stdout;
}

/** Ends one attendee namespace's access and removes the attendee's own workloads, as the stack's administrator. */
export function revokeNamespace(kubectl: string, admin: AdminAccess, namespace: string, env: NodeJS.ProcessEnv = process.env): Revocation {
    const deleted = run(kubectl, admin, ["delete", `rolebinding/${ATTENDEE_ACCOUNT}`, `serviceaccount/${ATTENDEE_ACCOUNT}`, "-n", namespace, "--ignore-not-found", "-o", "name"], env)
        .split("\n")
        .filter((l) => l.trim() !== "");
    const items: any[] = JSON.parse(run(kubectl, admin, ["get", ATTENDEE_WORKLOAD_KINDS.join(","), "-n", namespace, "-o", "json"], env)).items;
    const own = items.filter(attendeeMade).map((o) => `${String(o.kind).toLowerCase()}/${o.metadata.name}`);
    if (own.length > 0) run(kubectl, admin, ["delete", ...own, "-n", namespace, "--ignore-not-found", "--wait=false"], env);
    return { namespace, access: deleted, workloads: own };
}

/** One line per namespace for the organiser. */
export function revocationLine(r: Revocation): string {
    const access = r.access.length > 0 ? `access ended (${r.access.join(", ")})` : "no access left to end";
    return `${r.namespace}: ${access}; ${r.workloads.length} of the attendee's workloads deleted${r.workloads.length > 0 ? ` (${r.workloads.join(", ")})` : ""}`;
}
