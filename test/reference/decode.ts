// Step-by-step float64 decoding, as the seeds do it: run one decoder step, read the output, feed it back.

import { REFERENCE_CELLS } from './cells/index.js';
import { denseForward } from './dense.js';
import { embeddingForward } from './embedding.js';
import { recurrentForward, type RecurrentOptions, type RecurrentWeights } from './recurrent.js';

export interface CellWeights extends RecurrentWeights {
  cell: 'lstm' | 'gru' | 'simple_rnn';
  /** Cell options (activation, resetAfter, ...). */
  options?: RecurrentOptions;
}

/** Runs a cell over x [B, T, in] from `state` (one array per state); returns the final state and hSeq. */
export function runCell(w: CellWeights, x: Float64Array, B: number, T: number, state?: Float64Array[]) {
  const r = recurrentForward(REFERENCE_CELLS[w.cell], w, x, B, T, { ...w.options, returnSequences: true, initialState: state });
  return { state: r.states, sequence: r.output };
}

export interface DecoderWeights {
  cell: CellWeights;
  head: { kernel: Float64Array; bias: Float64Array };
  /** Token decoders: the decoder's embedding table [vocab, dim]. */
  embedding?: { table: Float64Array; vocab: number };
}

/** Numeric decoding: input 0 first, each output fed back. Returns [B, steps, units]. */
export function decodeNumbers(dec: DecoderWeights, state: Float64Array[], B: number, steps: number, units: number, first?: Float64Array): Float64Array {
  const out = new Float64Array(B * steps * units);
  let input = first ?? new Float64Array(B * units);
  for (let s = 0; s < steps; s++) {
    const step = runCell(dec.cell, input, B, 1, state);
    state = step.state;
    const y = denseForward(dec.head, step.state[0], B, 'linear').output;
    for (let b = 0; b < B; b++) for (let f = 0; f < units; f++) out[(b * steps + s) * units + f] = y[b * units + f];
    input = y;
  }
  return out;
}

/** Greedy token decoding with an end token (later positions hold endToken). Returns [B, steps]. */
export function decodeTokens(dec: DecoderWeights, state: Float64Array[], B: number, steps: number, start: number, end: number): Int32Array {
  const vocab = dec.embedding!.vocab;
  const out = new Int32Array(B * steps);
  let ids = new Int32Array(B).fill(start);
  const finished = new Array<boolean>(B).fill(false);
  for (let s = 0; s < steps; s++) {
    const x = embeddingForward(dec.embedding!.table, vocab, ids);
    const step = runCell(dec.cell, x, B, 1, state);
    state = step.state;
    const logits = denseForward(dec.head, step.state[0], B, 'linear').output;
    ids = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      let best = 0;
      for (let v = 1; v < vocab; v++) if (logits[b * vocab + v] > logits[b * vocab + best]) best = v;
      ids[b] = finished[b] ? end : best;
      if (best === end && end >= 0) finished[b] = true;
      out[b * steps + s] = ids[b];
    }
  }
  return out;
}

/**
 * Seed 004's closed loop in float64: each prediction runs the stack over the last T values from a zero
 * state, the head reads the last layer's final h, and the prediction is appended to the values.
 * `prime` [B, T, F] batch-major; returns [B, steps, F].
 */
export function windowLoop(stack: CellWeights[], head: { kernel: Float64Array; bias: Float64Array }, prime: Float64Array, B: number, T: number, F: number, steps: number): Float64Array {
  const values = Array.from({ length: B }, (_, b) => Array.from(prime.subarray(b * T * F, (b + 1) * T * F)));
  const out = new Float64Array(B * steps * F);
  for (let s = 0; s < steps; s++) {
    let x: Float64Array = new Float64Array(B * T * F);
    for (let b = 0; b < B; b++) x.set(values[b].slice(values[b].length - T * F), b * T * F);
    let h: Float64Array = new Float64Array(0);
    for (const layer of stack) {
      const run = runCell(layer, x, B, T);
      x = run.sequence;
      h = run.state[0];
    }
    const y = denseForward(head, h, B, 'linear').output;
    for (let b = 0; b < B; b++) {
      for (let f = 0; f < F; f++) out[(b * steps + s) * F + f] = y[b * F + f];
      values[b].push(...y.subarray(b * F, (b + 1) * F));
    }
  }
  return out;
}
