// The seed experiments' configurations train to the quality the issue asks for (thresholds that fail
// when training is broken; the full runs with reports are `npm run experiments`).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Seq2Seq, translationWindows } from '../../src/index.js';
import { gpu } from '../helpers/gpu.js';

describe('seed configurations train', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const models: Seq2Seq[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  it('seed 000: LSTM(75) encoder-decoder, sin -> cos, batch 10, Adam, 35 epochs: training MSE < 1e-3', async () => {
    const data = translationWindows(Math.sin, Math.cos, { from: -2 * Math.PI, to: 2 * Math.PI });
    expect(data.count).toBe(76);
    const model = new Seq2Seq(env.ctx, {
      encoder: { inputSize: 1, layers: [{ units: 75 }] },
      decoder: { inputSize: 1, layers: [{ units: 75 }] },
      head: { units: 1 },
      seed: 0,
    });
    models.push(model);
    model.compile({ loss: 'mse', optimizer: 'adam' });
    const history = await model.fit(data.x, data.y, { epochs: 35, batchSize: 10, seed: 0 });
    const final = history.history.loss.at(-1)!;
    console.log(`seed 000 final training MSE: ${final.toExponential(2)} (TF.js, same configuration, median of 8 seeds: 5.7e-5)`);
    expect(final).toBeLessThan(1e-3);
  });

  it('seed 002: SimpleRNN(10) encoder-decoder, sin -> cos on [-3pi, 3pi], batch 16, 80 epochs, validation 0.2: val MSE < 5e-3', async () => {
    const data = translationWindows(Math.sin, Math.cos, { from: -3 * Math.PI, to: 3 * Math.PI });
    const model = new Seq2Seq(env.ctx, {
      encoder: { inputSize: 1, layers: [{ cell: 'simple_rnn', units: 10 }] },
      decoder: { inputSize: 1, layers: [{ cell: 'simple_rnn', units: 10 }] },
      head: { units: 1 },
      seed: 0,
    });
    models.push(model);
    model.compile({ loss: 'mse', optimizer: 'adam' });
    const history = await model.fit(data.x, data.y, { epochs: 80, batchSize: 16, validationSplit: 0.2, seed: 0 });
    const final = history.history.val_loss!.at(-1)!;
    console.log(`seed 002 final validation MSE: ${final.toExponential(2)} (TF.js, same configuration, median of 8 seeds: 7.0e-3)`);
    expect(final).toBeLessThan(5e-3);
  });
});
