/**
 * Validates custom resources against the CustomResourceDefinitions of the
 * version being deployed, the way the API server would: the CRD's
 * `openAPIV3Schema` (with ajv), its `x-kubernetes-validations` CEL rules (with
 * @bufbuild/cel), unknown fields (which the API server would prune) and the
 * versions it serves.
 *
 * Kubernetes' structural-schema extensions are mapped onto JSON Schema:
 * `x-kubernetes-int-or-string` accepts an integer or a string,
 * `x-kubernetes-preserve-unknown-fields` keeps unknown fields, and any other
 * object with declared properties refuses fields it does not declare.
 * CEL rules that compare with `oldSelf` apply to updates only and are not
 * evaluated; a rule the CEL library cannot evaluate is counted, never passed.
 */
import { evaluateCel, isCelError } from "../kubernetes/cel";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";

export interface CrdVersion {
    readonly group: string;
    readonly kind: string;
    readonly version: string;
    readonly served: boolean;
    readonly deprecated: boolean;
    readonly scope: "Namespaced" | "Cluster";
    readonly schema: any;
}

/** The versions a set of CustomResourceDefinition objects declare, by `group/version/Kind`. */
export function crdVersions(crds: readonly any[]): Map<string, CrdVersion> {
    const out = new Map<string, CrdVersion>();
    for (const crd of crds) {
        if (crd?.kind !== "CustomResourceDefinition") continue;
        const { group, names, scope } = crd.spec ?? {};
        for (const v of crd.spec?.versions ?? []) {
            out.set(`${group}/${v.name}/${names.kind}`, {
                group,
                kind: names.kind,
                version: v.name,
                served: v.served !== false,
                deprecated: v.deprecated === true,
                scope,
                schema: v.schema?.openAPIV3Schema ?? { type: "object", "x-kubernetes-preserve-unknown-fields": true },
            });
        }
    }
    return out;
}

/**
 * The schema as JSON Schema for ajv: Kubernetes' extensions mapped, descriptions dropped. Unknown fields are refused
 * where the structural schema declares properties, never inside `anyOf`/`oneOf`/`allOf`/`not` (`branch`): there
 * Kubernetes only validates values, the fields having been declared outside (a structural schema's rule), so a
 * branch that names some properties says nothing about the others (the Gateway API's address `oneOf`).
 */
export function toJsonSchema(node: any, root = true, branch = false): any {
    if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, false, branch));
    if (node === null || typeof node !== "object") return node;
    const out: any = {};
    for (const [k, v] of Object.entries(node)) {
        if (k === "description" || k.startsWith("x-kubernetes-")) continue;
        if (k === "properties") out.properties = Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, toJsonSchema(s, false, branch)]));
        else if (["items", "additionalProperties"].includes(k)) out[k] = typeof v === "object" ? toJsonSchema(v, false, branch) : v;
        else if (k === "not") out[k] = typeof v === "object" ? toJsonSchema(v, false, true) : v;
        else if (["anyOf", "oneOf", "allOf"].includes(k)) out[k] = (v as any[]).map((s) => toJsonSchema(s, false, true));
        else out[k] = v;
    }
    if (root) out.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, ...out.properties };
    if (!branch && out.properties && node.additionalProperties === undefined && !node["x-kubernetes-preserve-unknown-fields"]) out.additionalProperties = false;
    if (node["x-kubernetes-int-or-string"]) {
        delete out.type;
        return { allOf: [out, { anyOf: [{ type: "integer" }, { type: "string" }] }] };
    }
    return out;
}

const INT32 = 2 ** 31;
function newAjv(): Ajv {
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -INT32 && n < INT32 });
    ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
    ajv.addFormat("double", { type: "number", validate: () => true });
    ajv.addFormat("float", { type: "number", validate: () => true });
    ajv.addFormat("byte", /^[A-Za-z0-9+/]*={0,2}$/);
    ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i);
    return ajv;
}

/** `spec/mtls/mode must be equal to one of the allowed values (UNSET, DISABLE, PERMISSIVE, STRICT)` */
function describeAjvError(e: ErrorObject, kindLabel: string): string {
    const at = e.instancePath.replace(/^\//, "") || "(object)";
    if (e.keyword === "additionalProperties") {
        return `${at === "(object)" ? "" : `${at}/`}${(e.params as any).additionalProperty} is not a field of ${kindLabel} (the API server would drop it)`;
    }
    if (e.keyword === "enum") return `${at} ${e.message} (${(e.params as any).allowedValues.join(", ")})`;
    return `${at} ${e.message}`;
}

/** A CEL value of a JSON value, typed as its schema says (integers as CEL ints, objects as maps). */
function toCel(value: unknown, schema: any): any {
    if (value === null || value === undefined) return null;
    if (Array.isArray(value)) return value.map((v) => toCel(v, schema?.items));
    if (typeof value === "object") {
        const props = schema?.properties ?? {};
        const extra = typeof schema?.additionalProperties === "object" ? schema.additionalProperties : undefined;
        return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v, props[k] ?? extra)]));
    }
    if (typeof value === "number" && (schema?.type === "integer" || schema?.["x-kubernetes-int-or-string"]) && Number.isInteger(value)) return BigInt(value);
    return value;
}

