/**
 * The offline plan of a stack (`npm run plan`): loads `Pulumi.yaml` and
 * `Pulumi.<stack>.yaml` as the CLI would, validates and resolves the settings,
 * runs the real program (`index.ts`) under Pulumi's mock runtime, renders its
 * Helm releases with a real helm where the chart cache has them, and judges the
 * whole cluster that results. Bad config throws the settings' error and
 * registers nothing.
 */
import * as path from "path";
import { isolationSummary } from "./attacks/attackSuite";
import { checkPlan, validationSummary, type ValidationReport } from "./checks/validatePlan";
import { chartValueChecks } from "./checks/valuesCheck";
import { describeCheckTimes, namespaceCheckTimes } from "./checks/checkTimes";
import { planObjects } from "./checks/clusterChecks";
import { planMeshConfig } from "./dataplane/world";
import type { Plan } from "./plan/plan";
import { disablePromiseDebugging, recordProgram } from "./plan/recorder";
import { Renderer, chartCacheDir, describeReleases, renderPlan, type ReleaseReport } from "./plan/render";
import { cachedManifests } from "./plan/manifests";
import { formatPlan, securityControls } from "./plan/summary";
import { createdSummary, notCheckedSummary } from "./plan/firstScreen";
import type { EnforcementLevel } from "./checks/validatePlan";
import { settingsFromConfig } from "../settings/parse";
import { loadStackConfig } from "../settings/stackFile";
import { locateHelm } from "../tooling/helm";
import { awsQuotaNeeds, describeCapacity } from "../workshop/capacity";
import { istiodSteadyRange } from "../workshop/lessons";
import { workshopFrom, type Workshop } from "../workshop/resolve";

export interface PlanRequest {
    readonly stack: string;
    /** Where Pulumi.yaml and the stack file are. */
    readonly dir: string;
    /** Where the program (index.ts) is. */
    readonly programDir: string;
    /** Policy levels, as for pulumi's --policy-pack-config. */
    readonly levels?: Record<string, EnforcementLevel>;
    /** Reports what the plan is doing, as it goes. */
    readonly progress?: (what: string) => void;
}

export interface StackPlan {
    readonly workshop: Workshop;
    readonly plan: Plan;
    readonly releases: readonly ReleaseReport[];
    readonly report: ValidationReport;
    /** Which helm rendered the releases (or why none), and where the chart cache is. */
    readonly helm: string;
}

