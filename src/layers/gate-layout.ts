// Keras stores a gated layer's weights as gate blocks: column g * units + j is gate g of unit j.
// webrnn's kernels want the gates of a unit side by side (column j * gates + g), so a unit's gates are one
// vec4 load. These convert between the two; they run on the host, in getWeights / setWeights.

export function toInterleaved(keras: Float32Array, rows: number, units: number, gates: number): Float32Array {
  const out = new Float32Array(keras.length);
  const cols = units * gates;
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < gates; g++) {
      for (let j = 0; j < units; j++) out[r * cols + j * gates + g] = keras[r * cols + g * units + j];
    }
  }
  return out;
}

export function fromInterleaved(interleaved: Float32Array, rows: number, units: number, gates: number): Float32Array {
  const out = new Float32Array(interleaved.length);
  const cols = units * gates;
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < gates; g++) {
      for (let j = 0; j < units; j++) out[r * cols + g * units + j] = interleaved[r * cols + j * gates + g];
    }
  }
  return out;
}
