/**
 * Where a command deploys: the EKS cluster a stack names, or the kube context
 * of an existing cluster, which must be one the kubeconfig has (the current
 * context is never assumed). And the project's own places the commands use.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import type { Settings } from "../settings/schema";

/** The project's directory (where Pulumi.yaml is) and its policy pack. */
export const PROJECT_DIR = path.resolve(__dirname, "..", "..");
export const POLICY_PACK = path.join(PROJECT_DIR, "policy");

/** The kubeconfig files kubectl (and the Kubernetes provider) read: the stack's, else $KUBECONFIG's, else ~/.kube/config. */
export function kubeconfigFiles(settings: Pick<Settings, "cluster">, env: NodeJS.ProcessEnv = process.env): string[] {
    if (settings.cluster.kubeconfig) return [settings.cluster.kubeconfig];
    if (env.KUBECONFIG) return env.KUBECONFIG.split(path.delimiter).filter((f) => f !== "");
    return [path.join(os.homedir(), ".kube", "config")];
}

/** The context names of kubeconfig files (files that do not exist have none). */
export function contextsIn(files: readonly string[]): string[] {
    return files.flatMap((f) => {
        if (!fs.existsSync(f)) return [];
        const doc = YAML.parse(fs.readFileSync(f, "utf8")) ?? {};
        return ((doc.contexts ?? []) as { name?: string }[]).map((c) => String(c.name));
    });
}

/**
 * Where the command will deploy, as one line to print, or why it must not run:
 * an existing cluster's context must be one the kubeconfig has.
 */
export function target(settings: Settings, env: NodeJS.ProcessEnv = process.env): { line: string } | { refusal: string } {
    if (settings.cluster.mode === "eks") {
        const credentials = settings.awsProfile ? `AWS profile ${settings.awsProfile}, from aws:profile` : "AWS credentials from the environment";
        return { line: `Target: EKS cluster ${settings.cluster.name} in ${settings.cluster.region} (${credentials})` };
    }
    const files = kubeconfigFiles(settings, env);
    const context = settings.cluster.context!;
    const contexts = contextsIn(files);
    if (!contexts.includes(context)) {
        return {
            refusal: `cluster.context "${context}" is not a context of ${files.join(", ")} (contexts there: ${contexts.length > 0 ? contexts.join(", ") : "none"}): create the cluster or fix Pulumi.${settings.stack}.yaml; nothing was run`,
        };
    }
    return { line: `Target: kube context ${context} (kubeconfig ${files.join(path.delimiter)})` };
}
