// The seed models in TensorFlow.js layers, with Keras 2 defaults spelled out where tfjs-layers differs
// (recurrentActivation 'sigmoid', unitForgetBias true): the same models webrnn builds.

import type * as TF from '@tensorflow/tfjs';

type SymbolicTensor = TF.SymbolicTensor;

export interface ModelSpec {
  cell: 'lstm' | 'gru' | 'simpleRNN';
  units: number;
  /** Numeric inputs: features per step; token inputs: vocab and embedding size. */
  input: { features?: number; vocab?: number; embedding?: number };
  outputs: number;
  /** Seeds the initializers (tfjs-layers takes one per initializer); shuffling in fit stays random. */
  seed?: number;
}

export interface TrainingModel {
  model: TF.LayersModel;
  encoderInput: SymbolicTensor;
  encoderStates: SymbolicTensor[];
  decoderLayer: TF.layers.Layer;
  dense: TF.layers.Layer;
}

/** Encoder returning its states, a teacher-forced decoder started from them, a Dense head at every step. */
export function trainingModel(tf: typeof TF, spec: ModelSpec, sourceSteps: number, targetSteps: number, head: 'linear' | 'softmax', learningRate = 1e-3): TrainingModel {
  let seedCounter = (spec.seed ?? 0) * 100;
  const seeded = () => (spec.seed === undefined ? {} : { seed: seedCounter++ });
  const initializers = () => ({
    kernelInitializer: tf.initializers.glorotUniform(seeded()),
    recurrentInitializer: tf.initializers.orthogonal(seeded()),
  });
  const layer = (extra: Record<string, unknown>) => {
    if (spec.cell === 'lstm') return tf.layers.lstm({ units: spec.units, recurrentActivation: 'sigmoid', unitForgetBias: true, ...initializers(), ...extra });
    // tfjs-layers' GRU is Keras' reset_after=False (it throws on true), hard_sigmoid by default.
    if (spec.cell === 'gru') return tf.layers.gru({ units: spec.units, recurrentActivation: 'sigmoid', ...initializers(), ...extra });
    return tf.layers.simpleRNN({ units: spec.units, ...initializers(), ...extra });
  };
  const inputOf = (steps: number) => tf.input({ shape: spec.input.vocab ? [steps] : [steps, spec.input.features!] });
  const embed = (x: SymbolicTensor) => spec.input.vocab
    ? (tf.layers.embedding({ inputDim: spec.input.vocab, outputDim: spec.input.embedding!, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, ...seeded() }) }).apply(x) as SymbolicTensor)
    : x;

  const encoderInput = inputOf(sourceSteps);
  const encoderOut = layer({ returnState: true }).apply(embed(encoderInput)) as SymbolicTensor[];
  const decoderInput = inputOf(targetSteps);
  const decoderLayer = layer({ returnSequences: true, returnState: true });
  const decoderOut = decoderLayer.apply(embed(decoderInput), { initialState: encoderOut.slice(1) }) as SymbolicTensor[];
  const dense = tf.layers.dense({ units: spec.outputs, activation: head, kernelInitializer: tf.initializers.glorotUniform(seeded()) });
  const output = dense.apply(decoderOut[0]) as SymbolicTensor;
  const model = tf.model({ inputs: [encoderInput, decoderInput], outputs: output });
  model.compile({ optimizer: tf.train.adam(learningRate), loss: head === 'linear' ? 'meanSquaredError' : 'sparseCategoricalCrossentropy' });
  return { model, encoderInput, encoderStates: encoderOut.slice(1), decoderLayer, dense };
}

/**
 * Greedy decoding as the seeds run it: the encoder model, then a one-step decoder model called once per
 * step, each step's output read back and fed in. Returns the outputs [count, steps] (one feature).
 */
export async function greedyDecode(tf: typeof TF, built: TrainingModel, spec: ModelSpec, encoderInput: TF.Tensor, steps: number): Promise<Float32Array> {
  const count = encoderInput.shape[0];
  const encoder = tf.model({ inputs: built.encoderInput, outputs: built.encoderStates });
  const stepInput = tf.input({ shape: [1, 1] });
  const stateInputs = built.encoderStates.map(() => tf.input({ shape: [spec.units] }));
  const stepOut = built.decoderLayer.apply(stepInput, { initialState: stateInputs }) as SymbolicTensor[];
  const stepModel = tf.model({ inputs: [stepInput, ...stateInputs], outputs: [built.dense.apply(stepOut[0]) as SymbolicTensor, ...stepOut.slice(1)] });
  let states = [encoder.predict(encoderInput)].flat() as TF.Tensor[];
  let input: TF.Tensor = tf.zeros([count, 1, 1]);
  const outputs = new Float32Array(count * steps);
  for (let t = 0; t < steps; t++) {
    const [y, ...next] = stepModel.predict([input, ...states]) as TF.Tensor[];
    const values = await y.data();
    for (let i = 0; i < count; i++) outputs[i * steps + t] = values[i];
    tf.dispose([input, ...states]);
    input = y;
    states = next;
  }
  tf.dispose([input, ...states]);
  return outputs;
}
