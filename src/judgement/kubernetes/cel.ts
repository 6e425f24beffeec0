/**
 * CEL expressions with @bufbuild/cel, each parsed and planned once per
 * process (a plan evaluates the same few expressions over thousands of
 * objects), in an environment with the strings extension Kubernetes' CEL has.
 * Never throws: a failure is a `CelError`, as `run` returns it.
 */
import { celEnv, celError, isCelError, parse, plan, type CelInput, type CelResult } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";

type Program = (bindings: Record<string, CelInput>) => CelResult;

const ENV = celEnv({ funcs: strings });
const programs = new Map<string, Program | ReturnType<typeof celError>>();

function programOf(expr: string): Program | ReturnType<typeof celError> {
    let p = programs.get(expr);
    if (p === undefined) {
        try {
            p = plan(ENV, parse(expr)) as Program;
        } catch (e) {
            p = celError(e);
        }
        programs.set(expr, p);
    }
    return p;
}

/** The value of an expression over the bindings, or the error that stopped it. */
export function evaluateCel(expr: string, bindings: Record<string, CelInput>): CelResult {
    const p = programOf(expr);
    if (isCelError(p)) return p;
    try {
        return p(bindings);
    } catch (e) {
        return celError(e);
    }
}

export { isCelError };
