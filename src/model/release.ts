/**
 * A Helm release of an upstream chart as the stack installs it (`helm.v3.Release` arguments).
 */

/** Helm waits this long for a release's pods to become ready. */
export const RELEASE_TIMEOUT_SECONDS = 600;

export interface ReleaseSpec {
    /** Helm release name (fixed: the gateway's labels derive from it). */
    readonly name: string;
    readonly chart: string;
    readonly version: string;
    readonly namespace: string;
    readonly repositoryOpts: { readonly repo: string };
    readonly values: Record<string, unknown>;
    readonly timeout: number;
    readonly atomic: boolean;
}
