/**
 * What the plan's Prometheus does with a pod of a namespace that asks to be
 * scraped (`prometheus.io/scrape`): which of its pod jobs take it (their
 * `keep` and `drop` rules on the namespace, as Prometheus' relabelling applies
 * them, in order), and with what trust: whether the target's own labels win
 * (`honor_labels`), whether a redirect it answers is followed
 * (`follow_redirects`, true by default), and whether a scrape is bounded
 * (`sample_limit`, 0 or absent: none). Prometheus' scrape configuration
 * semantics, read from its documentation; the jobs are the plan's own.
 *
 * Pure: the plan in, the jobs and what they allow out.
 */
import type { Plan } from "../plan/plan";

export interface ScrapeJob {
    readonly job_name: string;
    readonly honor_labels?: boolean;
    readonly follow_redirects?: boolean;
    readonly sample_limit?: number;
    readonly kubernetes_sd_configs?: readonly { readonly role: string }[];
    readonly relabel_configs?: readonly { readonly source_labels?: readonly string[]; readonly action?: string; readonly regex?: string | boolean }[];
}

/** The scrape jobs of the plan's Prometheus release (none without one). */
export function prometheusJobs(plan: Plan): readonly ScrapeJob[] {
    const release = plan.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any).chart === "prometheus");
    return ((release?.inputs as any)?.values?.serverFiles?.["prometheus.yml"]?.scrape_configs ?? []) as ScrapeJob[];
}

/** Whether a job's namespace rules let a pod of `namespace` through (a rule on other labels is left to the pod). */
function takesNamespace(job: ScrapeJob, namespace: string): boolean {
    for (const r of job.relabel_configs ?? []) {
        if (r.source_labels?.length !== 1 || r.source_labels[0] !== "__meta_kubernetes_namespace") continue;
        const matches = new RegExp(`^(?:${String(r.regex ?? "(.*)")})$`).test(namespace);
        if ((r.action ?? "replace") === "keep" && !matches) return false;
        if (r.action === "drop" && matches) return false;
    }
    return true;
}

/** The pod jobs of the plan's Prometheus that scrape an annotated pod of `namespace`. */
export function jobsScraping(plan: Plan, namespace: string): readonly ScrapeJob[] {
    return prometheusJobs(plan).filter((j) => (j.kubernetes_sd_configs ?? []).some((c) => c.role === "pod") && takesNamespace(j, namespace));
}

export type ScrapeAbuse = "labels" | "redirect" | "series";

/** The first job that lets a pod of `namespace` do `abuse`, or undefined when none of the jobs that scrape it does. */
export function scrapeAllowing(plan: Plan, namespace: string, abuse: ScrapeAbuse): ScrapeJob | undefined {
    return jobsScraping(plan, namespace).find((j) => (abuse === "labels" ? j.honor_labels === true : abuse === "redirect" ? j.follow_redirects !== false : !(Number(j.sample_limit ?? 0) > 0)));
}
