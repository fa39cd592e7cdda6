// Keras' Attention / AdditiveAttention in float64, written from keras/src/layers/attention (Keras 3):
//   raw = q . k ('dot') or sum_d w[d] tanh(a (q + k)) ('concat'); s = c raw, minus 1e9 where the value
//   step is masked (or, causal, j > i); W = softmax over the value steps; out = m_q (W v).
// c, a, w: Attention('dot', use_scale) c = scale; Attention('concat') c = concat_score_weight, a = scale
// (when use_scale); AdditiveAttention(use_scale) w = scale. Absent ones are 1.
// Data time-major as webrnn's sequences: q [Tq, B, D], k [Tv, B, D], v [Tv, B, E], masks [T, B].

export interface AttentionSpec {
  batch: number;
  querySteps: number;
  valueSteps: number;
  dim: number;
  valueDim: number;
  score: 'dot' | 'concat';
  causal?: boolean;
}

export interface AttentionTensors {
  query: Float64Array;
  value: Float64Array;
  /** Absent: the value is the key. */
  key?: Float64Array;
  queryMask?: Float64Array;
  valueMask?: Float64Array;
  c?: number;
  a?: number;
  w?: Float64Array;
}

export interface AttentionForward {
  /** [Tq, B, E]. */
  out: Float64Array;
  /** Softmax weights [B, Tq, Tv]. */
  weights: Float64Array;
}

function raw(s: AttentionSpec, t: AttentionTensors, b: number, i: number, j: number): number {
  const { batch: B, dim: D } = s;
  const k = t.key ?? t.value;
  let total = 0;
  for (let d = 0; d < D; d++) {
    const q = t.query[(i * B + b) * D + d];
    const kv = k[(j * B + b) * D + d];
    total += s.score === 'dot' ? q * kv : (t.w ? t.w[d] : 1) * Math.tanh((t.a ?? 1) * (q + kv));
  }
  return total;
}

export function attentionForward(s: AttentionSpec, t: AttentionTensors): AttentionForward {
  const { batch: B, querySteps: Tq, valueSteps: Tv, valueDim: E } = s;
  const out = new Float64Array(Tq * B * E);
  const weights = new Float64Array(B * Tq * Tv);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < Tq; i++) {
      const scores = Array.from({ length: Tv }, (_, j) => {
        const masked = (s.causal && j > i) || (t.valueMask && t.valueMask[j * B + b] === 0);
        return (t.c ?? 1) * raw(s, t, b, i, j) - (masked ? 1e9 : 0);
      });
      const top = Math.max(...scores);
      const exps = scores.map((x) => Math.exp(x - top));
      const total = exps.reduce((x, y) => x + y, 0);
      const keep = t.queryMask ? t.queryMask[i * B + b] : 1;
      for (let j = 0; j < Tv; j++) weights[(b * Tq + i) * Tv + j] = exps[j] / total;
      for (let e = 0; e < E; e++) {
        let sum = 0;
        for (let j = 0; j < Tv; j++) sum += weights[(b * Tq + i) * Tv + j] * t.value[(j * B + b) * E + e];
        out[(i * B + b) * E + e] = keep * sum;
      }
    }
  }
  return { out, weights };
}

export interface AttentionGradients {
  dquery: Float64Array;
  /** With a key given; else its gradient is in dvalue. */
  dkey?: Float64Array;
  dvalue: Float64Array;
  dc: number;
  da: number;
  dw: Float64Array;
}

export function attentionBackward(s: AttentionSpec, t: AttentionTensors, dout: Float64Array): AttentionGradients {
  const { batch: B, querySteps: Tq, valueSteps: Tv, dim: D, valueDim: E } = s;
  const { weights } = attentionForward(s, t);
  const k = t.key ?? t.value;
  const c = t.c ?? 1;
  const a = t.a ?? 1;
  const dquery = new Float64Array(Tq * B * D);
  const dkey = new Float64Array(Tv * B * D);
  const dvalue = new Float64Array(Tv * B * E);
  const dw = new Float64Array(D);
  let dc = 0;
  let da = 0;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < Tq; i++) {
      const keep = t.queryMask ? t.queryMask[i * B + b] : 1;
      const g = (e: number) => keep * dout[(i * B + b) * E + e];
      const W = (j: number) => weights[(b * Tq + i) * Tv + j];
      const dW = Array.from({ length: Tv }, (_, j) => {
        let sum = 0;
        for (let e = 0; e < E; e++) sum += g(e) * t.value[(j * B + b) * E + e];
        return sum;
      });
      const mean = dW.reduce((sum, x, j) => sum + W(j) * x, 0);
      for (let j = 0; j < Tv; j++) {
        for (let e = 0; e < E; e++) dvalue[(j * B + b) * E + e] += W(j) * g(e);
        const ds = W(j) * (dW[j] - mean);
        dc += ds * raw(s, t, b, i, j);
        for (let d = 0; d < D; d++) {
          const q = t.query[(i * B + b) * D + d];
          const kv = k[(j * B + b) * D + d];
          if (s.score === 'dot') {
            dquery[(i * B + b) * D + d] += c * ds * kv;
            dkey[(j * B + b) * D + d] += c * ds * q;
          } else {
            const th = Math.tanh(a * (q + kv));
            const wd = t.w ? t.w[d] : 1;
            const slope = c * wd * (1 - th * th);
            dquery[(i * B + b) * D + d] += ds * slope * a;
            dkey[(j * B + b) * D + d] += ds * slope * a;
            da += ds * slope * (q + kv);
            dw[d] += ds * c * th;
          }
        }
      }
    }
  }
  if (!t.key) {
    for (let n = 0; n < dvalue.length; n++) dvalue[n] += dkey[n];
    return { dquery, dvalue, dc, da, dw };
  }
  return { dquery, dkey, dvalue, dc, da, dw };
}
