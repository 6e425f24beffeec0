/**
 * The cluster tests' binaries, built from published Go modules by the
 * project's own small modules (`tools/controlplane`: kube-apiserver,
 * kube-controller-manager, kube-scheduler of k8s.io/kubernetes and an embedded
 * etcd, in one binary; `tools/kwok`: kwok). Nothing is downloaded but Go
 * modules, through the Go module proxy.
 *
 * Builds are cached by what shapes them (the modules' go.mod, go.sum and
 * sources, the Go version, the flags): an unchanged build is skipped. The cache
 * is `$ISTIO_WORKSHOP_BUILD_CACHE`, else `~/.cache/istio-workshop/controlplane`,
 * so a fresh clone on the same machine reuses it; Go's own build cache makes a
 * changed build fast too.
 */
import { execFile } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";

const run = promisify(execFile);

const PROJECT_DIR = path.resolve(__dirname, "..", "..", "..");
export const TOOLS_DIR = path.join(PROJECT_DIR, "tools");

/** The Kubernetes release the control plane is: every k8s.io staging module at v0.<minor>.<patch> of it. */
export const KUBERNETES_VERSION = "v1.35.4";

export interface GoBinary {
    readonly name: string;
    /** The module directory under tools/. */
    readonly module: string;
    /** The package to build, as `go build` takes it. */
    readonly pkg: string;
    readonly ldflags: readonly string[];
}

const [major, minor] = KUBERNETES_VERSION.slice(1).split(".");

/** Stamped as the release builds stamp it, so /version and Helm's kubeVersion checks see the real number. */
export const KUBERNETES_LDFLAGS = [
    `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    "-X k8s.io/component-base/version.gitTreeState=clean",
    "-X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z",
    "-X k8s.io/client-go/pkg/version.gitVersion=" + KUBERNETES_VERSION,
];

export const BINARIES: readonly GoBinary[] = [
    { name: "controlplane", module: "controlplane", pkg: "./cmd/controlplane", ldflags: KUBERNETES_LDFLAGS },
    { name: "kwok", module: "kwok", pkg: "sigs.k8s.io/kwok/cmd/kwok", ldflags: [] },
];

export function buildCacheDir(): string {
    return process.env.ISTIO_WORKSHOP_BUILD_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "istio-workshop", "controlplane");
}

/** Every file of a module that shapes its build, in a stable order. */
function moduleFiles(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? moduleFiles(path.join(dir, e.name)) : /\.(go|mod|sum)$/.test(e.name) ? [path.join(dir, e.name)] : []))
        .sort();
}

/** What a binary's build depends on, as one digest: its module's files, the Go version, the package and flags. */
export function buildKey(binary: GoBinary, goVersion: string): string {
    const hash = createHash("sha256").update(`${goVersion}\n${binary.pkg}\n${binary.ldflags.join(" ")}\n`);
    const dir = path.join(TOOLS_DIR, binary.module);
    for (const file of moduleFiles(dir)) hash.update(`${path.relative(dir, file)}\n`).update(fs.readFileSync(file));
    return hash.digest("hex").slice(0, 16);
}

export interface Built {
    readonly paths: Readonly<Record<string, string>>;
    /** Seconds spent building (0 when every binary was up to date). */
    readonly seconds: number;
    /** The binaries that were built now (the others were up to date). */
    readonly built: readonly string[];
}

/** `go version`'s version, or why there is no Go. */
export async function goVersion(): Promise<string> {
    try {
        const { stdout } = await run("go", ["env", "GOVERSION"], { timeout: 60_000 });
        return stdout.trim();
    } catch (err) {
        throw new Error(`the cluster tests build their control plane with Go (1.26 or later) and the Go module proxy: no working \`go\` on PATH (${(err as Error).message.split("\n")[0]})`);
    }
}

/** Builds what is not up to date; reports each build's time as it goes. */
export async function buildControlPlane(say: (line: string) => void = () => undefined): Promise<Built> {
    const version = await goVersion();
    const cache = buildCacheDir();
    const paths: Record<string, string> = {};
    const built: string[] = [];
    const started = Date.now();
    for (const binary of BINARIES) {
        const target = path.join(cache, `${binary.name}-${buildKey(binary, version)}`, binary.name);
        paths[binary.name] = target;
        if (fs.existsSync(target)) continue;
        fs.mkdirSync(path.dirname(target), { recursive: true });
        const t0 = Date.now();
        say(`building ${binary.name} (${binary.pkg} in tools/${binary.module}, ${version})`);
        const partial = `${target}.${process.pid}.partial`;
        try {
            await run("go", ["build", "-trimpath", "-ldflags", ["-s", "-w", ...binary.ldflags].join(" "), "-o", partial, binary.pkg], {
                cwd: path.join(TOOLS_DIR, binary.module),
                env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=readonly" },
                maxBuffer: 64 * 1024 * 1024,
                timeout: 45 * 60_000,
            });
        } catch (err) {
            const e = err as { stderr?: string; message: string };
            throw new Error(`go build ${binary.pkg} failed: ${(e.stderr ?? "").trim().split("\n").slice(-8).join("\n") || e.message}`);
        }
        fs.renameSync(partial, target);
        built.push(binary.name);
        say(`built ${binary.name} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
    return { paths, seconds: built.length > 0 ? (Date.now() - started) / 1000 : 0, built };
}
