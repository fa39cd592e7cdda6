// Drawing a token from logits in float64, as shaders/common/sampling.wgsl specifies it: softmax of
// logits / temperature, cut to the topK most probable (ties: the lower id first) and then to the
// smallest most-probable set reaching topP, renormalized; the token is the first whose running kept
// probability exceeds u.

export interface ReferenceSampling {
  temperature: number;
  topK: number;
  topP: number;
}

/** The kept tokens' probabilities (0 for the others). */
export function samplingDistribution(logits: ArrayLike<number>, { temperature, topK, topP }: ReferenceSampling): Float64Array {
  const V = logits.length;
  const top = Math.max(...Array.from(logits));
  const weights = Float64Array.from(logits, (l) => Math.exp((l - top) / temperature));
  // Ids from the most probable, ties by id.
  const order = Array.from({ length: V }, (_, v) => v).sort((a, b) => logits[b] - logits[a] || a - b);
  const k = topK > 0 ? Math.min(topK, V) : V;
  const inTopK = order.slice(0, k);
  const topKTotal = inTopK.reduce((s, v) => s + weights[v], 0);
  const kept = new Float64Array(V);
  let before = 0;
  for (const v of inTopK) {
    if (topP < 1 && before >= topP * topKTotal) break;
    kept[v] = weights[v];
    before += weights[v];
  }
  const total = kept.reduce((s, w) => s + w, 0);
  return kept.map((w) => w / total);
}

/** The token u in [0, 1) picks, and how close u is to the nearest boundary of the running sums (for float32 comparisons). */
export function sampleToken(logits: ArrayLike<number>, options: ReferenceSampling, u: number): { token: number; margin: number } {
  const p = samplingDistribution(logits, options);
  let running = 0;
  let last = 0;
  for (let v = 0; v < p.length; v++) {
    if (p[v] === 0) continue;
    const below = running;
    running += p[v];
    last = v;
    if (running > u) return { token: v, margin: Math.min(u - below, running - u) };
  }
  return { token: last, margin: 0 };
}
