import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { HAND_OUT_CONFIG_MAP, LESSON_LABEL } from "../src/lessons/handOut";
import { isolationReport } from "../src/judgement/attacks/attackSuite";
import { writeHandOuts } from "../src/tooling/kubeconfigs";
import type { Plan } from "../src/judgement/plan/plan";
import { validatePlan } from "../src/judgement/checks/validatePlan";
import { EKS_RAW, planIndex, settingsFor } from "./helpers";

const RAW = { ...EKS_RAW, attendees: ["ana", "ben"] };
const inNs = (plan: Plan, ns: string, kind: string) => plan.resources.filter((r) => (r.inputs as any).kind === kind && (r.inputs as any).metadata?.namespace === ns).map((r) => r.inputs as any);

describe("hands-on mode", () => {
    let handsOn: Plan;
    let installed: Plan;
    before(async () => {
        handsOn = await planIndex({ ...RAW, apps: { handsOn: true } });
        installed = await planIndex(RAW);
    });

    it("installs the workloads and Services, and no routing object: the attendee applies those", () => {
        for (const kind of ["VirtualService", "DestinationRule"]) {
            assert.equal(inNs(handsOn, "ana", kind).length, 0, kind);
            assert.ok(inNs(installed, "ana", kind).length > 0, kind);
        }
        assert.deepEqual(inNs(handsOn, "ana", "Deployment").map((d) => d.metadata.name), inNs(installed, "ana", "Deployment").map((d) => d.metadata.name));
        assert.deepEqual(validatePlan(handsOn), []);
    });

    it("hands out every stage of every lesson, with the steps that remove the previous stage and apply the next", () => {
        const [cm] = inNs(handsOn, "ana", "ConfigMap").filter((c) => c.metadata.name === HAND_OUT_CONFIG_MAP);
        const files = Object.keys(cm.data);
        assert.ok(files.includes("bookinfo.03-all-v1.yaml") && files.includes("bookinfo.08-ratings-abort.yaml") && files.includes("helloworld.01-round-robin.yaml"));
        // The class's stage, as the attendee applies it, is what the stack would have installed.
        const applied = YAML.parseAllDocuments(cm.data["bookinfo.05-reviews-v1-v3.yaml"]).map((d) => d.toJS());
        const expected = [...inNs(installed, "ana", "DestinationRule"), ...inNs(installed, "ana", "VirtualService")].filter((o) => ["productpage", "details", "ratings", "reviews", "bookinfo-gateway"].includes(o.metadata.name));
        const strip = (o: any) => ({ kind: o.kind, name: o.metadata.name, spec: o.spec });
        assert.deepEqual(applied.map(strip).sort((a, b) => `${a.kind}${a.name}`.localeCompare(`${b.kind}${b.name}`)), expected.map(strip).sort((a, b) => `${a.kind}${a.name}`.localeCompare(`${b.kind}${b.name}`)));
        assert.ok(applied.every((o) => o.metadata.labels[LESSON_LABEL] === "bookinfo"));
        const steps: string = cm.data["steps.txt"];
        assert.match(steps, /kubectl delete virtualservices,destinationrules,authorizationpolicies,peerauthentications,requestauthentications,serviceentries,sidecars -l istio-workshop\/lesson=bookinfo; kubectl get configmap lesson-steps -o jsonpath='\{\.data\.bookinfo\\\.03-all-v1\\\.yaml\}' \| kubectl apply -f -/);
        assert.match(steps, /kubectl create job --from=cronjob\/verify-reviews-1 verify-reviews-1-\$id/);
    });

    it("the checks wait for the attendee: suspended CronJobs whose Job is the one the stack runs otherwise", () => {
        const cron = inNs(handsOn, "ana", "CronJob");
        const jobs = inNs(installed, "ana", "Job");
        assert.deepEqual(cron.map((c) => c.metadata.name).sort(), jobs.map((j) => j.metadata.name).sort());
        for (const c of cron) {
            assert.equal(c.spec.suspend, true);
            assert.equal(c.metadata.annotations, undefined, "not a hook: up does not wait for it");
            assert.deepEqual(c.spec.jobTemplate.spec, jobs.find((j) => j.metadata.name === c.metadata.name).spec, c.metadata.name);
        }
        assert.deepEqual(inNs(handsOn, "ana", "Job"), []);
    });

    it("every stage the attendee applies is admitted and fits the platform's root route; a hand-out that would not is named", () => {
        const report = isolationReport(handsOn);
        assert.deepEqual(report.problems, []);
        assert.ok(report.lessons > isolationReport(installed).lessons + 40, `${report.lessons} objects judged`);
        const broken: Plan = JSON.parse(JSON.stringify(handsOn));
        const cm = broken.resources.find((r) => (r.inputs as any).kind === "ConfigMap" && r.name === `lessons:ana/${HAND_OUT_CONFIG_MAP}`)!.inputs as any;
        cm.data["my-app.01-gateway.yaml"] = cm.data["my-app.01-gateway.yaml"].replaceAll("/ana/v1", "/ben/v1");
        assert.ok(validatePlan(broken).some((p) => /^DelegateRouteDropped: VirtualService ana\/my-app-gateway .* matches .*\/ben\/v1.* Istio drops the route$/.test(p)));
    });

    it("npm run kubeconfigs writes each attendee's hand-out beside their kubeconfig, the same files as the ConfigMap", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-handout-"));
        const folders = writeHandOuts(settingsFor({ ...RAW, apps: { handsOn: true } }), ["ana", "ben"], dir);
        assert.deepEqual(folders.map((f) => path.basename(f)), ["ana-lessons", "ben-lessons"]);
        const [cm] = inNs(handsOn, "ana", "ConfigMap").filter((c) => c.metadata.name === HAND_OUT_CONFIG_MAP);
        for (const [file, text] of Object.entries<string>(cm.data)) assert.equal(fs.readFileSync(path.join(folders[0], file), "utf8"), text, file);
        assert.deepEqual(writeHandOuts(settingsFor(RAW), ["ana"], dir), []);
    });
});
