// A Plan is a fixed list of steps (dispatches, and buffer clears and copies) with every bind group made up front.
// The `dims` of all its dispatches live in one uniform buffer, each at the device's uniform offset
// alignment. Running it encodes every step into one command encoder (compute passes split only around
// clears and copies) and submits once: no GPU object is created per run. A plan owns its uniform buffer: dispose().

import type { GpuContext } from '../gpu/context.js';
import { DisposedError } from '../gpu/errors.js';
import type { DispatchStep, Step } from '../gpu/kernel-registry.js';

interface Encoded {
  readonly step: Step;
  readonly bindGroup?: GPUBindGroup;
}

const UNIFORM = 0x0040;

export class Plan {
  readonly steps: readonly Step[];
  private readonly encoded: readonly Encoded[];
  private readonly uniforms: GPUBuffer | null;
  private disposed = false;

  constructor(
    private readonly ctx: GpuContext,
    readonly label: string,
    steps: readonly Step[],
  ) {
    this.steps = Object.freeze([...steps]);
    const alignment = ctx.limits.minUniformBufferOffsetAlignment;
    const offsets = new Map<DispatchStep, number>();
    let bytes = 0;
    for (const step of this.steps) {
      if (step.kind !== 'dispatch' || !step.dims) continue;
      bytes = Math.ceil(bytes / alignment) * alignment;
      offsets.set(step, bytes);
      bytes += step.dims.bytes.byteLength;
    }
    let contents: Uint8Array | undefined;
    if (bytes > 0) {
      contents = new Uint8Array(Math.ceil(bytes / 4) * 4);
      for (const [step, offset] of offsets) contents.set(step.dims!.bytes, offset);
    }
    this.uniforms = contents ? ctx.createBuffer(`${label}.dims`, contents.byteLength, UNIFORM, contents) : null;
    try {
      this.encoded = this.steps.map((step) => {
        if (step.kind !== 'dispatch') return { step };
        const entries = [...step.entries];
        if (step.dims) entries.push({ binding: step.dims.binding, resource: { buffer: this.uniforms!, offset: offsets.get(step)!, size: step.dims.bytes.byteLength } });
        return { step, bindGroup: ctx.createBindGroup({ label: step.label, layout: step.layout, entries }) };
      });
    } catch (error) {
      if (this.uniforms) ctx.destroyBuffer(this.uniforms);
      throw error;
    }
  }

  /** Dispatches (clears not counted). */
  get dispatchCount(): number {
    return this.steps.reduce((n, s) => n + (s.kind === 'dispatch' ? 1 : 0), 0);
  }

  /** Encodes every step into an existing command encoder. */
  encodeInto(encoder: GPUCommandEncoder): void {
    if (this.disposed) throw new DisposedError(`plan '${this.label}' was disposed`);
    let pass: GPUComputePassEncoder | null = null;
    for (const { step, bindGroup } of this.encoded) {
      if (step.kind !== 'dispatch') {
        pass?.end();
        pass = null;
        if (step.kind === 'clear') encoder.clearBuffer(step.buffer, step.offset, step.size);
        else encoder.copyBufferToBuffer(step.source, step.sourceOffset, step.destination, step.destinationOffset, step.size);
        continue;
      }
      pass ??= encoder.beginComputePass({ label: this.label });
      pass.setPipeline(step.pipeline);
      pass.setBindGroup(0, bindGroup!);
      pass.dispatchWorkgroups(step.workgroups[0], step.workgroups[1], step.workgroups[2]);
    }
    pass?.end();
  }

  /** One command encoder, one submit. */
  run(): void {
    const encoder = this.ctx.device.createCommandEncoder({ label: this.label });
    this.encodeInto(encoder);
    this.ctx.submit([encoder.finish()], this.dispatchCount);
  }

  /** Runs the plan and reads `byteLength` bytes of `source` back, in one submit. */
  runAndRead(source: GPUBuffer, byteLength: number, offset = 0): Promise<ArrayBuffer> {
    return this.ctx.read(source, byteLength, offset, { encode: (encoder) => this.encodeInto(encoder), dispatchCount: this.dispatchCount });
  }

  /** Builds a plan, runs it once and releases it (the GPU keeps what it needs until the work is done). */
  static runOnce(ctx: GpuContext, label: string, steps: readonly Step[]): void {
    const plan = new Plan(ctx, label, steps);
    try {
      plan.run();
    } finally {
      plan.dispose();
    }
  }

  /** Releases the plan's uniform buffer; the plan cannot run afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.uniforms) this.ctx.destroyBuffer(this.uniforms);
  }
}

/** A step that zeroes `size` bytes of `buffer` from `offset` (both multiples of 4). */
export function clearStep(label: string, buffer: GPUBuffer, offset = 0, size = buffer.size - offset): Step {
  return { kind: 'clear', label, buffer, offset, size: Math.ceil(size / 4) * 4 };
}

/** A step that copies `size` bytes (a multiple of 4) from one buffer to another. */
export function copyStep(label: string, source: GPUBuffer, sourceOffset: number, destination: GPUBuffer, destinationOffset: number, size: number): Step {
  return { kind: 'copy', label, source, sourceOffset, destination, destinationOffset, size };
}
