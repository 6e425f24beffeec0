/**
 * Which pods get a sidecar, as Istio's injection webhook decides for this stack: the pod's namespace
 * carries the injection label (`INJECTION_LABELS`) and the pod does not opt out (`sidecar.istio.io/inject: "false"`,
 * as a label or an annotation).
 */
import { NO_INJECTION_LABEL } from "../../lessons/model";
import { INJECTION_LABELS } from "../../model/platform";

/** Whether a Namespace object is enrolled for injection. */
export function injectionEnabled(namespace: any): boolean {
    return namespace?.kind === "Namespace" && Object.entries(INJECTION_LABELS).every(([k, v]) => namespace.metadata?.labels?.[k] === v);
}

/** Whether a pod of `namespace` with this template's metadata gets a sidecar, among `objects` (the Namespace objects). */
export function sidecarInjected(objects: readonly any[], namespace: string, podMetadata: any): boolean {
    const enrolled = objects.some((o) => o.kind === "Namespace" && o.metadata?.name === namespace && injectionEnabled(o));
    return enrolled && podMetadata?.labels?.[NO_INJECTION_LABEL] !== "false" && podMetadata?.annotations?.[NO_INJECTION_LABEL] !== "false";
}
