/**
 * Stack settings: the only module that reads stack config.
 *
 * `parseSettings(raw)` is pure: it takes the project's config keys (without the
 * `istio-workshop:` namespace) and returns typed settings with every default
 * resolved, or throws one `SettingsError` that lists every problem, each naming
 * the key, the value received and what is allowed. `parseComponentSettings`
 * does the same for a component's arguments, whose cluster is only its facts.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { EKS_STANDARD_SUPPORT_END } from "./cluster";
import { prefixLength } from "./primitives";
import { componentSchema, rawSchema, type ComponentConfig, type ComponentSettings, type Settings } from "./schema";
import { type ClusterConfig, type ClusterSettings, type WorkshopConfig } from "./schema";
import { section } from "./primitives";
import { clusterSchema } from "./cluster";
import { istioVersionWarnings } from "./istio";

export const PROJECT = "istio-workshop";

/** Where a component's own settings come from, for error messages. */
export const COMPONENT_ARGUMENTS = "component arguments";

/** A user mistake in stack config: Pulumi prints its message without a stack trace. */
export class SettingsError extends pulumi.RunError {
    constructor(
        readonly source: string,
        readonly problems: readonly string[],
    ) {
        super(`Invalid stack config (${source}):\n${problems.map((p) => ` - ${p}`).join("\n")}`);
        this.name = "SettingsError";
    }
}

export interface ParseContext {
    /** Stack name: names the cluster by default. */
    readonly stack: string;
    /** Where the config came from, for the error message. */
    readonly source?: string;
}

/** Validates raw config (keys without namespace) and resolves every default. */
export function parseSettings(raw: Record<string, unknown>, context: ParseContext): Settings {
    const forbidden = forbiddenKeys(raw);
    if (forbidden.length > 0) throw new SettingsError(context.source ?? `Pulumi.${context.stack}.yaml`, forbidden);
    const result = rawSchema.safeParse(raw, { reportInput: true });
    if (!result.success) {
        throw new SettingsError(context.source ?? `Pulumi.${context.stack}.yaml`, result.error.issues.flatMap(describeIssue));
    }
    const parsed = result.data;
    return {
        ...parsed,
        project: PROJECT,
        stack: context.stack,
        cluster: withClusterDefaults(parsed.cluster, context.stack),
        istio: {
            ...parsed.istio,
            ingress: {
                ...parsed.istio.ingress,
                serviceType: parsed.istio.ingress.serviceType ?? (parsed.cluster.mode === "eks" ? "LoadBalancer" : "NodePort"),
            },
        },
    };
}

/**
 * Validates a component's arguments (the sections it is given, the cluster's
 * facts) as a stack file's are, and resolves every default: a mistake is one
 * `SettingsError` naming the key; nothing is invented for a section not given.
 */
export function parseComponentSettings(raw: ComponentConfig, source: string = COMPONENT_ARGUMENTS): ComponentSettings {
    const forbidden = forbiddenKeys(raw);
    if (forbidden.length > 0) throw new SettingsError(source, forbidden);
    const result = componentSchema.safeParse(raw, { reportInput: true });
    if (!result.success) throw new SettingsError(source, result.error.issues.flatMap(describeIssue));
    const parsed = result.data;
    return {
        ...parsed,
        istio: {
            ...parsed.istio,
            ingress: {
                ...parsed.istio.ingress,
                serviceType: parsed.istio.ingress.serviceType ?? (parsed.cluster.mode === "eks" ? "LoadBalancer" : "NodePort"),
            },
        },
    };
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
    // A value of the union's mapping form that breaks inside: say what inside, not that the union failed.
    if (issue.code === "invalid_union" && typeof issue.input === "object" && issue.input !== null) {
        const inner = issue.errors.find((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
        if (inner) return inner.flatMap((i) => describeIssue({ ...i, path: [...issue.path, ...i.path] } as z.core.$ZodIssue));
    }
    if (issue.code === "unrecognized_keys") {
        return issue.keys.map(
            (key) => `${keyPath([...issue.path, key])}: ${issue.message}, got ${render((issue.input as Record<string, unknown> | undefined)?.[key])}`,
        );
    }
    const key = issue.path.length > 0 ? keyPath(issue.path) : "(top level)";
    const missing = issue.code === "custom" && issue.params?.missing === true;
    const got = missing ? "" : issue.input !== undefined ? `, got ${render(issue.input)}` : ", got nothing";
    return [`${key}: ${issue.message}${got}`];
}

/** `cluster.adminCidrs[0]`: the way the key reads in a stack file. */
function keyPath(path: readonly PropertyKey[]): string {
    return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

function render(value: unknown): string {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}


/**
 * What the program starts from: the stack's config (`pulumi.runtime`), checked
 * as a whole (its namespaces, `aws:*` keys, every setting): the settings, and
 * this project's keys as the plain config the components take.
 */
export function loadStack(): { readonly settings: Settings; readonly config: WorkshopConfig } {
    const all = pulumi.runtime.allConfig();
    const settings = settingsFromConfig(all, { stack: pulumi.getStack() });
    return { settings, config: projectConfig(all) as WorkshopConfig };
}

/**
 * The `cluster` section of a component's arguments, validated as a stack
 * file's is (a mistake names `cluster.<key>`), every default applied: its
 * name and protection from the stack.
 */
export function parseClusterSettings(raw: ClusterConfig | undefined, context: ParseContext): ClusterSettings {
    const source = context.source ?? COMPONENT_ARGUMENTS;
    const config = { cluster: raw ?? {} };
    const forbidden = forbiddenKeys(config);
    if (forbidden.length > 0) throw new SettingsError(source, forbidden);
    const result = clusterSection.safeParse(config, { reportInput: true });
    if (!result.success) throw new SettingsError(source, result.error.issues.flatMap(describeIssue));
    return withClusterDefaults(result.data.cluster, context.stack);
}

const clusterSection = section({ cluster: clusterSchema.prefault({}) });

/** A parsed cluster section with the defaults that depend on the stack: its name and its protection. */
function withClusterDefaults(c: z.output<typeof clusterSchema>, stack: string): ClusterSettings {
    return { ...c, name: c.name ?? `${PROJECT}-${stack}`.slice(0, 100), protect: c.protect ?? (c.mode === "eks" && stack !== "dev") };
}

/** This project's keys of a full config map, decoded: the plain config the components take. */
export function projectConfig(config: Record<string, string>): Record<string, unknown> {
    const prefix = `${PROJECT}:`;
    return Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), decodeConfigValue(v)]));
}

