// shaders/optimizer.wgsl through src/optim: three steps of each optimizer and option on a ParameterStore
// whose parameters have odd sizes (so alignment padding sits between them), against the float64
// reference (test/reference/optimizers.ts), with the learning rate changed before the third step.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Plan, ParameterStore, ShapeError, DisposedError } from '../../src/advanced.js';
import { Adam, RMSprop, SGD, createOptimizer, type Optimizer } from '../../src/optim/index.js';
import { gpu } from '../helpers/gpu.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import {
  adamUpdate, clipByGlobalNorm, clipByValue, createAdamState, createRmspropState, createSgdState, rmspropUpdate, sgdUpdate,
} from '../reference/optimizers.js';
import { mulberry32, uniformArray } from '../reference/random.js';

// Parameters of magnitude <= ~1.1 are rounded to f32 after each of the 3 updates (<= 6e-8 each), and
// each update (<= ~0.05 here) carries f32 relative error of a few 1e-7 (f32 hyperparameters, sqrt, divide).
const PARAM_TOL: Tolerance = { atol: 3e-7, rtol: 1e-7 };

// name, shape, gradient scale: 'tiny' has gradients near sqrt(epsilon), where the place of epsilon
// (Adam: added to sqrt(v); RMSprop: inside the root) changes the update by percents.
const PARAMETERS: [string, number[], number][] = [
  ['kernel', [5, 7], 1],
  ['bias', [3], 1],
  ['scalar', [1], 1],
  ['tiny', [4], 3e-4],
  ['wide', [17, 2], 1],
];

type Reference = { update(param: Float64Array, grad: Float64Array, slot: number, lr: number): void };

interface Case {
  name: string;
  make(learningRate: number): Optimizer;
  learningRate: number;
  reference(): Reference;
  clipNorm?: number;
  clipValue?: number;
}

function adamReference(cfg: { beta1?: number; beta2?: number; epsilon?: number } = {}): () => Reference {
  return () => {
    const states = PARAMETERS.map(([, shape]) => createAdamState(size(shape)));
    return { update: (p, g, slot, lr) => adamUpdate(p, g, states[slot], { ...cfg, learningRate: lr }) };
  };
}
function sgdReference(cfg: { momentum?: number; nesterov?: boolean } = {}): () => Reference {
  return () => {
    const states = PARAMETERS.map(([, shape]) => createSgdState(size(shape)));
    return { update: (p, g, slot, lr) => sgdUpdate(p, g, states[slot], { ...cfg, learningRate: lr }) };
  };
}
function rmspropReference(cfg: { rho?: number; momentum?: number; epsilon?: number } = {}): () => Reference {
  return () => {
    const states = PARAMETERS.map(([, shape]) => createRmspropState(size(shape)));
    return { update: (p, g, slot, lr) => rmspropUpdate(p, g, states[slot], { ...cfg, learningRate: lr }) };
  };
}

