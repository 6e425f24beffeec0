/**
 * Attendees' kubeconfigs (`npm run kubeconfigs`): a token per attendee from the
 * TokenRequest API (`kubectl create token`, with the stack's admin
 * credentials) that expires after `classroom.tokenHours` (or `--hours`), one
 * kubeconfig per attendee (`<dir>/<id>.kubeconfig.json`, default
 * `kubeconfigs/<stack>/`, a git-ignored folder), readable by the owner only,
 * also when a file existed before; the workshop CA's certificate beside them,
 * and with `apps.handsOn` each attendee's hand-out. No token is stored in the
 * cluster or in the stack's state: run it again for fresh ones.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { attendeeIds, type Settings } from "../settings/schema";
import { lessonsPlan } from "../workshop/lessons";
import { handOutData } from "../lessons/handOut";
import { buildNamespace } from "../lessons/build";
import { attendeeKubeconfig, type AttendeeAccess } from "../classroom/attendeeSpec";
import { openStack, stackOutputs } from "./pulumi";
import { PROJECT_DIR } from "./target";
import { loadStackConfig } from "../settings/stackFile";
import { settingsFromConfig } from "../settings/parse";
import { showProgress } from "./progress";
import { awsEnvironment, locatePulumi } from "./pulumi";
import { revocationLine, revokeNamespace, type AdminAccess } from "./revoke";

const ID = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Writes each attendee's kubeconfig to its own file, owner-only (an existing file included); returns the paths.
 * The folder is made owner-only when it is the tool's (`ownFolder`: the default `kubeconfigs/<stack>/`, or one
 * `--out` names that did not exist); a folder of the user's own (`--out .`, a home directory) keeps its mode.
 */
export function writeKubeconfigs(kubeconfigs: Record<string, string>, dir: string, ownFolder = true): string[] {
    const existed = fs.existsSync(dir);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (ownFolder || !existed) fs.chmodSync(dir, 0o700);
    return Object.entries(kubeconfigs).map(([id, config]) => {
        if (!ID.test(id)) throw new Error(`unexpected attendee id ${JSON.stringify(id)}`);
        const file = path.join(dir, `${id}.kubeconfig.json`);
        // An earlier file keeps its mode on a rewrite: make it owner-only first, then write.
        if (fs.existsSync(file)) fs.chmodSync(file, 0o600);
        fs.writeFileSync(file, config.endsWith("\n") ? config : `${config}\n`, { mode: 0o600 });
        return file;
    });
}

/** What an attendee is handed besides their kubeconfig: one page saying where everything is. */
export interface Welcome {
    readonly id: string;
    readonly namespace: string;
    /** Where their lessons' pages start (`attendeeEntries`, the gateway's address filled in where known). */
    readonly entry?: string;
    /** Kiali's address, where the stack exposes it (`exposedUiUrls`). */
    readonly kiali?: string;
    /** Whether the workshop CA's certificate is handed out beside (the gateway ends TLS with it). */
    readonly ca: boolean;
    readonly expires?: Date;
}

/** An attendee's page (`<id>.txt` beside their kubeconfig): their namespace, kubectl, their pages, Kiali and its login. */
export function welcomeText(w: Welcome): string {
    return [
        `Your namespace: ${w.namespace}`,
        `kubectl: export KUBECONFIG=$PWD/${w.id}.kubeconfig.json; kubectl get pods   (your namespace is the default)`,
        ...(w.expires ? [`Your token expires ${w.expires.toISOString()}; ask the organiser for a new kubeconfig after that.`] : []),
        ...(w.entry ? [`Your lessons' pages: ${w.entry} (the lesson guide names each path)`] : []),
        ...(w.kiali
            ? [
                  `Kiali, your namespace's mesh: ${w.kiali}`,
                  `  log in with your token: ${KIALI_TOKEN_COMMAND}`,
                  ...(w.ca ? [`  the gateway's certificate is the workshop's own CA (${GATEWAY_CA_FILE_NAME}): trust it in your browser, or accept its warning`] : []),
              ]
            : []),
        "",
    ].join("\n");
}

/** The address of an attendee's entry, the gateway's placeholder filled in where the stack knows it (a load balancer's name). */
export function entryAt(entry: string | undefined, address: unknown): string | undefined {
    return entry !== undefined && typeof address === "string" && !/\s/.test(address) && address !== "pending" ? entry.replace("<ingressGatewayAddress>", address) : entry;
}

/**
 * Hands-on stacks: each attendee's hand-out (`steps.txt` and a YAML file per
 * stage of each lesson, the same as the `lesson-steps` ConfigMap in their
 * namespace) in `<dir>/<id>-lessons/`; returns the folders written.
 */
