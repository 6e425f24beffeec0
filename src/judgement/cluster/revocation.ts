/**
 * The end of the workshop on the real control plane: an attendee with a token
 * of their own starts a workload of their own; the organiser revokes the
 * attendee (`npm run kubeconfigs -- --revoke`'s own function); the same token
 * must then be refused by the API server, the attendee's workload gone and the
 * lessons' workloads kept.
 */
import { revokeNamespace, type AdminAccess, type Revocation } from "../../tooling/revoke";
import { kubectlAs } from "./serverJudge";

export interface RevocationReport {
    readonly attendee: string;
    readonly before: string;
    readonly after: string;
    readonly revocation: Revocation;
    /** How long after the revocation the token was first refused. */
    readonly refusedAfterSeconds: number;
    /** The release's Deployments still there after the revocation. */
    readonly lessonsKept: number;
    readonly ownLeft: readonly string[];
}

const OWN = "attendee-own";
/** kubectl's answer when the API server does not authenticate the token. */
const UNAUTHENTICATED = /Unauthorized|must be logged in/i;

/** Runs the revocation of `attendee`, whose kubeconfig (a token of their own) is `attendeeConfig`. */
export async function runRevocation(kubectl: string, admin: AdminAccess & { readonly kubeconfig: string }, attendee: string, attendeeConfig: string): Promise<RevocationReport> {
    const deployment = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: OWN, namespace: attendee },
        spec: {
            replicas: 1,
            selector: { matchLabels: { app: OWN } },
            template: {
                metadata: { labels: { app: OWN } },
                spec: {
                    securityContext: { runAsNonRoot: true, runAsUser: 100, seccompProfile: { type: "RuntimeDefault" } },
                    containers: [{ name: "x", image: "quay.io/curl/curl:8.16.0", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
                },
            },
        },
    };
    const made = await kubectlAs(kubectl, attendeeConfig, ["apply", "-f", "-"], JSON.stringify(deployment));
    if (made.code !== 0) throw new Error(`${attendee} could not start a workload of their own before the revocation: ${made.out}`);
    const before = (await kubectlAs(kubectl, attendeeConfig, ["auth", "can-i", "list", "pods", "-n", attendee])).out;
    const revocation = revokeNamespace(kubectl, admin, attendee);
    // The binding's removal takes the rights at once; the token stops authenticating once the API server's cache
    // of ServiceAccounts has seen the deletion: asked again, for up to 30 s, until it is refused.
    const started = Date.now();
    let after = "";
    for (let i = 0; i < 30; i++) {
        after = (await kubectlAs(kubectl, attendeeConfig, ["auth", "can-i", "list", "pods", "-n", attendee])).out;
        if (UNAUTHENTICATED.test(after)) break;
        await new Promise((done) => setTimeout(done, 1000));
    }
    const refusedAfter = (Date.now() - started) / 1000;
    const left = JSON.parse((await kubectlAs(kubectl, admin.kubeconfig, [...(admin.context ? ["--context", admin.context] : []), "get", "deployments", "-n", attendee, "-o", "json"])).out).items as any[];
    return {
        attendee,
        before,
        after,
        revocation,
        refusedAfterSeconds: Math.round(refusedAfter),
        lessonsKept: left.filter((d) => d.metadata.annotations?.["meta.helm.sh/release-name"]).length,
        ownLeft: left.filter((d) => d.metadata.name === OWN && !d.metadata.deletionTimestamp).map((d) => d.metadata.name),
    };
}

/** What the run counts as failed: the token still accepted, the attendee's workload left, or the lessons' gone. */
export function revocationFailures(r: RevocationReport): string[] {
    return [
        ...(r.before.startsWith("yes") ? [] : [`revocation: before it, ${r.attendee}'s token was not allowed to list pods (${r.before})`]),
        ...(UNAUTHENTICATED.test(r.after) ? [] : [`revocation: after it, ${r.attendee}'s token was not refused (kubectl answered ${JSON.stringify(r.after.split("\n")[0])})`]),
        ...(r.revocation.workloads.includes(`deployment/${OWN}`) && r.ownLeft.length === 0 ? [] : [`revocation: ${r.attendee}'s own Deployment was not deleted`]),
        ...(r.lessonsKept > 0 ? [] : [`revocation: the lessons' Deployments of ${r.attendee} were deleted too`]),
    ];
}

export function revocationLine(r: RevocationReport): string {
    return `revocation: ${r.attendee}'s token allowed before (can-i: ${r.before.split("\n")[0]}), refused ${r.refusedAfterSeconds} s after (${r.after.split("\n")[0]}); deleted ${[...r.revocation.access, ...r.revocation.workloads].join(", ")}; the lessons' ${r.lessonsKept} Deployments kept`;
}
