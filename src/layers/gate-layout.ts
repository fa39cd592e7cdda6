// Keras stores a gated layer's weights as gate blocks: column g * units + j is gate g of unit j.
// webrnn's kernels want the gates of a unit side by side in `slots` floats (column j * slots + g; slots
// >= gates, the rest zero: a GRU's three gates fill a vec4), so a unit's gates are one vec4 load. These
// convert between the two; they run on the host, in getWeights / setWeights.

/** Keras gate blocks [rows, gates * units] -> the kernels' layout [rows, units * slots], a unit's gates side by side. */
export function toInterleaved(keras: Float32Array, rows: number, units: number, gates: number, slots = gates): Float32Array {
  const out = new Float32Array(rows * units * slots);
  const kerasCols = units * gates;
  const cols = units * slots;
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < gates; g++) {
      for (let j = 0; j < units; j++) out[r * cols + j * slots + g] = keras[r * kerasCols + g * units + j];
    }
  }
  return out;
}

/** The kernels' layout [rows, units * slots] -> Keras gate blocks [rows, gates * units] (the inverse of toInterleaved). */
export function fromInterleaved(interleaved: Float32Array, rows: number, units: number, gates: number, slots = gates): Float32Array {
  const out = new Float32Array(rows * units * gates);
  const kerasCols = units * gates;
  const cols = units * slots;
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < gates; g++) {
      for (let j = 0; j < units; j++) out[r * kerasCols + g * units + j] = interleaved[r * cols + j * slots + g];
    }
  }
  return out;
}
