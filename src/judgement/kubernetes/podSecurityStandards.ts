/**
 * The Kubernetes Pod Security Standards, `baseline` and `restricted`, as the
 * API server's Pod Security admission applies them at the latest version
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/, the
 * "Baseline" and "Restricted" tables; check ids as in
 * k8s.io/pod-security-admission/policy). No maintained JavaScript
 * implementation exists, so each control of those tables is one function here,
 * named after its check id, so the plan and the attack suite judge a pod
 * template offline the way the cluster judges the pod.
 *
 * Pure: a pod's metadata and spec in, the failed checks out.
 */

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

export interface PodSecurityFailure {
    /** The check id, as k8s.io/pod-security-admission names it. */
    readonly check: string;
    readonly level: Exclude<PodSecurityLevel, "privileged">;
    /** What is forbidden, and where. */
    readonly message: string;
}

interface Container {
    readonly name?: string;
    readonly securityContext?: any;
    readonly ports?: readonly any[];
}

interface PodLike {
    readonly metadata?: { readonly annotations?: Record<string, string> };
    readonly spec?: any;
}

const CONTAINERS = new WeakMap<object, Container[]>();
/** Every container of a pod spec (init, regular, ephemeral), listed once per spec. */
function containersOf(spec: any): Container[] {
    if (!spec || typeof spec !== "object") return [];
    let list = CONTAINERS.get(spec);
    if (!list) CONTAINERS.set(spec, (list = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]));
    return list;
}
const quoted = (xs: readonly string[]) => xs.map((x) => `"${x}"`).join(", ");
const where = (c: Container) => `container "${c.name ?? "(unnamed)"}"`;

