/**
 * Where the tests find upstream data (`../shared/upstream`: chart values and
 * renders, Istio's CRDs and samples, Jaeger configs; see its README) and the
 * fixtures kept in this repository. Tests that need the upstream data skip,
 * saying so, when it is absent; CI always has it.
 */
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { heldIstioVersion } from "../src/judgement/cluster/replay";
import { DEFAULT_ISTIO_VERSION } from "../src/settings/istio";

export const UPSTREAM = process.env.ISTIO_WORKSHOP_UPSTREAM ?? path.resolve(__dirname, "..", "..", "shared", "upstream");
export const HAVE_UPSTREAM = fs.existsSync(path.join(UPSTREAM, "README.md"));

/**
 * Skips the calling test, or from a `before` hook the whole suite, saying why
 * in each skipped test's title (so the report shows what was not done).
 */
export function skipWith(ctx: Mocha.Context, reason: string): never {
    const hook = ctx.test!;
    const tests = (hook as Mocha.Runnable & { type?: string }).type === "hook" ? (hook.parent?.tests ?? []) : [hook];
    for (const t of tests) t.title += ` (skipped: ${reason})`;
    return ctx.skip();
}

/** Skips the calling test (or suite, from a `before` hook) when the upstream data is absent. */
export function needUpstream(ctx: Mocha.Context): void {
    if (!HAVE_UPSTREAM) skipWith(ctx, `no upstream data at ${UPSTREAM}`);
}

export function upstreamText(relative: string): string {
    return fs.readFileSync(path.join(UPSTREAM, relative), "utf8");
}

/** Every document of a multi-document YAML file of the upstream data. */
export function upstreamYamlDocs(relative: string): any[] {
    return YAML.parseAllDocuments(upstreamText(relative))
        .map((d) => d.toJS())
        .filter((d) => d !== null && d !== undefined);
}

const REPLIES = path.join(__dirname, "fixtures", "replies");

/** A reply body kept in `test/fixtures/replies/` (see its ORIGIN.md). */
export function reply(file: string): string {
    return fs.readFileSync(path.join(REPLIES, file), "utf8");
}

export function replyPath(file: string): string {
    return path.join(REPLIES, file);
}

let crds: any[] | undefined;

/** Istio's CRDs at the pinned version: `manifests/charts/base/files/crd-all.gen.yaml`, as the base chart renders them. */
export function istioCrds(): any[] {
    crds ??= upstreamYamlDocs("istio-crds/crd-all.gen.yaml");
    return crds;
}

/**
 * The Istio release the upstream data holds charts, renders and CRDs of for the default: that one, or the newest patch of its minor. The
 * project's default may be newer (a release after the data was taken); tests hold values and objects to this one.
 */
export const ISTIO_DATA_VERSION: string = heldIstioVersion(UPSTREAM, DEFAULT_ISTIO_VERSION) ?? DEFAULT_ISTIO_VERSION;
