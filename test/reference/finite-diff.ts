// Central finite differences in float64, used to prove the analytic gradients right.

/**
 * d f / d x[i] for every i by central differences (f(x + eps) - f(x - eps)) / (2 eps).
 * x is perturbed in place and restored, so f must read x when called.
 */
export function numericGradient(f: () => number, x: Float64Array, eps = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + eps;
    const plus = f();
    x[i] = keep - eps;
    const minus = f();
    x[i] = keep;
    g[i] = (plus - minus) / (2 * eps);
  }
  return g;
}

export interface GradComparison {
  /** max_i |a_i - n_i| / max(|a_i|, |n_i|, floor) */
  maxRelError: number;
  /** Index where that worst error occurs. */
  worstIndex: number;
  /** max_i |n_i|: shows the check was not trivially comparing zeros. */
  maxAbsNumeric: number;
}

/**
 * Element-wise relative error between an analytic and a numeric gradient. `floor` keeps entries
 * that are (near) zero from dividing by ~0: below it the error is effectively absolute.
 */
export function compareGradients(analytic: Float64Array, numeric: Float64Array, floor = 1e-3): GradComparison {
  if (analytic.length !== numeric.length) {
    throw new Error(`compareGradients: lengths ${analytic.length} and ${numeric.length} differ`);
  }
  let maxRelError = 0;
  let worstIndex = -1;
  let maxAbsNumeric = 0;
  for (let i = 0; i < analytic.length; i++) {
    const a = analytic[i];
    const n = numeric[i];
    let rel = Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), floor);
    if (Number.isNaN(rel)) rel = Infinity; // a NaN anywhere must fail the check
    if (rel > maxRelError || worstIndex < 0) {
      maxRelError = rel;
      worstIndex = i;
    }
    maxAbsNumeric = Math.max(maxAbsNumeric, Math.abs(n));
  }
  return { maxRelError, worstIndex, maxAbsNumeric };
}

/** Sum of a[i] * b[i]: turns a vector output into a scalar loss with random weights b. */
export function dot(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) throw new Error(`dot: lengths ${a.length} and ${b.length} differ`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
