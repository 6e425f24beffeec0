/**
 * Hostile and careless stack config: generated invalid settings are each refused
 * with a message that names the key and the value, never a crash, and nothing is
 * registered.
 */
import { strict as assert } from "assert";
import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MeshCheckError } from "../src/lessons/analyze";
import { SettingsError, settingsFromConfig } from "../src/settings/parse";
import { workshopFrom } from "../src/workshop/resolve";
import { StackConfigError, loadStackConfig } from "../src/settings/stackFile";
import { planIndex } from "./helpers";

const VALID = { cluster: { adminCidrs: ["203.0.113.4/32"] } };

/** One way to break a config: where, what, and what the message must name. */
interface Breaker {
    readonly apply: (c: any) => void;
    readonly names: string;
}

const set = (obj: any, keys: string[], value: unknown) => {
    let o = obj;
    for (const k of keys.slice(0, -1)) o = o[k] ??= {};
    o[keys[keys.length - 1]] = value;
};

const text = fc.string({ minLength: 1, maxLength: 12 });
const breakers: fc.Arbitrary<Breaker>[] = [
    text.filter((m) => m !== "eks" && m !== "existing").map((m) => ({ apply: (c) => set(c, ["cluster", "mode"], m), names: "cluster.mode" })),
    fc.oneof(fc.integer({ min: 101, max: 1e6 }), fc.integer({ min: -1e6, max: 0 }), fc.double({ min: 1.1, max: 99.9, noInteger: true })).map((n) => ({
        apply: (c) => set(c, ["cluster", "nodeGroup", "maxSize"], n),
        names: "cluster.nodeGroup.maxSize",
    })),
    fc.oneof(text.filter((t) => !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(t)), fc.constant("10.0.0.0/33"), fc.constant("256.1.1.1/8")).map((cidr) => ({
        apply: (c) => set(c, ["cluster", "adminCidrs"], [cidr]),
        names: "cluster.adminCidrs[0]",
    })),
    fc.oneof(fc.constant(1.3), fc.constant("latest"), fc.constant("1.20")).map((v) => ({ apply: (c) => set(c, ["cluster", "kubernetesVersion"], v), names: "cluster.kubernetesVersion" })),
    text.filter((v) => !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(v)).map((v) => ({ apply: (c) => set(c, ["istio", "version"], v), names: "istio.version" })),
    fc.constantFrom("strict", "ON", "mtls").map((m) => ({ apply: (c) => set(c, ["istio", "mtls"], m), names: "istio.mtls" })),
    fc.oneof(fc.double({ min: 100.01, max: 1e6, noNaN: true }), fc.double({ min: -1e6, max: -0.01, noNaN: true })).map((p) => ({
        apply: (c) => set(c, ["istio", "tracing", "samplingPercent"], p),
        names: "istio.tracing.samplingPercent",
    })),
    fc.oneof(fc.integer({ min: 1001, max: 1e5 }), fc.integer({ min: -1e5, max: -1 })).map((n) => ({ apply: (c) => set(c, ["attendees"], n), names: "attendees" })),
    fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/).map((id) => ({ apply: (c) => set(c, ["attendees"], [id, id]), names: "attendees[1]" })),
    fc.stringMatching(/^[A-Z][A-Za-z]{0,8}$/).map((id) => ({ apply: (c) => set(c, ["attendees"], [id]), names: "attendees[0]" })),
    fc.stringMatching(/^[a-z]{41,60}$/).map((id) => ({ apply: (c) => set(c, ["attendees"], [id]), names: "attendees[0]" })),
    fc.stringMatching(/^[a-z][a-z0-9]{2,8}$/).map((key) => ({ apply: (c) => set(c, ["cluster", key === "mode" ? "modes" : `x${key}`], 1), names: "cluster.x" })),
    fc.constantFrom("yes", 1, "true", null).map((v) => ({ apply: (c) => set(c, ["addons", "kiali"], v), names: "addons.kiali" })),
    fc.integer({ min: 1, max: 49 }).map((w) => ({
        apply: (c) => set(c, ["apps", "bookinfo"], { routes: { reviews: [{ weights: { v1: w, v3: 100 - w + 1 } }] } }),
        names: "apps.bookinfo.routes.reviews[0]",
    })),
    fc.constantFrom("Demo", "demo_ns", "-demo").map((n) => ({ apply: (c) => set(c, ["apps", "namespace"], n), names: "apps.namespace" })),
    fc.constantFrom("Not A Domain", "localhost", "a..b").map((d) => ({ apply: (c) => set(c, ["classroom", "domain"], d), names: "classroom.domain" })),
];

/** Parses and prepares as `npm run plan` and `pulumi up` do: config values arrive JSON-encoded. */
function refusal(config: Record<string, unknown>): Error | undefined {
    const encoded = Object.fromEntries(Object.entries(config).map(([k, v]) => [`istio-workshop:${k}`, JSON.stringify(v)]));
    try {
        workshopFrom(settingsFromConfig(encoded, { stack: "fuzz" }));
        return undefined;
    } catch (err) {
        return err as Error;
    }
}

describe("hostile input (property-based)", () => {
    it("refuses 600 generated invalid configs, each with one message naming every broken key", () => {
        fc.assert(
            // At most one breaker per setting, so that none overwrites another.
            fc.property(fc.uniqueArray(fc.oneof(...breakers), { minLength: 1, maxLength: 3, selector: (b) => b.names.replace(/\[.*$/, "") }), (chosen) => {
                const config: any = JSON.parse(JSON.stringify(VALID));
                chosen.forEach((b) => b.apply(config));
                const err = refusal(config);
                assert.ok(err, `accepted ${JSON.stringify(config)}`);
                assert.ok(err instanceof SettingsError || err instanceof MeshCheckError, `unexpected ${err}`);
                // Settings are checked before the mesh: a mesh finding is only expected when settings pass.
                const expected = err instanceof MeshCheckError ? chosen.filter((b) => b.names.startsWith("apps.bookinfo")) : chosen.filter((b) => !b.names.startsWith("apps.bookinfo"));
                for (const b of expected) assert.ok(err.message.includes(b.names), `message does not name ${b.names}:\n${err.message}`);
                assert.doesNotMatch(err.message, /\n\s+at /, "no stack trace");
            }),
            { numRuns: 600 },
        );
    });

    it("refuses malformed stack files with a message, never a crash", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-fuzz-"));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: istio-workshop\n");
        fc.assert(
            fc.property(fc.string({ maxLength: 80 }), (body) => {
                fs.writeFileSync(path.join(dir, "Pulumi.f.yaml"), `config:\n  istio-workshop:cluster: ${body}\n`);
                try {
                    const sc = loadStackConfig(dir, "f");
                    refusal(Object.fromEntries(Object.entries(sc.config).map(([k, v]) => [k.replace("istio-workshop:", ""), safeParse(v)])));
                } catch (err) {
                    assert.ok(err instanceof StackConfigError, `unexpected ${(err as Error).stack}`);
                }
            }),
            { numRuns: 200 },
        );
    });

    it("registers nothing when the config is refused", async () => {
        let registered = 0;
        await assert.rejects(
            planIndex({ ...VALID, attendees: ["Bad_Id"] }, "fuzz", () => registered++),
            (err: Error) => err instanceof SettingsError && err.message.includes('attendees[0]') && err.message.includes('"Bad_Id"'),
        );
        assert.equal(registered, 0);
    });
});

function safeParse(v: string): unknown {
    try {
        return JSON.parse(v);
    } catch {
        return v;
    }
}
