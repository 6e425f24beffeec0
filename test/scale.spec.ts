/**
 * A classroom that scales: few Pulumi resources per attendee, proxies whose
 * configuration does not grow with the class, istiod sized for its proxies, the
 * limits of one cluster, and the model the bench prints.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CLUSTER_LIMITS, WORKSHOP_DAY_HOURS, awsQuotaNeeds, describeCapacity, maxAttendeesPerCluster, privateSubnetAddresses } from "../src/workshop/capacity";
import { criticalPath } from "../src/judgement/plan/criticalPath";
import { SettingsError } from "../src/settings/parse";
import { loadStackConfig } from "../src/settings/stackFile";
import { ISTIO_LOAD_TEST, istiodSizing, proxyModel, unscopedProxyMemoryMi } from "../src/mesh/meshScale";
import { workshopFrom } from "../src/workshop/resolve";
import type { Plan, PlannedResource } from "../src/judgement/plan/plan";
import { writePlanJson } from "../src/judgement/plan/recorder";
import { STATE_OVERHEAD_BYTES, recommendation, resourceStateBytes, upModel } from "../src/judgement/plan/upModel";
import { diffPlans } from "../src/judgement/plan/planDiff";
import { EKS_RAW, planIndex, settingsFor } from "./helpers";
import { lessonServices } from "../src/workshop/lessons";
import { resolveScenarios } from "../src/lessons/resolve";

const PINNED = { cluster: { ...EKS_RAW.cluster, nodeGroup: { instanceType: "m6i.xlarge", desiredSize: 3, maxSize: 4 } } };
const pulumiResources = (plan: Plan) => plan.resources.filter((r) => !r.renderedBy).length;

describe("scale: Pulumi resources per attendee", () => {
    it("adds at most 8 Pulumi resources per attendee, whatever the class size", async () => {
        const counts = await Promise.all([0, 1, 5].map(async (n) => pulumiResources(await planIndex({ ...PINNED, attendees: n }))));
        const perAttendee = [(counts[1] - counts[0]) / 1, (counts[2] - counts[0]) / 5];
        assert.ok(perAttendee.every((p) => p <= 8), `per attendee: ${perAttendee.join(", ")}`);
        assert.equal(perAttendee[0], perAttendee[1], "the same for every attendee");
    });

    it("gives each attendee one lessons release that carries every object of their namespace, its Sidecar among them", async () => {
        const plan = await planIndex({ ...PINNED, attendees: ["ana", "ben"] });
        const releases = plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any).chart === "./charts/lessons");
        assert.deepEqual(releases.map((r) => (r.inputs as any).namespace).sort(), ["ana", "ben"]);
        for (const rel of releases) {
            const ns = (rel.inputs as any).namespace;
            const objects = plan.resources.filter((r) => r.renderedBy === rel.urn).map((r) => r.inputs as any);
            assert.ok(objects.every((o) => o.metadata.namespace === ns), "nothing outside the namespace");
            assert.deepEqual(objects.filter((o) => o.kind === "Sidecar").map((o) => o.spec), [{ egress: [{ hosts: ["./*", "istio-system/*", "istio-ingress/*"] }] }]);
            for (const kind of ["ResourceQuota", "LimitRange", "Role", "RoleBinding", "NetworkPolicy", "AuthorizationPolicy", "Deployment", "Job"]) assert.ok(objects.some((o) => o.kind === kind), `${ns}: ${kind}`);
        }
    });

    it("removing one attendee changes only that attendee's resources and objects", async () => {
        const abc = await planIndex({ ...PINNED, attendees: ["a", "b", "c"] });
        const ac = await planIndex({ ...PINNED, attendees: ["a", "c"] });
        const diff = diffPlans(abc, ac);
        assert.deepEqual(diff.added, []);
        const touched = (urn: string) => abc.resources.find((r) => r.urn === urn)!;
        for (const urn of diff.removed) {
            const r = touched(urn);
            assert.ok(r.name.startsWith("classroom-b") || r.name.startsWith("lessons:b/"), r.name);
        }
        assert.deepEqual(
            diff.changed.map((c) => c.urn.split("::").pop()),
            [],
            "nothing else changes (capacity is pinned)",
        );
    });
});

describe("scale: proxies and istiod", () => {
    it("a proxy's configuration and resources do not depend on the number of attendees", () => {
        const sizes = [0, 10, 300].map((n) => workshopFrom(settingsFor({ ...EKS_RAW, attendees: n })).lessons.mesh.proxy);
        assert.deepEqual(sizes[1], sizes[0]);
        assert.deepEqual(sizes[2], sizes[0]);
        assert.deepEqual(sizes[0].resources, { requests: { cpu: "10m", memory: "48Mi" }, limits: { cpu: "500m", memory: "128Mi" } });
        assert.equal(sizes[0].visibleServices, 16);
        // Without the Sidecar, a proxy would know every attendee's Services.
        const s = settingsFor({ ...EKS_RAW, attendees: 300 });
        const services = lessonServices(resolveScenarios(s.apps));
        assert.ok(unscopedProxyMemoryMi(s, services, 300) > 4 * proxyModel(s, services).memoryMi);
    });

    it("sizes istiod on Istio's load test: one replica per 2000 proxies, its share of 1 vCPU and 1.5 GB", () => {
        // In steps of 250 proxies: 30 connected proxies are sized as 250.
        assert.deepEqual(istiodSizing(30), { replicas: 1, proxiesPerReplica: 250, resources: { requests: { cpu: "150m", memory: "256Mi" }, limits: { memory: "1024Mi" } } });
        assert.deepEqual(istiodSizing(ISTIO_LOAD_TEST.proxies), { replicas: 1, proxiesPerReplica: 2000, resources: { requests: { cpu: "1000m", memory: "1536Mi" }, limits: { memory: "3072Mi" } } });
        assert.equal(istiodSizing(8701).replicas, 5);
        const plan300 = workshopFrom(settingsFor({ ...EKS_RAW, attendees: 300 }));
        assert.equal(plan300.lessons.mesh.istiod.replicas, Math.ceil((plan300.capacity.perNamespace.pods * 300 + 1) / 2000));
    });

    it("knows where one cluster ends, and refuses past it, naming the quota and the VPC's addresses", () => {
        assert.equal(CLUSTER_LIMITS.nodesPerManagedNodeGroup, 450);
        // nodes = ceil(n / 2): the group's maximum (desired + 25 %) stays within 450 up to 720.
        assert.equal(maxAttendeesPerCluster((n) => Math.ceil(n / 2)), 720);
        const onXlarge = (attendees: number, cluster: Record<string, unknown> = {}) =>
            workshopFrom(settingsFor({ cluster: { ...EKS_RAW.cluster, nodeGroup: { instanceType: "m6i.xlarge" }, ...cluster }, attendees }));
        // m6i.xlarge nodes (each also running the CNI plugin's pod) hold all but the last few of the 1000 attendees
        // the settings allow: the refusal names how many, and that many fit while one more does not.
        const most = Number(/split the class into stacks of at most (\d+) attendees/.exec((() => {
            try {
                onXlarge(1000);
                return "";
            } catch (e) {
                return (e as Error).message;
            }
        })())?.[1]);
        assert.ok(most > 900 && most < 1000, String(most));
        assert.equal(onXlarge(most).lessons.attendees.length, most);
        assert.throws(() => onXlarge(most + 1), /one managed node group holds at most 450 nodes/);
        // m6i.large ones, in a /17, hold far fewer.
        assert.throws(
            () => onXlarge(1000, { nodeGroup: { instanceType: "m6i.large" }, vpcCidr: "10.0.0.0/17" }),
            (e: Error) =>
                e instanceof SettingsError &&
                /attendees: 1000 attendees need a node group of up to \d+ × m6i\.large .*one managed node group holds at most 450 nodes \(an EKS quota\): split the class into stacks of at most \d+ attendees/.test(e.message) &&
                /cluster\.vpcCidr: \d+ pods on up to \d+ × m6i\.large take \d+ VPC addresses .* hold 16374/.test(e.message),
        );
        assert.equal(onXlarge(300).lessons.attendees.length, 300);
        // 300 attendees fit the node group, not a /20 VPC's private subnets (two /22: 2 × 1019 addresses).
        assert.throws(() => onXlarge(300, { vpcCidr: "10.0.0.0/20" }), /cluster\.vpcCidr: \d+ pods .* the private subnets of 10\.0\.0\.0\/20 over 2 zones hold 2038/);
    });

    it("counts the private subnets' addresses as awsx's Auto layout cuts them", () => {
        // /16 over 2 zones: a /17 per zone, a /18 private subnet each; over 3 zones: /18 per zone (rounded up), /19 private.
        assert.equal(privateSubnetAddresses("10.0.0.0/16", 2), 2 * (2 ** 14 - 5));
        assert.equal(privateSubnetAddresses("10.0.0.0/16", 3), 3 * (2 ** 13 - 5));
        assert.equal(privateSubnetAddresses("10.0.0.0/20", 4), 4 * (2 ** 9 - 5));
    });

    it("refuses an instance type the capacity table does not know, unless the node group is pinned", () => {
        const unknown = (nodeGroup: Record<string, unknown>) => workshopFrom(settingsFor({ cluster: { ...EKS_RAW.cluster, nodeGroup: { instanceType: "c7g.16xlarge", ...nodeGroup } }, attendees: 300 }));
        assert.throws(() => unknown({}), /cluster\.nodeGroup\.instanceType: "c7g\.16xlarge" is not in the capacity table \(src\/workshop\/capacity\.ts: t3\.large, .*\), so .* pin cluster\.nodeGroup\.desiredSize and maxSize yourself/);
        assert.equal(unknown({ desiredSize: 20, maxSize: 30 }).settings.cluster.nodeGroup.desiredSize, 20);
    });
});

describe("scale: the model of an up", () => {
    const res = (name: string, inputs: Record<string, unknown>, extra: Partial<PlannedResource> = {}): PlannedResource => ({
        urn: `urn:${name}`,
        type: "kubernetes:core/v1:ConfigMap",
        name,
        parent: null,
        custom: true,
        provider: null,
        dependsOn: [],
        inputs,
        ...extra,
    });

    it("counts each resource's state and the snapshots a self-managed backend writes, exactly as stated", () => {
        const a = res("a", { x: 1 }); // {"x":1}: 7 bytes
        const b = res("b", { y: "abc" }); // {"y":"abc"}: 11 bytes
        const plan: Plan = { project: "p", stack: "s", resources: [a, b], outputs: {} };
        const sizes = resourceStateBytes(plan);
        assert.deepEqual(sizes, [STATE_OVERHEAD_BYTES + 14, STATE_OVERHEAD_BYTES + 22]);
        const m = upModel(plan, 1, 0);
        // a: writes 0 then s1; b: writes s1 then s1+s2.
        assert.equal(m.checkpointBytes.selfManaged, sizes[0] + sizes[0] + (sizes[0] + sizes[1]));
        assert.equal(m.checkpointBytes.skipCheckpoints, sizes[0] + sizes[1]);
        assert.equal(m.snapshotWrites, 4);
    });

    it("counts pods, proxies, pulls and pushes of a plan, and recommends what pays", async () => {
        const plan = await planIndex({ ...PINNED, attendees: ["ana", "ben"] });
        const m = upModel(plan, 3, 1);
        const ana = plan.resources.filter((r) => (r.inputs as any).metadata?.namespace === "ana" && ["Deployment", "Job"].includes((r.inputs as any).kind));
        const anaPods = ana.reduce((n, r) => n + ((r.inputs as any).kind === "Job" ? 1 : ((r.inputs as any).spec.replicas ?? 1)), 0);
        assert.equal(m.proxies, 2 * anaPods + 1, "both attendees' pods and the gateway");
        assert.ok(m.pushes.scoped < m.pushes.unscoped);
        assert.ok(m.imagePulls <= m.distinctImages.length * 3);
        assert.equal(recommendation(m, 2, 694), "a self-managed backend is fine");
        assert.match(recommendation({ ...m, checkpointBytes: { selfManaged: 5 * 1024 ** 3, journaled: 10 * 1024 ** 2, skipCheckpoints: 5 * 1024 ** 2 } }, 1000, 694), /^split the class: one cluster holds 694 attendees, so 2 stacks; checkpoints write 5\.0 GB: use Pulumi Cloud/);
    });

    it("writes a plan's JSON as JSON.stringify would, without building it in one string", async () => {
        const plan = await planIndex({ ...PINNED, attendees: ["ana"] });
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "iw-json-")), "plan.json");
        writePlanJson(file, plan);
        assert.equal(fs.readFileSync(file, "utf8"), `${JSON.stringify(plan, null, 2)}\n`);
        writePlanJson(file, { ...plan, resources: [] });
        assert.equal(fs.readFileSync(file, "utf8"), `${JSON.stringify({ ...plan, resources: [] }, null, 2)}\n`);
    });
});

describe("scale: the AWS quotas a stack draws on", () => {
    it("counts vCPUs at the node group's largest size (on-demand or spot), Elastic IPs and NAT gateways per NAT, one load balancer, the network interfaces; none off EKS", () => {
        const needs = (raw: Record<string, unknown>) => {
            const s = settingsFor(raw);
            return awsQuotaNeeds(s, workshopFrom(s).capacity);
        };
        // 2 t3.large nodes, at most 3: 6 vCPUs; each node up to 3 interfaces (35 pods, 12 addresses each), the NAT gateway's, the load balancer's in each of 2 zones.
        assert.equal(needs(EKS_RAW), "AWS quotas it needs in the Region: 6 vCPUs of On-Demand Standard instances (3 × t3.large at the node group's largest size), 1 Elastic IP, 1 Network Load Balancer, up to 12 network interfaces, 1 VPC, 1 NAT gateway (docs/operations.md, \"AWS quotas\")");
        // 20 attendees on spot, a NAT gateway in each of 3 zones: 14 nodes, at most 18: 36 vCPUs of spot, 18 × 3 + 3 + 3 interfaces.
        const spot = needs({ ...EKS_RAW, attendees: 20, cluster: { ...EKS_RAW.cluster, natGateways: "onePerAz", availabilityZones: 3, nodeGroup: { capacityType: "spot" } } });
        assert.match(spot!, /^AWS quotas it needs in the Region: 36 vCPUs of Spot Instance requests \(18 × t3\.large .*\), 3 Elastic IPs, 1 Network Load Balancer, up to 60 network interfaces, 1 VPC, 3 NAT gateways/);
        assert.equal(needs({ cluster: { mode: "existing", context: "kind-istio-workshop" } }), undefined);
    });
});

describe("scale: docs/operations.md's figures for the shipped workshop", () => {
    it("the workshop stack's node count and AWS quota line are the plan's own", async function () {
        this.timeout(300_000);
        const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "operations.md"), "utf8");
        const raw = Object.fromEntries(Object.entries(loadStackConfig(path.join(__dirname, ".."), "workshop").config).map(([k, v]) => [k.replace(/^istio-workshop:/, ""), JSON.parse(v)]));
        const s = settingsFor(raw, "workshop");
        const w = workshopFrom(s);
        assert.match(doc, new RegExp(`m6i\\.xlarge on-demand nodes sized from the attendees \\(${w.capacity.nodes}\\)`));
        assert.ok(doc.includes(awsQuotaNeeds(s, w.capacity)!.replace(/ \(docs\/operations\.md, "AWS quotas"\)$/, "")), awsQuotaNeeds(s, w.capacity));
        // "How long it takes" and a day's cost: the workshop plan's critical path and its 8-hour day.
        const cp = criticalPath(await planIndex(raw, "workshop"));
        assert.ok(doc.includes(`${Math.floor(cp.seconds / 60)} min ${cp.seconds % 60} s for the shipped \`workshop\``), `critical path ${cp.seconds} s`);
        assert.ok(doc.includes(`(for \`workshop\`: $${(w.capacity.cost!.perHour * WORKSHOP_DAY_HOURS).toFixed(2)})`), "the day's cost");
    });
});

describe("scale: docs/classroom.md's sizing example", () => {
    it("is the shipped workshop's plan, line for line", () => {
        const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "classroom.md"), "utf8");
        const raw = Object.fromEntries(Object.entries(loadStackConfig(path.join(__dirname, ".."), "workshop").config).map(([k, v]) => [k.replace(/^istio-workshop:/, ""), JSON.parse(v)]));
        const s = settingsFor(raw, "workshop");
        const w = workshopFrom(s);
        for (const line of [...describeCapacity(w.capacity), awsQuotaNeeds(s, w.capacity)!]) assert.ok(doc.includes(`  ${line}\n`), line);
    });
});
