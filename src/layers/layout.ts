// Batch-major [B, T, F] (the API, as Keras) <-> time-major [T, B, F] (inside webrnn, so a time step is
// one contiguous slice). Done on the host while data is uploaded or downloaded anyway.

/** Batch-major [batch, steps, features] -> time-major [steps, batch, features]. */
export function batchToTimeMajor(x: ArrayLike<number>, batch: number, steps: number, features: number): Float32Array {
  const out = new Float32Array(batch * steps * features);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) {
      const from = (b * steps + t) * features;
      const to = (t * batch + b) * features;
      for (let f = 0; f < features; f++) out[to + f] = x[from + f];
    }
  }
  return out;
}

/** Time-major [steps, batch, features] -> batch-major [batch, steps, features]. */
export function timeToBatchMajor(x: ArrayLike<number>, batch: number, steps: number, features: number): Float32Array {
  const out = new Float32Array(batch * steps * features);
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batch; b++) {
      const from = (t * batch + b) * features;
      const to = (b * steps + t) * features;
      for (let f = 0; f < features; f++) out[to + f] = x[from + f];
    }
  }
  return out;
}
