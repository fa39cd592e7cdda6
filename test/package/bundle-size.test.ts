// The package as a user's bundler meets it: `npm pack`, the tarball unpacked into a fresh project's
// node_modules, and the README example built there with Vite for the browser. What the page loads
// before it runs (the entry chunk and every chunk it imports statically) must stay within the budget;
// chunks loaded on first use (the decoder, Node's adapter discovery, the Keras file formats with HDF5 and
// zip) are reported apart. The WGSL ships minified with its reflection as tables made at build time, so
// no WGSL parser is bundled.
//
// The budget is what the package weighs today, to catch growth: 152.5 kB minified, 48.95 kB gzip (151.5 /
// 48.6 before the subgroup matmul kernel, whose choice per device (matmulKernels, the subgroups feature
// asked for, the adapter's subgroup size) and the loader of its shader program are in the core: 1.0 kB,
// for matmuls twice as fast on lavapipe; 151.6 kB minified, 48.7 kB gzip was the budget then (143.0 /
// 45.2 before Seq2Seq's attention option: its graph is built in the constructor, so every app that makes
// a Seq2Seq (this example) now carries the Attention, AdditiveAttention and Concatenate layer classes:
// 8.5 kB, the largest part of them their runtimes (measured by reverting: 7.4 kB from the spec's imports,
// 2.4 kB of it Concatenate); loading a layer's runtime on first use would take them out; 142.9 /
// 45.2 before the Attention and AdditiveAttention layers, whose classes the `layers` factories keep in
// every bundle: 0.1 kB, their kernels loaded with the first model that attends; 142.2 /
// 44.9 before beam search and text generation from Keras-style models, whose entries (Seq2Seq.generate's
// beamWidth, Model.generate) and the beam shader's loader are in the core: 0.7 kB, their plans, kernels,
// option checks and the layer chain's analysis loaded on first use; 143.6 /
// 45.4 before the one-dispatch decode loop's builder moved out of the core into the decoder's chunk, with
// its sampling; 143.0 / 45.3 before sampled token decoding, its settings checked in the lazily loaded decoder: 0.2 kB; 141.9 /
// 45.0 before recurrent dropout inside the recurrence kernels, whose room, flags and step-strategy
// operand are in the core recurrent layer: 1.1 kB, its noise steps loaded on first use; 132.2 /
// 41.1 before masks of padded steps (a value's mask through every graph run and loss), sequences of
// different lengths in fit (with a bounded cache of batch shapes), a recurrent layer's dropout (in a
// Bidirectional too) and stateful recurrent layers, all in the core every model runs: 9.6 kB, with
// the masking and noise kernels' builders loaded on first use (Conv1D and the 1-D pooling layers add
// nothing up front);
// 131.5 / 40.9 before masks inside the recurrence kernels; 130.8 /
// 40.7 before the Bidirectional, RepeatVector, TimeDistributed, global pooling, Flatten and
// LayerNormalization layers, which the `layers` factories object keeps in every bundle: 0.7 kB; a namespace of factory functions with a
// module-preserving build did not let the app's bundler drop them, 131.6 / 42.1. The Keras file formats,
// HDF5 and zip added nothing: an app that loads files gets them as chunks on first use;
// 388 kB / 92 kB with the parser and the WGSL as written; 135.8 / 40.4 before the models became
// graphs of Keras-style layers, which added 37 kB, and each shader program became a chunk loaded when a
// kernel of it is first compiled, which took 42 kB out of what loads up front). The goal is 120 kB / 35 kB.

import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'vite';
import type { OutputChunk } from 'rolldown';
import { readmeExample } from '../helpers/readme-example.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const BUDGET = { minified: 152_500, gzip: 48_950 };