/**
 * Parses the project's keys out of a full config map (`namespace:key` to string),
 * the form in which the CLI hands stack config to a program.
 */
export function settingsFromConfig(config: Record<string, string>, context: ParseContext): Settings {
    const source = context.source ?? `Pulumi.${context.stack}.yaml`;
    const raw = projectConfig(config);
    const problems: string[] = [];
    const aws: { region?: unknown; profile?: unknown } = {};
    for (const [key, value] of Object.entries(config)) {
        if (key.startsWith(`${PROJECT}:`)) continue;
        // The stack's AWS provider is its own (region from cluster.region): aws:profile is honoured,
        // aws:region must agree with cluster.region, any other aws:* key would be silently ignored, so it is refused.
        if (key === "aws:region" || key === "aws:profile") {
            aws[key === "aws:region" ? "region" : "profile"] = decodeConfigValue(value);
            continue;
        }
        if (key.startsWith("aws:")) {
            problems.push(`${key}: the stack's AWS provider takes only aws:profile (and aws:region equal to ${PROJECT}:cluster.region) from the stack file: set the others through the environment (AWS_*) or remove it`);
            continue;
        }
        const namespace = key.includes(":") ? key.slice(0, key.indexOf(":")) : key;
        if (!PROVIDER_CONFIG_NAMESPACES.includes(namespace)) {
            const near = editDistance(namespace, PROJECT) <= 3 ? ` (did you mean "${PROJECT}"?)` : "";
            problems.push(
                `${key}: unknown config namespace "${namespace}"${near}: this project reads ${PROJECT}:*, and its providers ${PROVIDER_CONFIG_NAMESPACES.map((n) => `${n}:*`).join(", ")}`,
            );
        }
    }
    problems.push(...forbiddenKeys(raw));
    if (problems.length > 0) throw new SettingsError(source, problems);
    const settings = parseSettings(raw, context);
    if (aws.profile !== undefined && (typeof aws.profile !== "string" || aws.profile === "")) throw new SettingsError(source, [`aws:profile: must be the name of an AWS profile, got ${JSON.stringify(aws.profile)}`]);
    if (aws.region !== undefined) {
        const region = settings.cluster.mode === "eks" ? settings.cluster.region : undefined;
        if (aws.region !== region) {
            throw new SettingsError(source, [
                region === undefined
                    ? `aws:region: an existing cluster deploys through its kube context, with no AWS provider: remove aws:region`
                    : `aws:region: ${JSON.stringify(aws.region)} differs from ${PROJECT}:cluster.region ${JSON.stringify(region)}: the stack deploys to cluster.region; remove aws:region or make the two equal`,
            ]);
        }
    }
    return aws.profile === undefined ? settings : { ...settings, awsProfile: aws.profile as string };
}

/** Config namespaces besides the project's that a stack file may set: the providers' and Pulumi's own. */
export const PROVIDER_CONFIG_NAMESPACES: readonly string[] = ["aws", "kubernetes", "eks", "awsx", "random", "pulumi"];

/** Keys JavaScript gives a meaning of their own: a mapping with one would be changed or dropped on the way, never read. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Every key named `__proto__`, `constructor` or `prototype`, anywhere in the config, as a problem. */
export function forbiddenKeys(value: unknown, at = ""): string[] {
    if (Array.isArray(value)) return value.flatMap((v, i) => forbiddenKeys(v, `${at}[${i}]`));
    if (typeof value !== "object" || value === null) return [];
    return Object.keys(value).flatMap((k) => {
        const here = at ? `${at}.${k}` : k;
        return FORBIDDEN_KEYS.has(k)
            ? [`${here}: a key named "${k}" is not allowed (JavaScript would not read it as config)`]
            : forbiddenKeys((value as Record<string, unknown>)[k], here);
    });
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const cur = [i];
        for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = cur;
    }
    return prev[b.length];
}

/** Config values are strings; objects, lists, numbers and booleans are JSON-encoded. */
export function decodeConfigValue(value: string): unknown {
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/** Non-fatal findings worth printing (the plan shows them; `pulumi up` logs them). */
export function settingsWarnings(settings: Settings, today: Date = new Date()): string[] {
    const warnings: string[] = istioVersionWarnings(settings.istio.version);
    const c = settings.cluster;
    if (c.mode === "eks") {
        if (c.adminCidrs?.some((x) => prefixLength(x) === 0)) {
            warnings.push(
                "cluster.adminCidrs includes 0.0.0.0/0: the Kubernetes API endpoint is reachable from the whole internet (IAM authentication still applies)",
            );
        }
        const end = EKS_STANDARD_SUPPORT_END[c.kubernetesVersion];
        if (end !== undefined && new Date(`${end}T00:00:00Z`).getTime() < today.getTime()) {
            warnings.push(
                `cluster.kubernetesVersion "${c.kubernetesVersion}" left EKS standard support on ${end}: the cluster will be upgraded by AWS; pick a newer version`,
            );
        }
    }
    return warnings;
}