export function writeHandOuts(settings: Settings, ids: readonly string[], dir: string): string[] {
    if (!settings.apps.handsOn) return [];
    const { namespaces, mesh } = lessonsPlan(settings);
    return ids.map((id) => {
        const own = namespaces.find((n) => n.attendee === id);
        if (own === undefined) throw new Error(`${id} is not an attendee of the stack`);
        const data = handOutData(buildNamespace(own, mesh.sidecarEgressHosts), id);
        const folder = path.join(dir, `${id}-lessons`);
        fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
        for (const [file, text] of Object.entries(data)) fs.writeFileSync(path.join(folder, file), text);
        return folder;
    });
}

/** `kubectl create token`: a token of the attendee's ServiceAccount from the TokenRequest API, valid for `hours`. */
export function mintToken(kubectl: string, admin: AdminAccess, access: AttendeeAccess, hours: number, env: NodeJS.ProcessEnv = process.env): string {
    const args = [
        ...(admin.kubeconfig ? ["--kubeconfig", admin.kubeconfig] : []),
        ...(admin.context ? ["--context", admin.context] : []),
        "create",
        "token",
        access.serviceAccount,
        "--namespace",
        access.namespace,
        "--duration",
        `${hours}h`,
    ];
    const r = spawnSync(kubectl, args, { encoding: "utf8", env });
    if (r.error) throw new Error(`could not run ${kubectl} (${r.error.message}): install kubectl or set KUBECTL`);
    if (r.status !== 0) throw new Error(`${kubectl} ${args.join(" ")} failed: ${r.stderr.trim()}`);
    return r.stdout.trim();
}

/** When a token expires, from its `exp` claim (undefined when it is not a JWT). */
export function tokenExpiry(token: string): Date | undefined {
    const payload = token.split(".")[1];
    if (!payload) return undefined;
    try {
        const exp = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")).exp;
        return typeof exp === "number" ? new Date(exp * 1000) : undefined;
    } catch {
        return undefined;
    }
}

/** The file beside the kubeconfigs that holds the workshop CA's certificate. */
export const GATEWAY_CA_FILE_NAME = "gateway-ca.crt";

/** How an attendee prints the token of their kubeconfig, to log in to Kiali with. */
export const KIALI_TOKEN_COMMAND = "kubectl config view --raw --minify -o jsonpath='{.users[0].user.token}'";

/** A line of progress every `every` tokens and at the last: minting hundreds of tokens takes a while. */
export function progressLine(done: number, total: number, every = 10): string | undefined {
    return done === total || done % every === 0 ? `tokens: ${done} of ${total}` : undefined;
}

/** The stack's outputs, secrets shown, through the Automation API (the CLI `npm run up` uses). */
async function outputsOf(stack: string, envVars: Record<string, string>): Promise<Record<string, unknown>> {
    const cli = await locatePulumi();
    if ("refusal" in cli) throw new Error(cli.refusal);
    const selected = await openStack({ projectDir: PROJECT_DIR, command: cli.command, envVars }, stack);
    if ("refusal" in selected) throw new Error(selected.refusal);
    return stackOutputs(selected);
}

export interface KubeconfigsRequest {
    readonly stack: string;
    readonly hours?: string;
    readonly out?: string;
    /** End the attendees' access instead (`--revoke`): all of them, or `attendee` alone. */
    readonly revoke?: boolean;
    readonly attendee?: string;
}

