/**
 * A plan: what a program would register, resource by resource (and, once its
 * Helm releases are rendered, object by object), as the offline judgement reads it.
 */

export interface PlannedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string | null;
    readonly custom: boolean;
    readonly provider: string | null;
    readonly dependsOn: string[];
    readonly inputs: Record<string, unknown>;
    /**
     * Set on the objects a Helm release renders (not Pulumi resources: the release
     * installs them): the release's URN.
     */
    readonly renderedBy?: string;
}

export interface Plan {
    readonly project: string;
    readonly stack: string;
    readonly resources: PlannedResource[];
    readonly outputs: Record<string, unknown>;
}

/** How values only the cloud knows, and secrets, appear in a plan. */
export const UNKNOWN = "[unknown]";
export const SECRET = "[secret]";
