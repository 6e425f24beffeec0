/**
 * Settings plus the checks that need the whole picture: stack config is parsed
 * (`settings.ts`), then the scenario set it selects is analyzed. Both run before
 * any resource is registered; either failure is one message, no stack trace.
 */
import { workshopGateway } from "./meshSpec";
import { MeshCheckError, analyzeScenarios } from "./scenarios/analyze";
import { GATEWAY_ROUTE_HOSTS, resolveScenarios } from "./scenarios/build";
import { loadSettings, type Settings } from "./settings";

/** Throws `MeshCheckError` listing every finding of the scenarios the settings select. */
export function checkScenarios(settings: Settings): void {
    const findings = analyzeScenarios(resolveScenarios(settings.apps), {
        serverHosts: (workshopGateway().spec.servers ?? []).flatMap((s) => s.hosts ?? []),
        routeHosts: GATEWAY_ROUTE_HOSTS,
    });
    if (findings.length > 0) throw new MeshCheckError(findings);
}

/** What the program starts from: valid settings whose scenarios pass the mesh checks. */
export function loadCheckedSettings(): Settings {
    const settings = loadSettings();
    checkScenarios(settings);
    return settings;
}
