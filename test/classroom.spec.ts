import { strict as assert } from "assert";
import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ATTENDEE_RULES, ISTIO_OBJECT_QUOTA, OBJECT_QUOTA, attendeeAccess, istioQuotaSpec, attendeeKubeconfig, limitRangeSpec, quotaSpec } from "../src/classroom/attendeeSpec";
import { allocatable, INSTANCE_TYPES, meshPerNode, namespaceDemand, nodeGroupSizes, nodesFor, podCeiling } from "../src/workshop/capacity";
import { attendeeIds } from "../src/settings/schema";
import { RESERVED_NAMESPACES } from "../src/settings/classroom";
import { EXTERNAL_NAMESPACE } from "../src/model/platform";
import { proxyModel } from "../src/mesh/meshScale";
import { workshopFrom } from "../src/workshop/resolve";
import { endpointFromKubeconfig } from "../src/cluster/clusterSpec";
import { SCENARIOS, atStage, gatewayPlacement, lessonKeys } from "../src/lessons/resolve";
import { buildScenario, namespaceManifests } from "../src/lessons/build";
import { LESSONS_HISTORY } from "../src/lessons/delivery";
import { planObjects } from "../src/judgement/checks/clusterChecks";
import { handOutKubeconfigs, mintToken, tokenExpiry, writeKubeconfigs } from "../src/tooling/kubeconfigs";
import { criticalPath } from "../src/judgement/plan/criticalPath";
import { diffPlans } from "../src/judgement/plan/planDiff";
import type { Plan } from "../src/judgement/plan/plan";
import { AMBIENT_RAW, EKS_RAW, planIndex, settingsFor } from "./helpers";
import { istioCrds, needUpstream } from "./upstream";
import { parseWaitFor, waitForExpressions, waitMet } from "../src/judgement/cluster/waitFor";
import { resolveScenarios } from "../src/lessons/resolve";
import { lessonServices } from "../src/workshop/lessons";

const PINNED = { cluster: { ...EKS_RAW.cluster, nodeGroup: { instanceType: "m6i.xlarge", minSize: 3, desiredSize: 3, maxSize: 6 } } };
const ofType = (plan: Plan, suffix: string) => plan.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type.endsWith(suffix));