/** Mints the tokens and writes the kubeconfigs (and hand-outs) of a stack's attendees; progress on stderr, what was written on stdout. */
export async function handOutKubeconfigs(request: KubeconfigsRequest): Promise<void> {
    const values = request;
    const config = loadStackConfig(PROJECT_DIR, values.stack);
    const settings = settingsFromConfig(config.config, { stack: config.stack, source: config.file });
    const hours = values.hours !== undefined ? Number(values.hours) : settings.classroom.tokenHours;
    if (values.revoke && (values.hours !== undefined || values.out !== undefined)) throw new Error("--revoke ends access: it takes no --hours or --out");
    if (!values.revoke && values.attendee !== undefined) throw new Error("--attendee goes with --revoke (kubeconfigs are written for every attendee)");
    if (!Number.isInteger(hours) || hours < 1 || hours > 24) throw new Error(`--hours must be an integer from 1 to 24 (EKS issues no token for longer), got ${JSON.stringify(values.hours)}`);
    // A stack without a class ends here, before the CLI or the backend is asked anything.
    if (attendeeIds(settings.attendees).length === 0) throw new Error(`stack ${values.stack} has no attendees (istio-workshop:attendees in ${config.file}): there are no kubeconfigs to hand out`);
    // The stack's aws:profile for the AWS CLI the admin kubeconfig's token command runs.
    const env = { ...process.env, ...awsEnvironment(settings) };
    const outputs = await outputsOf(values.stack, awsEnvironment(settings));
    const access = (outputs.attendeeAccess ?? {}) as Record<string, AttendeeAccess | undefined>;
    const ids = Object.keys(access);
    if (ids.length === 0) throw new Error(`stack ${values.stack} has no attendees (istio-workshop:attendees)`);
    const unreadable = ids.filter((id) => access[id] === undefined);
    if (unreadable.length > 0) throw new Error(`the cluster's endpoint could not be read for ${unreadable.join(", ")}: check the stack's kubeconfig`);

    if (values.attendee !== undefined && !ids.includes(values.attendee)) throw new Error(`--attendee: must be one of the stack's attendees (${ids.join(", ")}), got ${JSON.stringify(values.attendee)}`);
    // The administrator's credentials: the stack's kubeconfig output (EKS), or the stack's own kubeconfig and context (existing).
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), "istio-workshop-"));
    try {
        let admin: AdminAccess = { kubeconfig: settings.cluster.kubeconfig, context: settings.cluster.context };
        if (typeof outputs.kubeconfig === "string") {
            const file = path.join(temp, "admin.kubeconfig.json");
            fs.writeFileSync(file, outputs.kubeconfig, { mode: 0o600 });
            admin = { kubeconfig: file };
        }
        const kubectl = process.env.KUBECTL ?? "kubectl";
        if (values.revoke) {
            for (const id of values.attendee !== undefined ? [values.attendee] : ids) process.stdout.write(`${revocationLine(revokeNamespace(kubectl, admin, access[id]!.namespace, env))}\n`);
            process.stdout.write("The revoked attendees' tokens stop authenticating within seconds (the API server caches an authentication for 10 s); the lessons stay until npm run destroy (a later up that upgrades a namespace gives its access back)\n");
            return;
        }
        const show = showProgress();
        const tokens = Object.fromEntries(
            ids.map((id, i) => {
                const token = mintToken(kubectl, admin, access[id]!, hours, env);
                const line = show ? progressLine(i + 1, ids.length) : undefined;
                if (line) process.stderr.write(`${line}\n`);
                return [id, token];
            }),
        );
        const dir = values.out ?? path.join("kubeconfigs", values.stack);
        const files = writeKubeconfigs(Object.fromEntries(ids.map((id) => [id, attendeeKubeconfig(access[id]!, tokens[id])])), dir, values.out === undefined);
        // The workshop CA, for `curl --cacert` against the gateway's own TLS (a certificate, owner-only like the rest of the folder).
        if (typeof outputs.gatewayCaCertificate === "string") {
            fs.writeFileSync(path.join(dir, GATEWAY_CA_FILE_NAME), outputs.gatewayCaCertificate, { mode: 0o600 });
            process.stdout.write(`The workshop CA's certificate, for curl --cacert over https: ${path.join(dir, GATEWAY_CA_FILE_NAME)}\n`);
        }
        const kiali = (outputs.exposedUiUrls as Record<string, string> | undefined)?.kiali;
        if (kiali) process.stdout.write(`Kiali, for every attendee: ${kiali} (log in with the token of one's kubeconfig: ${KIALI_TOKEN_COMMAND}; it shows one's own namespace)\n`);
        // One page per attendee beside their kubeconfig: where their namespace, pages and Kiali are.
        const entries = (outputs.attendeeEntries ?? {}) as Record<string, string | undefined>;
        for (const id of ids) {
            const text = welcomeText({ id, namespace: access[id]!.namespace, entry: entryAt(entries[id], outputs.ingressGatewayAddress), kiali, ca: typeof outputs.gatewayCaCertificate === "string", expires: tokenExpiry(tokens[id]) });
            fs.writeFileSync(path.join(dir, `${id}.txt`), text, { mode: 0o600 });
        }
        const expiries = Object.values(tokens).map(tokenExpiry).filter((d): d is Date => d !== undefined);
        const first = expiries.length > 0 ? new Date(Math.min(...expiries.map((d) => d.getTime()))) : undefined;
        process.stdout.write(`${files.length} kubeconfigs written to ${dir} (owner-only), each with a page for its attendee (<id>.txt: their namespace, pages and Kiali); tokens requested for ${hours} h${first ? `, the first expires ${first.toISOString()}` : ""}\n`);
        const handOuts = writeHandOuts(settings, ids, dir);
        if (handOuts.length > 0) process.stdout.write(`${handOuts.length} hand-outs (each attendee's lesson stages and steps) written beside them: ${dir}/<id>-lessons/\n`);
        if (first && first.getTime() < Date.now() + hours * 3600_000 - 60_000) {
            process.stdout.write(`  ! the API server shortened the tokens' lifetime (its --service-account-max-token-expiration)\n`);
        }
    } finally {
        fs.rmSync(temp, { recursive: true, force: true });
    }
}
