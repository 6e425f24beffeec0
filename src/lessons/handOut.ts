/**
 * Hands-on hand-outs: every stage of every lesson as the files an attendee
 * applies, the steps that apply them, and the ConfigMap that carries them.
 */
import YAML from "yaml";
import { type BuiltScenario, type HandOutStage, type Manifest } from "./built";

/** The ConfigMap that holds a namespace's hand-out: every stage of every lesson, and the steps. */
export const HAND_OUT_CONFIG_MAP = "lesson-steps";

export const HAND_OUT_LABELS: Readonly<Record<string, string>> = { "istio-workshop/hand-out": "true" };

/** The kinds a hand-out stage holds, as `kubectl delete` names them. */
export const HAND_OUT_KINDS = "virtualservices,destinationrules,authorizationpolicies,peerauthentications,requestauthentications,serviceentries,sidecars";

/** Label of every routing object a hand-out stage holds: the lesson it belongs to. */
export const LESSON_LABEL = "istio-workshop/lesson";

/** The hand-out's file of a stage: `<lesson>.<NN>-<stage>.yaml`, in teaching order. */
export function handOutFile(h: HandOutStage, index: number): string {
    return `${h.lesson}.${String(index + 1).padStart(2, "0")}-${h.stage}.yaml`;
}

/** How an attendee applies a stage and runs its checks, as text. */
export function handOutSteps(built: readonly BuiltScenario[], namespace: string): string {
    const lines = [`Lessons of namespace ${namespace}, stage by stage. Each step removes the lesson's routing objects, then applies the stage's:`, ""];
    for (const b of built) {
        (b.handOut ?? []).forEach((h, i) => {
            const file = handOutFile(h, i);
            lines.push(
                `${file}: ${h.summary}`,
                ...(h.note ? [`  ${h.note}`] : []),
                `  kubectl delete ${HAND_OUT_KINDS} -l ${LESSON_LABEL}=${h.lesson}; kubectl get configmap ${HAND_OUT_CONFIG_MAP} -o jsonpath='{.data.${file.replace(/\./g, "\\.")}}' | kubectl apply -f -`,
            );
        });
        if (b.checks.length > 0) {
            lines.push("", `Check ${b.name} at the stage the class is at:`);
            for (const c of b.checks) {
                lines.push(`  id=$(date +%H%M%S); kubectl create job --from=cronjob/${c.name} ${c.name}-$id && kubectl wait --for=condition=complete --timeout=10m job/${c.name}-$id; kubectl logs job/${c.name}-$id`);
            }
        }
        lines.push("");
    }
    return lines.join("\n");
}

/** A namespace's hand-out as files: `steps.txt` and one YAML file per stage of each lesson; empty unless hands-on. */
export function handOutData(built: readonly BuiltScenario[], namespace: string): Record<string, string> {
    const stages = built.flatMap((b) => (b.handOut ?? []).map((h, i) => [handOutFile(h, i), h] as const));
    if (stages.length === 0) return {};
    const files = stages.map(([file, h]) => [file, `# ${h.lesson}, stage ${h.stage}: ${h.summary}\n${h.objects.map((o) => YAML.stringify(o)).join("---\n")}`]);
    return { "steps.txt": handOutSteps(built, namespace), ...Object.fromEntries(files) };
}

export function handOutManifest(built: readonly BuiltScenario[], namespace: string): Manifest[] {
    const data = handOutData(built, namespace);
    if (Object.keys(data).length === 0) return [];
    return [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: HAND_OUT_CONFIG_MAP, namespace, labels: { ...HAND_OUT_LABELS } }, data }];
}
