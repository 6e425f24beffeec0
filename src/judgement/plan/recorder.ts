/**
 * Runs a Pulumi program under the SDK's mock runtime and records every resource
 * registration as the engine would receive it: type, name, parent, provider, the
 * full dependency set (explicit `dependsOn` and the resources whose outputs feed
 * an input) and the inputs. Nothing is contacted: no cloud, no CLI, no network.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as debuggable from "@pulumi/pulumi/runtime/debuggable";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import * as runtimeSettings from "@pulumi/pulumi/runtime/settings";
import { expandLessonsRelease, isLessonsRelease } from "./planEntries";
import { SECRET, UNKNOWN, type Plan, type PlannedResource } from "./plan";

/** Internal SDK function (not in the typings): resolves once every outstanding RPC has finished. */
const waitForRPCs: () => Promise<void> = (runtimeSettings as any).waitForRPCs;


export interface RunOptions {
    readonly project: string;
    readonly stack: string;
    /** Full config map (`namespace:key` to string), as `pulumi.runtime.allConfig()` will return it. */
    readonly config: Record<string, string>;
    readonly secretKeys?: string[];
    /**
     * `true` (the plan): outputs the mocks do not return are unknown, as in
     * `pulumi preview`. `false` (component tests): applies run on mocked values.
     */
    readonly preview: boolean;
    /** Default: echo inputs back as state, with no id (unknown in preview). */
    readonly mocks?: pulumi.runtime.Mocks;
    /** Sees every raw registration request (tests use it for options a plan does not record, such as `protect`). */
    readonly onRequest?: (request: any) => void;
    /** Keep each lessons release's values as given (a replay installs it); default: its objects become entries of their own. */
    readonly keepReleaseValues?: boolean;
    /** Keep secrets' values (a replay applies them); default: shown as `[secret]`, as in a plan anyone may read. */
    readonly revealSecrets?: boolean;
    /** Builds the program; returns its stack outputs (a module's exports, say). */
    readonly program: () => Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** Answers of data sources only the cloud knows, shown as unknown in the plan. */
const UNKNOWN_CALLS: Readonly<Record<string, Record<string, string>>> = {
    "aws:index/getCallerIdentity:getCallerIdentity": { accountId: UNKNOWN, arn: UNKNOWN, id: UNKNOWN, userId: UNKNOWN },
};

/** Outputs a provider computes at apply time that the program passes on (the workshop CA's keys and certificates), shown as unknown. */
const UNKNOWN_OUTPUTS: Readonly<Record<string, Record<string, string>>> = {
    "tls:index/privateKey:PrivateKey": { privateKeyPem: UNKNOWN, publicKeyPem: UNKNOWN },
    "tls:index/selfSignedCert:SelfSignedCert": { certPem: UNKNOWN },
    "tls:index/certRequest:CertRequest": { certRequestPem: UNKNOWN },
    "tls:index/locallySignedCert:LocallySignedCert": { certPem: UNKNOWN },
};

const echoMocks: pulumi.runtime.Mocks = {
    // Nothing reads a lessons release's outputs: echoing its (large) object list back would only cost time.
    newResource: (args) => ({ id: undefined, state: isLessonsRelease({ type: args.type, inputs: args.inputs }) ? {} : { ...args.inputs, ...(UNKNOWN_OUTPUTS[args.type] ?? {}) } }),
    call: (args) => UNKNOWN_CALLS[args.token] ?? {},
};

/**
 * Makes large plans cheaper: the SDK wraps every internal promise with a captured
 * stack trace for its leak report, which costs more than the registration itself
 * for thousands of resources. A plan never reports leaks, so the wrapper is made
 * a pass-through. Registrations are unchanged.
 */
export function disablePromiseDebugging(): void {
    (debuggable as { debuggablePromise: (p: Promise<unknown>) => Promise<unknown> }).debuggablePromise = (p) => p;
}

/** Runs `program` under mocks and returns what it registered, in URN order. */
export async function recordProgram(options: RunOptions): Promise<Plan> {
    pulumi.runtime.setAllConfig(options.config, options.secretKeys);
    await pulumi.runtime.setMocks(options.mocks ?? echoMocks, options.project, options.stack, options.preview);

    // Each request is turned into its plan entry as soon as it is answered, so requests are not kept.
    const resources: PlannedResource[] = [];
    const monitor: any = runtimeSettings.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (request: any, callback: (err: unknown, response: any) => void) => {
        options.onRequest?.(request);
        return register(request, (err: unknown, response: any) => {
            if (!err && response) {
                const planned = toPlanned(request, response.getUrn(), options.revealSecrets === true);
                resources.push(...(options.keepReleaseValues ? [planned] : expandLessonsRelease(planned)));
            }
            callback(err, response);
        });
    };

    const exported = await options.program();
    await waitForRPCs();
    const outputs = await resolveOutputs(exported);
    await waitForRPCs();

    // Code-point order (locale-independent), with `$` ranked after `:` so a component precedes its children.
    const key = (urn: string) => urn.replace(/\$/g, "~");
    resources.sort((a, b) => (key(a.urn) < key(b.urn) ? -1 : key(a.urn) > key(b.urn) ? 1 : 0));
    return { project: options.project, stack: options.stack, resources, outputs };
}

function toPlanned(req: any, urn: string, revealSecrets: boolean): PlannedResource {
    const deps = new Set<string>(req.getDependenciesList());
    req.getPropertydependenciesMap().forEach((value: any) => value.getUrnsList().forEach((u: string) => deps.add(u)));
    // Custom resources name one provider; remote components (awsx, eks) pass a providers map.
    const providers: string[] = [req.getProvider(), ...req.getProvidersMap().toArray().map(([, ref]: [string, string]) => ref)];
    const provider = providers.find((p) => p !== "");
    return {
        urn,
        type: req.getType(),
        name: req.getName(),
        parent: req.getParent() || null,
        custom: req.getCustom(),
        provider: provider ? provider.slice(0, provider.lastIndexOf("::")) : null,
        dependsOn: [...deps].filter((d) => d !== "").sort(),
        inputs: clean(req.getObject()?.toJavaScript() ?? {}, revealSecrets) as Record<string, unknown>,
    };
}

/** Turns the wire form of a value into plain JSON: unknowns, secrets and references made explicit. */
export function clean(value: unknown, revealSecrets = false): unknown {
    if (value === rpc.unknownValue) return UNKNOWN;
    if (Array.isArray(value)) return value.map((v) => clean(v, revealSecrets));
    if (typeof value === "object" && value !== null) {
        const v = value as Record<string, unknown>;
        switch (v[rpc.specialSigKey]) {
            case rpc.specialSecretSig:
                return revealSecrets ? clean(v.value, true) : SECRET;
            case rpc.specialResourceSig:
                return v.urn;
            case rpc.specialAssetSig:
            case rpc.specialArchiveSig:
                return { asset: v.path ?? v.uri ?? (v.text !== undefined ? "(inline text)" : "(archive)") };
        }
        return Object.fromEntries(
            Object.keys(v)
                .filter((k) => !k.startsWith("__"))
                .sort()
                .map((k) => [k, clean(v[k], revealSecrets)]),
        );
    }
    return value;
}

async function resolveOutputs(exported: Record<string, unknown>): Promise<Record<string, unknown>> {
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(exported).sort()) {
        const value = exported[key];
        if (value === undefined || typeof value === "function") continue;
        const output: any = pulumi.output(value);
        const [known, secret] = await Promise.all([output.isKnown, output.isSecret]);
        if (secret) result[key] = SECRET;
        else if (!known) result[key] = UNKNOWN;
        else result[key] = clean(await output.promise());
    }
    return result;
}

/**
 * Writes a plan as `JSON.stringify(plan, null, 2)` would, resource by resource:
 * a classroom's plan is tens of megabytes, and one string of it would double
 * the plan's peak memory.
 */
export function writePlanJson(file: string, plan: Plan): void {
    const indent = (text: string, by: string) => text.split("\n").join(`\n${by}`);
    const fd = fs.openSync(file, "w");
    try {
        fs.writeSync(fd, `{\n  "project": ${JSON.stringify(plan.project)},\n  "stack": ${JSON.stringify(plan.stack)},\n  "resources": [`);
        plan.resources.forEach((r, i) => fs.writeSync(fd, `${i === 0 ? "" : ","}\n    ${indent(JSON.stringify(r, null, 2), "    ")}`));
        fs.writeSync(fd, `${plan.resources.length > 0 ? "\n  " : ""}],\n  "outputs": ${indent(JSON.stringify(plan.outputs, null, 2), "  ")}\n}\n`);
    } finally {
        fs.closeSync(fd);
    }
}
