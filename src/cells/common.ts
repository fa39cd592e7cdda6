// What the cell descriptors share: Keras' defaults and option checks, and gate-blocked Keras weights
// stored gate-interleaved.

import { ShapeError } from '../gpu/errors.js';
import { OUTPUT_DIFFERENTIABLE, type PointwiseActivation } from '../kernels/activation.js';
import { fromInterleaved, toInterleaved } from '../layers/gate-layout.js';
import { initialize, type InitializerSpec } from '../layers/initializers.js';
import type { CellConfig, CellOptions, CellWeight } from './descriptor.js';

function cellActivation(value: unknown, fallback: PointwiseActivation, who: string, what: string): PointwiseActivation {
  const name = value ?? fallback;
  if (typeof name !== 'string' || !OUTPUT_DIFFERENTIABLE.has(name as PointwiseActivation)) {
    throw new ShapeError(`${who}: ${what} '${String(name)}' is not supported in a recurrent cell (supported: ${[...OUTPUT_DIFFERENTIABLE].join(', ')})`);
  }
  return name as PointwiseActivation;
}

function flag(value: unknown, fallback: boolean, who: string, what: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ShapeError(`${who}: ${what} must be true or false, got ${String(value)}`);
  return value;
}

/** Keras' defaults, checked; `accepts` lists the cell-specific options this cell takes. */
export function configureCell(options: CellOptions, who: string, accepts: readonly (keyof CellOptions)[], gated: boolean): CellConfig {
  if (options === null || typeof options !== 'object') throw new ShapeError(`${who}: options must be an object`);
  for (const key of ['recurrentActivation', 'unitForgetBias', 'resetAfter'] as const) {
    if (options[key] !== undefined && !accepts.includes(key)) throw new ShapeError(`${who}: option '${key}' does not apply to this cell`);
  }
  const { units } = options;
  if (!Number.isInteger(units) || units < 1) throw new ShapeError(`${who}: units must be a positive integer, got ${String(units)}`);
  return {
    units,
    activation: cellActivation(options.activation, 'tanh', who, 'activation'),
    recurrentActivation: gated ? cellActivation(options.recurrentActivation, 'sigmoid', who, 'recurrentActivation') : 'sigmoid',
    useBias: flag(options.useBias, true, who, 'useBias'),
    unitForgetBias: flag(options.unitForgetBias, true, who, 'unitForgetBias'),
    resetAfter: flag(options.resetAfter, true, who, 'resetAfter'),
    kernelInitializer: options.kernelInitializer ?? 'glorot_uniform',
    recurrentInitializer: options.recurrentInitializer ?? 'orthogonal',
    biasInitializer: options.biasInitializer ?? 'zeros',
  };
}

/**
 * A gate-blocked Keras matrix or vector [rows, gates * units] (rows = 1 for a bias [gates * units]),
 * stored [rows, units, slots] in one parameter `part`.
 */
export function gateWeight(
  name: string, part: string, shape: readonly number[], rows: number, units: number, gates: number, slots: number,
  initial: (seed: number) => Float32Array,
): CellWeight {
  return {
    name,
    shape,
    parts: [{ part, floats: rows * units * slots }],
    toStored: (keras) => [toInterleaved(keras, rows, units, gates, slots)],
    fromStored: ([stored]) => fromInterleaved(stored, rows, units, gates, slots),
    initial,
  };
}

/** The kernel [in, G u] and recurrent kernel [u, G u], with Keras' initializers. */
export function kernels(config: CellConfig, inputSize: number, gates: number, slots: number): CellWeight[] {
  const u = config.units;
  const g = gates * u;
  return [
    gateWeight('kernel', 'kernel', [inputSize, g], inputSize, u, gates, slots, (seed) => init(config.kernelInitializer, [inputSize, g], seed)),
    gateWeight('recurrent_kernel', 'recurrent_kernel', [u, g], u, u, gates, slots, (seed) => init(config.recurrentInitializer, [u, g], seed + 1)),
  ];
}

export function init(spec: InitializerSpec, shape: readonly number[], seed: number): Float32Array {
  return initialize(spec, shape, seed);
}