export interface CelTally {
    evaluated: number;
    /** Rules the CEL library could not evaluate, with why: reported, never counted as passed. */
    notEvaluated: Map<string, string>;
}

/** Every CEL rule of the schema that the value breaks, as `path: message`. */
function celViolations(schema: any, value: unknown, at: string, tally: CelTally): string[] {
    if (schema === null || typeof schema !== "object" || value === undefined) return [];
    const out: string[] = [];
    for (const rule of schema["x-kubernetes-validations"] ?? []) {
        if (/\boldSelf\b/.test(rule.rule)) continue; // transition rules apply to updates only
        const result = evaluateCel(rule.rule, { self: toCel(value, schema) });
        if (isCelError(result)) {
            tally.notEvaluated.set(rule.rule, result.message);
            continue;
        }
        tally.evaluated++;
        if (result !== true) out.push(`${at || "(object)"} ${rule.message ?? `fails the rule ${rule.rule}`}`);
    }
    if (Array.isArray(value)) value.forEach((v, i) => out.push(...celViolations(schema.items, v, `${at}/${i}`, tally)));
    else if (value !== null && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) {
            const child = schema.properties?.[k] ?? (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
            out.push(...celViolations(child, v, at ? `${at}/${k}` : k, tally));
        }
    }
    return out;
}

/**
 * The object as the API server holds it before validating: the structural schema's `default`s filled in where a
 * field is absent, inside objects and every item of arrays (Kubernetes' CRD defaulting; a default is itself
 * defaulted). The Gateway API's rules rely on it (a parentRef's `group` and `kind`, a backend's `kind`).
 */
export function withDefaults(schema: any, value: any): any {
    if (!schema || value === null || value === undefined) return value;
    if (Array.isArray(value)) return schema.items ? value.map((v) => withDefaults(schema.items, v)) : value;
    if (typeof value !== "object") return value;
    const out: Record<string, unknown> = { ...value };
    for (const [k, child] of Object.entries<any>(schema.properties ?? {})) {
        if (out[k] === undefined && child?.default !== undefined) out[k] = structuredClone(child.default);
        if (out[k] !== undefined) out[k] = withDefaults(child, out[k]);
    }
    return out;
}

export class CrdValidator {
    private readonly versions: Map<string, CrdVersion>;
    private readonly compiled = new Map<string, ValidateFunction>();
    private readonly ajv = newAjv();
    readonly cel: CelTally = { evaluated: 0, notEvaluated: new Map() };

    constructor(crds: readonly any[]) {
        this.versions = crdVersions(crds);
    }

    get size(): number {
        return this.versions.size;
    }

    /** Whether a CRD of this set defines the object's group and kind (at any version). */
    defines(o: { apiVersion: string; kind: string }): boolean {
        const group = o.apiVersion.split("/")[0];
        return [...this.versions.values()].some((v) => v.group === group && v.kind === o.kind);
    }

    /** The version's schema, or undefined when no CRD of this set defines it. */
    version(o: { apiVersion: string; kind: string }): CrdVersion | undefined {
        return this.versions.get(`${o.apiVersion}/${o.kind}`);
    }

    /** The object with its CRD's defaults filled in, as admission sees it; unchanged where no CRD of this set defines it. */
    defaulted<T>(o: T & { apiVersion: string; kind: string }): T {
        const v = this.version(o);
        return v ? withDefaults(v.schema, o) : o;
    }

    /** Every way the object breaks its CRD (empty when valid). */
    violations(o: any): string[] {
        const key = `${o.apiVersion}/${o.kind}`;
        const v = this.versions.get(key);
        if (!v) return [`${o.apiVersion} is not a version the ${o.kind} CRD defines`];
        const problems: string[] = [];
        if (!v.served) problems.push(`${o.apiVersion} ${o.kind} is not served by the CRD`);
        if (v.deprecated) problems.push(`${o.apiVersion} ${o.kind} is deprecated by the CRD: use a newer version`);
        let validate = this.compiled.get(key);
        if (!validate) {
            validate = this.ajv.compile(toJsonSchema(v.schema));
            this.compiled.set(key, validate);
        }
        const defaulted = withDefaults(v.schema, o);
        if (!validate(defaulted)) problems.push(...(validate.errors ?? []).map((e) => describeAjvError(e, `${o.kind} (${o.apiVersion})`)));
        problems.push(...celViolations(v.schema, defaulted, "", this.cel));
        return problems;
    }
}
