import { strict as assert } from "assert";
import { readFileSync } from "fs";
import { join } from "path";
import { SCENARIOS, type ScenarioKey } from "../src/lessons/resolve";
import { STAGES } from "../src/settings/stages";
import { INTRODUCTIONS, WHAT_YOU_SEE, lessonsGuide } from "../src/lessons/guide";

describe("the lesson guide (docs/lessons.md)", () => {
    it("is exactly what npm run lessons-guide prints", () => {
        const file = readFileSync(join(__dirname, "..", "docs", "lessons.md"), "utf8");
        assert.equal(file, `${lessonsGuide()}\n`, "docs/lessons.md is out of date: run `npm run lessons-guide > docs/lessons.md`");
    });

    it("introduces every lesson and says what to look at for every stage, and for nothing else", () => {
        const keys = Object.keys(SCENARIOS) as ScenarioKey[];
        assert.deepEqual(Object.keys(INTRODUCTIONS).sort(), [...keys].sort());
        const stages = keys.flatMap((k) => STAGES[k].names.map((s) => `${k}.${s}`));
        assert.deepEqual(Object.keys(WHAT_YOU_SEE).sort(), [...stages].sort());
    });

    it("names each stage's hand-out file and each stage's verification Jobs", () => {
        const guide = lessonsGuide();
        for (const key of Object.keys(SCENARIOS) as ScenarioKey[]) {
            const lesson = SCENARIOS[key]({ rate: 1 });
            const body = guide.slice(guide.indexOf(`## \`${key}\``));
            (lesson.stages ?? []).forEach((stage, i) => {
                // The stage's own section: from its heading to the next.
                const start = body.indexOf(`### ${i + 1}. \`${stage.name}\``);
                assert.ok(start >= 0, `${key}.${stage.name}: no section`);
                const end = body.indexOf("\n##", start + 1);
                const section = body.slice(start, end < 0 ? undefined : end);
                assert.ok(section.includes(`\`apps.${key}.stage: ${stage.name}\``), `${key}.${stage.name}`);
                const outOfMesh = lesson.dataplane === "ambient" ? "the pods' opting out of ambient is the organiser's" : "the sidecars are the organiser's";
                const handOut = stage.withoutSidecars ? outOfMesh : `${lesson.name}.${String(i + 1).padStart(2, "0")}-${stage.name}.yaml`;
                assert.ok(section.includes(handOut), `${key}.${stage.name} hand-out: ${handOut}`);
            });
        }
        assert.match(guide, /`verify-ratings-1`: 100 requests to `http:\/\/ratings:9080\/ratings\/0` with `end-user: jason`/);
    });
});
