/**
 * Secure defaults for the containers this stack runs itself (the Kubernetes
 * "restricted" Pod Security profile): non-root, no privilege escalation, no
 * capabilities, read-only root filesystem, the runtime's default seccomp profile.
 */
import type { types } from "@pulumi/kubernetes";

export const RESTRICTED_POD_SECURITY: types.input.core.v1.PodSecurityContext = {
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
};

export const RESTRICTED_CONTAINER_SECURITY: types.input.core.v1.SecurityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
};

/** Keeps a pod out of the mesh (addons in istio-system talk to the mesh from outside it). */
export const NO_SIDECAR_LABELS: Readonly<Record<string, string>> = { "sidecar.istio.io/inject": "false" };

/**
 * Pod Security admission at `restricted`, enforced (and warned and audited) at
 * the cluster's own Kubernetes version, on every namespace attendees and the
 * lessons run in: the API server refuses a privileged, host-namespace or
 * root pod there, whoever sends it.
 */
export function podSecurityLabels(kubernetesVersion: string): Record<string, string> {
    const version = `v${kubernetesVersion}`;
    return Object.fromEntries(
        ["enforce", "warn", "audit"].flatMap((mode) => [
            [`pod-security.kubernetes.io/${mode}`, "restricted"],
            [`pod-security.kubernetes.io/${mode}-version`, version],
        ]),
    );
}
