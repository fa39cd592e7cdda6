// The configuration of Seq2Seq and SequenceModel, and the Keras-style graph it stands for:
//
//   encoder (Seq2Seq):  input -> Embedding? -> recurrent layer 0 .. N-1 (each hands on its final states)
//   decoder:            input -> Embedding? -> recurrent layer 0 .. N-1 (layer i starts from encoder
//                       layer i's states) -> Dense head at every step
//   attention (Seq2Seq, optional): the decoder's last output attends over the encoder's last output
//                       sequence (Luong: dot-product scores; Bahdanau: additive scores), and the head
//                       reads [context, decoder output] (Luong's concatenation)
//
// A SequenceModel is the decoder alone (a zero initial state). Layer names and seeds are fixed by their
// place, so a configuration always makes the same weights and names.

import { ShapeError } from '../gpu/errors.js';
import { cellByName, type CellType } from '../cells/index.js';
import type { Activation, PointwiseActivation } from '../kernels/activation.js';
import type { RecurrentStrategy } from '../kernels/recurrence.js';
import { AdditiveAttentionLayer, AttentionLayer } from '../layers/keras/attention.js';
import { DenseLayer } from '../layers/keras/dense.js';
import { Concatenate } from '../layers/keras/merge.js';
import { EmbeddingLayer } from '../layers/keras/embedding.js';
import { input } from '../layers/keras/input.js';
import type { SymbolicTensor } from '../layers/keras/layer.js';
import { RecurrentLayerNode } from '../layers/keras/recurrent.js';
import { expectPositiveInteger } from '../layers/validate.js';
import { featureSequences, tokenSequences, type FeatureSequences, type SequenceSet, type TokenSequences } from './data.js';
import type { DecodeBranch } from '../plan/decode-plan.js';

export type { CellType };

/** One recurrent layer of a model's branch. */
export interface RecurrentLayerSpec {
  /** Default 'lstm'. */
  cell?: CellType;
  /** Units (the size of h). */
  units: number;
  /** The cell's activation: default 'tanh' ('relu' is common for SimpleRNN). */
  activation?: PointwiseActivation;
  /** Gated cells (LSTM, GRU): default 'sigmoid'. */
  recurrentActivation?: PointwiseActivation;
  /** GRU: Keras' reset_after, default true. */
  resetAfter?: boolean;
  /** Process the sequence in reverse (Keras go_backwards). Default false. */
  goBackwards?: boolean;
  /** How the recurrence runs: 'auto' (default), 'sequence' (one dispatch) or 'step' (dispatches per step). */
  strategy?: RecurrentStrategy;
}

/**
 * A model's encoder or decoder: numeric input (`inputSize`) or token ids (`vocabSize` and `embeddingDim`:
 * an Embedding in front), then one or more recurrent layers.
 */
export interface BranchSpec {
  /** Features per step of a numeric input (omit with vocabSize). */
  inputSize?: number;
  /** Token input: vocabulary size of the Embedding (omit with inputSize). */
  vocabSize?: number;
  /** Token input: embedding width. */
  embeddingDim?: number;
  /** The recurrent layers, first to last. */
  layers: RecurrentLayerSpec[];
}

/** The Dense layer a model applies at every step of its last recurrent layer's output. */
export interface HeadSpec {
  /** Outputs per step (the vocabulary size for token targets). */
  units: number;
  /** Default 'linear'. */
  activation?: Activation;
}

/** A model's network: an optional encoder, a decoder and a head (what Seq2Seq and SequenceModel build). */
export interface NetworkSpec {
  /** The encoder (Seq2Seq); its final states start the decoder. */
  encoder?: BranchSpec;
  /** The decoder (a SequenceModel's only branch). */
  decoder: BranchSpec;
  /** The Dense head at every decoder step. */
  head: HeadSpec;
  /** Seq2Seq: attention of each decoder step over the encoder's outputs. Default 'none'. */
  attention?: AttentionKind;
  /** Seed of every initializer. Default 0. */
  seed?: number;
}

/** 'luong': dot-product scores (Keras' Attention); 'bahdanau': additive scores (AdditiveAttention); 'none'. */
export type AttentionKind = 'none' | 'luong' | 'bahdanau';

/** One branch of the graph, with what decoding and the data checks need of it. */
export class BranchGraph {
  readonly input: SymbolicTensor;
  readonly embedding?: EmbeddingLayer;
  readonly layers: RecurrentLayerNode[];
  /** Features per step entering the first recurrent layer. */
  readonly inputFeatures: number;
  /** The last layer's output sequence. */
  readonly output: SymbolicTensor;
  /** Each layer's final states. */
  readonly states: SymbolicTensor[][];

