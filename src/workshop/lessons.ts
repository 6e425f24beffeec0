/**
 * The lessons of a workshop, resolved once: the class's lessons at the class's
 * stages, every namespace's (one per attendee, or the single lessons
 * namespace) at its own stages with its place on the shared gateway, checked as
 * `istioctl analyze` would; and what they size: each proxy, istiod, and what
 * one namespace asks of the cluster. Everything below (the mesh, the cluster,
 * the classroom) is built from this plan, never from the settings again.
 */
import { analyzeScenarios, MeshCheckError } from "../lessons/analyze";
import type { ScenarioDef } from "../lessons/model";
import { appsAt, gatewayPlacement, gatewayRouteHosts, resolveScenarios, type Apps, type GatewayPlacement } from "../lessons/resolve";
import { meshSizing, type MeshSizing, type ProxyModel } from "../mesh/meshScale";
import { workshopGateway } from "../mesh/meshSpec";
import type { Demand } from "../model/demand";
import { parseComponentSettings } from "../settings/parse";
import { attendeeIds, type ComponentConfig, type ComponentSettings } from "../settings/schema";
import { namespaceDemand } from "./capacity";

/** What the lessons are resolved from: their own sections, the mesh's and the addons' (which size the sidecars), and the cluster's facts. */
export type LessonsSettings = Pick<ComponentSettings, "istio" | "addons" | "apps" | "attendees" | "classroom" | "cluster">;

/** One namespace of lessons. */
export interface LessonNamespace {
    /** The attendee whose namespace it is; undefined for the single lessons namespace. */
    readonly attendee?: string;
    readonly namespace: string;
    /** The apps settings at this namespace's stages (an attendee the classroom moves has their own). */
    readonly apps: Apps;
    /** Its lessons, each at its stage. */
    readonly lessons: readonly ScenarioDef[];
    /** Where its gateway routes sit on the shared gateway: an attendee's path prefix or host; the whole gateway otherwise. */
    readonly placement: GatewayPlacement;
}

export interface LessonsPlan {
    readonly settings: LessonsSettings;
    /** Attendee ids, in order; empty for the single lessons namespace. */
    readonly attendees: readonly string[];
    /** The class's lessons at the class's stages: what every namespace is sized for. */
    readonly classLessons: readonly ScenarioDef[];
    readonly namespaces: readonly LessonNamespace[];
    /** Sidecar scoping and resources, istiod's replicas and resources, for the class (`src/mesh/meshScale.ts`). */
    readonly mesh: MeshSizing;
    /** What one namespace's pods ask for: sizes each attendee's quota. */
    readonly perNamespace: Demand;
    /** The most one pod's limits may be (a node of the node group, as the capacity model fills it); undefined for an unknown instance type. */
    readonly podCeiling?: { readonly memoryMi: number };
}

/** The Services one namespace of the class's lessons holds: what each proxy knows besides the platform's. */
export function lessonServices(lessons: readonly ScenarioDef[]): number {
    return lessons.reduce((n, s) => n + s.services.length, 0);
}

/** The mesh's sizing for `namespaces` namespaces of the class's lessons. */
export function classMeshSizing(settings: Pick<LessonsSettings, "istio" | "addons" | "apps">, classLessons: readonly ScenarioDef[], namespaces: number): MeshSizing {
    // The proxies istiod serves: every pod's sidecar; in ambient none (a node's ztunnel and the gateways, far below one step).
    const sidecars = (proxy: ProxyModel) => (settings.istio.dataplane === "ambient" ? 0 : namespaceDemand(classLessons, settings.apps, proxy.resources).pods);
    return meshSizing(settings, lessonServices(classLessons), namespaces, sidecars);
}

/**
 * The class sizes around `attendees` between which istiod's sizing stays the same: from `from` to
 * `to` attendees (inclusive) it is sized for the same step of proxies.
 */
export function istiodSteadyRange(settings: Pick<LessonsSettings, "istio" | "addons" | "apps">, classLessons: readonly ScenarioDef[], attendees: number): { readonly from: number; readonly to: number; readonly proxies: number } {
    const step = (n: number) => classMeshSizing(settings, classLessons, n).istiod;
    const same = (a: number, b: number) => JSON.stringify(step(a)) === JSON.stringify(step(b));
    let from = attendees;
    while (from > 0 && same(from - 1, attendees)) from--;
    let to = attendees;
    while (to < 2000 && same(to + 1, attendees)) to++;
    const sizing = step(attendees);
    return { from, to, proxies: sizing.proxiesPerReplica * sizing.replicas };
}

/**
 * The lessons of validated settings, resolved and analyzed: throws
 * `MeshCheckError` listing every finding, for the class and for every attendee
 * the classroom moves to other stages.
 */
export function lessonsPlan(settings: LessonsSettings, podCeiling?: LessonsPlan["podCeiling"]): LessonsPlan {
    const attendees = attendeeIds(settings.attendees);
    const classLessons = resolveScenarios(settings.apps, settings.istio.dataplane);
    const domain = settings.classroom.domain;
    const namespaces: LessonNamespace[] =
        attendees.length === 0
            ? [{ namespace: settings.apps.namespace, apps: settings.apps, lessons: classLessons, placement: gatewayPlacement(undefined, domain, settings.istio.ingress.api) }]
            : attendees.map((id) => {
                  const stages = settings.classroom.stages[id];
                  const apps = appsAt(settings.apps, stages);
                  return { attendee: id, namespace: id, apps, lessons: stages ? resolveScenarios(apps, settings.istio.dataplane) : classLessons, placement: gatewayPlacement(id, domain, settings.istio.ingress.api) };
              });
    analyzeLessons(settings, attendees, classLessons, namespaces);
    const mesh = classMeshSizing(settings, classLessons, attendees.length);
    return { settings, attendees, classLessons, namespaces, mesh, perNamespace: namespaceDemand(classLessons, settings.apps, settings.istio.dataplane === "ambient" ? undefined : mesh.proxy.resources), ...(podCeiling ? { podCeiling } : {}) };
}

/** The class's lessons, and those of every attendee at other stages, checked against the shared gateway. */
function analyzeLessons(settings: LessonsSettings, attendees: readonly string[], classLessons: readonly ScenarioDef[], namespaces: readonly LessonNamespace[]): void {
    const gateway = {
        serverHosts: (workshopGateway(settings.istio).spec.servers ?? []).flatMap((s) => s.hosts ?? []),
        routeHosts: gatewayRouteHosts(attendees, settings.classroom.domain),
    };
    const findings = analyzeScenarios(classLessons, gateway);
    // Attendees the classroom moves to other stages: their lessons as they will run.
    for (const id of Object.keys(settings.classroom.stages)) {
        const own = namespaces.find((n) => n.attendee === id);
        if (own) findings.push(...analyzeScenarios(own.lessons, gateway).map((f) => `${f} (classroom.stages.${id})`));
    }
    if (findings.length > 0) throw new MeshCheckError([...new Set(findings)]);
}

/**
 * The lessons of a component's arguments (docs/configuration.md): the
 * `apps`, `attendees` and `classroom` sections, the `istio` and `addons` the
 * lessons run beside, and the cluster's `mode` and `kubernetesVersion`; each
 * validated as a stack file's is, every key left out at its default.
 */
export function planLessons(config: ComponentConfig = {}): LessonsPlan {
    return lessonsPlan(parseComponentSettings(config));
}
