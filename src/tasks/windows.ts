// Sequence-to-sequence windows over sampled functions, as the seed experiments build them:
// x = linspace(from, to, points); window i covers samples i .. i + steps - 1 (points - steps windows);
// encoder input = f_in over the window, target = f_out over the window, decoder input = the target
// shifted right by one step with a leading 0 (teacher forcing).

/** `points` evenly spaced numbers from `from` to `to`, both included (NumPy's linspace). */
export function linspace(from: number, to: number, points: number): Float64Array {
  if (!Number.isInteger(points) || points < 2) throw new RangeError(`linspace: points must be an integer >= 2, got ${points}`);
  return Float64Array.from({ length: points }, (_, i) => from + ((to - from) * i) / (points - 1));
}

/** The sampling of {@link translationWindows}: a grid from `from` to `to`, cut into windows. */
export interface WindowOptions {
  /** First sample of the grid. */
  from: number;
  /** Last sample of the grid. */
  to: number;
  /** Samples of the grid. Default 100 (the seeds). */
  points?: number;
  /** Steps per window. Default 24 (the seeds). */
  steps?: number;
}

/** Windows shaped for Seq2Seq.fit: x = [encoderInput, decoderInput], y = target, each [N, steps, 1]. */
export interface TranslationWindows {
  /** The encoder input (the input function over each window) and the decoder input (the target shifted right by one step, a leading 0). */
  x: [FlatSequences, FlatSequences];
  /** The output function over each window. */
  y: FlatSequences;
  /** The sampling grid and the two functions on it. */
  grid: Float64Array;
  /** The input function on the grid. */
  input: Float64Array;
  /** The output function on the grid. */
  output: Float64Array;
  /** Windows (N). */
  count: number;
  /** Steps per window. */
  steps: number;
}

/** Numeric sequences [N, T, F] as flat batch-major data: data[(n * T + t) * F + f]. */
export interface FlatSequences {
  /** The values. */
  data: Float32Array;
  /** [N, T, F]. */
  shape: [number, number, number];
}

/**
 * Seq2Seq training data that translates one sampled function into another, as the seed experiments
 * make it: the grid is linspace(from, to, points), window i covers samples i .. i + steps - 1.
 */
export function translationWindows(input: (x: number) => number, output: (x: number) => number, options: WindowOptions): TranslationWindows {
  const points = options.points ?? 100;
  const steps = options.steps ?? 24;
  if (!Number.isInteger(steps) || steps < 1 || steps >= points) throw new RangeError(`windows: steps must be an integer in [1, ${points - 1}], got ${steps}`);
  const grid = linspace(options.from, options.to, points);
  const inputs = grid.map(input);
  const outputs = grid.map(output);
  for (const [name, values] of [['input', inputs], ['output', outputs]] as const) {
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new RangeError(`windows: the ${name} function is ${values[bad]} at x = ${grid[bad]}`);
  }
  const count = points - steps;
  const encoder = new Float32Array(count * steps);
  const decoder = new Float32Array(count * steps);
  const target = new Float32Array(count * steps);
  for (let n = 0; n < count; n++) {
    for (let t = 0; t < steps; t++) {
      encoder[n * steps + t] = inputs[n + t];
      target[n * steps + t] = outputs[n + t];
      decoder[n * steps + t] = t === 0 ? 0 : outputs[n + t - 1];
    }
  }
  const shape: [number, number, number] = [count, steps, 1];
  return {
    x: [{ data: encoder, shape }, { data: decoder, shape: [...shape] }],
    y: { data: target, shape: [...shape] },
    grid, input: inputs, output: outputs, count, steps,
  };
}

/** Next-step prediction windows over one series: input samples i..i+steps-1, target i+1..i+steps (seed 004). */
export function nextStepWindows(series: ArrayLike<number>, steps: number): {
  /** Inputs [N, steps, 1]. */
  x: FlatSequences;
  /** Targets [N, steps, 1]: the inputs one sample later. */
  y: FlatSequences;
  /** Windows (N). */
  count: number;
} {
  const count = series.length - steps;
  if (!Number.isInteger(steps) || steps < 1 || count < 1) throw new RangeError(`nextStepWindows: need an integer steps in [1, ${series.length - 1}], got ${steps}`);
  const x = new Float32Array(count * steps);
  const y = new Float32Array(count * steps);
  for (let n = 0; n < count; n++) {
    for (let t = 0; t < steps; t++) {
      x[n * steps + t] = series[n + t];
      y[n * steps + t] = series[n + t + 1];
    }
  }
  return { x: { data: x, shape: [count, steps, 1] }, y: { data: y, shape: [count, steps, 1] }, count };
}
