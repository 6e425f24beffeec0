/**
 * ValidatingAdmissionPolicies evaluated offline: which policies a request
 * matches (group, resource, operation; the binding's namespace selector by
 * labels) and what their CEL validations say, with @bufbuild/cel, over the
 * same `object` and `request` variables the API server binds. An expression
 * the library cannot evaluate counts as a refusal, as `failurePolicy: Fail`
 * makes it on the cluster.
 *
 * Pure: the policies, bindings and object in, the refusals out.
 */
import type { CelInput } from "@bufbuild/cel";
import { evaluateCel, isCelError } from "./cel";

/** The resource (plural) of the kinds the guard rails and the attack suite name. */
const RESOURCE_OF_KIND: Readonly<Record<string, string>> = {
    Service: "services",
    Endpoints: "endpoints",
    Pod: "pods",
    Gateway: "gateways",
    ListenerSet: "listenersets",
    HTTPRoute: "httproutes",
    EnvoyFilter: "envoyfilters",
    VirtualService: "virtualservices",
    DestinationRule: "destinationrules",
    ServiceEntry: "serviceentries",
    Sidecar: "sidecars",
    WorkloadEntry: "workloadentries",
    AuthorizationPolicy: "authorizationpolicies",
    PeerAuthentication: "peerauthentications",
    Telemetry: "telemetries",
    RoleBinding: "rolebindings",
};

export function resourceOf(o: { apiVersion: string; kind: string }): { group: string; version: string; resource: string } {
    const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
    return { group, version, resource: RESOURCE_OF_KIND[o.kind] ?? `${o.kind.toLowerCase()}s` };
}

/** JSON as CEL values: objects as maps, integers as ints (the API server's typed objects compare the same way). */
function toCel(value: unknown): CelInput {
    if (value === null || value === undefined) return null;
    if (Array.isArray(value)) return value.map(toCel);
    if (typeof value === "object") return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
    if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
    return value as CelInput;
}

const matchesLabels = (selector: any, labels: Readonly<Record<string, string>>) => Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

export interface Refusal {
    readonly policy: string;
    readonly message: string;
}

export interface AdmissionRequest {
    readonly object: any;
    readonly operation?: "CREATE" | "UPDATE";
    /** The labels of the object's namespace (what the bindings' namespace selectors see). */
    readonly namespaceLabels: Readonly<Record<string, string>>;
    /** Who asks (`request.userInfo.username`): an attendee's service account, or the identity that deploys the stack. */
    readonly username: string;
}

/** The requester the plan judges the stack's own objects as: whoever deploys it, never a service account. */
export const DEPLOYER_USERNAME = "istio-workshop-deployer";

/** What the policies (through their bindings) refuse of a request; empty: admitted. */
export function admissionRefusals(policies: readonly any[], bindings: readonly any[], req: AdmissionRequest): Refusal[] {
    const operation = req.operation ?? "CREATE";
    const o = req.object;
    const { group, version, resource } = resourceOf(o);
    const namespace = o.metadata?.namespace ?? "default";
    const request = {
        kind: { group, version, kind: o.kind },
        resource: { group, version, resource },
        namespace,
        name: o.metadata?.name ?? "",
        operation,
        userInfo: { username: req.username },
    };
    const refusals: Refusal[] = [];
    let vars: Record<string, CelInput> | undefined;
    for (const b of bindings) {
        if (!matchesLabels(b.spec?.matchResources?.namespaceSelector, req.namespaceLabels)) continue;
        if (!(b.spec?.validationActions ?? []).includes("Deny")) continue;
        const p = policies.find((x) => x.metadata?.name === b.spec?.policyName);
        if (!p) continue;
        const matched = (p.spec?.matchConstraints?.resourceRules ?? []).some(
            (r: any) =>
                (r.apiGroups.includes("*") || r.apiGroups.includes(group)) &&
                (r.resources.includes("*") || r.resources.includes(resource)) &&
                (r.operations.includes("*") || r.operations.includes(operation)),
        );
        if (!matched) continue;
        vars ??= { object: toCel(o), request: toCel(request) };
        // Match conditions: a request any of them is false for is not judged; one that fails to evaluate is (failurePolicy Fail).
        const excluded = (p.spec?.matchConditions ?? []).some((c: any) => {
            const r = evaluateCel(c.expression, vars!);
            return !isCelError(r) && r !== true;
        });
        if (excluded) continue;
        for (const v of p.spec?.validations ?? []) {
            const result = evaluateCel(v.expression, vars);
            if (isCelError(result)) refusals.push({ policy: p.metadata.name, message: `${v.message} (the expression failed: ${result.message})` });
            else if (result !== true) refusals.push({ policy: p.metadata.name, message: v.message });
        }
    }
    return refusals;
}