describe("classroom: attendees", () => {
    it("turns a count into stable ids and keeps lists as given", () => {
        assert.deepEqual(attendeeIds(3), ["attendee-01", "attendee-02", "attendee-03"]);
        assert.deepEqual(attendeeIds(101).slice(98), ["attendee-99", "attendee-100", "attendee-101"]);
        assert.deepEqual(attendeeIds(["ana", "ben"]), ["ana", "ben"]);
        assert.deepEqual(attendeeIds(0), []);
    });

    it("refuses attendee ids that would take a system or shared namespace", () => {
        assert.throws(
            () => settingsFor({ ...EKS_RAW, attendees: ["ana", "kube-system", "istio-x", "demo"] }),
            /attendees\[1\]: names a namespace the stack or Kubernetes already uses \(default, demo, workshop-external, kube-\*, istio-\*, apps\.namespace\), got "kube-system"\n - attendees\[2\]: .*"istio-x"\n - attendees\[3\]: .*"demo"/,
        );
        assert.ok(RESERVED_NAMESPACES.includes(EXTERNAL_NAMESPACE));
    });

    it("refuses attendee ids that are top-level domains or special-use names (cluster DNS would answer github.<id> from the attendee's Service), and add-ons' namespaces", () => {
        assert.throws(
            () => settingsFor({ ...EKS_RAW, attendees: ["ana", "com", "bo", "local", "cert-manager", "amazon-cloudwatch"] }),
            /attendees\[1\]: is a top-level domain or special-use name: cluster DNS answers a pod's lookup of <name>\.com \(say github\.com\) with Service <name> of namespace com.*got "com"\n - attendees\[2\]: is a top-level domain.*got "bo"\n - attendees\[3\]: is a top-level domain.*got "local"\n - attendees\[4\]: names the namespace a well-known add-on installs into .*got "cert-manager"\n - attendees\[5\]: .*got "amazon-cloudwatch"/,
        );
        // Counted ids (attendee-01…) and the first names the docs use are fine.
        assert.deepEqual(settingsFor({ ...EKS_RAW, attendees: ["ana", "ben", "cyd", "di", "chen"] }).attendees, ["ana", "ben", "cyd", "di", "chen"]);
    });

    it("a 30-attendee stack plans 30 isolated namespaces, each with quota, RBAC, isolation, route and kubeconfig access, and no stored token", async () => {
        const plan = await planIndex({ ...PINNED, attendees: 30 });
        const namespaces = ofType(plan, ":Namespace").map((n) => (n.inputs as any).metadata.name).filter((n: string) => n.startsWith("attendee-"));
        assert.equal(new Set(namespaces).size, 30);
        const inAttendeeNs = (kind: string) => ofType(plan, kind).filter((r) => String((r.inputs as any).metadata?.namespace).startsWith("attendee-"));
        for (const kind of [":LimitRange", ":Role", ":RoleBinding", ":NetworkPolicy", ":AuthorizationPolicy"]) {
            assert.equal(inAttendeeNs(kind).length, 30, kind);
        }
        // Two quotas each: pods, resources and core kinds in the release; Istio's kinds made before it (a resource of its own).
        assert.deepEqual(
            [...new Set(inAttendeeNs(":ResourceQuota").map((r) => `${(r.inputs as any).metadata.name} ${r.renderedBy ? "in the release" : "a resource"}`))].sort(),
            ["attendee-istio-quota a resource", "attendee-quota in the release"],
        );
        assert.equal(inAttendeeNs(":ResourceQuota").length, 60);
        for (const q of inAttendeeNs(":ResourceQuota").filter((r) => !r.renderedBy)) {
            const release = plan.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && (r.inputs as any).namespace === (q.inputs as any).metadata.namespace)!;
            assert.ok(release.dependsOn.includes(q.urn), `${release.name} waits for ${q.name}`);
        }
        // No long-lived token: no Secret at all in an attendee namespace, and none read back.
        assert.deepEqual(inAttendeeNs(":Secret"), []);
        assert.ok(!plan.resources.some((r) => r.name.endsWith("-token-read")));
        const attendeeAccounts = inAttendeeNs(":ServiceAccount").filter((r) => (r.inputs as any).metadata.name === "attendee");
        assert.equal(attendeeAccounts.length, 30);
        assert.deepEqual(ofType(plan, ":ClusterRoleBinding").map((r) => r.name), ["addons-kiali-viewer-binding"], "no attendee binding is cluster-wide");
        for (const b of ofType(plan, ":RoleBinding")) {
            const rb = b.inputs as any;
            assert.deepEqual(rb.roleRef.kind, "Role");
            assert.deepEqual(rb.subjects, [{ kind: "ServiceAccount", name: "attendee", namespace: rb.metadata.namespace }]);
        }
        // One platform-owned root per attendee on the gateway, each under its own prefix, handing over only to that attendee's delegates.
        // (Besides the exposed UIs' routes, the platform's own in istio-system: Kiali, for a class by default.)
        assert.deepEqual(ofType(plan, ":VirtualService").filter((v) => (v.inputs as any).metadata.namespace === "istio-system").map((v) => (v.inputs as any).spec.http.map((h: any) => h.name)), [["ui-https-only", "kiali"]]);
        const roots = ofType(plan, ":VirtualService").filter((v) => (v.inputs as any).spec.gateways && (v.inputs as any).metadata.namespace !== "istio-system");
        assert.ok(roots.every((v) => (v.inputs as any).metadata.namespace === "istio-ingress"));
        const rootPrefixes = roots.map((v) => {
            const spec = (v.inputs as any).spec;
            const delegates = new Set(spec.http.map((h: any) => h.delegate.namespace));
            assert.equal(delegates.size, 1, `${v.name} hands over to one namespace`);
            const [ns] = delegates;
            // Every path of the root lies under the attendee's own prefix.
            const paths = spec.http.flatMap((h: any) => h.match.map((m: any) => m.uri.prefix ?? m.uri.exact));
            assert.ok(paths.length > 0 && paths.every((p: string) => p.startsWith(`/${ns}/`)), `${v.name}: ${paths.join(", ")}`);
            return `/${ns}/`;
        });
        assert.equal(new Set(rootPrefixes).size, 30, "no two attendees share a gateway path");
        const delegatePaths = ofType(plan, ":VirtualService")
            .filter((v) => (v.inputs as any).metadata.namespace === "attendee-07" && !(v.inputs as any).spec.hosts)
            .flatMap((v) => (v.inputs as any).spec.http.map((h: any) => h.match[0].uri.prefix ?? h.match[0].uri.exact));
        assert.ok(delegatePaths.includes("/attendee-07/productpage"));
        // What a kubeconfig needs besides a token: unknown until the cluster exists (see the existing-cluster test below).
        assert.equal(plan.outputs.attendeeAccess, "[unknown]");
        assert.equal(Object.keys(plan.outputs.attendeeEntries as object).length, 30);
    });

    it("on an existing cluster, exports each attendee's cluster, API server, CA, namespace and ServiceAccount (no token)", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-kube-"));
        const file = path.join(dir, "config");
        fs.writeFileSync(
            file,
            JSON.stringify({
                "current-context": "kind-ws",
                contexts: [{ name: "kind-ws", context: { cluster: "kind-ws" } }],
                clusters: [{ name: "kind-ws", cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": "AAA" } }],
            }),
        );
        const local = await planIndex({ cluster: { mode: "existing", kubeconfig: file, context: "kind-ws" }, attendees: ["ana"] });
        assert.deepEqual(local.outputs.attendeeAccess, {
            ana: { cluster: "kind-ws", server: "https://127.0.0.1:6443", certificateAuthorityData: "AAA", namespace: "ana", serviceAccount: "attendee" },
        });
    });

    it("removing attendee b changes only b's resources", async () => {
        const abc = await planIndex({ ...PINNED, attendees: ["a", "b", "c"] });
        const ac = await planIndex({ ...PINNED, attendees: ["a", "c"] });
        const diff = diffPlans(abc, ac);
        assert.deepEqual(diff.added, []);
        assert.deepEqual(diff.changed, []);
        assert.ok(diff.removed.length > 20);
        for (const urn of diff.removed) assert.match(urn.split("::").pop()!, /^classroom-b(-|$)|:b\//, urn);
    });

    it("with derived sizing, a new attendee changes at most the node group's size besides its own resources", async () => {
        const few = await planIndex({ ...EKS_RAW, attendees: ["a", "c"] });
        const more = await planIndex({ ...EKS_RAW, attendees: ["a", "b", "c"] });
        const diff = diffPlans(few, more);
        assert.deepEqual(diff.removed, []);
        assert.ok(diff.added.length > 20 && diff.added.every((u) => /classroom-b(-|$)|:b\//.test(u)), "only b's resources are added");
        for (const c of diff.changed) {
            assert.match(c.urn, /ManagedNodeGroup::workshop-nodes$/);
            for (const ch of c.changes) assert.match(ch.path, /^inputs\.scalingConfig\./);
        }
    });

    it("property: any valid attendee list yields unique namespaces, routes and resource names", async () => {
        // Valid as the settings define it (reserved namespaces, add-ons' namespaces, top-level domains, addon paths).
        const accepted = (s: string) => {
            try {
                settingsFor({ ...EKS_RAW, attendees: [s] });
                return true;
            } catch {
                return false;
            }
        };
        const id = fc.stringMatching(/^[a-z]([a-z0-9-]{0,10}[a-z0-9])?$/).filter(accepted);
        await fc.assert(
            fc.asyncProperty(fc.uniqueArray(id, { minLength: 1, maxLength: 4 }), async (ids) => {
                const placements = ids.map((i) => gatewayPlacement(i, undefined).prefix);
                assert.equal(new Set(placements).size, ids.length);
                const plan = await planIndex({ ...PINNED, attendees: ids, apps: { bookinfo: false, helloworld: false } });
                const urns = plan.resources.map((r) => r.urn);
                assert.equal(new Set(urns).size, urns.length, "unique URNs");
                const namespaces = ofType(plan, ":Namespace").map((n) => (n.inputs as any).metadata.name);
                assert.equal(new Set(namespaces).size, namespaces.length);
                for (const i of ids) assert.ok(namespaces.includes(i));
            }),
            { numRuns: 12 },
        );
    });
});

describe("classroom: per-attendee objects (pure)", () => {
    it("grants only namespaced rights, never Secrets or RBAC", () => {
        const resources = ATTENDEE_RULES.flatMap((r) => r.resources as string[]);
        for (const forbidden of ["secrets", "roles", "rolebindings", "resourcequotas/status"]) assert.ok(!resources.includes(forbidden), forbidden);
        const writes = ATTENDEE_RULES.filter((r) => (r.verbs as string[]).includes("update")).flatMap((r) => r.resources as string[]);
        assert.ok(!writes.includes("resourcequotas") && !writes.includes("limitranges"));
    });

    it("sizes the quota from the namespace's own pods with headroom", () => {
        const settings = settingsFor(EKS_RAW);
        // 19 workload pods and one verification pod at a time (Helm runs the hooks one after another; a finished pod
        // counts in no quota), each with a sidecar of the proxy model (48Mi request, 128Mi limit).
        const lessons = resolveScenarios(settings.apps);
        const demand = namespaceDemand(lessons, settings.apps, proxyModel(settings, lessonServices(lessons)).resources);
        assert.deepEqual(demand, { pods: 20, cpuMilli: 870, memoryMi: 2704, memoryLimitMi: 9536 });
        assert.deepEqual(quotaSpec("a", demand).spec, {
            hard: {
                pods: "30",
                "requests.cpu": "1400m",
                "requests.memory": "4096Mi",
                "limits.memory": "14336Mi",
                services: "30",
                "services.loadbalancers": "0",
                "services.nodeports": "0",
                ...OBJECT_QUOTA,
            },
        });
        assert.deepEqual((limitRangeSpec("a").spec as any).limits[0].default, { memory: "256Mi" });
    });

    it("counts objects by kind, and holds the stack's own at the busiest stages, hands-on mode and Helm's history included", async function () {
        this.timeout(120_000);
        // The namespace's own objects outside the lessons release (quota, limits, roles, policies): from a plan.
        const plan = await planIndex({ ...EKS_RAW, attendees: ["ana"], istio: { egressGateway: true } });
        const count = (objects: readonly any[]) => {
            const c: Record<string, number> = {};
            for (const o of objects) c[o.kind] = (c[o.kind] ?? 0) + 1;
            return c;
        };
        const platform = count(planObjects(plan).filter((p) => p.o.metadata?.namespace === "ana" && !p.r.renderedBy).map((p) => p.o));
        // Each lesson at its busiest stage, organiser's and hands-on mode alike (the lessons add up: an upper bound).
        const busiest: Record<string, number> = { ...platform };
        // A sidecar classroom's lessons (an ambient classroom's, the ambient lesson or bookinfo's ambient form, are fewer).
        for (const key of lessonKeys("sidecar")) {
            const lesson = SCENARIOS[key]({ rate: 1 });
            const most: Record<string, number> = {};
            for (const st of lesson.stages ?? []) {
                for (const handsOn of [false, true]) {
                    const c = count(namespaceManifests([buildScenario(atStage(lesson, st.name), { namespace: "ana", verify: true, requests: 100, rate: 1, handsOn })], "ana"));
                    // Hands-on: the attendee starts a Job from each suspended CronJob.
                    if (handsOn) c.Job = (c.Job ?? 0) + (c.CronJob ?? 0);
                    for (const [k, n] of Object.entries(c)) most[k] = Math.max(most[k] ?? 0, n);
                }
            }
            for (const [k, n] of Object.entries(most)) busiest[k] = (busiest[k] ?? 0) + n;
        }
        busiest.Secret = (busiest.Secret ?? 0) + LESSONS_HISTORY;
        const quotaKey: Record<string, string> = {
            ConfigMap: "count/configmaps", Secret: "count/secrets", ServiceAccount: "count/serviceaccounts", Service: "services", Deployment: "count/deployments.apps",
            Job: "count/jobs.batch", CronJob: "count/cronjobs.batch",
        };
        const istio = ["VirtualService", "DestinationRule", "ServiceEntry", "Sidecar", "EnvoyFilter", "AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication", "Telemetry", "Gateway", "WorkloadEntry"];
        const plural = (k: string) => (/[^aeiou]y$/.test(k) ? `${k.slice(0, -1)}ies` : `${k}s`).toLowerCase();
        for (const k of istio) quotaKey[k] = Object.keys(ISTIO_OBJECT_QUOTA).find((q) => q.startsWith(`count/${plural(k)}.`))!;
        assert.ok(istio.every((k) => quotaKey[k] !== undefined), JSON.stringify(quotaKey));
        const hard = { ...(quotaSpec("ana", { pods: 1, cpuMilli: 1, memoryMi: 1, memoryLimitMi: 1 }).spec as any).hard, ...(istioQuotaSpec("ana").spec as any).hard };
        const over = Object.entries(busiest).filter(([k, n]) => quotaKey[k] !== undefined && n > Number(hard[quotaKey[k]])).map(([k, n]) => `${k} ${n} > ${hard[quotaKey[k]]}`);
        assert.deepEqual(over, []);
        // Every kind an attendee may create is counted, Istio's included.
        const uncounted = Object.keys(busiest).filter((k) => quotaKey[k] === undefined && !["Namespace", "ResourceQuota", "LimitRange", "Role", "RoleBinding", "NetworkPolicy"].includes(k));
        assert.deepEqual(uncounted, []);
        assert.ok(busiest.Job >= 15 && busiest.CronJob >= 15 && busiest.Secret >= LESSONS_HISTORY, JSON.stringify(busiest));
    });

    it("counts every Istio kind an attendee may write (Istio's CRDs at the pinned version), before the release, waiting until the quota is measured", function () {
        needUpstream(this);
        const groups = ATTENDEE_RULES.filter((r) => (r.resources as string[]).includes("*")).flatMap((r) => r.apiGroups as string[]);
        const writable = istioCrds().filter((c) => groups.includes(c.spec.group)).map((c) => `count/${c.spec.names.plural}.${c.spec.group}`);
        assert.deepEqual(writable.filter((k) => ISTIO_OBJECT_QUOTA[k] === undefined), []);
        assert.deepEqual(Object.keys(ISTIO_OBJECT_QUOTA).filter((k) => !writable.includes(k)), []);
        const q = istioQuotaSpec("ana") as any;
        const waits = waitForExpressions(q.metadata.annotations["pulumi.com/waitFor"]);
        assert.deepEqual(waits[0], "jsonpath={.status.used['count/virtualservices.networking.istio.io']}");
        assert.equal(waits.length, writable.length);
        // Each as the provider reads it: unmet while the controller has not measured the count, met once it has (at 0).
        const measured = { status: { used: Object.fromEntries(writable.map((k) => [k, "0"])) } };
        for (const w of waits.map(parseWaitFor)) {
            assert.ok(!("condition" in w) && !waitMet(w, { status: { used: { "count/configmaps": "1" } } }) && waitMet(w, measured), JSON.stringify(w));
        }
    });

    it("writes a kubeconfig for a token of the attendee's ServiceAccount, defaulting to the attendee's namespace", () => {
        const access = attendeeAccess("ws", { server: "https://api.example", certificateAuthorityData: "Q0E=" }, "ana");
        assert.deepEqual(access, { cluster: "ws", server: "https://api.example", certificateAuthorityData: "Q0E=", namespace: "ana", serviceAccount: "attendee" });
        const k = JSON.parse(attendeeKubeconfig(access, "tok"));
        assert.deepEqual(k, {
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "ws", cluster: { server: "https://api.example", "certificate-authority-data": "Q0E=" } }],
            users: [{ name: "ana-attendee", user: { token: "tok" } }],
            contexts: [{ name: "ws-ana", context: { cluster: "ws", user: "ana-attendee", namespace: "ana" } }],
            "current-context": "ws-ana",
        });
    });

    it("reads the API server and CA from a kubeconfig, for a context or the current one", () => {
        const doc = {
            "current-context": "kind-ws",
            contexts: [
                { name: "kind-ws", context: { cluster: "kind-ws" } },
                { name: "other", context: { cluster: "c2" } },
            ],
            clusters: [
                { name: "kind-ws", cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": "AAA" } },
                { name: "c2", cluster: { server: "https://c2", "certificate-authority-data": "BBB" } },
            ],
        };
        assert.deepEqual(endpointFromKubeconfig(doc), { server: "https://127.0.0.1:6443", certificateAuthorityData: "AAA" });
        assert.deepEqual(endpointFromKubeconfig(doc, "other"), { server: "https://c2", certificateAuthorityData: "BBB" });
        assert.equal(endpointFromKubeconfig({}), undefined);
    });
});

describe("classroom: capacity and cost", () => {
    it("computes allocatable resources as the EKS AMI reserves them", () => {
        assert.deepEqual(allocatable(INSTANCE_TYPES["m6i.xlarge"]), { cpuMilli: 3920, memoryMi: 15391 });
        assert.deepEqual(allocatable(INSTANCE_TYPES["t3.large"]), { cpuMilli: 1930, memoryMi: 7452 });
    });

    it("table: nodes and cost per hour by attendee count (m6i.xlarge on demand, one NAT gateway)", () => {
        const table = [0, 1, 10, 30, 100].map((n) => {
            const e = workshopFrom(settingsFor({ cluster: { ...EKS_RAW.cluster, nodeGroup: { instanceType: "m6i.xlarge" } }, attendees: n })).capacity;
            return [n, e.demand.pods, e.nodes, e.cost?.perHour, e.cost?.perAttendeeHour];
        });
        assert.deepEqual(table, [
            // Each namespace counts one verification pod at a time: Helm runs the hooks one after another.
            [0, 28, 2, 0.5515, undefined],
            [1, 28, 2, 0.5515, 0.5515],
            [10, 208, 4, 0.9355, 0.0935],
            // Every node also runs the CNI plugin's pod (100m, 100Mi): from 30 attendees on, one more node than without it.
            [30, 608, 12, 2.4715, 0.0824],
            [100, 2009, 37, 7.2715, 0.0727], // a second istiod replica from about 2000 proxies on
        ]);
    });

    it("cost grows linearly: each attendee adds the same node share", () => {
        const perHour = (n: number) => workshopFrom(settingsFor({ cluster: { ...EKS_RAW.cluster, nodeGroup: { instanceType: "m6i.xlarge" } }, attendees: n })).capacity.cost!.perHour;
        const slope1 = (perHour(200) - perHour(100)) / 100;
        const slope2 = (perHour(300) - perHour(200)) / 100;
        assert.ok(Math.abs(slope1 - slope2) < 0.01, `${slope1} vs ${slope2}`);
    });

    it("suggests the cheapest instance type and honours price overrides", () => {
        const s = settingsFor({ ...EKS_RAW, attendees: 10, classroom: { pricing: { instances: { "t3.large": 0.5 } } } });
        const e = workshopFrom(s).capacity;
        assert.equal(e.instanceType, "t3.large");
        assert.equal(e.cost!.parts.nodes, Math.round(e.nodes * 0.5 * 10000) / 10000);
        assert.notEqual(e.suggestion.instanceType, "t3.large");
    });

    it("the provisioning critical path does not grow with the attendee count", async () => {
        const one = criticalPath(await planIndex({ ...PINNED, attendees: 1 }));
        const five = criticalPath(await planIndex({ ...PINNED, attendees: 5 }));
        assert.equal(five.seconds, one.seconds);
        assert.deepEqual(one.path.slice(0, 5), ["workshop-vpc", "workshop-eks", "workshop-node-template", "workshop-nodes", "workshop-k8s"]);
    });

    it("derives unpinned node-group sizes and keeps pinned ones", () => {
        assert.deepEqual(nodeGroupSizes({}, 6), { minSize: 6, desiredSize: 6, maxSize: 8 });
        assert.deepEqual(nodeGroupSizes({ maxSize: 4 }, 6), { minSize: 4, desiredSize: 4, maxSize: 4 });
        assert.deepEqual(nodeGroupSizes({ minSize: 2, desiredSize: 3, maxSize: 5 }, 9), { minSize: 2, desiredSize: 3, maxSize: 5 });
        assert.equal(nodesFor({ pods: 0, cpuMilli: 0, memoryMi: 0, memoryLimitMi: 0 }, INSTANCE_TYPES["t3.large"]), 2);
    });

    it("counts the mesh's pods on every node: the CNI plugin's, and in ambient mode ztunnel's too", () => {
        assert.deepEqual(meshPerNode({ dataplane: "sidecar" }), { pods: 1, cpuMilli: 100, memoryMi: 100, memoryLimitMi: 0 });
        assert.deepEqual(meshPerNode({ dataplane: "ambient" }), { pods: 2, cpuMilli: 300, memoryMi: 612, memoryLimitMi: 0 });
        // A demand that fills just under 4 m6i.xlarge nodes without the mesh's share needs a 5th with ztunnel's.
        const t = INSTANCE_TYPES["m6i.xlarge"];
        const fill = { pods: 40, cpuMilli: 4 * (allocatable(t).cpuMilli * 0.8 - 125 - 100) - 50, memoryMi: 1000, memoryLimitMi: 0 };
        assert.equal(nodesFor(fill, t, 2, meshPerNode({ dataplane: "sidecar" })), 4);
        assert.equal(nodesFor(fill, t, 2, meshPerNode({ dataplane: "ambient" })), 5);
        // The per-pod ceiling leaves room for them as well.
        assert.equal(podCeiling("m6i.xlarge", meshPerNode({ dataplane: "ambient" }))!.memoryMi < podCeiling("m6i.xlarge", meshPerNode({ dataplane: "sidecar" }))!.memoryMi, true);
        // An ambient stack counts no sidecar in a namespace's pods.
        const ambient = workshopFrom(settingsFor(AMBIENT_RAW)).lessons;
        assert.deepEqual(ambient.perNamespace, { pods: 0, cpuMilli: 0, memoryMi: 0, memoryLimitMi: 0 });
    });
});

describe("classroom: handing out kubeconfigs", () => {
    it("writes one owner-only file per attendee and refuses odd ids", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-kc-"));
        const files = writeKubeconfigs({ ana: '{"kind":"Config"}', ben: "{}" }, `${dir}/out`);
        assert.deepEqual(files.map((f) => path.basename(f)), ["ana.kubeconfig.json", "ben.kubeconfig.json"]);
        assert.equal(fs.statSync(files[0]).mode & 0o777, 0o600);
        assert.equal(fs.readFileSync(files[0], "utf8"), '{"kind":"Config"}\n');
        assert.throws(() => writeKubeconfigs({ "../x": "{}" }, `${dir}/out`), /unexpected attendee id/);
    });

    it("writes where git never picks the kubeconfigs up", () => {
        const ignored = fs.readFileSync(path.join(__dirname, "..", ".gitignore"), "utf8").split("\n");
        assert.ok(ignored.includes("kubeconfigs/"), "the default folder, kubeconfigs/<stack>/");
        assert.ok(ignored.includes("*.kubeconfig.json"), "a file written elsewhere in the project");
    });

    it("makes a file and its folder owner-only on a re-run too (an earlier world-readable copy included)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-kc-"));
        fs.mkdirSync(`${dir}/out`, { mode: 0o755 });
        fs.writeFileSync(`${dir}/out/ana.kubeconfig.json`, "old", { mode: 0o644 });
        fs.chmodSync(`${dir}/out/ana.kubeconfig.json`, 0o644);
        const [file] = writeKubeconfigs({ ana: "{}" }, `${dir}/out`);
        assert.equal(fs.statSync(file).mode & 0o777, 0o600);
        assert.equal(fs.statSync(`${dir}/out`).mode & 0o777, 0o700);
        assert.equal(fs.readFileSync(file, "utf8"), "{}\n");
    });

    it("refuses --revoke with --hours, and --attendee without --revoke, before reaching the CLI or the cluster", async () => {
        await assert.rejects(handOutKubeconfigs({ stack: "local", revoke: true, hours: "3" }), /^Error: --revoke ends access: it takes no --hours or --out$/);
        await assert.rejects(handOutKubeconfigs({ stack: "local", revoke: true, out: "x" }), /^Error: --revoke ends access: it takes no --hours or --out$/);
        await assert.rejects(handOutKubeconfigs({ stack: "local", attendee: "ana" }), /^Error: --attendee goes with --revoke \(kubeconfigs are written for every attendee\)$/);
    });

    it("leaves the mode of a folder of the user's own (--out to an existing folder) alone; the files are owner-only all the same", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-kc-"));
        fs.mkdirSync(`${dir}/mine`, { mode: 0o755 });
        fs.chmodSync(`${dir}/mine`, 0o755);
        const [file] = writeKubeconfigs({ ana: "{}" }, `${dir}/mine`, false);
        assert.equal(fs.statSync(`${dir}/mine`).mode & 0o777, 0o755);
        assert.equal(fs.statSync(file).mode & 0o777, 0o600);
        // A folder --out names that did not exist is the tool's own.
        writeKubeconfigs({ ana: "{}" }, `${dir}/new/deeper`, false);
        assert.equal(fs.statSync(`${dir}/new/deeper`).mode & 0o777, 0o700);
    });

    it("mints each token from the TokenRequest API with the stack's admin credentials and the expiry asked for", () => {
        // A stand-in kubectl on this machine (none is installed): it records its arguments and answers as `kubectl create token` does, with a JWT.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iw-kubectl-"));
        const exp = Math.floor(Date.parse("2026-11-23T08:00:00Z") / 1000);
        const jwt = ["e30", Buffer.from(JSON.stringify({ exp })).toString("base64url"), "sig"].join(".");
        const fake = path.join(dir, "kubectl");
        fs.writeFileSync(fake, `#!/bin/sh\necho "$@" > "${dir}/args"\necho ${jwt}\n`, { mode: 0o755 });
        const access = attendeeAccess("ws", { server: "https://api.example", certificateAuthorityData: "Q0E=" }, "ana");
        assert.equal(mintToken(fake, { kubeconfig: "/tmp/admin.json" }, access, 12), jwt);
        assert.equal(fs.readFileSync(`${dir}/args`, "utf8").trim(), "--kubeconfig /tmp/admin.json create token attendee --namespace ana --duration 12h");
        assert.deepEqual(tokenExpiry(jwt), new Date("2026-11-23T08:00:00Z"));
        mintToken(fake, { context: "kind-ws" }, access, 1);
        assert.equal(fs.readFileSync(`${dir}/args`, "utf8").trim(), "--context kind-ws create token attendee --namespace ana --duration 1h");
        fs.writeFileSync(fake, "#!/bin/sh\necho 'error: serviceaccounts \"attendee\" not found' >&2\nexit 1\n");
        assert.throws(() => mintToken(fake, {}, access, 1), /create token attendee --namespace ana --duration 1h failed: error: serviceaccounts "attendee" not found/);
        assert.throws(() => mintToken(path.join(dir, "missing"), {}, access, 1), /could not run .*install kubectl or set KUBECTL/);
    });

    it("refuses a token lifetime EKS would not issue, naming the key", () => {
        assert.throws(() => settingsFor({ ...EKS_RAW, classroom: { tokenHours: 48 } }), /classroom\.tokenHours: must be an integer from 1 to 24/);
        assert.equal(settingsFor(EKS_RAW).classroom.tokenHours, 12);
    });
});