/** The plan of a stack, validated: every step offline. */
export async function planStack(request: PlanRequest): Promise<StackPlan> {
    const progress = request.progress ?? (() => undefined);
    // The Pulumi SDK records a stack trace for every resource and promise, mapped through source maps where a
    // hook is installed; that dominates the run time of large plans. The plan prints messages: V8's plain, short traces.
    (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
    Error.stackTraceLimit = 3;
    disablePromiseDebugging();
    const stackConfig = loadStackConfig(request.dir, request.stack);
    // Validate first: invalid settings register nothing.
    const settings = settingsFromConfig(stackConfig.config, { stack: stackConfig.stack, source: stackConfig.file });
    const workshop = workshopFrom(settings);
    progress(`settings valid; running the program under mocks (${workshop.lessons.attendees.length} attendees)`);
    const recorded = await recordProgram({
        project: stackConfig.project,
        stack: stackConfig.stack,
        config: stackConfig.config,
        secretKeys: stackConfig.secretKeys,
        preview: true,
        program: () => ({ ...require(path.join(request.programDir, "index")) }),
    });
    progress(`${recorded.resources.length} resources registered; rendering the Helm releases`);
    // The Helm releases, rendered by a real helm from the chart cache, join the plan object by object.
    const helm = await locateHelm();
    const renderer = "path" in helm ? new Renderer(helm, chartCacheDir(), workshop.settings.cluster.kubernetesVersion) : helm;
    const { plan, releases } = await renderPlan(recorded, renderer);
    const chartChecks = renderer instanceof Renderer ? await chartValueChecks(renderer, plan, releases) : {};
    progress(`${plan.resources.length} objects in the plan; validating`);
    const report = checkPlan(plan, { levels: request.levels ?? {}, releases, manifests: cachedManifests(plan, chartCacheDir()), ...chartChecks });
    return { workshop, plan, releases, report, helm: `helm: ${"path" in helm ? `${helm.version} from ${helm.source}` : helm.missing}; chart cache: ${chartCacheDir()}` };
}

/** How much of the plan to print: the warnings only (`quiet`), its first screen (the default), or every resource (`verbose`). */
export interface PlanTextOptions {
    readonly quiet?: boolean;
    readonly verbose?: boolean;
    readonly stack: string;
}

/** What the plan prints: its first screen, the whole plan (verbose), or (quiet) only warnings. */
export function planText(p: StackPlan, options: PlanTextOptions): { readonly text: string; readonly failed: boolean } {
    const lines: string[] = [];
    const { workshop, plan, report } = p;
    const warnings = workshop.warnings.length > 0 ? [`Warnings:\n${workshop.warnings.map((w) => `  ! ${w}`).join("\n")}`] : [];
    if (options.quiet) {
        lines.push(...warnings);
    } else {
        const steady = istiodSteadyRange(workshop.settings, workshop.lessons.classLessons, workshop.lessons.attendees.length);
        const istiod = `istiod: sized for ${steady.proxies} proxies, the same for a class of ${steady.from} to ${steady.to} attendees (a late arrival or a leaver inside that range leaves it untouched)`;
        const quotas = awsQuotaNeeds(workshop.settings, workshop.capacity);
        const capacity = [...describeCapacity(workshop.capacity), istiod, ...(quotas ? [quotas] : [])];
        if (options.verbose) lines.push(formatPlan(plan, workshop.warnings, capacity));
        else lines.push(`Offline plan for ${plan.project} / ${plan.stack} (Pulumi mock runtime: no cloud, no CLI, no network)`, "", ...createdSummary(plan), "", "Capacity and cost (estimate):", ...capacity.map((c) => `  ${c}`), ...(warnings.length > 0 ? ["", ...warnings] : []));
        const checks = describeCheckTimes(namespaceCheckTimes(planObjects(plan).map((x) => x.o), planMeshConfig(plan)));
        if (checks.length > 0) lines.push(`\n${checks.join("\n")}`);
        lines.push(`\n${securityControls(plan).join("\n")}`);
        if (options.verbose) {
            lines.push(`\nHelm releases (${p.helm}):`);
            describeReleases(p.releases).forEach((line) => lines.push(`  ${line}`));
        } else {
            const rendered = p.releases.filter((r) => r.result.status !== "not rendered").length;
            lines.push(`\nHelm releases: ${p.releases.length} of upstream charts, ${rendered} rendered, ${p.releases.length - rendered} not (${p.helm})`);
            lines.push(`Every resource, every output and every release: npm run plan -- --stack ${options.stack} --verbose`);
        }
    }
    return { text: lines.length > 0 ? `${lines.join("\n")}\n` : "", failed: report.problems.length > 0 };
}

/** The verdict's lines, after the plan (and its JSON and graph) was written. */
export function verdictText(report: ValidationReport, options: PlanTextOptions): string {
    const lines: string[] = [];
    report.advisory.forEach((w) => lines.push(`  ! advisory ${w}`));
    if (report.notChecked.length > 0 && options.quiet) {
        const charts = report.notChecked.filter((n) => /^release /.test(n)).length;
        const unverified = charts > 0 ? `, among them ${charts} chart release${charts === 1 ? "" : "s"} not rendered (no chart cache: \`npm run charts\`), which deploy unverified (\`--strict\` stops instead)` : "";
        lines.push(`Not checked: ${report.notChecked.length} items${unverified} (run \`npm run plan -- --stack ${options.stack}\` for the list)`);
    } else if (report.notChecked.length > 0 && !options.verbose) {
        lines.push(`\nNot checked (${report.notChecked.length}; each with its reason under --verbose):\n${notCheckedSummary(report.notChecked).join("\n")}`);
    } else if (report.notChecked.length > 0) {
        lines.push(`\nNot checked (${report.notChecked.length}):\n${report.notChecked.map((n) => `  - ${n}`).join("\n")}`);
    }
    if (report.problems.length > 0) return `${lines.join("\n")}${lines.length > 0 ? "\n" : ""}`;
    lines.push(`\nValidation passed: ${validationSummary(report)}`);
    const isolation = isolationSummary(report.isolation);
    if (isolation) lines.push(isolation);
    return `${lines.join("\n")}\n`;
}
