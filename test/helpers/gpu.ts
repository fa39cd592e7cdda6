// One GPU context per test process (Vitest forks pool), acquired once. A test that finds no GPU fails
// with the reason; it is never skipped.

import { requestGpu, GpuContext, KernelRegistry } from '../../src/advanced.js';

let shared: Promise<{ ctx: GpuContext; registry: KernelRegistry }> | undefined;

/** The adapter this test process runs on: WEBRNN_ADAPTER (lavapipe, swiftshader, an ICD path) or auto. */
export function adapterName(): string {
  return process.env.WEBRNN_ADAPTER ?? 'auto';
}

export function gpu(): Promise<{ ctx: GpuContext; registry: KernelRegistry }> {
  shared ??= requestGpu().then(
    (ctx) => ({ ctx, registry: new KernelRegistry(ctx) }),
    (error: Error) => {
      throw new Error(`no GPU for the tests (adapter ${adapterName()}): ${error.message}`);
    },
  );
  return shared;
}
