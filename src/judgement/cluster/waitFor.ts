/**
 * The Kubernetes provider's `pulumi.com/waitFor`, as the replay runs it: one
 * expression, or a JSON list of them (all must hold); `condition=<type>` is a
 * status condition (kubectl wait's, which the replay asks kubectl for), and
 * `jsonpath={<path>}[=<value>]` is parsed as the provider parses it
 * (pulumi-kubernetes `provider/pkg/jsonpath`: the `jsonpath=` prefix, a split
 * on the first `=` outside the braces, the braces removed, `$` put in front)
 * and evaluated as RFC 9535 JSONPath, which the provider's library
 * (github.com/theory/jsonpath) implements: kubectl's own JSONPath dialect
 * (`\.` escapes) is not it, and an expression only kubectl reads would fail
 * the provider's `up`. A path without a value holds when it selects
 * anything; with one, when its first match, as text, equals the value.
 */
import { query } from "jsonpath-rfc9535";

export type WaitExpression = { readonly condition: string } | { readonly path: string; readonly value?: string };

/** The expressions of a `pulumi.com/waitFor` annotation: one, or a JSON list of them (all must hold). */
export function waitForExpressions(annotation: unknown): string[] {
    if (typeof annotation !== "string" || annotation === "") return [];
    return annotation.trimStart().startsWith("[") ? (JSON.parse(annotation) as string[]) : [annotation];
}

/** Splits `{path}=value` on an `=` outside the braces (and outside quotes within them). */
function splitOnValue(raw: string): string[] {
    const parts: string[] = [];
    let element = "";
    let depth = 0;
    let quote = "";
    for (let i = 0; i < raw.length; i++) {
        const c = raw[i];
        if (quote) {
            if (c === "\\" && i < raw.length - 1) {
                element += c + raw[++i];
                continue;
            }
            if (c === quote) quote = "";
        } else if (depth > 0 && (c === "'" || c === '"')) quote = c;
        else if (c === "{") depth++;
        else if (c === "}" && depth > 0) depth--;
        else if (c === "=" && depth === 0) {
            parts.push(element);
            element = "";
            continue;
        }
        element += c;
    }
    return [...parts, element];
}

/** One expression as the provider reads it; throws, naming it, where the provider would refuse it. */
export function parseWaitFor(raw: string): WaitExpression {
    if (raw.startsWith("condition=")) return { condition: raw.slice("condition=".length) };
    if (!raw.startsWith("jsonpath=")) throw new Error(`${raw}: a waitFor expression begins with jsonpath= or condition=`);
    const parts = splitOnValue(raw.slice("jsonpath=".length));
    if (parts.length > 2) throw new Error(`${raw}: format should be {.path}=value or {.path}`);
    const [bracketed, value] = parts;
    if (!bracketed.startsWith("{") || !bracketed.endsWith("}")) throw new Error(`${raw}: the path should be wrapped in brackets { ... }`);
    const inner = bracketed.slice(1, -1).trim();
    const path = inner.startsWith("$") ? inner : `$${inner}`;
    try {
        query({}, path);
    } catch (err) {
        throw new Error(`${raw}: not an RFC 9535 JSONPath, as the Kubernetes provider parses it (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`);
    }
    return value === undefined ? { path } : { path, value };
}

/** Whether an object meets a JSONPath wait, as the provider decides it. */
export function waitMet(expression: { readonly path: string; readonly value?: string }, object: unknown): boolean {
    const results = query(object as never, expression.path) as unknown[];
    if (results.length === 0) return false;
    const first = results[0];
    if (expression.value === undefined) return true;
    if (typeof first === "object" && first !== null) return false;
    return String(first) === expression.value;
}
