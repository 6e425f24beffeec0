/**
 * What pods ask of a cluster: their count, CPU and memory requests, memory limits; and
 * Kubernetes quantities in the units the sizing works in.
 */

export interface Demand {
    readonly pods: number;
    readonly cpuMilli: number;
    readonly memoryMi: number;
    readonly memoryLimitMi: number;
}

export const ZERO: Demand = { pods: 0, cpuMilli: 0, memoryMi: 0, memoryLimitMi: 0 };
export const add = (a: Demand, b: Demand): Demand => ({
    pods: a.pods + b.pods,
    cpuMilli: a.cpuMilli + b.cpuMilli,
    memoryMi: a.memoryMi + b.memoryMi,
    memoryLimitMi: a.memoryLimitMi + b.memoryLimitMi,
});
export const times = (d: Demand, n: number): Demand => ({ pods: d.pods * n, cpuMilli: d.cpuMilli * n, memoryMi: d.memoryMi * n, memoryLimitMi: d.memoryLimitMi * n });

/** `100m` → 100, `1` → 1000; `128Mi` → 128, `1Gi` → 1024. */
export function milliCpu(q: string): number {
    return q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000;
}
export function mebibytes(q: string): number {
    if (q.endsWith("Gi")) return Number(q.slice(0, -2)) * 1024;
    if (q.endsWith("Mi")) return Number(q.slice(0, -2));
    throw new Error(`unsupported memory quantity ${q}`);
}
