/**
 * The architecture, checked: the import graph against the rules written down in
 * `.dependency-cruiser.js` (dependency-cruiser, run as its CLI), the rules
 * themselves against a small tree that breaks each of them, the components the
 * rules name against the classes that are components, and the size of every
 * source file.
 */
import { skippedByReason } from "./skippedSummary";
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const CONFIG = path.join(ROOT, ".dependency-cruiser.js");
const DEPCRUISE = path.join(ROOT, "node_modules", ".bin", "depcruise");
/** Every folder of src/ the rules place in a layer. */
const LAYERS = ["settings", "model", "cluster", "mesh", "addons", "lessons", "classroom", "workshop", "tooling", "judgement"];
const MAX_LINES = 500;

interface Violation {
    readonly rule: string;
    readonly from: string;
    readonly to: string;
}

/** dependency-cruiser's verdict on the given roots of a directory, with the project's rules. */
function cruise(cwd: string, roots: readonly string[]): { violations: Violation[]; modules: number; dependencies: number } {
    const r = spawnSync(DEPCRUISE, ["--config", CONFIG, "--output-type", "json", ...roots], { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    assert.ok(r.stdout, `depcruise printed nothing: ${r.stderr}`);
    const out = JSON.parse(r.stdout);
    return {
        violations: out.summary.violations.map((v: { rule: { name: string }; from: string; to: string }) => ({ rule: v.rule.name, from: v.from, to: v.to })),
        modules: out.summary.totalCruised,
        dependencies: out.summary.totalDependenciesCruised,
    };
}

const sourceFiles = (dir: string): string[] =>
    fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));

describe("architecture", () => {
    const rules = require(CONFIG).forbidden as { name: string; from: { path?: string }; to: { path?: string } }[];
    const components = new RegExp(rules.find((r) => r.name === "builders-never-import-components")!.to.path!);

    it("the import graph keeps every rule: no cycle, nothing pointing up a layer, no component of another domain, nothing importing scripts/", function () {
        this.timeout(60_000);
        const result = cruise(ROOT, ["index.ts", "src", "scripts", "policy", "test", "examples"]);
        assert.deepEqual(result.violations, []);
        assert.ok(result.modules > 100 && result.dependencies > 500, `${result.modules} modules, ${result.dependencies} imports cruised`);
    });

    it("each rule catches what it is written for, in a tree that breaks them all", function () {
        this.timeout(60_000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-arch-"));
        const files: Record<string, string> = {
            "src/settings/schema.ts": 'import { X } from "../model/platform";\nexport const S = X;\n',
            "src/model/platform.ts": "export const X = 1;\n",
            "src/mesh/meshSpec.ts": 'import { Classroom } from "../classroom/classroom";\nexport const M = Classroom;\n',
            "src/classroom/classroom.ts": 'import { Attendee } from "./attendee";\nexport const Classroom = Attendee;\n',
            "src/classroom/attendee.ts": "export const Attendee = 1;\n",
            "src/cluster/workshopCluster.ts": 'import { IstioMesh } from "../mesh/istioMesh";\nexport const C = IstioMesh;\n',
            "src/mesh/istioMesh.ts": "export const IstioMesh = 1;\n",
            "src/lessons/a.ts": 'import { B } from "./b";\nexport const A = 1 + B;\n',
            "src/lessons/b.ts": 'import { A } from "./a";\nexport const B = 1;\nexport const AA = A;\n',
            "src/judgement/check.ts": 'import { P } from "../../scripts/plan";\nexport const J = P;\n',
            "scripts/plan.ts": "export const P = 1;\n",
            "src/workshop/resolve.ts": 'import { T } from "../tooling/helm";\nexport const W = T;\n',
            "src/tooling/helm.ts": "export const T = 1;\n",
            "tsconfig.json": JSON.stringify({ compilerOptions: { module: "commonjs", moduleResolution: "node" } }),
        };
        for (const [file, text] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
            fs.writeFileSync(path.join(dir, file), text);
        }
        const found = cruise(dir, ["src", "scripts"]).violations.map((v) => `${v.rule}: ${v.from} -> ${v.to}`).sort();
        assert.deepEqual(found, [
            "builders-never-import-components: src/mesh/meshSpec.ts -> src/classroom/classroom.ts",
            "judgement-imports-down: src/judgement/check.ts -> scripts/plan.ts",
            "mesh-builders-import-down: src/mesh/meshSpec.ts -> src/classroom/classroom.ts",
            "never-another-domains-component: src/cluster/workshopCluster.ts -> src/mesh/istioMesh.ts",
            "never-another-domains-component: src/mesh/meshSpec.ts -> src/classroom/classroom.ts",
            "no-cycles: src/lessons/a.ts -> src/lessons/b.ts",
            "nothing-imports-scripts: src/judgement/check.ts -> scripts/plan.ts",
            "settings-are-the-bottom: src/settings/schema.ts -> src/model/platform.ts",
            "workshop-imports-down: src/workshop/resolve.ts -> src/tooling/helm.ts",
        ]);
    });

    it("the components the rules name are exactly the classes that are Pulumi components", () => {
        const declaring = sourceFiles("src").filter((f) => /extends pulumi\.ComponentResource\b/.test(fs.readFileSync(path.join(ROOT, f), "utf8")));
        assert.deepEqual(declaring.filter((f) => !components.test(f)), [], "components the rules do not name");
        const named = sourceFiles("src").filter((f) => components.test(f));
        assert.deepEqual(named.filter((f) => !declaring.includes(f)), [], "named files that hold no component");
        assert.equal(named.length, 6);
    });

    it("every source file is in a layer's folder and under 500 lines", () => {
        const files = [...sourceFiles("src"), ...sourceFiles("scripts"), ...sourceFiles("policy"), "index.ts"];
        assert.deepEqual(files.filter((f) => f.startsWith("src/") && f !== path.join("src", "index.ts") && !LAYERS.includes(f.split(path.sep)[1])), []);
        const long = files.map((f) => [f, fs.readFileSync(path.join(ROOT, f), "utf8").split("\n").length] as const).filter(([, n]) => n > MAX_LINES);
        assert.deepEqual(long, []);
        // A command is a thin entry point over the library.
        assert.deepEqual(sourceFiles("scripts").filter((f) => fs.readFileSync(path.join(ROOT, f), "utf8").split("\n").length > 100), []);
    });

    it("tracks no symbolic link (a committed link to another checkout's node_modules lets npm ci empty that checkout)", function () {
        const files = spawnSync("git", ["ls-files", "-s"], { cwd: ROOT, encoding: "utf8" });
        if (files.status !== 0) return this.skip();
        assert.deepEqual(files.stdout.split("\n").filter((l) => l.startsWith("120000 ")), []);
        assert.ok(fs.readFileSync(path.join(ROOT, ".gitignore"), "utf8").split("\n").includes("node_modules"), "ignored as a folder and as a link");
    });
});

describe("npm test's report", () => {
    it("counts the skipped tests by the reason their titles carry, most first; a test skipped without one says so", () => {
        const titles = ["a (skipped: no chart cache)", "b (skipped: no upstream data at /x)", "c (skipped: no chart cache)", "d"];
        assert.deepEqual(skippedByReason(titles.map((title) => ({ title }))), [
            ["no chart cache", 2],
            ["no upstream data at /x", 1],
            ["skipped without a stated reason", 1],
        ]);
    });
});
