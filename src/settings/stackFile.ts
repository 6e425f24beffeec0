/**
 * Reads `Pulumi.yaml` project defaults and `Pulumi.<stack>.yaml` the way the
 * Pulumi CLI hands them to a program: one flat map of `namespace:key` to string
 * (objects, lists, numbers and booleans JSON-encoded). Under the mock runtime the
 * SDK does not read these files, so the offline plan and the tests use this.
 */
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";

export interface StackConfig {
    readonly project: string;
    readonly stack: string;
    /** The stack file read, relative to the project directory. */
    readonly file: string;
    readonly config: Record<string, string>;
    /** Keys whose value is encrypted in the stack file: the plan cannot decrypt them. */
    readonly secretKeys: string[];
}

/** A stack file that cannot be read or parsed: a user mistake, reported without a stack trace. */
export class StackConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackConfigError";
    }
}

/** Placeholder for a `secure:` value, which only the Pulumi CLI can decrypt. */
export const SECRET_PLACEHOLDER = "[secret]";

export function listStacks(dir: string): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

export function loadStackConfig(dir: string, stack: string): StackConfig {
    const project = readYaml(path.join(dir, "Pulumi.yaml"), "Pulumi.yaml") ?? {};
    const name = project?.name;
    if (typeof name !== "string" || name === "") throw new StackConfigError("Pulumi.yaml: `name` must be the project name");
    const file = ["yaml", "yml"].map((ext) => `Pulumi.${stack}.${ext}`).find((f) => fs.existsSync(path.join(dir, f)));
    if (file === undefined) {
        throw new StackConfigError(
            `No stack file Pulumi.${stack}.yaml: the stacks here are ${listStacks(dir).join(", ") || "none"} (a new one starts as a copy of one of their files, then \`npm run stack-init -- --stack ${stack}\`)`,
        );
    }
    const stackDoc = readYaml(path.join(dir, file), file) ?? {};

    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const qualify = (key: string) => (key.includes(":") ? key : `${name}:${key}`);

    for (const [key, decl] of Object.entries(asMapping(project.config, "Pulumi.yaml: config"))) {
        // Project config is either `key: value` or `key: { type, description, default | value }`.
        const isDeclaration = isMapping(decl) && ("default" in decl || "value" in decl || "type" in decl);
        const value = isDeclaration ? (decl.value ?? decl.default) : decl;
        if (value !== undefined) config[qualify(key)] = encode(value);
    }
    for (const [key, value] of Object.entries(asMapping(stackDoc.config, `${file}: config`))) {
        if (isMapping(value) && Object.keys(value).length === 1 && typeof value.secure === "string") {
            config[qualify(key)] = SECRET_PLACEHOLDER;
            secretKeys.push(qualify(key));
        } else {
            config[qualify(key)] = encode(value);
        }
    }
    return { project: name, stack, file, config, secretKeys };
}

/** A stack file is a few kilobytes: anything near these is a mistake or an attack. */
export const STACK_FILE_LIMITS = { bytes: 256 * 1024, aliases: 50, expandedBytes: 1024 * 1024 } as const;

function readYaml(file: string, label: string): Record<string, any> | undefined {
    let text: string;
    try {
        const size = fs.statSync(file).size;
        if (size > STACK_FILE_LIMITS.bytes) throw new StackConfigError(`${label}: ${size} bytes, more than a stack file's ${STACK_FILE_LIMITS.bytes}`);
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        if (err instanceof StackConfigError) throw err;
        throw new StackConfigError(`${label}: cannot read the file`);
    }
    const doc = YAML.parseDocument(text, { uniqueKeys: true });
    if (doc.errors.length > 0) {
        throw new StackConfigError(`${label} is not valid YAML:\n${doc.errors.map((e) => ` - ${e.message.split("\n")[0]}`).join("\n")}`);
    }
    let value: unknown;
    try {
        // Aliases are bounded (an expansion bomb is refused), and so is what they expand to.
        value = doc.toJS({ maxAliasCount: STACK_FILE_LIMITS.aliases });
    } catch (err) {
        // e.g. an alias to an anchor that is not defined: parsed, but not resolvable
        throw new StackConfigError(`${label} is not valid YAML:\n - ${(err as Error).message.split("\n")[0]}`);
    }
    const cycle = cyclePath(value);
    if (cycle !== undefined) throw new StackConfigError(`${label}: ${cycle} contains itself (a YAML alias inside its own anchor)`);
    const expanded = JSON.stringify(value ?? null).length;
    if (expanded > STACK_FILE_LIMITS.expandedBytes) {
        throw new StackConfigError(`${label}: its aliases expand to ${expanded} bytes, more than a stack file's ${STACK_FILE_LIMITS.expandedBytes}`);
    }
    if (value !== null && value !== undefined && !isMapping(value)) throw new StackConfigError(`${label}: must be a YAML mapping`);
    return (value as Record<string, any> | null) ?? undefined;
}

/** The path of the first value that contains itself, or undefined. */
function cyclePath(value: unknown, at = "(document)", ancestors: Set<unknown> = new Set()): string | undefined {
    if (typeof value !== "object" || value === null) return undefined;
    if (ancestors.has(value)) return at;
    ancestors.add(value);
    const entries = Array.isArray(value) ? value.map((v, i) => [`${at}[${i}]`, v] as const) : Object.entries(value).map(([k, v]) => [at === "(document)" ? k : `${at}.${k}`, v] as const);
    for (const [p, v] of entries) {
        const found = cyclePath(v, p, ancestors);
        if (found !== undefined) return found;
    }
    ancestors.delete(value);
    return undefined;
}

function isMapping(v: unknown): v is Record<string, any> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function asMapping(v: unknown, label: string): Record<string, unknown> {
    if (v === undefined || v === null) return {};
    if (!isMapping(v)) throw new StackConfigError(`${label} must be a mapping of keys to values`);
    return v;
}

/** Strings stay as they are; everything else is JSON, as the CLI encodes it. */
function encode(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}
