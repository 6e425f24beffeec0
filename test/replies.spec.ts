/**
 * The verification probes against what the lesson apps really answer: reply
 * bodies kept as fixtures (test/fixtures/replies, origin in its ORIGIN.md),
 * themselves checked against the upstream description of the apps.
 */
import { strict as assert } from "assert";
import { bookinfo } from "../src/lessons/catalog/bookinfo";
import { grpc } from "../src/lessons/catalog/grpc";
import { helloworld } from "../src/lessons/catalog/helloworld";
import { myApp } from "../src/lessons/catalog/myApp";
import { tcp } from "../src/lessons/catalog/tcp";
import { checkPlans } from "../src/lessons/checks";
import type { ProbeDef } from "../src/lessons/model";
import { needUpstream, reply, replyPath, upstreamText } from "./upstream";
import { runCheck } from "./verifyRunner";

/** Fixture files per probed service and version. */
const BODIES: Record<string, Record<string, string[]>> = {
    reviews: {
        v1: ["reviews-v1.json"],
        v2: ["reviews-v2.json", "reviews-v2-ratings-unavailable.json"],
        v3: ["reviews-v3.json", "reviews-v3-ratings-unavailable.json"],
    },
    ratings: { v1: ["ratings-v1.json"] },
    details: { v1: ["details-v1.json"] },
    productpage: { v1: ["productpage-v1.head.html"] },
    helloworld: { v1: ["helloworld-v1.txt"], v2: ["helloworld-v2.txt"] },
    "my-app-v1": { v1: ["hello-app-v1.txt"], v2: ["hello-app-v2.txt"] },
    "my-app-v2": { v1: ["hello-app-v1.txt"], v2: ["hello-app-v2.txt"] },
    "nginx-proxy": { v1: ["hello-app-v1.txt"], v2: ["hello-app-v2.txt"] },
    "tcp-echo": { v1: ["tcp-echo-v1.txt"], v2: ["tcp-echo-v2.txt"] },
};
const ALL_FILES = [...new Set(Object.values(BODIES).flatMap((v) => Object.values(v).flat()))];

/** What the verification script does with one body: the first version whose text it contains. */
function classify(probe: ProbeDef, body: string): string | undefined {
    return probe.versions.find(([, contains]) => body.includes(contains))?.[0];
}

const PROBES = Object.entries({ ...helloworld({}).probes, ...bookinfo().probes, ...myApp().probes, ...grpc({}).probes, ...tcp().probes });

describe("lesson replies: fixtures are the apps' real answers", () => {
    before(function () {
        needUpstream(this);
    });

    it("bookinfo reviews v1/v2/v3, with and without ratings, byte for byte as SERVICE-RESPONSES.md gives them", () => {
        const doc = upstreamText("istio-samples/SERVICE-RESPONSES.md");
        const block = (label: string) => new RegExp(`${label}:\\n\`\`\`\\n(.*)\\n\`\`\``).exec(doc)?.[1];
        const pod = (body: string) => /"podname": "([^"]+)"/.exec(body)![1];
        const v1 = reply("reviews-v1.json");
        assert.equal(v1, block("reviews-v1")!.replace("reviews-v1-POD", pod(v1)));
        const v2 = reply("reviews-v2.json");
        assert.equal(v2, block("reviews-v2 \\(ratings v1 returns Reviewer1=5, Reviewer2=4\\)")!.replace("reviews-v2-POD", pod(v2)));
        assert.match(doc, /reviews-v3: the same as v2, with `"color": "red"`/);
        const v3 = reply("reviews-v3.json");
        assert.equal(v3, v2.replace(pod(v2), pod(v3)).replaceAll('"color": "black"', '"color": "red"'));
        const failed = /\n```\n, "rating": (\{"error": "Ratings service is currently unavailable"\})\n```/.exec(doc)![1];
        for (const v of ["v2", "v3"]) {
            const ok = reply(`reviews-${v}.json`);
            assert.equal(reply(`reviews-${v}-ratings-unavailable.json`), ok.replace(/"rating": \{"stars": \d, "color": "\w+"\}/g, `"rating": ${failed}`));
        }
    });

    it("ratings, details, productpage and helloworld as SERVICE-RESPONSES.md gives them", () => {
        const doc = upstreamText("istio-samples/SERVICE-RESPONSES.md");
        assert.ok(doc.includes(`v1 → 200 \`${reply("ratings-v1.json")}\``));
        assert.ok(doc.includes(`\`v-faulty\`: 50 % 503 \`${reply("ratings-v-faulty-503.json")}\``));
        assert.ok(doc.includes(`\n  ${reply("details-v1.json")}\n`));
        assert.match(doc, /`<title>Simple Bookstore App<\/title>`/);
        assert.ok(reply("productpage-v1.head.html").includes("<title>Simple Bookstore App</title>"));
        assert.match(doc, /body `Hello version: v1, instance: <HOSTNAME>\\n`/);
        assert.ok(doc.includes("it writes back `<prefix> <line>`, for example `hello world\\n` → `hello hello world\\n`"));
        assert.ok(doc.includes("`tcp-echo-services.yaml` uses `one` for v1 and `two` for v2"));
        for (const [v, prefix] of [["v1", "one"], ["v2", "two"]]) assert.equal(reply(`tcp-echo-${v}.txt`), `${prefix} hello\n`);
        for (const v of ["v1", "v2"]) assert.match(reply(`helloworld-${v}.txt`), new RegExp(`^Hello version: ${v}, instance: helloworld-${v}-[a-z0-9]+-[a-z0-9]+\\n$`));
    });
});