const CASES: Case[] = [
  { name: 'adam defaults', learningRate: 1e-3, make: (lr) => new Adam({ learningRate: lr }), reference: adamReference() },
  {
    name: 'adam beta1 0.5 beta2 0.9 epsilon 1e-6', learningRate: 0.02,
    make: (lr) => new Adam({ learningRate: lr, beta1: 0.5, beta2: 0.9, epsilon: 1e-6 }), reference: adamReference({ beta1: 0.5, beta2: 0.9, epsilon: 1e-6 }),
  },
  { name: 'adam clipNorm 2 (active)', learningRate: 0.01, clipNorm: 2, make: (lr) => new Adam({ learningRate: lr, clipNorm: 2 }), reference: adamReference() },
  { name: 'adam clipNorm 100 (inactive)', learningRate: 0.01, clipNorm: 100, make: (lr) => new Adam({ learningRate: lr, clipNorm: 100 }), reference: adamReference() },
  { name: 'adam clipValue 0.4', learningRate: 0.01, clipValue: 0.4, make: (lr) => new Adam({ learningRate: lr, clipValue: 0.4 }), reference: adamReference() },
  { name: 'sgd', learningRate: 0.05, make: (lr) => new SGD({ learningRate: lr }), reference: sgdReference() },
  { name: 'sgd momentum 0.9', learningRate: 0.05, make: (lr) => new SGD({ learningRate: lr, momentum: 0.9 }), reference: sgdReference({ momentum: 0.9 }) },
  {
    name: 'sgd momentum 0.8 nesterov', learningRate: 0.05,
    make: (lr) => new SGD({ learningRate: lr, momentum: 0.8, nesterov: true }), reference: sgdReference({ momentum: 0.8, nesterov: true }),
  },
  { name: 'sgd nesterov without momentum', learningRate: 0.05, make: (lr) => new SGD({ learningRate: lr, nesterov: true }), reference: sgdReference({ nesterov: true }) },
  {
    name: 'sgd momentum 0.9 clipNorm 1.5', learningRate: 0.05, clipNorm: 1.5,
    make: (lr) => new SGD({ learningRate: lr, momentum: 0.9, clipNorm: 1.5 }), reference: sgdReference({ momentum: 0.9 }),
  },
  { name: 'sgd clipValue 0.3', learningRate: 0.05, clipValue: 0.3, make: (lr) => new SGD({ learningRate: lr, clipValue: 0.3 }), reference: sgdReference() },
  { name: 'rmsprop defaults', learningRate: 1e-3, make: (lr) => new RMSprop({ learningRate: lr }), reference: rmspropReference() },
  {
    name: 'rmsprop rho 0.5 momentum 0.7 epsilon 1e-6', learningRate: 0.005,
    make: (lr) => new RMSprop({ learningRate: lr, rho: 0.5, momentum: 0.7, epsilon: 1e-6 }), reference: rmspropReference({ rho: 0.5, momentum: 0.7, epsilon: 1e-6 }),
  },
  { name: 'rmsprop clipNorm 2', learningRate: 0.005, clipNorm: 2, make: (lr) => new RMSprop({ learningRate: lr, clipNorm: 2 }), reference: rmspropReference() },
  {
    name: 'rmsprop momentum 0.5 clipValue 0.25', learningRate: 0.005, clipValue: 0.25,
    make: (lr) => new RMSprop({ learningRate: lr, momentum: 0.5, clipValue: 0.25 }), reference: rmspropReference({ momentum: 0.5 }),
  },
];

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

