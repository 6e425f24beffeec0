/**
 * The small schema builders every section is written with: each carries the
 * "what is allowed" half of its error message.
 */
import { z } from "zod";

export const quoted = (v: unknown) => JSON.stringify(v);

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
    return z.enum(values, { error: `must be one of ${values.map(quoted).join(", ")}` });
}

export function intIn(min: number, max: number) {
    const error = `must be an integer from ${min} to ${max}`;
    return z.int({ error }).min(min, { error }).max(max, { error });
}

export function numberIn(min: number, max: number) {
    const error = `must be a number from ${min} to ${max}`;
    return z.number({ error }).min(min, { error }).max(max, { error });
}

export const bool = () => z.boolean({ error: "must be true or false" });

export const cidr = () => z.cidrv4({ error: "must be an IPv4 CIDR such as 203.0.113.4/32" });

/** A strict mapping: unknown keys are errors that list the keys allowed. */
export function section<S extends z.ZodRawShape>(shape: S) {
    const allowed = Object.keys(shape).join(", ");
    return z.strictObject(shape, {
        error: (issue) =>
            issue.code === "unrecognized_keys"
                ? `unknown key (allowed keys: ${allowed})`
                : `must be a mapping with the keys ${allowed}`,
    });
}

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
export const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/;
export const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
export const ACM_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:ecr-pullthroughcache\/[\w+=,.@/-]+$/;
export const secretArn = () =>
    z
        .string({ error: "must be a Secrets Manager secret ARN whose name starts with ecr-pullthroughcache/" })
        .regex(SECRET_ARN, { error: "must be a Secrets Manager secret ARN whose name starts with ecr-pullthroughcache/" });
export const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:(role|user|assumed-role)\/[\w+=,.@/-]+$/;

export const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
export const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
export const labels = (what: string) =>
    z.record(
        z.string().regex(LABEL_KEY, { error: `must be a Kubernetes label key (${what})` }),
        z.string({ error: "must be a Kubernetes label value" }).regex(LABEL_VALUE, { error: "must be a Kubernetes label value" }),
        { error: `must be a mapping of label keys to values (${what})` },
    );
export const dnsName = (what: string) =>
    z.string({ error: `must be a DNS label (${what})` }).max(63, { error: `must be a DNS label (${what})` }).regex(DNS_LABEL, { error: `must be a DNS label (${what})` });

export const urlPath = () => z.string({ error: "must be a URL path starting with /" }).regex(/^\/[^\s]*$/, { error: "must be a URL path starting with /" });

export function prefixLength(c: string): number {
    return Number(c.split("/")[1]);
}
