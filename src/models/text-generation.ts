// Text generation with a Keras-style language model (Model.generate): the layers of a chain
//   input -> [Embedding] -> recurrent layers -> Dense(vocabulary, softmax or linear)
// (dropout and noise layers between them are the identity at inference) become the decode plan's
// stack: the prompt primes it, and each generated token is fed back through the Embedding, all on the
// GPU in one submit. A model without an Embedding reads one-hot vectors (the Keras text-generation
// example): its tokens are fed back through an identity table, and its prompt is given as token ids too.

import type { GpuContext } from '../gpu/context.js';
import { ShapeError } from '../gpu/errors.js';
import type { KernelRegistry } from '../gpu/kernel-registry.js';
import { DenseLayer } from '../layers/keras/dense.js';
import { NoiseLayer } from '../layers/keras/dropout.js';
import { EmbeddingLayer } from '../layers/keras/embedding.js';
import { InputLayer } from '../layers/keras/input.js';
import type { Layer } from '../layers/keras/layer.js';
import { RecurrentLayerNode } from '../layers/keras/recurrent.js';
import { Embedding } from '../layers/embedding.js';
import type { SamplingOptions } from '../kernels/sampling-options.js';
import type { DecodeChain, DecodeOptions } from '../plan/decode-plan.js';
import { tokenSequences, type SequenceSet, type TokenSequences } from './data.js';
import type { Graph } from './graph.js';
import type { TextGenerationOptions } from './model.js';

/** A language model's decode chain, its vocabulary, and the identity table it made (one-hot input). */
export interface GenerationChain {
  chain: DecodeChain;
  vocabulary: number;
  /** The prompt's padding id of a maskZero Embedding (a prompt must not hold it). */
  maskZero: boolean;
  /** The one-hot input's table, made here: released with the model. */
  oneHot?: Embedding;
}

const SHAPE = "webrnn generates from a chain input -> [Embedding] -> recurrent layers -> Dense(vocabulary), with dropout layers between";

/** The decode chain of `graph`, or an error naming the layer that keeps it from being a language model. */
export function generationChain(ctx: GpuContext, registry: KernelRegistry, graph: Graph, who: string): GenerationChain {
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new ShapeError(`${who}: generate needs one input and one output, this model has ${graph.inputs.length} and ${graph.outputs.length}; ${SHAPE}`);
  }
  // From the output back to the input: every layer on the way reads exactly one tensor.
  const layers: Layer[] = [];
  let tensor = graph.outputs[0];
  while (!(tensor.layer instanceof InputLayer)) {
    const node = tensor.node;
    if (node.inbound.length !== 1) throw new ShapeError(`${who}: layer '${node.layer.name}' reads ${node.inbound.length} tensors; ${SHAPE}`);
    layers.unshift(node.layer);
    tensor = node.inbound[0];
  }
  const input = tensor.layer as InputLayer;
  const chain = layers.filter((l) => !(l instanceof NoiseLayer));
  const head = chain.pop();
  if (!(head instanceof DenseLayer)) throw new ShapeError(`${who}: the last layer${head ? ` '${head.name}' (${head.className})` : ''} must be a Dense over the vocabulary; ${SHAPE}`);
  const embedding = chain[0] instanceof EmbeddingLayer ? (chain.shift() as EmbeddingLayer) : undefined;
  const recurrent = chain.map((layer) => {
    if (!(layer instanceof RecurrentLayerNode)) throw new ShapeError(`${who}: layer '${layer.name}' (${layer.className}) cannot run one step at a time; ${SHAPE}`);
    const refusal = layer.config.goBackwards ? 'goBackwards reads the prompt from its end' : layer.stateful ? 'stateful carries states from call to call (generate starts from zero states)' : layer.returnState ? 'returnState gives several outputs' : '';
    if (refusal) throw new ShapeError(`${who}: ${layer.className} '${layer.name}': ${refusal}; generate needs a plain recurrent layer`);
    return layer;
  });
  if (recurrent.length === 0) throw new ShapeError(`${who}: has no recurrent layer; ${SHAPE}`);
  const features = input.shape[input.shape.length - 1];
  const vocabulary = embedding ? embedding.inputDim : (features as number);
  if (head.units !== vocabulary) {
    throw new ShapeError(`${who}: Dense '${head.name}' gives ${head.units} outputs but the ${embedding ? `Embedding '${embedding.name}' has ${vocabulary} tokens` : `one-hot input has ${vocabulary} features`}; they must match to feed tokens back`);
  }
  if (head.activation !== 'softmax' && head.activation !== 'linear') {
    throw new ShapeError(`${who}: Dense '${head.name}' has activation '${head.activation}'; generate draws tokens from logits, of a 'softmax' or 'linear' head`);
  }
  const oneHot = embedding ? undefined : Embedding.create(ctx, { vocabSize: vocabulary, outputDim: vocabulary, embeddingsInitializer: 'identity', name: `${input.name}_one_hot` });
  const table = embedding ? embedding.weightLayer! : oneHot!;
  return {
    chain: {
      decoder: { embedding: table, layers: recurrent.map((l) => l.weightLayer!), inputFeatures: table.outputDim, tokens: true },
      head: head.weightLayer!,
      registry,
    },
    vocabulary,
    maskZero: embedding?.maskZero ?? false,
    oneHot,
  };
}

/** The prompts as a set and the decode's options, checked against the model's vocabulary. */
export function generationRequest(generation: GenerationChain, prompt: TokenSequences, options: TextGenerationOptions): {
  set: SequenceSet; decode: Omit<DecodeOptions, 'batch' | 'primeSteps'>; sampling?: SamplingOptions;
} {
  const { vocabulary, maskZero } = generation;
  const set = tokenSequences(prompt, 'generate prompt', vocabulary);
  if (maskZero && set.data.includes(0)) throw new ShapeError('generate prompt: holds id 0, the padding of a maskZero Embedding; give prompts of one length without padding');
  const endToken = options.endToken ?? -1;
  if (!Number.isInteger(endToken) || endToken < -1 || endToken >= vocabulary) throw new ShapeError(`generate: endToken ${endToken} is out of range [0, ${vocabulary})`);
  const sampling = options.sampling && { ...options.sampling, seed: options.sampling.seed ?? Math.floor(Math.random() * 2 ** 32) };
  return { set, decode: { outputSteps: options.steps, mode: 'continue', endToken, strategy: options.strategy }, sampling };
}