describe('optimizers vs float64 reference', () => {
  let env: Awaited<ReturnType<typeof gpu>>;
  const cleanup: (() => void)[] = [];
  beforeAll(async () => {
    env = await gpu();
  });
  afterAll(() => cleanup.forEach((f) => f()));

  function makeStore(): ParameterStore {
    const store = new ParameterStore(env.ctx, 'test.parameters');
    for (const [name, shape] of PARAMETERS) store.add(name, shape);
    store.allocate();
    cleanup.push(() => store.dispose());
    return store;
  }

  /** Writes each parameter's gradient (padding stays 0) and runs one optimizer step. */
  function runStep(store: ParameterStore, optimizer: Optimizer, plan: Plan, grads: Float32Array[]): void {
    PARAMETERS.forEach(([name], slot) => env.ctx.write(store.gradientBuffer, grads[slot], store.view(name).offset));
    optimizer.prepareStep();
    plan.run();
  }

  function randomGradients(rng: () => number): Float32Array[] {
    return PARAMETERS.map(([, shape, scale]) => Float32Array.from(uniformArray(size(shape), scale, rng)));
  }

  /** The reference step: Keras clipping (global norm over all parameters, or per value), then the update. */
  function referenceStep(c: Case, reference: Reference, params: Float64Array[], grads: Float32Array[], lr: number): void {
    let clipped: Float64Array[] = grads.map((g) => Float64Array.from(g));
    if (c.clipNorm !== undefined) clipped = clipByGlobalNorm(clipped, c.clipNorm).grads;
    if (c.clipValue !== undefined) clipped = clipped.map((g) => clipByValue(g, c.clipValue!));
    params.forEach((p, slot) => reference.update(p, clipped[slot], slot, lr));
  }

  async function expectPaddingZero(store: ParameterStore, what: string): Promise<void> {
    const all = new Float32Array(await env.ctx.read(store.valueBuffer, store.byteLength));
    const inView = new Uint8Array(all.length);
    for (const view of store.list()) inView.fill(1, view.offset / 4, view.offset / 4 + view.size);
    const nonzero = all.findIndex((v, i) => !inView[i] && v !== 0);
    expect(nonzero, `${what}: padding float ${nonzero} is ${all[nonzero]}`).toBe(-1);
  }

  for (const c of CASES) {
    it(`${c.name}: 3 steps, learning rate changed before the third`, async () => {
      const rng = mulberry32(c.name.length * 977 + Math.round(c.learningRate * 1e5));
      const store = makeStore();
      const initial = PARAMETERS.map(([, shape]) => Float32Array.from(uniformArray(size(shape), 1, rng)));
      PARAMETERS.forEach(([name], slot) => store.write(name, initial[slot]));
      const optimizer = c.make(c.learningRate);
      optimizer.attach(env.ctx, env.registry, store);
      cleanup.push(() => optimizer.dispose());
      const steps = await optimizer.steps();
      expect(steps.length, 'dispatches: the global norm (clipping, non-finite guard), the update').toBe(2);
      const plan = new Plan(env.ctx, c.name, steps);
      cleanup.push(() => plan.dispose());

      const reference = c.reference();
      const params = initial.map((p) => Float64Array.from(p));
      const rates = [c.learningRate, c.learningRate, c.learningRate * 0.3];
      for (const lr of rates) {
        optimizer.learningRate = lr;
        const grads = randomGradients(rng);
        runStep(store, optimizer, plan, grads);
        referenceStep(c, reference, params, grads, lr);
      }
      expect(optimizer.iterations).toBe(3);
      for (const [slot, [name]] of PARAMETERS.entries()) {
        expectClose(await store.read(name), params[slot], PARAM_TOL, `${c.name}: ${name} after 3 steps`);
      }
      await expectPaddingZero(store, c.name);
    });
  }

  it('the tests see the clipping: clipNorm 2 is active and 100 is not on these gradients', () => {
    // Guards the cases above against gradients whose norm happens to sit on one side of both bounds.
    const grads = randomGradients(mulberry32(1)).map((g) => Float64Array.from(g));
    const { norm } = clipByGlobalNorm(grads, 2);
    expect(norm).toBeGreaterThan(2);
    expect(norm).toBeLessThan(100);
  });

  it('reset() zeroes the state and the step count: the next step is a first step again', async () => {
    const rng = mulberry32(42);
    const store = makeStore();
    const initial = PARAMETERS.map(([, shape]) => Float32Array.from(uniformArray(size(shape), 1, rng)));
    PARAMETERS.forEach(([name], slot) => store.write(name, initial[slot]));
    const optimizer = new RMSprop({ learningRate: 0.01, momentum: 0.5 });
    optimizer.attach(env.ctx, env.registry, store);
    cleanup.push(() => optimizer.dispose());
    const plan = new Plan(env.ctx, 'reset', await optimizer.steps());
    cleanup.push(() => plan.dispose());
    for (let s = 0; s < 2; s++) runStep(store, optimizer, plan, randomGradients(rng));
    optimizer.reset();
    expect(optimizer.iterations).toBe(0);
    const params = await Promise.all(PARAMETERS.map(async ([name]) => Float64Array.from(await store.read(name))));
    const grads = randomGradients(rng);
    runStep(store, optimizer, plan, grads);
    const fresh = rmspropReference({ momentum: 0.5 })();
    params.forEach((p, slot) => fresh.update(p, Float64Array.from(grads[slot]), slot, 0.01));
    for (const [slot, [name]] of PARAMETERS.entries()) expectClose(await store.read(name), params[slot], PARAM_TOL, `after reset: ${name}`);

    // Adam's bias correction restarts at t = 1 too.
    const adam = new Adam({ learningRate: 0.01 });
    adam.attach(env.ctx, env.registry, store);
    cleanup.push(() => adam.dispose());
    const adamPlan = new Plan(env.ctx, 'reset.adam', await adam.steps());
    cleanup.push(() => adamPlan.dispose());
    runStep(store, adam, adamPlan, randomGradients(rng));
    adam.reset();
    const before = await Promise.all(PARAMETERS.map(async ([name]) => Float64Array.from(await store.read(name))));
    const adamGrads = randomGradients(rng);
    runStep(store, adam, adamPlan, adamGrads);
    const adamFresh = adamReference()();
    before.forEach((p, slot) => adamFresh.update(p, Float64Array.from(adamGrads[slot]), slot, 0.01));
    for (const [slot, [name]] of PARAMETERS.entries()) expectClose(await store.read(name), before[slot], PARAM_TOL, `adam after reset: ${name}`);
  });

  it('dispose() releases every buffer it made; attach() works again afterwards', async () => {
    const store = makeStore();
    const live = env.ctx.liveBuffers;
    const expected: [Optimizer, number][] = [
      [new Adam(), 5], // step_params, norm_squared, non_finite, m, v
      [new SGD(), 4], // step_params, norm_squared, non_finite, velocity placeholder
      [new SGD({ momentum: 0.9, clipNorm: 1 }), 4],
      [new RMSprop({ momentum: 0.5, clipValue: 1 }), 5],
    ];
    for (const [optimizer, buffers] of expected) {
      optimizer.attach(env.ctx, env.registry, store);
      expect(env.ctx.liveBuffers - live, `${optimizer.name} buffers`).toBe(buffers);
      await optimizer.steps();
      optimizer.attach(env.ctx, env.registry, store); // re-attaching replaces the state, leaks nothing
      expect(env.ctx.liveBuffers - live, `${optimizer.name} buffers after re-attach`).toBe(buffers);
      optimizer.dispose();
      expect(env.ctx.liveBuffers, `${optimizer.name} after dispose`).toBe(live);
      optimizer.dispose(); // idempotent
      expect(() => optimizer.prepareStep()).toThrow(DisposedError);
      await expect(optimizer.steps()).rejects.toThrow(/not attached to parameters/);
      optimizer.attach(env.ctx, env.registry, store);
      expect(optimizer.iterations).toBe(0);
      optimizer.dispose();
      expect(env.ctx.liveBuffers).toBe(live);
    }
  });

  it('rejects bad hyperparameters with the argument named', () => {
    expect(() => new Adam({ learningRate: -1 })).toThrow(/Adam: learningRate must be a finite number >= 0, got -1/);
    expect(() => new Adam({ learningRate: NaN })).toThrow(ShapeError);
    expect(() => new Adam({ beta1: 1 })).toThrow(/Adam: beta1 must be in \[0, 1\), got 1/);
    expect(() => new Adam({ beta2: -0.1 })).toThrow(/Adam: beta2 must be in \[0, 1\), got -0.1/);
    expect(() => new Adam({ epsilon: 0 })).toThrow(/Adam: epsilon must be a finite number > 0, got 0/);
    expect(() => new SGD({ momentum: 1.5 })).toThrow(/SGD: momentum must be in \[0, 1\], got 1.5/);
    expect(() => new SGD({ nesterov: 'yes' as unknown as boolean })).toThrow(/SGD: nesterov must be a boolean/);
    expect(() => new RMSprop({ rho: 1 })).toThrow(/RMSprop: rho must be in \[0, 1\), got 1/);
    expect(() => new RMSprop({ momentum: -0.5 })).toThrow(/RMSprop: momentum must be in \[0, 1\]/);
    expect(() => new SGD({ clipNorm: 0 })).toThrow(/SGD: clipNorm must be a finite number > 0, got 0/);
    expect(() => new SGD({ clipValue: -1 })).toThrow(/SGD: clipValue must be a finite number > 0, got -1/);
    expect(() => new Adam({ clipNorm: 1, clipValue: 1 })).toThrow(/Adam: set at most one of clipNorm and clipValue/);
    expect(() => new Adam({ learning_rate: 0.1 } as object)).toThrow(/Adam: unknown option 'learning_rate' \(known: learningRate/);
    const sgd = new SGD();
    expect(() => {
      sgd.learningRate = -0.1;
    }).toThrow(/SGD: learningRate must be a finite number >= 0, got -0.1/);
    expect(sgd.learningRate).toBe(0.01);
  });

  for (const policy of ['stop', 'skip'] as const) {
    it(`non-finite guard ('${policy}'): a step with a NaN or Infinity gradient changes nothing and is recorded${policy === 'stop' ? '; later steps wait for clearNonFinite' : ''}`, async () => {
      for (const make of [() => new Adam({ learningRate: 0.01 }), () => new SGD({ learningRate: 0.1, momentum: 0.9 }), () => new RMSprop({ learningRate: 0.01, momentum: 0.5 })]) {
        const rng = mulberry32(policy.length * 31 + make.toString().length);
        const store = makeStore();
        PARAMETERS.forEach(([name, shape]) => store.write(name, Float32Array.from(uniformArray(size(shape), 1, rng))));
        const optimizer = make();
        optimizer.nonFinitePolicy = policy;
        optimizer.attach(env.ctx, env.registry, store);
        cleanup.push(() => optimizer.dispose());
        const plan = new Plan(env.ctx, `${optimizer.name}.guard`, await optimizer.steps());
        cleanup.push(() => plan.dispose());
        const twin = make();
        const twinStore = makeStore();
        const read = async (s: ParameterStore) => Promise.all(PARAMETERS.map(([name]) => s.read(name)));
        for (const [name] of PARAMETERS) twinStore.write(name, await store.read(name));
        twin.nonFinitePolicy = policy;
        twin.attach(env.ctx, env.registry, twinStore);
        cleanup.push(() => twin.dispose());
        const twinPlan = new Plan(env.ctx, `${twin.name}.twin`, await twin.steps());
        cleanup.push(() => twinPlan.dispose());

        const finite = [randomGradients(rng), randomGradients(rng), randomGradients(rng)];
        const poisoned = randomGradients(rng);
        poisoned[3][1] = policy === 'stop' ? Number.NaN : Number.POSITIVE_INFINITY;
        // Step 1 finite, step 2 poisoned, step 3 finite; the twin runs steps 1 and (for 'skip') 3 only.
        runStep(store, optimizer, plan, finite[0]);
        runStep(twinStore, twin, twinPlan, finite[0]);
        const afterFirst = await read(store);
        runStep(store, optimizer, plan, poisoned);
        expect(await read(store), `${optimizer.name}: the poisoned step changed parameters`).toEqual(afterFirst);
        runStep(store, optimizer, plan, finite[1]);
        expect(await optimizer.readNonFinite()).toEqual({ count: 1, first: 2 });
        if (policy === 'stop') {
          expect(await read(store), `${optimizer.name}: a step after the stop changed parameters`).toEqual(afterFirst);
          optimizer.clearNonFinite();
          optimizer.rewindTo(1);
          runStep(store, optimizer, plan, finite[2]);
          runStep(twinStore, twin, twinPlan, finite[2]);
        } else {
          twin.prepareStep(); // the skipped step still counted (Adam's bias correction moves on)
          runStep(twinStore, twin, twinPlan, finite[1]);
        }
        // The same arithmetic in the same order: bit-identical to the twin that never saw the bad step.
        expect(await read(store), `${optimizer.name} (${policy}) after the bad step`).toEqual(await read(twinStore));
        expect(await optimizer.readNonFinite()).toEqual(policy === 'stop' ? { count: 0, first: 0 } : { count: 1, first: 2 });
      }
    });
  }

  it('createOptimizer: names with Keras defaults, instances as they are', () => {
    const adam = createOptimizer('adam');
    expect(adam).toBeInstanceOf(Adam);
    expect(adam.learningRate).toBe(1e-3);
    expect([adam.beta1, adam.beta2, adam.epsilon]).toEqual([0.9, 0.999, 1e-7]);
    expect(createOptimizer('sgd').learningRate).toBe(0.01);
    expect(createOptimizer('RMSprop' as 'rmsprop', { learningRate: 0.5, clipNorm: 1 })).toMatchObject({ name: 'rmsprop', learningRate: 0.5, clipNorm: 1 });
    const instance = new SGD({ momentum: 0.9 });
    expect(createOptimizer(instance)).toBe(instance);
    expect(createOptimizer(instance, { learningRate: undefined })).toBe(instance);
    expect(() => createOptimizer(instance, { learningRate: 0.1 })).toThrow(/options \(learningRate\) apply to a named optimizer/);
    expect(() => createOptimizer('adagrad' as 'adam')).toThrow(/optimizer must be one of 'adam', 'sgd', 'rmsprop' or an Optimizer instance, got 'adagrad'/);
    expect(() => createOptimizer({} as Optimizer)).toThrow(/got object/);
    expect(() => createOptimizer('sgd', { beta1: 0.9 } as object)).toThrow(/SGD: unknown option 'beta1'/);
  });
});
