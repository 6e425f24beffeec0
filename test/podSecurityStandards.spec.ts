import { strict as assert } from "assert";
import { enforcedLevel, minorOf, podSecurityFailures } from "../src/judgement/kubernetes/podSecurityStandards";
import { evaluate } from "../src/judgement/checks/policyRules";

/**
 * A pod as the Pod Security Standards page's restricted example writes it
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/):
 * non-root, no privilege escalation, every capability dropped, RuntimeDefault seccomp.
 */
const compliant = () => ({
    metadata: { name: "ok", annotations: {} as Record<string, string> },
    spec: {
        securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } } as any,
        volumes: [{ name: "scratch", emptyDir: {} }] as any[],
        containers: [{ name: "app", image: "x", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } as any }] as any[],
    } as any,
});
const checks = (pod: any, level: "baseline" | "restricted" = "restricted", minor?: number) => [...new Set(podSecurityFailures(pod, level, minor).map((f) => f.check))];
const mutated = (fn: (pod: ReturnType<typeof compliant>) => void) => {
    const pod = compliant();
    fn(pod);
    return pod;
};

describe("Pod Security Standards (offline, as the API server applies them)", () => {
    it("admits the documented restricted pod at every level", () => {
        for (const level of ["baseline", "restricted"] as const) assert.deepEqual(podSecurityFailures(compliant(), level), []);
    });

    it("refuses each way onto the node, naming the check the API server names", () => {
        const attacks: [string, (p: any) => void, string[]][] = [
            ["privileged container", (p) => (p.spec.containers[0].securityContext.privileged = true), ["privileged"]],
            ["hostNetwork (sidesteps the IMDS hop limit)", (p) => (p.spec.hostNetwork = true), ["hostNamespaces"]],
            ["hostPID", (p) => (p.spec.hostPID = true), ["hostNamespaces"]],
            ["hostIPC", (p) => (p.spec.hostIPC = true), ["hostNamespaces"]],
            ["hostPath / mount", (p) => p.spec.volumes.push({ name: "root", hostPath: { path: "/" } }), ["hostPathVolumes", "restrictedVolumes"]],
            ["hostPort", (p) => (p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 80 }]), ["hostPorts"]],
            ["SYS_ADMIN capability", (p) => (p.spec.containers[0].securityContext.capabilities.add = ["SYS_ADMIN"]), ["capabilities_baseline", "capabilities_restricted"]],
            ["NET_RAW capability (in the runtime's defaults, not in restricted)", (p) => (p.spec.containers[0].securityContext.capabilities.add = ["NET_RAW"]), ["capabilities_baseline", "capabilities_restricted"]],
            ["capabilities not dropped", (p) => delete p.spec.containers[0].securityContext.capabilities, ["capabilities_restricted"]],
            ["root user", (p) => (p.spec.containers[0].securityContext.runAsUser = 0), ["runAsUser"]],
            ["runAsNonRoot false", (p) => (p.spec.containers[0].securityContext.runAsNonRoot = false), ["runAsNonRoot"]],
            ["no runAsNonRoot anywhere", (p) => delete p.spec.securityContext.runAsNonRoot, ["runAsNonRoot"]],
            ["privilege escalation", (p) => (p.spec.containers[0].securityContext.allowPrivilegeEscalation = true), ["allowPrivilegeEscalation"]],
            ["seccomp Unconfined", (p) => (p.spec.securityContext.seccompProfile = { type: "Unconfined" }), ["seccompProfile_baseline", "seccompProfile_restricted"]],
            ["no seccomp profile", (p) => delete p.spec.securityContext.seccompProfile, ["seccompProfile_restricted"]],
            ["unmasked /proc", (p) => (p.spec.containers[0].securityContext.procMount = "Unmasked"), ["procMount_restricted"]],
            ["unsafe sysctl", (p) => (p.spec.securityContext.sysctls = [{ name: "kernel.msgmax", value: "1" }]), ["sysctls"]],
            ["AppArmor unconfined", (p) => (p.spec.securityContext.appArmorProfile = { type: "Unconfined" }), ["appArmorProfile"]],
            ["SELinux super-privileged type", (p) => (p.spec.securityContext.seLinuxOptions = { type: "spc_t" }), ["seLinuxOptions"]],
            ["a probe sent to another host", (p) => (p.spec.containers[0].readinessProbe = { httpGet: { host: "169.254.169.254", port: 80 } }), ["hostProbesAndHostLifecycle"]],
            ["Windows HostProcess", (p) => (p.spec.securityContext.windowsOptions = { hostProcess: true }), ["windowsHostProcess"]],
            ["privileged init container", (p) => (p.spec.initContainers = [{ name: "init", securityContext: { privileged: true } }]), ["privileged", "allowPrivilegeEscalation", "capabilities_restricted"]],
            ["privileged ephemeral (debug) container", (p) => (p.spec.ephemeralContainers = [{ name: "debug", securityContext: { privileged: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }]), ["privileged"]],
        ];
        for (const [what, fn, expected] of attacks) assert.deepEqual(checks(mutated(fn)).sort(), expected.sort(), what);
    });

    it("baseline admits what only restricted refuses; restricted's extra checks do not leak into baseline", () => {
        assert.deepEqual(checks(mutated((p) => (p.spec.containers[0].securityContext.runAsUser = 0)), "baseline"), []);
        assert.deepEqual(checks(mutated((p) => p.spec.volumes.push({ name: "nfs", nfs: { server: "x", path: "/" } })), "baseline"), []);
        assert.deepEqual(checks(mutated((p) => p.spec.volumes.push({ name: "nfs", nfs: { server: "x", path: "/" } }))), ["restrictedVolumes"]);
    });

    it("follows the version the namespace pins: checks added in 1.34 and relaxations of 1.35", () => {
        const probe = mutated((p) => (p.spec.containers[0].livenessProbe = { tcpSocket: { host: "10.0.0.1", port: 1 } }));
        assert.deepEqual(checks(probe, "restricted", 33), []);
        assert.deepEqual(checks(probe, "restricted", 34), ["hostProbesAndHostLifecycle"]);
        const unmasked = mutated((p) => {
            p.spec.hostUsers = false;
            p.spec.containers[0].securityContext.procMount = "Unmasked";
        });
        assert.deepEqual(checks(unmasked, "baseline", 34), ["procMount"]);
        assert.deepEqual(checks(unmasked, "baseline", 35), []);
        assert.deepEqual(checks(unmasked, "restricted", 35), ["procMount_restricted"]);
        const tcpRmem = mutated((p) => (p.spec.securityContext.sysctls = [{ name: "net.ipv4.tcp_rmem", value: "4096 87380 6291456" }]));
        assert.deepEqual([checks(tcpRmem, "baseline", 31), checks(tcpRmem, "baseline", 32)], [["sysctls"], []]);
    });

    it("reads a namespace's level and version from its labels, privileged when unlabelled", () => {
        assert.deepEqual(enforcedLevel(undefined), { level: "privileged", minor: 37 });
        assert.deepEqual(enforcedLevel({ "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.33" }), { level: "restricted", minor: 33 });
        assert.deepEqual([minorOf("latest"), minorOf("v1.99"), minorOf("v1.30")], [37, 37, 30]);
    });

    it("the policy pack's pod-security-restricted rule names a workload that fails, and passes one that complies", () => {
        const deployment = (pod: any) => ({ type: "kubernetes:apps/v1:Deployment", name: "d", props: { apiVersion: "apps/v1", kind: "Deployment", spec: { template: pod } } });
        const rule = (pod: any) => evaluate([deployment(pod)]).filter((v) => v.policy === "pod-security-restricted").map((v) => v.message);
        assert.deepEqual(rule(compliant()), []);
        assert.deepEqual(rule(mutated((p) => (p.spec.hostPID = true))), ["fails Pod Security restricted (hostNamespaces): the pod sets hostPID=true"]);
    });
});
