// End-to-end check that the pieces compose the way a seq2seq model chains them:
// embedding -> encoder LSTM (returnState) -> decoder LSTM (initial state = encoder's final state)
// -> Dense logits -> masked sparse cross-entropy. The encoder only receives gradient through
// dhT / dcT, so this proves that path end to end.
import { describe, it } from 'vitest';
import { denseBackward, denseForward, type DenseParams } from './dense.js';
import { embeddingBackward, embeddingForward } from './embedding.js';
import { expectGradient } from './gradcheck.js';
import { sparseSoftmaxCrossEntropy } from './losses.js';
import { lstmReference } from './cells/lstm.js';
import { recurrentBackward, recurrentForward, type RecurrentWeights } from './recurrent.js';
import { mulberry32, randomInts, uniformArray } from './random.js';

const B = 3;
const TS = 4; // source length
const TD = 5; // target length
const V = 7; // vocabulary (shared size for source and target)
const E = 3; // embedding dim
const U = 5; // units

describe('seq2seq composition (rel err <= 1e-6)', () => {
  it('gradients through embedding, encoder, decoder, dense and masked cross-entropy', () => {
    const rng = mulberry32(42);
    const lstm = (inp: number): Required<RecurrentWeights> => ({
      kernel: uniformArray(inp * 4 * U, 0.5, rng),
      recurrentKernel: uniformArray(U * 4 * U, 0.5, rng),
      bias: uniformArray(4 * U, 0.5, rng),
    });
    const encTable = uniformArray(V * E, 1, rng);
    const decTable = uniformArray(V * E, 1, rng);
    const enc = lstm(E);
    const dec = lstm(E);
    const dense: DenseParams = { kernel: uniformArray(U * V, 0.8, rng), bias: uniformArray(V, 0.8, rng) };
    const src = randomInts(B * TS, V, rng);
    const decIn = randomInts(B * TD, V, rng);
    const targets = randomInts(B * TD, V, rng);
    // Padding at the end of target rows: row b keeps its first TD - b steps.
    const mask = new Float64Array(B * TD);
    for (let b = 0; b < B; b++) for (let t = 0; t < TD - b; t++) mask[b * TD + t] = 1;

    const run = () => {
      const xs = embeddingForward(encTable, V, src);
      const encF = recurrentForward(lstmReference, enc, xs, B, TS, { goBackwards: true }); // returnState: hT, cT
      const xd = embeddingForward(decTable, V, decIn);
      const decF = recurrentForward(lstmReference, dec, xd, B, TD, { returnSequences: true, initialState: encF.states });
      const denseF = denseForward(dense, decF.output, B * TD, 'linear');
      const ce = sparseSoftmaxCrossEntropy(denseF.output, targets, B * TD, V, mask);
      return { xs, encF, xd, decF, denseF, ce };
    };
    const loss = () => run().ce.loss;

    const f = run();
    const gDense = denseBackward(dense, f.decF.output, f.denseF, f.ce.grad);
    const gDec = recurrentBackward(lstmReference, dec, f.xd, f.decF, gDense.dx);
    // Encoder output is hT itself (returnSequences false); its gradient arrives as dhT / dcT.
    const gEnc = recurrentBackward(lstmReference, enc, f.xs, f.encF, new Float64Array(B * U), gDec.dInitialState);
    const dEncTable = embeddingBackward(V, E, src, gEnc.dx);
    const dDecTable = embeddingBackward(V, E, decIn, gDec.dx);

    expectGradient('dense.kernel', gDense.dKernel, loss, dense.kernel);
    expectGradient('dense.bias', gDense.dBias, loss, dense.bias);
    expectGradient('dec.kernel', gDec.dKernel, loss, dec.kernel);
    expectGradient('dec.recurrentKernel', gDec.dRecurrentKernel, loss, dec.recurrentKernel);
    expectGradient('dec.bias', gDec.dBias!, loss, dec.bias);
    expectGradient('enc.kernel', gEnc.dKernel, loss, enc.kernel);
    expectGradient('enc.recurrentKernel', gEnc.dRecurrentKernel, loss, enc.recurrentKernel);
    expectGradient('enc.bias', gEnc.dBias!, loss, enc.bias);
    expectGradient('encTable', dEncTable, loss, encTable);
    expectGradient('decTable', dDecTable, loss, decTable);
  });
});
