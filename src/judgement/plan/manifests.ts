/**
 * Manifests the stack has the Kubernetes provider read from a URL at deploy
 * time (`yaml/v2:ConfigFile`: the Gateway API's CRDs), as the plan checks
 * them: from the chart cache, where `npm run charts` put them, or not at all
 * (listed under "Not checked"); what each must hold is `manifestProblems`
 * (`src/workshop/charts.ts`).
 */
import * as fs from "fs";
import { manifestCachePath, manifestObjects } from "../../workshop/charts";
import type { Plan } from "./plan";

/** The provider's resource that applies a manifest's objects (a component of the provider's: opaque in a plan). */
export const CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile";

/** The URLs of the plan's manifests. */
export function planManifestUrls(plan: Plan): string[] {
    return plan.resources.filter((r) => r.type === CONFIG_FILE).map((r) => String((r.inputs as any).file));
}

/** The plan's manifests that are in the chart cache, by URL. */
export function cachedManifests(plan: Plan, cache: string): Map<string, any[]> {
    const found = new Map<string, any[]>();
    for (const url of planManifestUrls(plan)) {
        const file = manifestCachePath(cache, url);
        if (fs.existsSync(file)) found.set(url, manifestObjects(fs.readFileSync(file, "utf8")));
    }
    return found;
}
