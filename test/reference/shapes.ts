// Small shared helpers for checking array sizes and reading layer dimensions off weights.

/** Throw unless arr has exactly n elements; the message names what was wrong. */
export function expectLength(arr: ArrayLike<number>, n: number, what: string): void {
  if (arr.length !== n) throw new Error(`${what}: length ${arr.length}, expected ${n}`);
}

/** Divide exactly or throw: used to infer a dimension from a weight's length. */
export function exactDiv(total: number, by: number, what: string): number {
  const q = total / by;
  if (!Number.isInteger(q) || by <= 0) throw new Error(`${what}: ${total} is not a multiple of ${by}`);
  return q;
}
