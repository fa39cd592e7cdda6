// Error types thrown by webrnn. Each names what was wrong, so a user never has to decode a WebGPU
// validation message from deep inside the runtime.

/**
 * The base class of every error webrnn throws: catch it to tell webrnn's errors from others. Its
 * `name` is the subclass's name, and its message says what was wrong.
 */
export class WebRnnError extends Error {
  /** An error with this message. */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** No WebGPU implementation or adapter could be found. */
export class GpuUnavailableError extends WebRnnError {}

/** The GPU device was lost (destroyed, driver reset, out of memory). The context cannot be used again. */
export class DeviceLostError extends WebRnnError {}

/** A WGSL file failed to compile or a pipeline failed to build; the message names file, entry point and line. */
export class ShaderError extends WebRnnError {}

/** A kernel was bound with a missing, extra or too-small buffer. */
export class BindingError extends WebRnnError {}

/** An argument had the wrong shape, dtype or value. */
export class ShapeError extends WebRnnError {}

/** A request exceeds a limit of the device (buffer size, workgroup storage, dispatch size). */
export class LimitError extends WebRnnError {}

/** An object was used after dispose(). */
export class DisposedError extends WebRnnError {}

/** Training met gradients with a NaN or an Infinity (see compile's onNonFinite). */
export class NonFiniteError extends WebRnnError {}

/** A model file that cannot be loaded as it is: an unknown format, a bad checksum, weights that do not fit. */
export class ModelFormatError extends WebRnnError {}
