/**
 * How many of N requests a correct mesh may send to a destination.
 *
 * Envoy picks a weighted destination at random for every request, so with
 * weight w% the count X sent to it is Binomial(N, w/100). The acceptance
 * interval [lo, hi] is the narrowest one built from the two exact binomial
 * tails with P(X < lo) <= a/2 and P(X > hi) <= a/2, so a correct mesh falls
 * outside it with probability at most a. A check that looks at k destinations
 * at once gives each a = alpha / k (union bound): the whole check then fails
 * a correct mesh with probability at most alpha = 1e-6. Round-robin balancing
 * (routes without subsets) spreads requests more evenly than random choice, so
 * the same interval is conservative there.
 */

/** False-alarm probability of one verification check on a correct mesh. */
export const FALSE_ALARM = 1e-6;

/** Binomial(n, p) probabilities P(X = 0..n), computed in log space. */
export function binomialPmf(n: number, p: number): number[] {
    if (p <= 0) return Array.from({ length: n + 1 }, (_, k) => (k === 0 ? 1 : 0));
    if (p >= 1) return Array.from({ length: n + 1 }, (_, k) => (k === n ? 1 : 0));
    const logs: number[] = [];
    let logChoose = 0; // log C(n, k), built incrementally
    for (let k = 0; k <= n; k++) {
        if (k > 0) logChoose += Math.log(n - k + 1) - Math.log(k);
        logs.push(logChoose + k * Math.log(p) + (n - k) * Math.log(1 - p));
    }
    return logs.map(Math.exp);
}

/** The counts of n requests that a destination with probability p may receive, at false-alarm rate a. */
export function acceptanceInterval(n: number, p: number, a: number = FALSE_ALARM): [number, number] {
    if (!Number.isInteger(n) || n < 1) throw new Error(`request count must be a positive integer, got ${n}`);
    if (p < 0 || p > 1) throw new Error(`probability must be from 0 to 1, got ${p}`);
    const pmf = binomialPmf(n, p);
    let lo = 0;
    for (let tail = 0; lo < n && tail + pmf[lo] <= a / 2; lo++) tail += pmf[lo];
    let hi = n;
    for (let tail = 0; hi > 0 && tail + pmf[hi] <= a / 2; hi--) tail += pmf[hi];
    return [lo, hi];
}

/** Intervals for a split over several destinations: each gets alpha / k. */
export function splitIntervals(n: number, shares: Readonly<Record<string, number>>, alpha: number = FALSE_ALARM): Record<string, [number, number]> {
    const keys = Object.keys(shares);
    return Object.fromEntries(keys.map((k) => [k, acceptanceInterval(n, shares[k], alpha / keys.length)]));
}
