import { strict as assert } from "assert";
import { limitRangeSpec, quotaSpec, istioQuotaSpec } from "../src/classroom/attendeeSpec";
import { limitRangeRefusal, quotaRefusal, quotaUsage } from "../src/judgement/kubernetes/quota";
import { meshPerNode, podCeiling } from "../src/workshop/capacity";

const pod = (containers: Record<string, unknown>[]) => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ana" }, spec: { containers: containers.map((c, i) => ({ name: `c${i}`, image: "x", ...c })) } });

describe("LimitRange and ResourceQuota, offline (a lower bound the control-plane run holds to the API server)", () => {
    const ceiling = podCeiling("m6i.xlarge", meshPerNode({ dataplane: "sidecar" }))!;
    const ranges = [limitRangeSpec("ana", ceiling)];

    it("sizes the per-pod ceiling from a node of the type, as the capacity model fills it", () => {
        assert.deepEqual(ceiling, { memoryMi: 12096 });
        assert.equal(podCeiling("x9.unknown"), undefined);
        assert.deepEqual((limitRangeSpec("ana", ceiling).spec as any).limits[1], { type: "Pod", max: { memory: "12096Mi" } });
        assert.equal((limitRangeSpec("ana").spec as any).limits.length, 1);
    });

    it("refuses a container over its maximum and a pod over the node's, defaults filled in first", () => {
        assert.equal(limitRangeRefusal(ranges, pod([{}])), undefined);
        assert.match(limitRangeRefusal(ranges, pod([{ resources: { limits: { memory: "3Gi" } } }]))!, /maximum memory usage per Container is 2Gi, but limit is 3072Mi/);
        const six = pod(Array.from({ length: 6 }, () => ({ resources: { limits: { memory: "2Gi" } } })));
        assert.match(limitRangeRefusal(ranges, six)!, /maximum memory usage per Pod is 12096Mi, but limit is 12288Mi/);
        // Five fit; without the per-pod entry, six do too.
        assert.equal(limitRangeRefusal(ranges, pod(Array.from({ length: 5 }, () => ({ resources: { limits: { memory: "2Gi" } } })))), undefined);
        assert.equal(limitRangeRefusal([limitRangeSpec("ana")], six), undefined);
        // CPU is not bounded per pod: every container's CPU limit defaults to the container maximum (2), as the API
        // server stores the LimitRange; a pod of three containers stays admitted (the real control plane refused them
        // all when the pod had a CPU maximum).
        assert.equal(limitRangeRefusal(ranges, pod([{}, {}, {}])), undefined);
        const withCpuCeiling = [{ spec: { limits: [...(ranges[0].spec as any).limits, { type: "Pod", max: { cpu: "3" } }] } }];
        assert.match(limitRangeRefusal(withCpuCeiling, pod([{}, {}]))!, /maximum cpu usage per Pod is 3, but limit is 4000m/);
    });

    it("counts objects and a pod's resources by the quota's names, and refuses what exceeds a quota by itself", () => {
        const quotas = [quotaSpec("ana", { pods: 10, cpuMilli: 1000, memoryMi: 1024, memoryLimitMi: 2048 }), istioQuotaSpec("ana")];
        assert.deepEqual(quotaUsage({ kind: "ConfigMap" }, "configmaps", "", 3), { "count/configmaps": 3, configmaps: 3 });
        assert.equal(quotaRefusal(quotas, { kind: "ConfigMap" }, "configmaps", "", 30), undefined);
        assert.match(quotaRefusal(quotas, { kind: "ConfigMap" }, "configmaps", "", 31)!, /exceeded quota: attendee-quota, requested: count\/configmaps=31, used: count\/configmaps=0, limited: count\/configmaps=30/);
        // What the namespace holds counts as used, as the API server's quota counts it: 29 held and 2 more exceed 30.
        const held = Array.from({ length: 29 }, (_, i) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `c${i}`, namespace: "ana" } }));
        assert.equal(quotaRefusal(quotas, { kind: "ConfigMap" }, "configmaps", "", 1, [], held), undefined);
        assert.match(quotaRefusal(quotas, { kind: "ConfigMap" }, "configmaps", "", 2, [], held)!, /requested: count\/configmaps=2, used: count\/configmaps=29, limited: count\/configmaps=30/);
        assert.match(quotaRefusal(quotas, { kind: "ServiceEntry" }, "serviceentries", "networking.istio.io", 11)!, /attendee-istio-quota/);
        assert.match(quotaRefusal(quotas, { kind: "Gateway" }, "gateways", "networking.istio.io", 1)!, /count\/gateways.networking.istio.io=0/);
        // 15 pods of the defaults (50m and 64Mi requested; 2 CPUs and 256Mi limit): the pod count (15) and the requests pass, limits.memory (3840Mi > 3072Mi) does not.
        assert.match(quotaRefusal(quotas, pod([{}]), "pods", "", 15, ranges)!, /limits.memory=3840, limited: limits.memory=3072Mi/);
        assert.match(quotaRefusal(quotas, { kind: "PersistentVolumeClaim", spec: { resources: { requests: { storage: "11Gi" } } } }, "persistentvolumeclaims", "", 1)!, /requests.storage/);
    });
});
