/** The median of a sample (the mean of the middle two for an even count). */
export function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] as number : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

// erfc(x) for x >= 0, Numerical Recipes' erfcc (Chebyshev fit): relative error below 1.2e-7 everywhere,
// so small p-values keep their digits, unlike 1 - erf(x).
function erfc (x: number): number {
  const t = 1 / (1 + 0.5 * x)
  const poly = -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  return t * Math.exp(poly)
}

export interface MannWhitney {
  /** U of the first sample: how often one of its values exceeds one of the second's (ties count half). */
  readonly u: number
  readonly z: number
  /** Two-sided p-value: how likely a difference this large is if both samples come from one distribution. */
  readonly p: number
}

/**
 * Mann–Whitney U test, two-sided, by the normal approximation with tie correction and continuity
 * correction: fine for samples of a few dozen and more, as here (thousands).
 */
export function mannWhitney (a: readonly number[], b: readonly number[]): MannWhitney {
  const n1 = a.length
  const n2 = b.length
  const n = n1 + n2
  const pooled = [...a.map((value) => ({ value, first: true })), ...b.map((value) => ({ value, first: false }))]
  pooled.sort((x, y) => x.value - y.value)
  let rankSum = 0
  let ties = 0
  for (let i = 0; i < n;) {
    let j = i
    while (j + 1 < n && pooled[j + 1]!.value === pooled[i]!.value) j++
    const rank = (i + j) / 2 + 1
    const count = j - i + 1
    ties += count ** 3 - count
    for (let k = i; k <= j; k++) if (pooled[k]!.first) rankSum += rank
    i = j + 1
  }
  const u = rankSum - n1 * (n1 + 1) / 2
  const mean = n1 * n2 / 2
  const sd = Math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
  const distance = Math.max(0, Math.abs(u - mean) - 0.5)
  const z = sd === 0 ? 0 : Math.sign(u - mean) * distance / sd
  return { u, z, p: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) }
}

/** P(X <= k) for X ~ Binomial(n, 1/2), exactly (the terms are summed in floating point; n up to 1,000). */
function binomialCdf (k: number, n: number): number {
  if (n > 1000) throw new RangeError(`binomialCdf: n = ${n}, more than 1,000`)
  let term = 2 ** -n
  let sum = 0
  for (let i = 0; i <= k; i++) {
    sum += term
    term = term * (n - i) / (i + 1)
  }
  return Math.min(1, sum)
}

/**
 * The two-sided sign test: how likely `wins` or a count as far from n/2 is in `n` rounds of a coin
 * toss, that is, if neither of two versions is cheaper and only noise decides each round.
 */
export function signTest (wins: number, n: number): number {
  return Math.min(1, 2 * binomialCdf(Math.min(wins, n - wins), n))
}

export interface Interval {
  readonly low: number
  readonly high: number
  /** How often an interval made this way holds the true median: at least the confidence asked for, when n allows it. */
  readonly confidence: number
}

/**
 * A distribution-free interval for the median of `values` (order statistics k and n + 1 − k, the
 * widest k whose binomial tail keeps the confidence): it assumes nothing of the noise but that
 * the values are independent. With 20 values, for 95 %: the 6th and the 15th, 95.9 %.
 */
export function medianInterval (values: readonly number[], confidence = 0.95): Interval {
  const sorted = [...values].sort((a, b) => a - b)
  const n = sorted.length
  let k = 1
  while (k < n / 2 && binomialCdf(k, n) <= (1 - confidence) / 2) k++
  return { low: sorted[k - 1] as number, high: sorted[n - k] as number, confidence: 1 - 2 * binomialCdf(k - 1, n) }
}
