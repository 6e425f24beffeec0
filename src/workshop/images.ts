/**
 * Every image a workshop pulls: its lessons', the checks' and generators' curl,
 * the proxies' nginx, Jaeger's, and the addon charts' own. What an image cache
 * covers and `npm run bench` counts.
 */
import type { ScenarioDef } from "../lessons/model";
import { CHART_IMAGES } from "../model/imageCache";
import { IMAGES } from "../model/images";
import type { Settings } from "../settings/schema";

/** Every image the stack's own objects (its class's lessons) and its addon charts name, sorted. */
export function stackImages(classLessons: readonly ScenarioDef[], addons: Settings["addons"]): string[] {
    const lessons = classLessons.flatMap((s) => [...s.workloads.map((w) => w.image), ...(s.extraChecks ?? []).map((x) => x.image)]);
    const charts = Object.entries(CHART_IMAGES)
        .filter(([chart]) => (chart === "kiali-server" ? addons.kiali.enabled : addons[chart as "prometheus" | "grafana"].enabled))
        .flatMap(([, images]) => images.map((i) => i.image));
    return [...new Set([...lessons, IMAGES.curl, IMAGES.nginx, IMAGES.jaeger(addons.jaeger.version), ...charts])].sort();
}
