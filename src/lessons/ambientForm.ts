/**
 * A sidecar lesson in ambient mode: the stages of it that run there (`AMBIENT_STAGES`), each with the lesson's
 * waypoint in the path (its routes are HTTPRoutes the waypoint carries out), the per-version Services its weights
 * send to (`<host>-<subset>`, as Istio's `bookinfo-versions.yaml` declares them), and none of the checks that read a
 * caller's sidecar (its counters, the identity its handshake proved), which an ambient caller does not have.
 */
import { AMBIENT_STAGES, type LessonKey } from "../settings/stages";
import type { ScenarioDef, ServiceDef, StageDef } from "./model";

/** The lesson as it runs in ambient mode, or the lesson itself where it is written for ambient; undefined: it does not run there. */
export function ambientForm(key: LessonKey, lesson: ScenarioDef): ScenarioDef | undefined {
    if (lesson.dataplane === "ambient") return lesson;
    const form = AMBIENT_STAGES[key];
    if (!form) return undefined;
    const versions: ServiceDef[] = lesson.services.flatMap((svc) =>
        Object.entries(lesson.subsets[svc.name] ?? {}).map(([subset, labels]) => ({ ...svc, name: `${svc.name}-${subset}`, selector: { ...svc.selector, ...labels } })),
    );
    const inAmbient = (st: StageDef): StageDef => ({
        ...st,
        waypoint: true,
        // Without its counters the check still proves its answers.
        checks: (st.checks ?? []).filter((c) => !c.peer).map(({ through: _counted, ...c }) => c),
    });
    const stages = (lesson.stages ?? []).filter((st) => form.runs.includes(st.name)).map(inAmbient);
    const start = stages.find((st) => st.name === lesson.stage) ?? stages[0];
    return { ...lesson, dataplane: "ambient", services: [...lesson.services, ...versions], stages, stage: start.name, routing: start.routing, waypoint: true, checks: start.checks };
}