/** Capabilities `baseline` lets a container add (the runtime's default set). */
const BASELINE_CAPABILITIES = new Set(["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]);
/** Sysctls `baseline` allows (namespaced, and safe to share a node with), by the minor version that allowed them. */
const SAFE_SYSCTLS: readonly (readonly [number, readonly string[]])[] = [
    [0, ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"]],
    [27, ["net.ipv4.ip_local_reserved_ports"]],
    [29, ["net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"]],
    [32, ["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]],
    [37, ["net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"]],
];
/** SELinux types `baseline` allows (`container_engine_t` from 1.31). */
const seLinuxTypes = (minor: number) => new Set(["", "container_t", "container_init_t", "container_kvm_t", ...(minor >= 31 ? ["container_engine_t"] : [])]);
/** The only volume types `restricted` admits. */
const RESTRICTED_VOLUMES = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"]);
const APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";

/** One check at one Kubernetes minor version (1.<minor>). */
type Check = (pod: PodLike, minor: number) => string[];

/** A pod in its own user namespace (`hostUsers: false`): from 1.35 some checks relax for it. */
const userNamespaced = (spec: any, minor: number) => minor >= 35 && spec?.hostUsers === false;
/** Windows pods are exempt from the Linux-only restricted checks from 1.25. */
const windows = (spec: any, minor: number) => minor >= 25 && spec?.os?.name === "windows";

const unmaskedProc = (spec: any) =>
    containersOf(spec)
        .filter((c) => c.securityContext?.procMount !== undefined && c.securityContext.procMount !== "Default")
        .map((c) => `${where(c)} sets procMount "${c.securityContext.procMount}"`);

const hostsOf = (handler: any): string[] => [handler?.httpGet?.host, handler?.tcpSocket?.host].filter((h): h is string => typeof h === "string" && h !== "");

const BASELINE: Readonly<Record<string, Check>> = {
    windowsHostProcess: ({ spec }) => [
        ...(spec?.securityContext?.windowsOptions?.hostProcess === true ? ["the pod sets securityContext.windowsOptions.hostProcess=true"] : []),
        ...containersOf(spec)
            .filter((c) => c.securityContext?.windowsOptions?.hostProcess === true)
            .map((c) => `${where(c)} sets securityContext.windowsOptions.hostProcess=true`),
    ],
    hostNamespaces: ({ spec }) => (["hostNetwork", "hostPID", "hostIPC"] as const).filter((k) => spec?.[k] === true).map((k) => `the pod sets ${k}=true`),
    privileged: ({ spec }) => containersOf(spec).filter((c) => c.securityContext?.privileged === true).map((c) => `${where(c)} sets securityContext.privileged=true`),
    capabilities_baseline: ({ spec }) =>
        containersOf(spec).flatMap((c) => {
            const added: string[] = (c.securityContext?.capabilities?.add ?? []).filter((cap: string) => !BASELINE_CAPABILITIES.has(cap));
            return added.length > 0 ? [`${where(c)} adds capabilities ${quoted(added)}`] : [];
        }),
    hostPathVolumes: ({ spec }) => (spec?.volumes ?? []).filter((v: any) => v.hostPath !== undefined).map((v: any) => `volume "${v.name}" is a hostPath`),
    hostPorts: ({ spec }) =>
        containersOf(spec).flatMap((c) => (c.ports ?? []).filter((p: any) => p.hostPort !== undefined && p.hostPort !== 0).map((p: any) => `${where(c)} uses hostPort ${p.hostPort}`)),
    hostProbesAndHostLifecycle: ({ spec }, minor) =>
        minor < 34
            ? []
            : containersOf(spec).flatMap((c: any) => {
                  const hosts = [c.livenessProbe, c.readinessProbe, c.startupProbe, c.lifecycle?.postStart, c.lifecycle?.preStop].flatMap(hostsOf);
                  return hosts.length > 0 ? [`${where(c)} sends a probe or lifecycle handler to host ${quoted(hosts)}`] : [];
              }),
    appArmorProfile: ({ metadata, spec }) => {
        const bad = (p: any) => p !== undefined && p.type !== "RuntimeDefault" && p.type !== "Localhost";
        return [
            ...(bad(spec?.securityContext?.appArmorProfile) ? [`the pod sets appArmorProfile type "${spec.securityContext.appArmorProfile.type}"`] : []),
            ...containersOf(spec)
                .filter((c) => bad(c.securityContext?.appArmorProfile))
                .map((c) => `${where(c)} sets appArmorProfile type "${c.securityContext.appArmorProfile.type}"`),
            ...Object.entries(metadata?.annotations ?? {})
                .filter(([k, v]) => k.startsWith(APPARMOR_ANNOTATION) && v !== "runtime/default" && !v.startsWith("localhost/"))
                .map(([k, v]) => `annotation ${k} is "${v}"`),
        ];
    },
    seLinuxOptions: ({ spec }, minor) => {
        const types = seLinuxTypes(minor);
        const bad = (o: any) => o !== undefined && (!types.has(o.type ?? "") || (o.user ?? "") !== "" || (o.role ?? "") !== "");
        return [
            ...(bad(spec?.securityContext?.seLinuxOptions) ? ["the pod sets a forbidden seLinuxOptions type, user or role"] : []),
            ...containersOf(spec)
                .filter((c) => bad(c.securityContext?.seLinuxOptions))
                .map((c) => `${where(c)} sets a forbidden seLinuxOptions type, user or role`),
        ];
    },
    procMount: ({ spec }, minor) => (minor >= 35 ? [] : unmaskedProc(spec)),
    seccompProfile_baseline: ({ spec }) => [
        ...(spec?.securityContext?.seccompProfile?.type === "Unconfined" ? ['the pod sets seccompProfile type "Unconfined"'] : []),
        ...containersOf(spec)
            .filter((c) => c.securityContext?.seccompProfile?.type === "Unconfined")
            .map((c) => `${where(c)} sets seccompProfile type "Unconfined"`),
    ],
    sysctls: ({ spec }, minor) => {
        const safe = new Set(SAFE_SYSCTLS.filter(([since]) => minor >= since).flatMap(([, names]) => names));
        return (spec?.securityContext?.sysctls ?? []).filter((s: any) => !safe.has(s.name)).map((s: any) => `the pod sets sysctl ${s.name}`);
    },
};

/** From 1.35 `baseline` admits an unmasked /proc in a user namespace; `restricted` never does. */
const BASELINE_FROM_1_35: Readonly<Record<string, Check>> = {
    procMount: ({ spec }, minor) => (minor < 35 || userNamespaced(spec, minor) ? [] : unmaskedProc(spec)),
};

const RESTRICTED: Readonly<Record<string, Check>> = {
    restrictedVolumes: ({ spec }) =>
        (spec?.volumes ?? []).flatMap((v: any) => {
            const bad = Object.keys(v).filter((t) => t !== "name" && !RESTRICTED_VOLUMES.has(t));
            return bad.length > 0 ? [`volume "${v.name}" is of type ${quoted(bad)} (allowed: ${quoted([...RESTRICTED_VOLUMES])})`] : [];
        }),
    allowPrivilegeEscalation: ({ spec }, minor) =>
        windows(spec, minor)
            ? []
            : containersOf(spec)
                  .filter((c) => c.securityContext?.allowPrivilegeEscalation !== false)
                  .map((c) => `${where(c)} must set securityContext.allowPrivilegeEscalation=false`),
    runAsNonRoot: ({ spec }, minor) => {
        if (userNamespaced(spec, minor)) return [];
        const pod = spec?.securityContext?.runAsNonRoot;
        return [
            ...(pod === false ? ["the pod sets securityContext.runAsNonRoot=false"] : []),
            ...containersOf(spec)
                .filter((c) => c.securityContext?.runAsNonRoot === false || (pod !== true && c.securityContext?.runAsNonRoot !== true))
                .map((c) => `${where(c)} must set securityContext.runAsNonRoot=true (or the pod must)`),
        ];
    },
    runAsUser: ({ spec }, minor) =>
        minor < 23 || userNamespaced(spec, minor)
            ? []
            : [
                  ...(spec?.securityContext?.runAsUser === 0 ? ["the pod sets securityContext.runAsUser=0"] : []),
                  ...containersOf(spec)
                      .filter((c) => c.securityContext?.runAsUser === 0)
                      .map((c) => `${where(c)} sets securityContext.runAsUser=0`),
              ],
    seccompProfile_restricted: ({ spec }, minor) => {
        if (windows(spec, minor)) return [];
        const ok = (p: any) => p?.type === "RuntimeDefault" || p?.type === "Localhost";
        const pod = spec?.securityContext?.seccompProfile;
        return [
            ...(pod !== undefined && !ok(pod) ? [`the pod sets seccompProfile type "${pod.type}"`] : []),
            ...containersOf(spec)
                .filter((c) => (c.securityContext?.seccompProfile !== undefined ? !ok(c.securityContext.seccompProfile) : !ok(pod)))
                .map((c) => `${where(c)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost" (or the pod must)`),
        ];
    },
    capabilities_restricted: ({ spec }, minor) =>
        windows(spec, minor)
            ? []
            : containersOf(spec).flatMap((c) => {
                  const caps = c.securityContext?.capabilities ?? {};
                  const added: string[] = (caps.add ?? []).filter((cap: string) => cap !== "NET_BIND_SERVICE");
                  return [
                      ...((caps.drop ?? []).includes("ALL") ? [] : [`${where(c)} must set securityContext.capabilities.drop=["ALL"]`]),
                      ...(added.length > 0 ? [`${where(c)} adds capabilities ${quoted(added)} (only "NET_BIND_SERVICE" is allowed)`] : []),
                  ];
              }),
    procMount_restricted: ({ spec }, minor) => (minor < 35 ? [] : unmaskedProc(spec)),
};

/** The newest Kubernetes minor version whose Pod Security Standards this module knows. */
export const LATEST_MINOR = 37;

/** The minor version of a Pod Security version label ("v1.35", "latest"). */
export function minorOf(version: string | undefined): number {
    const m = /^v1\.(\d+)$/.exec(version ?? "");
    return m ? Math.min(Number(m[1]), LATEST_MINOR) : LATEST_MINOR;
}

/**
 * Every check of `level` the pod fails at Kubernetes 1.<minor> (empty: Pod
 * Security admission admits it at that level and version).
 */
export function podSecurityFailures(pod: PodLike, level: PodSecurityLevel, minor: number = LATEST_MINOR): PodSecurityFailure[] {
    if (level === "privileged") return [];
    const run = (checks: Readonly<Record<string, Check>>, l: "baseline" | "restricted") =>
        Object.entries(checks).flatMap(([check, fn]) => fn(pod, minor).map((message) => ({ check, level: l, message })));
    // At `restricted`, procMount_restricted replaces the relaxed baseline procMount check from 1.35.
    return [...run(BASELINE, "baseline"), ...(level === "baseline" ? run(BASELINE_FROM_1_35, "baseline") : run(RESTRICTED, "restricted"))];
}

/** The label Pod Security admission reads a namespace's enforced level from. */
export const ENFORCE_LABEL = "pod-security.kubernetes.io/enforce";

/** The level and version a namespace's labels enforce ("privileged" when unlabelled, as the API server defaults it). */
export function enforcedLevel(labels: Readonly<Record<string, string>> | undefined): { level: PodSecurityLevel; minor: number } {
    const level = labels?.[ENFORCE_LABEL];
    return { level: level === "baseline" || level === "restricted" ? level : "privileged", minor: minorOf(labels?.[`${ENFORCE_LABEL}-version`]) };
}

/** The pod template of a workload object (or the pod itself), with its kind's path to it. */
export function podOf(o: any): PodLike | undefined {
    switch (o?.kind) {
        case "Pod":
            return o;
        case "Deployment":
        case "ReplicaSet":
        case "StatefulSet":
        case "DaemonSet":
        case "Job":
        case "ReplicationController":
            return o.spec?.template;
        case "CronJob":
            return o.spec?.jobTemplate?.spec?.template;
        default:
            return undefined;
    }
}
