// The numbers a run is judged by, all computed with one GPU decode call each:
//   function tasks: greedy decode MSE over every window (the decoder fed its own outputs, as the seeds'
//                   inference loop does), from Seq2Seq.predict on all windows at once;
//   damped:         closed-loop MSE: primed with the first window, the model generates the rest of the series;
//   characters:     exact-match and per-position accuracy of greedy generation on the test questions.

import type { FlatSequences, Seq2Seq, SequenceModel, TranslationWindows } from '../index.js';
import type { CharacterTask, Vocabulary } from '../tasks/characters.js';

export interface DecodeResult {
  /** Decoded outputs [count, steps] (one feature). */
  outputs: Float32Array;
  mse: number;
}

/** Greedy decoding of every window at once; MSE against the targets. */
export async function decodeWindows(model: Seq2Seq, windows: TranslationWindows): Promise<DecodeResult> {
  const { data } = await model.predict(windows.x[0], { steps: windows.steps });
  return { outputs: data, mse: meanSquaredError(data, windows.y.data) };
}

export interface ClosedLoopResult {
  /** The generated continuation: samples steps .. steps + horizon - 1 of the series. */
  generated: Float32Array;
  /** MSE over the generated samples the series has. */
  mse: number;
}

/**
 * Closed-loop generation as seed 004 runs it: the model sees the last `steps` samples (the first window of
 * the series, then more and more of its own predictions), from a zero state as in training, and its
 * prediction for the step after them is the next sample. One GPU call for all of it
 * (SequenceModel.generate, mode 'window').
 */
export async function closedLoop(model: SequenceModel, series: ArrayLike<number>, steps: number, horizon = series.length - steps): Promise<ClosedLoopResult> {
  const prime: FlatSequences = { data: Float32Array.from({ length: steps }, (_, i) => series[i]), shape: [1, steps, 1] };
  const { data: generated } = await model.generate(prime, { steps: horizon, mode: 'window' });
  const known = Math.max(0, Math.min(horizon, series.length - steps));
  const truth = Float32Array.from({ length: known }, (_, i) => series[steps + i]);
  return { generated, mse: meanSquaredError(generated.subarray(0, known), truth) };
}

/**
 * Closed-loop generation carrying the state on (SequenceModel.generate: one GPU call for every step):
 * primed with the first window, the model runs on past the window length it was trained on.
 */
export async function statefulLoop(model: SequenceModel, series: ArrayLike<number>, steps: number, horizon = series.length - steps): Promise<ClosedLoopResult> {
  const prime: FlatSequences = { data: Float32Array.from({ length: steps }, (_, i) => series[i]), shape: [1, steps, 1] };
  const { data } = await model.generate(prime, { steps: horizon });
  const known = Math.max(0, Math.min(horizon, series.length - steps));
  const truth = Float32Array.from({ length: known }, (_, i) => series[steps + i]);
  return { generated: data, mse: meanSquaredError(data.subarray(0, known), truth) };
}

export interface CharacterScores {
  exactMatch: number;
  /** Accuracy at each answer position (answers padded with spaces to the longest). */
  perPosition: number[];
  /** Mean of perPosition. */
  characterAccuracy: number;
  predictions: string[];
}

/** Greedy generation for every question of `task` at once, decoded and compared with the answers. */
export async function scoreCharacters(model: Seq2Seq, task: CharacterTask): Promise<CharacterScores> {
  const predictions = await generateAnswers(model, task.vocabulary, task.source, task.targetLength);
  return compareAnswers(predictions, task.answers, task.targetLength - 1);
}

/** Decoded answers for encoded questions [N, sourceLength]: greedy, or the best of a beam search of `beamWidth` beams. */
export async function generateAnswers(model: Seq2Seq, vocabulary: Vocabulary, source: number[][], maxLength: number, beamWidth?: number): Promise<string[]> {
  return (await generateWithAttention(model, vocabulary, source, maxLength, beamWidth)).answers;
}

/** As generateAnswers, and with a greedy decode of a model with attention each answer's weights [maxLength, sourceLength]. */
export async function generateWithAttention(model: Seq2Seq, vocabulary: Vocabulary, source: number[][], maxLength: number, beamWidth?: number): Promise<{ answers: string[]; attention?: Float32Array }> {
  const returnAttention = beamWidth === undefined && (model.config.attention ?? 'none') !== 'none';
  const { data, attention } = await model.generate(source, { maxLength, startToken: vocabulary.startId, endToken: vocabulary.endId, beamWidth, ...(returnAttention ? { returnAttention } : {}) });
  return { answers: source.map((_, i) => vocabulary.decode(data.subarray(i * maxLength, (i + 1) * maxLength))), attention: attention?.data };
}

export function compareAnswers(predictions: string[], answers: string[], positions: number): CharacterScores {
  const correct = new Array<number>(positions).fill(0);
  let exact = 0;
  predictions.forEach((prediction, i) => {
    if (prediction === answers[i]) exact++;
    const p = prediction.padEnd(positions);
    const a = answers[i].padEnd(positions);
    for (let k = 0; k < positions; k++) if (p[k] === a[k]) correct[k]++;
  });
  const n = Math.max(1, answers.length);
  const perPosition = correct.map((c) => c / n);
  return {
    exactMatch: exact / n,
    perPosition,
    characterAccuracy: perPosition.reduce((a, b) => a + b, 0) / Math.max(1, positions),
    predictions,
  };
}

export function meanSquaredError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`meanSquaredError: lengths ${a.length} and ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return sum / Math.max(1, a.length);
}
