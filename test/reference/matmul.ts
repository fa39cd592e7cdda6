// Plain triple-loop matrix product and column sum: the ground truth for the GPU matmul kernel.

export interface MatmulOptions {
  /** a is stored as [K, M] and used transposed. */
  transA?: boolean;
  /** b is stored as [N, K] and used transposed. */
  transB?: boolean;
}

/**
 * C [M, N] = op(A) [M, K] x op(B) [K, N], all row-major.
 * Without transposes a is [M, K] and b is [K, N]; transA means a is stored [K, M], transB means
 * b is stored [N, K].
 */
export function matmul(
  a: Float64Array,
  b: Float64Array,
  M: number,
  K: number,
  N: number,
  opts: MatmulOptions = {},
): Float64Array {
  if (a.length !== M * K) throw new Error(`matmul: a has ${a.length} elements, expected ${M * K}`);
  if (b.length !== K * N) throw new Error(`matmul: b has ${b.length} elements, expected ${K * N}`);
  const { transA = false, transB = false } = opts;
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const av = transA ? a[k * M + i] : a[i * K + k];
        const bv = transB ? b[j * K + k] : b[k * N + j];
        s += av * bv;
      }
      c[i * N + j] = s;
    }
  }
  return c;
}

/** Sum over rows of x [rows, cols] -> [cols] (how a bias gradient is reduced). */
export function colSum(x: Float64Array, rows: number, cols: number): Float64Array {
  if (x.length !== rows * cols) throw new Error(`colSum: x has ${x.length} elements, expected ${rows * cols}`);
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[j] += x[r * cols + j];
  return out;
}