describe("lesson replies: every probe tells every version apart", () => {
    it("has bodies for every probed service and every version its probe names", () => {
        for (const [service, probe] of PROBES) {
            assert.ok(BODIES[service], `no reply bodies for ${service}`);
            assert.deepEqual(Object.keys(BODIES[service]).sort(), probe.versions.map(([v]) => v).sort(), service);
        }
    });

    for (const [service, probe] of PROBES) {
        it(`${service}: each version's replies count as that version, and no other app's reply counts at all`, () => {
            for (const [version, files] of Object.entries(BODIES[service])) {
                for (const f of files) assert.equal(classify(probe, reply(f)), version, `${service}: ${f} should count as ${version}`);
            }
            const own = new Set(Object.values(BODIES[service]).flat());
            for (const f of ALL_FILES.filter((x) => !own.has(x))) assert.equal(classify(probe, reply(f)), undefined, `${service}: ${f} should count as no version`);
        });
    }

    const reviewsCheck = () => checkPlans(bookinfo(), 100).find((c) => c.name === "verify-reviews-1")!;
    const stream = (counts: Record<string, number>) => Object.entries(counts).flatMap(([f, n]) => Array<string>(n).fill(replyPath(f)));

    it("verify-reviews-1 passes the 50/50 split on real bodies, ratings failing or not", () => {
        const r = runCheck(reviewsCheck(), stream({ "reviews-v1.json": 47, "reviews-v3.json": 40, "reviews-v3-ratings-unavailable.json": 13 }));
        assert.equal(r.stdout.trim(), "PASS verify-reviews-1: v1=47 v2=0 v3=53 other=0");
        assert.equal(r.status, 0);
    });

    it("verify-reviews-1 fails an all-v1 mesh and a mesh that leaks to v2, on real bodies", () => {
        const allV1 = runCheck(reviewsCheck(), stream({ "reviews-v1.json": 100 }));
        assert.equal(allV1.status, 1);
        assert.match(allV1.stdout, /measured v1=76 v2=0 v3=0 other=0 \(stopped after 76: already out of bounds\)$/m);
        const leak = runCheck(reviewsCheck(), stream({ "reviews-v1.json": 50, "reviews-v2-ratings-unavailable.json": 1, "reviews-v3.json": 49 }));
        assert.equal(leak.status, 1);
        // One leaked answer fails it at once: a v2 count of 1 is already past its bound of 0.
        assert.match(leak.stdout, /measured v1=50 v2=1 v3=0 other=0 \(stopped after 51: already out of bounds\)$/m);
    });

    it("verify-helloworld-1 tells helloworld v1 from v2 on real bodies", () => {
        const check = checkPlans(helloworld({}), 100).find((c) => c.name === "verify-helloworld-1")!;
        assert.equal(runCheck(check, stream({ "helloworld-v1.txt": 100 })).status, 0);
        assert.equal(runCheck(check, stream({ "helloworld-v1.txt": 99, "helloworld-v2.txt": 1 })).status, 1);
    });
});
