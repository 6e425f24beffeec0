/**
 * The two istioctl analyze analyzers the plan runs, on the examples Istio's own
 * reference pages give for each message (istio.io/latest/docs/reference/config/
 * analysis/ist0130, ist0131, ist0151), with the message each page says istioctl
 * prints; and on the classroom's own objects, which must give none.
 */
import { strict as assert } from "assert";
import { relativePatches, unreachableRules } from "../src/judgement/checks/istioAnalyzers";
import { validatePlan } from "../src/judgement/checks/validatePlan";
import { EKS_RAW, planIndex } from "./helpers";

describe("istioctl analyze's route and filter-order analyzers", () => {
    it("IST0130: only the last rule can have no matches (Istio's example: a fault and a mirror in two entries)", () => {
        const http = [
            { fault: { delay: { fixedDelay: "5s", percentage: { value: 100 } } }, route: [{ destination: { host: "sample.foo.svc.cluster.local" } }] },
            { mirror: { host: "sample.bar.svc.cluster.local" }, route: [{ destination: { host: "sample.bar.svc.cluster.local", subset: "v1" } }] },
        ];
        // istioctl: "VirtualService rule #1 not used (only the last rule can have no matches)."
        assert.deepEqual(unreachableRules(http), ["IST0130 VirtualServiceUnreachableRule: rule #1 not used (only the last rule can have no matches)"]);
        assert.deepEqual(unreachableRules([{ ...http[0], ...http[1] }]), [], "one entry with both: nothing to say");
    });

    it("IST0131 and IST0130: a match repeating an earlier rule's, in whatever key order it is written (Istio's example: two TLS routes)", () => {
        const tls = [
            { match: [{ port: 2443, sniHosts: ["www1.googleapis.com"] }], route: [{ destination: { host: "www1.googleapis.com" } }] },
            { match: [{ sniHosts: ["www1.googleapis.com"], port: 2443 }], route: [{ destination: { host: "api1.facebook.com" } }] },
        ];
        // istioctl: "VirtualService rule #1 match #0 is not used (duplicates a match in rule #0)."
        assert.deepEqual(unreachableRules(tls), [
            "IST0131 VirtualServiceIneffectiveMatch: rule #1 match #0 is not used (duplicates a match in rule #0)",
            "IST0130 VirtualServiceUnreachableRule: rule #1 not used (all matches used by prior rules)",
        ]);
        // One match of two repeated: that match is ineffective, the rule is still reachable.
        const partly = [tls[0], { ...tls[1], match: [...tls[1].match, { port: 3443 }] }];
        assert.deepEqual(unreachableRules(partly), ["IST0131 VirtualServiceIneffectiveMatch: rule #1 match #0 is not used (duplicates a match in rule #0)"]);
    });

    it("IST0151: a relative patch without a priority; absolute operations, or any priority, are fine", () => {
        const patch = (operation: string, applyTo = "HTTP_FILTER") => ({ applyTo, match: { context: "SIDECAR_INBOUND" }, patch: { operation, value: { name: "x" } } });
        assert.deepEqual(relativePatches({ configPatches: [patch("INSERT_BEFORE")] }).length, 1);
        assert.deepEqual(relativePatches({ configPatches: [patch("REPLACE", "NETWORK_FILTER"), patch("INSERT_AFTER")] }).length, 2);
        assert.deepEqual(relativePatches({ priority: 10, configPatches: [patch("INSERT_BEFORE")] }), []);
        assert.deepEqual(relativePatches({ configPatches: [patch("ADD"), patch("INSERT_FIRST"), patch("MERGE")] }), []);
        // REMOVE of a route and REPLACE of a cluster are other messages (the operation is wrong there), not this one.
        assert.deepEqual(relativePatches({ configPatches: [patch("REMOVE", "HTTP_ROUTE"), patch("REPLACE", "CLUSTER")] }), []);
    });

    it("the classroom gives none: root routes with one match per lesson path, the rate-limit filter with a priority (by path prefix and by host)", async function () {
        this.timeout(120_000);
        const apps = { mtls: true, tcp: true, egress: true, bookinfo: { stage: "rate-limit" }, myApp: { stage: "tls" } };
        for (const raw of [
            { ...EKS_RAW, attendees: ["ana", "ben"], apps },
            { ...EKS_RAW, attendees: ["ana", "ben"], classroom: { domain: "workshop.example.com" }, apps },
        ]) {
            const problems = validatePlan(await planIndex(raw));
            assert.deepEqual(problems.filter((p) => /^IST01(30|31|51)/.test(p)), []);
            assert.deepEqual(problems, []);
        }
    });
});
