// Beam search in float64, written plainly from its definition (shaders/beam.wgsl states the rules):
// every step lists all candidates of every beam, sorts them by their ranking key (highest first, ties by
// the lower index beam * V + token) and keeps the first K. The model is a function from a hypothesis'
// tokens to the next token's logits, so the reference recomputes each prefix from the start and shares
// nothing with the GPU's reordering of states.

export interface BeamReferenceOptions {
  width: number;
  vocab: number;
  maxLength: number;
  /** -1: no end token. */
  endToken: number;
  /** GNMT's alpha: key = score / ((5 + length) / 6)^alpha. */
  lengthPenalty: number;
}

export interface ReferenceHypothesis {
  /** maxLength tokens; after the end token, the end token. */
  tokens: number[];
  /** Summed log-probabilities of the tokens up to and including the end token. */
  score: number;
  /** Tokens up to and including the end token. */
  length: number;
  finished: boolean;
}

export interface BeamReferenceResult {
  /** The beams after the last step, best first (fewer than K when fewer candidates existed). */
  beams: ReferenceHypothesis[];
  /**
   * The smallest gap between ranking keys that decided the search: between consecutive kept candidates
   * and between the last kept and the first dropped, over every step (exactly equal keys excluded: ties
   * are decided by the index). A float32 search agrees with this one when its errors stay below it.
   */
  margin: number;
}

export function rankingKey(score: number, length: number, lengthPenalty: number): number {
  return score / ((5 + length) / 6) ** lengthPenalty;
}

export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  const top = Math.max(...Array.from(logits));
  const lse = top + Math.log(Array.from(logits).reduce((s, l) => s + Math.exp(l - top), 0));
  return Float64Array.from(logits, (l) => l - lse);
}

/** One beam of a step: its score, length, and whether it ended; absent beams are not listed. */
export interface ReferenceBeam {
  score: number;
  length: number;
  finished: boolean;
}

/** One kept candidate: the beam it extends (its index among the step's beams), its token and its new state. */
export interface ReferenceChoice extends ReferenceBeam {
  parent: number;
  token: number;
}

/**
 * One step: every candidate of every beam (`beams[k]` null: an empty beam), ranked, the first K kept.
 * `logits(k)` gives beam k's next-token logits. Returns the choices in rank order and the deciding margin.
 */
export function selectBeams(
  beams: readonly (ReferenceBeam | null)[], logits: (k: number) => ArrayLike<number>, o: BeamReferenceOptions,
): { choices: ReferenceChoice[]; margin: number } {
  const candidates: (ReferenceChoice & { index: number; key: number })[] = [];
  beams.forEach((beam, k) => {
    if (!beam) return;
    if (beam.finished) {
      candidates.push({ ...beam, parent: k, token: o.endToken, index: k * o.vocab + o.endToken, key: rankingKey(beam.score, beam.length, o.lengthPenalty) });
      return;
    }
    const logp = logSoftmax(logits(k));
    for (let v = 0; v < o.vocab; v++) {
      const score = beam.score + logp[v];
      const length = beam.length + 1;
      candidates.push({ parent: k, token: v, score, length, finished: v === o.endToken, index: k * o.vocab + v, key: rankingKey(score, length, o.lengthPenalty) });
    }
  });
  candidates.sort((a, b) => b.key - a.key || a.index - b.index);
  let margin = Infinity;
  for (let j = 0; j + 1 < Math.min(candidates.length, o.width + 1); j++) {
    const gap = candidates[j].key - candidates[j + 1].key;
    if (gap > 0) margin = Math.min(margin, gap);
  }
  const choices = candidates.slice(0, o.width).map(({ parent, token, score, length, finished }) => ({ parent, token, score, length, finished }));
  return { choices, margin };
}

/** Beam search over `nextLogits(prefix)` (prefix: the tokens chosen so far, without the start token). */
export function beamSearchReference(nextLogits: (prefix: readonly number[]) => ArrayLike<number>, o: BeamReferenceOptions): BeamReferenceResult {
  let beams: ReferenceHypothesis[] = [{ tokens: [], score: 0, length: 0, finished: false }];
  let margin = Infinity;
  for (let t = 0; t < o.maxLength; t++) {
    const step = selectBeams(beams, (k) => nextLogits(beams[k].tokens), o);
    margin = Math.min(margin, step.margin);
    beams = step.choices.map(({ parent, token, score, length, finished }) => ({ tokens: [...beams[parent].tokens, token], score, length, finished }));
  }
  return { beams, margin };
}
