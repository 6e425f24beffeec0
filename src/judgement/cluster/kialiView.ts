/**
 * Which namespaces Kiali shows a login token, asked of the real API server with that token. Kiali itself does not
 * run here (no images): this is its algorithm, as Kiali v2.29.0 writes it, over the real authorizer. With its
 * token strategy and cluster-wide access (the chart's default) Kiali lists the namespaces with its own account, then
 * with the user's token: where the user may LIST namespaces it shows those, where that is forbidden it GETs each
 * namespace with the token and shows those that answer (`business/namespaces.go`: `getNamespacesUsingKialiSA`,
 * `filterToNamespacesUserCanGet`). A token that sees none may not log in ("not enough privileges to login",
 * `handlers/authentication/token_auth_controller.go`).
 */
import { kubectlAs } from "./serverJudge";

export interface KialiView {
    /** Whether the token may list every namespace (Kiali then shows every one). */
    readonly lists: boolean;
    /** The namespaces Kiali would show, in the cluster's order. */
    readonly visible: readonly string[];
}

const names = (out: string) => out.split("\n").map((l) => l.trim().replace(/^namespace\//, "")).filter((l) => l !== "");

/** Kiali's namespaces for the token of `userConfig`, out of `all` (what Kiali's own account lists). */
export async function kialiView(kubectl: string, userConfig: string, all: readonly string[]): Promise<KialiView> {
    const list = await kubectlAs(kubectl, userConfig, ["get", "namespaces", "-o", "name"]);
    if (list.code === 0) return { lists: true, visible: all.filter((n) => names(list.out).includes(n)) };
    if (!/forbidden/i.test(list.out)) throw new Error(`listing namespaces with the attendee's token failed other than forbidden (Kiali would refuse the login): ${list.out.split("\n")[0]}`);
    const visible: string[] = [];
    for (const n of all) {
        const get = await kubectlAs(kubectl, userConfig, ["get", "namespace", n, "-o", "name"]);
        if (get.code === 0) visible.push(n);
        else if (!/forbidden/i.test(get.out)) throw new Error(`getting namespace ${n} with the attendee's token failed other than forbidden (Kiali would fail the login): ${get.out.split("\n")[0]}`);
    }
    return { lists: false, visible };
}

/** What is wrong with an attendee's view: anything but their own namespace, or the offline judge seeing otherwise. */
export function kialiViewProblems(own: string, server: KialiView, offline: readonly string[]): string[] {
    const problems: string[] = [];
    if (server.lists) problems.push(`Kiali: ${own}'s token may list every namespace, so Kiali would show them all`);
    if (server.visible.join(",") !== own) problems.push(`Kiali: ${own}'s token would see ${server.visible.length === 0 ? "no namespace (Kiali refuses the login: not enough privileges)" : server.visible.join(", ")}, not its own namespace alone`);
    if (server.visible.join(",") !== offline.join(",")) problems.push(`Kiali: the offline RBAC judge says ${own}'s token sees ${offline.join(", ") || "nothing"}; the API server, ${server.visible.join(", ") || "nothing"}`);
    return problems;
}
