/** Safe teardown: the dependency graph deletes in an order AWS and Kubernetes accept, and what must not be lost is protected. */
import { strict as assert } from "assert";
import type { Plan } from "../src/judgement/plan/plan";
import { EKS_RAW, planIndex } from "./helpers";

/** Does `from` wait for `to` on creation (so Pulumi deletes `from` first)? Dependencies, providers and parents count. */
function waitsFor(plan: Plan, from: string, to: string): boolean {
    const byName = new Map(plan.resources.map((r) => [r.name, r]));
    const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
    const target = byName.get(to)!.urn;
    const seen = new Set<string>();
    const stack = [byName.get(from)!.urn];
    while (stack.length > 0) {
        const u = stack.pop()!;
        if (u === target) return true;
        if (seen.has(u)) continue;
        seen.add(u);
        const r = byUrn.get(u);
        if (!r) continue;
        stack.push(...r.dependsOn, ...(r.provider ? [r.provider] : []));
    }
    return false;
}

describe("teardown order (dev plan's dependency graph)", () => {
    let plan: Plan;
    before(async () => {
        plan = await planIndex({ ...EKS_RAW, attendees: ["ana"] }, "dev");
    });

    it("deletes the ingress load balancer's Service before the nodes, the cluster and the VPC", () => {
        for (const infra of ["workshop-nodes", "workshop-eks", "workshop-vpc"]) assert.ok(waitsFor(plan, "mesh-ingress-service", infra), infra);
    });

    it("deletes every Kubernetes object before the nodes it runs on", () => {
        const k8s = plan.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:"));
        for (const r of k8s) assert.ok(waitsFor(plan, r.name, "workshop-nodes"), r.name);
    });

    it("deletes workloads and Istio objects while istiod and its webhooks still run, and istio-system last", () => {
        for (const dependent of ["classroom-ana-apps-lessons", "classroom-ana-apps-ns", "addons-kiali", "mesh-ingressgateway", "mesh-peer-authentication", "mesh-gateway"]) {
            assert.ok(waitsFor(plan, dependent, "mesh-istiod"), dependent);
        }
        for (const release of ["mesh-base", "mesh-istiod"]) assert.ok(waitsFor(plan, release, "mesh-system-ns"), release);
        assert.ok(waitsFor(plan, "mesh-istiod", "workshop-istio-webhook"), "the webhook rule outlives istiod");
    });
});

describe("protection", () => {
    const protectedNames = async (raw: Record<string, unknown>, stack: string) => {
        const names: string[] = [];
        await planIndex(raw, stack, (req) => {
            if (req.getProtect()) names.push(req.getName());
        });
        return names;
    };

    it("protects the EKS cluster in every stack but dev, unless the stack says otherwise", async () => {
        assert.deepEqual(await protectedNames(EKS_RAW, "workshop"), ["workshop-eks"]);
        assert.deepEqual(await protectedNames(EKS_RAW, "dev"), []);
        assert.deepEqual(await protectedNames({ cluster: { ...EKS_RAW.cluster, protect: false } }, "workshop"), []);
        assert.deepEqual(await protectedNames({ cluster: { mode: "existing", context: "kind-istio-workshop" } }, "local"), []);
    });
});
