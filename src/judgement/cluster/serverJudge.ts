/**
 * The attack suite sent to a real API server as an attendee: each attempt
 * made with the attendee's own token (a TokenRequest token of its
 * ServiceAccount, minted as `npm run kubeconfigs` mints them), and the layer
 * that refused it read from the API server's answer. Objects are sent with a
 * server-side dry run (every admission step runs, nothing is stored); a verb
 * on a resource is asked of the server's authorizer (SelfSubjectAccessReview,
 * `kubectl auth can-i`); a number of objects is created for real, then
 * deleted. Connections, scrapes, DNS names and image pulls are not the API
 * server's: not sent, the offline models judge them.
 *
 * Beside each server verdict, the offline one (`attendeeJudge`) for the layers
 * the API server has (`SERVER_LAYERS`): every difference is a model
 * disagreement.
 */
import { execFile } from "child_process";
import type { Attempt, Layer, Verdict } from "../attacks/attacks";
import { isPlatformAttempt } from "../attacks/platformJudges";

/** The layers the API server judges; the others (Istio, NetworkPolicy, AuthorizationPolicy, Prometheus, IAM, settings) are not its. */
export const SERVER_LAYERS: readonly Layer[] = ["RBAC", "LimitRange", "Pod Security", "admission policy", "ResourceQuota"];

export type ServerLayer = Layer | "schema" | "other";

export interface ServerVerdict {
    readonly layer: ServerLayer;
    readonly message: string;
}

/** The layer an API server's refusal names, from its message. */
export function layerOfRefusal(message: string): ServerLayer {
    if (/violates PodSecurity/.test(message)) return "Pod Security";
    if (/ValidatingAdmissionPolicy '[^']+' with binding '[^']+' denied request/.test(message)) return "admission policy";
    if (/is forbidden: User "[^"]+" cannot /.test(message)) return "RBAC";
    if (/exceeded quota|failed quota|must specify (limits|requests)/.test(message)) return "ResourceQuota";
    if (/LimitRange|maximum (cpu|memory) usage per (Container|Pod)/.test(message)) return "LimitRange";
    if (/Invalid value|Unsupported value|unknown field|Required value|is invalid/.test(message)) return "schema";
    return "other";
}

/** What the offline model says the API server will answer: its verdict where the server judges, else admitted. */
export function expectedServerLayer(v: Verdict): Layer {
    return SERVER_LAYERS.includes(v.layer) ? v.layer : "admitted";
}

/** kubectl with a kubeconfig (an attendee's, or the administrator's), its exit code and all it printed. */
export function kubectlAs(kubectl: string, kubeconfig: string, args: readonly string[], input?: string): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
        const child = execFile(kubectl, ["--kubeconfig", kubeconfig, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}`.trim() });
        });
        if (input !== undefined) child.stdin?.end(input);
    });
}

/** A request as `kubectl auth can-i` takes it: `resource[.group][/name]` and `--subresource`. */
export function canIArgs(verb: string, group: string, resource: string, name: string | undefined, namespace: string | undefined): string[] {
    const [base, sub] = resource.split("/");
    const type = `${base}${group ? `.${group}` : ""}${name ? `/${name}` : ""}`;
    return ["auth", "can-i", verb, type, ...(sub ? [`--subresource=${sub}`] : []), ...(namespace ? ["-n", namespace] : ["--all-namespaces"])];
}

/** Sends one attempt as the attendee whose kubeconfig is given; undefined for one that is not the API server's. */
export async function sendAttempt(kubectl: string, kubeconfig: string, attempt: Attempt): Promise<ServerVerdict | undefined> {
    if ("connect" in attempt || isPlatformAttempt(attempt)) return undefined;
    if ("object" in attempt && (attempt.count ?? 1) > 1) return sendMany(kubectl, kubeconfig, attempt.object, attempt.count!);
    if ("object" in attempt) {
        const object = JSON.stringify(attempt.object);
        const apply = () => kubectlAs(kubectl, kubeconfig, ["apply", "--server-side", "--dry-run=server", "--force-conflicts", "--field-manager=attendee", "-o", "name", "-f", "-"], object);
        // A create of an object that exists already is the update the attendee would make instead.
        let r = attempt.verb === "create" ? await kubectlAs(kubectl, kubeconfig, ["create", "--dry-run=server", "-o", "name", "-f", "-"], object) : await apply();
        if (r.code !== 0 && /\(AlreadyExists\)/.test(r.out)) r = await apply();
        return r.code === 0 ? { layer: "admitted", message: r.out } : { layer: layerOfRefusal(r.out), message: r.out };
    }
    const args = canIArgs(attempt.verb, attempt.group, attempt.resource, attempt.name, attempt.namespace);
    const r = await kubectlAs(kubectl, kubeconfig, args);
    return r.out.startsWith("yes") ? { layer: "admitted", message: "the authorizer allows it" } : { layer: "RBAC", message: `the authorizer answered ${JSON.stringify(r.out)} to kubectl ${args.join(" ")}` };
}

const ATTACK_LABEL = "istio-workshop.dev/attack";

/**
 * An attack that is a number of objects: no dry run can count them, so they are created for real, one after
 * another, the first refusal being the verdict; then deleted, and the namespace's quotas waited for until they
 * count what they counted before (later attempts meet the namespace as it was).
 */
async function sendMany(kubectl: string, kubeconfig: string, object: any, count: number): Promise<ServerVerdict> {
    const ns = String(object.metadata.namespace);
    const kind = String(object.kind).toLowerCase();
    const used = async () => JSON.stringify(JSON.parse((await kubectlAs(kubectl, kubeconfig, ["get", "resourcequotas", "-n", ns, "-o", "json"])).out).items.map((q: any) => q.status?.used ?? {}));
    const before = await used();
    const items = Array.from({ length: count }, (_, i) => ({ ...object, metadata: { ...object.metadata, name: `${object.metadata.name}-${i + 1}`, labels: { ...(object.metadata.labels ?? {}), [ATTACK_LABEL]: object.metadata.name } } }));
    const r = await kubectlAs(kubectl, kubeconfig, ["create", "-o", "name", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
    const refusal = r.out.split("\n").find((l) => l.startsWith("Error from server") || l.startsWith("error:"));
    await kubectlAs(kubectl, kubeconfig, ["delete", kind, "-n", ns, "-l", `${ATTACK_LABEL}=${object.metadata.name}`, "--wait=true"]);
    for (let i = 0; i < 60 && (await used()) !== before; i++) await new Promise((done) => setTimeout(done, 1000));
    const created = r.out.split("\n").filter((l) => !l.startsWith("Error") && !l.startsWith("error:") && l.trim() !== "").length;
    return refusal ? { layer: layerOfRefusal(refusal), message: `${created} of ${count} created, then: ${refusal}` } : { layer: "admitted", message: `all ${count} created` };
}
