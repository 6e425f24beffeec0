/**
 * `npm run charts`'s other half: the manifests the stack has the provider read
 * from a URL, fetched once into the chart cache (`manifests/<host>/<path>`),
 * checked before they are kept (a Gateway API release's manifest holds only
 * that release's CRDs), written whole or not at all.
 */
import * as fs from "fs";
import * as path from "path";
import { manifestCachePath, manifestObjects, manifestProblems } from "../workshop/charts";

/** Fetches one manifest into the cache unless it is there; a line for the organiser, and the problems if any. */
export async function cacheManifest(cache: string, url: string, fetcher: typeof fetch = fetch): Promise<{ readonly line: string; readonly problems: readonly string[] }> {
    const file = manifestCachePath(cache, url);
    const cached = fs.existsSync(file);
    let text: string;
    if (cached) text = fs.readFileSync(file, "utf8");
    else {
        const response = await fetcher(url);
        if (!response.ok) return { line: `✗ ${url}: HTTP ${response.status}`, problems: [`${url}: HTTP ${response.status}`] };
        text = await response.text();
    }
    const objects = manifestObjects(text);
    const problems = manifestProblems(url, objects);
    if (!cached) {
        if (problems.length > 0) return { line: `✗ ${url}: not kept`, problems };
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(`${file}.part`, text);
        fs.renameSync(`${file}.part`, file);
    }
    return { line: `${problems.length === 0 ? "✓" : "✗"} ${path.relative(cache, file)}  ${objects.length} objects`, problems };
}
