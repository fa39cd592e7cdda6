// A Plan is a fixed list of dispatches with every bind group made up front. Running it encodes all
// steps into one compute pass and submits once: no GPU object is created per run.

import type { GpuContext } from '../gpu/context.js';
import type { Step } from '../gpu/kernel-registry.js';

export class Plan {
  readonly steps: readonly Step[];

  constructor(
    private readonly ctx: GpuContext,
    readonly label: string,
    steps: readonly Step[],
  ) {
    this.steps = Object.freeze([...steps]);
  }

  get dispatchCount(): number {
    return this.steps.length;
  }

  /** Encodes the steps into an existing pass (for callers that batch several plans in one submit). */
  encode(pass: GPUComputePassEncoder): void {
    for (const step of this.steps) {
      pass.setPipeline(step.pipeline);
      pass.setBindGroup(0, step.bindGroup);
      pass.dispatchWorkgroups(step.workgroups[0], step.workgroups[1], step.workgroups[2]);
    }
  }

  /** Encodes the plan as one compute pass of an existing command encoder. */
  encodeInto(encoder: GPUCommandEncoder): void {
    const pass = encoder.beginComputePass({ label: this.label });
    this.encode(pass);
    pass.end();
  }

  /** One command encoder, one compute pass, one submit. */
  run(): void {
    const encoder = this.ctx.device.createCommandEncoder({ label: this.label });
    this.encodeInto(encoder);
    this.ctx.submit([encoder.finish()], this.steps.length);
  }

  /** Runs the plan and reads `byteLength` bytes of `source` back, in one submit. */
  runAndRead(source: GPUBuffer, byteLength: number): Promise<ArrayBuffer> {
    return this.ctx.read(source, byteLength, 0, { encode: (encoder) => this.encodeInto(encoder), dispatchCount: this.steps.length });
  }
}
