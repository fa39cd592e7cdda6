// A recurrent cell, described once: everything the shared time loop (shaders/recurrence.wgsl), the
// recurrent layer (src/layers/recurrent.ts) and the decode plans need to know about it. Adding a cell is
// one WGSL file under shaders/cells/, one descriptor here, and its float64 reference; nothing else
// switches on the cell type.
//
// Weights are Keras' (names, shapes, gate order, initializers); inside, a weight is stored as one or more
// parameters in the kernels' layout: gates of a unit side by side in `slots` floats, with a leading
// direction axis (2 for a Bidirectional layer run in one dispatch).

import type { Constants } from '../gpu/kernel-registry.js';
import type { PointwiseActivation } from '../kernels/activation.js';
import type { InitializerSpec } from '../layers/initializers.js';

/** The Keras options of every cell (camelCase); each cell reads the ones it has. */
export interface CellOptions {
  /** Units (the size of h). */
  units: number;
  /** Default 'tanh'. */
  activation?: PointwiseActivation;
  /** Gated cells: default 'sigmoid' (Keras 2.x/3; TensorFlow.js' own default is 'hard_sigmoid'). */
  recurrentActivation?: PointwiseActivation;
  /** Default true. */
  useBias?: boolean;
  /** LSTM: start the forget gate's bias at 1. Default true. */
  unitForgetBias?: boolean;
  /** GRU: apply the reset gate after the recurrent product (Keras 2.x/3 and cuDNN). Default true. */
  resetAfter?: boolean;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: InitializerSpec;
  /** Default 'orthogonal'. */
  recurrentInitializer?: InitializerSpec;
  /** Default 'zeros'. */
  biasInitializer?: InitializerSpec;
}

/** CellOptions with every default filled in. */
export interface CellConfig {
  /** Units (the size of h). */
  units: number;
  /** The cell's activation. */
  activation: PointwiseActivation;
  /** The gates' activation (gated cells). */
  recurrentActivation: PointwiseActivation;
  /** Whether the cell has biases. */
  useBias: boolean;
  /** LSTM: whether the forget gate's bias starts at 1. */
  unitForgetBias: boolean;
  /** GRU: whether the reset gate applies after the recurrent product. */
  resetAfter: boolean;
  /** Initializer of the input kernel. */
  kernelInitializer: InitializerSpec;
  /** Initializer of the recurrent kernel. */
  recurrentInitializer: InitializerSpec;
  /** Initializer of the biases. */
  biasInitializer: InitializerSpec;
}

/** One stored parameter of a weight: its name suffix and floats per direction. */
export interface ParameterPart {
  /** Name suffix of the stored parameter ('kernel', 'recurrent_kernel', 'bias', 'recurrent_bias'). */
  readonly part: string;
  /** Floats per direction. */
  readonly floats: number;
}

/** A Keras weight of the cell and how it is stored. */
export interface CellWeight {
  /** Keras name: 'kernel', 'recurrent_kernel', 'bias'. */
  readonly name: string;
  /** Keras shape. */
  readonly shape: readonly number[];
  /** The parameters it is stored in (one, or two for a GRU's [2, 3u] bias). */
  readonly parts: readonly ParameterPart[];
  /** Keras layout -> one array per part, in the kernels' layout. */
  toStored(keras: Float32Array): Float32Array[];
  /** Stored parts -> Keras layout. */
  fromStored(parts: readonly Float32Array[]): Float32Array;
  /** Keras' initial value (Keras layout), seeded. */
  initial(seed: number): Float32Array;
}

/**
 * A recurrent cell, described once: its WGSL file, gates and states, Keras weights and how they are
 * stored, and its defaults. The recurrent layer, the shared time loop and the decode plans read it;
 * nothing else depends on which cell it is.
 */
export interface CellDescriptor {
  /** webrnn's name: 'lstm', 'gru', 'simple_rnn'. */
  readonly name: string;
  /** Keras class name. */
  readonly kerasClass: string;
  /** The cell's WGSL file under shaders/. */
  readonly file: string;
  /** Keras gates per unit (LSTM 4, GRU 3, SimpleRNN 1). */
  readonly gates: number;
  /** Floats per unit in the kernels' gate-interleaved layout: 4 (one vec4) or 1. */
  readonly slots: number;
  /** States besides h, in Keras' return_state order after h (LSTM: ['c']). */
  readonly extraStates: readonly string[];
  /** Whether the cell has a recurrent activation (gated cells). */
  readonly gated: boolean;
  /** Fills in Keras' defaults and checks the options; errors name `who`. */
  configure(options: CellOptions, who: string): CellConfig;
  /** Recurrent products per step: 1, or 2 (GRU with resetAfter = false). */
  phases(config: CellConfig): 1 | 2;
  /** Override constants of the cell file. */
  constants(config: CellConfig): Constants;
  /** The Keras weights, in get_weights() order. */
  weights(config: CellConfig, inputSize: number): CellWeight[];
  /** Floats the cell saves per (direction, step, row, unit) for backward, in its `saved` buffer. */
  savedFloats(config: CellConfig): number;
  /** Scratch values the cell carries between backward steps per (direction, row, unit). */
  readonly carries: number;
  /**
   * The recurrent gradient g the weight gradient dR is built from: 'dz' itself, or the cell's own, kept
   * after dz in the same buffer ([D, PHASES, T, B, U] Gates).
   */
  recurrentGradient(config: CellConfig): 'dz' | 'dz_rec';
  /** Whether the recurrent product has its own bias (GRU resetAfter), stored as part 'recurrent_bias'. */
  recurrentBias(config: CellConfig): boolean;
}
