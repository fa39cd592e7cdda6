// Test helper (not part of the reference API): assert an analytic gradient matches central
// finite differences of a scalar loss.
import { expect } from 'vitest';
import { compareGradients, numericGradient } from './finite-diff.js';

/**
 * Finite-difference step. Measured on the LSTM check: eps = 1e-5 gives absolute errors ~5e-11
 * (1e-6 gives ~5e-10, float64 roundoff of the loss divided by 2 eps; 1e-4 gives ~2e-9, O(eps^2)
 * truncation), so 1e-5 leaves the widest margin under the tolerance.
 */
export const FD_EPS = 1e-5;
/**
 * Tolerance on max_i |analytic_i - numeric_i| / max(|analytic_i|, |numeric_i|, 1e-3).
 * Observed worst errors are ~3e-8; 1e-6 still catches any real mistake (a wrong term is O(1) relative).
 */
export const FD_TOL = 1e-6;

/**
 * Check `analytic` = d loss / d x, where loss() reads x (x is perturbed in place and restored).
 * Also requires the gradient to be visibly non-zero so a check of zeros against zeros cannot pass.
 */
export function expectGradient(name: string, analytic: Float64Array, loss: () => number, x: Float64Array): void {
  const numeric = numericGradient(loss, x, FD_EPS);
  const cmp = compareGradients(analytic, numeric);
  const detail = `${name}: worst rel error ${cmp.maxRelError.toExponential(2)} at ${cmp.worstIndex} (analytic ${analytic[cmp.worstIndex]}, numeric ${numeric[cmp.worstIndex]})`;
  expect(cmp.maxRelError, detail).toBeLessThanOrEqual(FD_TOL);
  expect(cmp.maxAbsNumeric, `${name}: gradient is all ~zero, the check would be vacuous`).toBeGreaterThan(1e-4);
}