  constructor(spec: BranchSpec, name: string, seed: number, initialStates?: SymbolicTensor[][]) {
    if (!Array.isArray(spec.layers) || spec.layers.length === 0) throw new ShapeError(`${name}: needs at least one recurrent layer`);
    if (spec.vocabSize !== undefined) {
      if (spec.inputSize !== undefined) throw new ShapeError(`${name}: give either inputSize (numeric input) or vocabSize (tokens), not both`);
      expectPositiveInteger(`${name}.embeddingDim`, spec.embeddingDim ?? NaN);
      this.input = input({ shape: [null], name: `${name}_input`, dtype: 'int32' });
      this.embedding = new EmbeddingLayer({ inputDim: spec.vocabSize, outputDim: spec.embeddingDim!, seed, name: `${name}.embedding` });
      this.inputFeatures = spec.embeddingDim!;
    } else {
      expectPositiveInteger(`${name}.inputSize`, spec.inputSize ?? NaN);
      this.input = input({ shape: [null, spec.inputSize!], name: `${name}_input` });
      this.inputFeatures = spec.inputSize!;
    }
    let x = this.embedding ? (this.embedding.apply(this.input) as SymbolicTensor) : this.input;
    this.states = [];
    this.layers = spec.layers.map((layer, i) => {
      const cell = cellByName(layer.cell ?? 'lstm', `${name} layer ${i}`);
      const node = new RecurrentLayerNode(cell.name as CellType, {
        units: layer.units,
        activation: layer.activation,
        ...(cell.gated ? { recurrentActivation: layer.recurrentActivation } : {}),
        ...(cell.name === 'gru' ? { resetAfter: layer.resetAfter } : {}),
        returnSequences: true,
        returnState: true,
        goBackwards: layer.goBackwards,
        strategy: layer.strategy,
        seed: seed + 10 * (i + 1),
        name: `${name}.${cell.name}_${i}`,
      });
      const [sequence, ...states] = node.apply(x, { initialState: initialStates?.[i] }) as SymbolicTensor[];
      this.states.push(states);
      x = sequence;
      return node;
    });
    this.output = x;
  }

  get tokens(): boolean {
    return this.embedding !== undefined;
  }

  get vocabSize(): number | undefined {
    return this.embedding?.inputDim;
  }

  /** A user's input for this branch, checked: token ids when it embeds, feature vectors otherwise. */
  sequences(value: unknown, what: string): SequenceSet {
    if (this.embedding) return tokenSequences(value as TokenSequences, what, this.embedding.inputDim);
    return featureSequences(value as FeatureSequences, what, this.inputFeatures);
  }

  /** The built layers, for a decode plan. */
  decodeBranch(): DecodeBranch {
    return { embedding: this.embedding?.weightLayer, layers: this.layers.map((l) => l.weightLayer!), inputFeatures: this.inputFeatures, tokens: this.tokens };
  }
}

/** The graph of a configuration: its branches, its head, its inputs and output. */
export interface RecurrentGraph {
  readonly encoder?: BranchGraph;
  readonly decoder: BranchGraph;
  readonly head: DenseLayer;
  /** The attention layer the decoder's output queries the encoder's outputs with. */
  readonly attention?: AttentionLayer | AdditiveAttentionLayer;
  readonly inputs: SymbolicTensor[];
  readonly output: SymbolicTensor;
}

export function recurrentGraph(spec: NetworkSpec): RecurrentGraph {
  const seed = spec.seed ?? 0;
  const encoder = spec.encoder ? new BranchGraph(spec.encoder, 'encoder', seed + 1000) : undefined;
  if (encoder) checkBridge(encoder, spec.decoder);
  const decoder = new BranchGraph(spec.decoder, encoder ? 'decoder' : 'rnn', seed + 2000, encoder?.states);
  expectPositiveInteger('head.units', spec.head?.units ?? NaN);
  const head = new DenseLayer({ units: spec.head.units, activation: spec.head.activation, seed: seed + 3000, name: 'head' });
  const kind = spec.attention ?? 'none';
  if (kind !== 'none' && kind !== 'luong' && kind !== 'bahdanau') throw new ShapeError(`seq2seq: attention must be 'none', 'luong' or 'bahdanau', got '${String(kind)}'`);
  if (kind !== 'none' && !encoder) throw new ShapeError('attention: needs an encoder to attend over (a Seq2Seq)');
  const attention = kind === 'none' ? undefined
    : kind === 'luong' ? new AttentionLayer({ name: 'attention' }) : new AdditiveAttentionLayer({ name: 'attention', seed: seed + 4000 });
  const headInput = attention
    ? (new Concatenate({ name: 'attention_concat' }).apply([attention.apply([decoder.output, encoder!.output]) as SymbolicTensor, decoder.output]) as SymbolicTensor)
    : decoder.output;
  const output = head.apply(headInput) as SymbolicTensor;
  return { encoder, decoder, head, attention, inputs: [...(encoder ? [encoder.input] : []), decoder.input], output };
}

function checkBridge(encoder: BranchGraph, decoder: BranchSpec): void {
  if (encoder.layers.length !== decoder.layers?.length) {
    throw new ShapeError(`seq2seq: encoder has ${encoder.layers.length} recurrent layers, decoder ${decoder.layers?.length ?? 0}; decoder layer i starts from encoder layer i's state, so they must match`);
  }
  encoder.layers.forEach((e, i) => {
    const d = decoder.layers[i];
    const cell = cellByName(d.cell ?? 'lstm', `decoder layer ${i}`);
    if (e.units !== d.units || e.stateCount !== 1 + cell.extraStates.length) {
      throw new ShapeError(`seq2seq: encoder layer ${i} (${e.name}, ${e.units} units) and decoder layer ${i} (decoder.${cell.name}_${i}, ${d.units} units) must have the same cell and units to pass the state`);
    }
  });
}