describe('the packed package in a Vite app', () => {
  it(`the README example builds to <= ${BUDGET.minified / 1000} kB minified, <= ${BUDGET.gzip / 1000} kB gzip`, async () => {
    if (!existsSync(join(root, 'dist/webrnn.js'))) throw new Error('dist/webrnn.js is missing: run `npm run build` first (npm test does)');
    const app = mkdtempSync(join(tmpdir(), 'webrnn-app-'));
    try {
      const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', app], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop()!;
      const installed = join(app, 'node_modules/webrnn');
      mkdirSync(installed, { recursive: true });
      execFileSync('tar', ['-xzf', join(app, tarball), '-C', installed, '--strip-components=1']);
      // The package's dependencies, as npm would install them beside it (h5wasm and fflate: loaded on first use).
      const { dependencies = {} } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      for (const dependency of Object.keys(dependencies)) symlinkSync(join(root, 'node_modules', dependency), join(app, 'node_modules', dependency), 'dir');
      writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
      writeFileSync(join(app, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>\n');
      const bundle = async (code: string) => {
        writeFileSync(join(app, 'main.js'), code);
        let chunks: OutputChunk[] = [];
        const collect: Plugin = { name: 'collect-chunks', generateBundle: (_, output) => void (chunks = Object.values(output).filter((c): c is OutputChunk => c.type === 'chunk')) };
        await build({ root: app, configFile: false, logLevel: 'silent', plugins: [collect], build: { outDir: 'dist', target: 'es2022' } });
        const byName = new Map(chunks.map((c) => [c.fileName, c]));
        const initial = new Set<OutputChunk>();
        const visit = (c: OutputChunk) => {
          if (initial.has(c)) return;
          initial.add(c);
          for (const name of c.imports) visit(byName.get(name)!);
        };
        chunks.filter((c) => c.isEntry).forEach(visit);
        return { chunks, initial };
      };
      // h5wasm (and webrnn's HDF5 reader, which switches its error handler) and fflate.
      const kerasCode = /activate_throwing_error_handler|unzipSync/;
      // An app that loads model files: the Keras formats, h5wasm and fflate are chunks loaded when a Keras file is met.
      const loader = await bundle("import { requestGpu, loadModel } from 'webrnn';\nconst model = await loadModel(await requestGpu(), new URL('model.keras', location.href));\nconsole.log(model.summary());\n");
      expect([...loader.initial].filter((c) => kerasCode.test(c.code)).map((c) => c.name), 'Keras file code loaded up front by a loading app').toEqual([]);
      expect(loader.chunks.filter((c) => !loader.initial.has(c) && c.code.includes('activate_throwing_error_handler')).length, 'h5wasm and the HDF5 reader as lazy chunks').toBe(2);
      const { chunks, initial } = await bundle(readmeExample());
      const measure = (list: OutputChunk[]) => ({
        minified: list.reduce((n, c) => n + Buffer.byteLength(c.code), 0),
        gzip: list.reduce((n, c) => n + gzipSync(c.code, { level: 9 }).length, 0),
      });
      const sizes = measure([...initial]);
      const lazy = chunks.filter((c) => !initial.has(c));
      const kB = (n: number) => (n / 1000).toFixed(1);
      console.log(
        `README example in a Vite build: ${kB(sizes.minified)} kB minified, ${kB(sizes.gzip)} kB gzip loaded up front (${initial.size} chunks); ` +
          `loaded on first use: ${lazy.map((c) => `${c.name} ${kB(measure([c]).minified)} kB`).join(', ') || 'nothing'}`,
      );
      expect(chunks.some((c) => c.code.includes('WgslReflect')), 'the WGSL parser is bundled').toBe(false);
      // An app that never loads a model file does not bundle the Keras formats at all.
      expect(chunks.filter((c) => kerasCode.test(c.code)).map((c) => c.name), 'Keras file code in the README example').toEqual([]);
      expect(sizes.minified).toBeLessThanOrEqual(BUDGET.minified);
      expect(sizes.gzip).toBeLessThanOrEqual(BUDGET.gzip);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});
