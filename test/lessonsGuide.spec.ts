import { strict as assert } from "assert";
import { readFileSync } from "fs";
import { join } from "path";
import { SCENARIOS, type ScenarioKey } from "../components/scenarios/build";
import { STAGES } from "../components/scenarios/stages";
import { INTRODUCTIONS, WHAT_YOU_SEE, lessonsGuide } from "../scripts/lib/lessonsGuide";

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
            STAGES[key].names.forEach((stage, i) => {
                assert.ok(guide.includes(`\`apps.${key}.stage: ${stage}\``), `${key}.${stage}`);
                assert.ok(guide.includes(`${key}.${String(i + 1).padStart(2, "0")}-${stage}.yaml`) || guide.includes("the sidecars are the organiser's"), `${key}.${stage} hand-out`);
            });
        }
        assert.match(guide, /`verify-ratings-1`: 100 requests to `http:\/\/ratings:9080\/ratings\/0` with `end-user: jason`/);
    });
});
