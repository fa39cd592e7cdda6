// Greedy token choice for autoregressive decoding on the GPU.
//
//   argmax: ids[b] = argmax_v logits[b, v] (the first maximum, as numpy / Keras), unless the sequence
//           already ended: once row b has emitted END_TOKEN, it keeps emitting END_TOKEN (finished[b] = 1).
//           With END_TOKEN < 0 no sequence ends early.
//
// Buffers: logits: [B, V], ids: [B] i32 (this step's slot of the output), finished: [B] u32 (zeroed by
//   the host before the first step)
// Dispatch: ceil(B / 64) workgroups, one invocation per row.

override B: u32;
override V: u32;
override END_TOKEN: i32 = -1;

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read_write> ids: array<i32>;
@group(0) @binding(2) var<storage, read_write> finished: array<u32>;

@compute @workgroup_size(64)
fn argmax(@builtin(global_invocation_id) id: vec3<u32>) {
  let b = id.x;
  if (b >= B) { return; }
  if (finished[b] != 0u) {
    ids[b] = END_TOKEN;
    return;
  }
  let base = b * V;
  var best = 0u;
  var best_value = logits[base];
  for (var v = 1u; v < V; v++) {
    let value = logits[base + v];
    if (value > best_value) {
      best_value = value;
      best = v;
    }
  }
  ids[b] = i32(best);
  if (END_TOKEN >= 0 && i32(best) == END_TOKEN) { finished[b] = 1u; }
}

// ---------------------------------------------------------------------------------------------------
// decode_loop: the whole autoregressive decode of a one-layer decoder in one dispatch (for layers that
// fit one workgroup). A workgroup owns ROWS sequences; invocation j owns unit j. Per step t:
//   z[j, g] = bias[j, g] + sum_f x[f] * kernel[f, j, g] + sum_k h[k] * rk[k, j, g]   (G gates: LSTM 4, SimpleRNN 1)
//   LSTM: i, f, o = sigmoid, g = tanh, c = f c + i g, h = o tanh(c);  SimpleRNN: h = act(z) (ACTIVATION 0 tanh, 1 relu)
//   y[o] = head_bias[o] + sum_k h[k] * head_kernel[k, o]
//   numbers: out[b, t, :] = y, and y is the next x;  tokens: id = argmax y (END_TOKEN handling as argmax),
//            out[b, t] = id, and embedding[id, :] is the next x (the first x is embedding[START_TOKEN]).
// With CONTINUE (a SequenceModel continuing its primed window), y of the primed state is output 0 and
// the next input, and STEPS - 1 steps follow.
//
// Buffers: kernel: [F, U * G] (gates interleaved per unit), rk: [U, U * G], bias: [U * G],
//   head_kernel: [U, O], head_bias: [O], table: [V, F] (tokens), h_in / c_in: [B, U] (primed state),
//   out_values: [B, STEPS, O] (numbers) or out_ids: [B, STEPS] i32 (tokens)
// Dispatch: ceil(B / ROWS) workgroups of DWG >= max(U, O, ROWS) invocations.

override U: u32 = 1u;
override G: u32 = 4u;
override F: u32 = 1u;
override O: u32 = 1u;
override STEPS: u32 = 1u;
override ROWS: u32 = 1u;
override DWG: u32 = 64u;
override IS_LSTM: bool = true;
override ACTIVATION: u32 = 0u;
override TOKENS: bool = false;
override CONTINUE: bool = false;
override START_TOKEN: i32 = 0;
const MAX_ROWS: u32 = 16u;

@group(0) @binding(3) var<storage, read> kernel: array<f32>;
@group(0) @binding(4) var<storage, read> rk: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read> head_kernel: array<f32>;
@group(0) @binding(7) var<storage, read> head_bias: array<f32>;
@group(0) @binding(8) var<storage, read> table: array<f32>;
@group(0) @binding(9) var<storage, read> h_in: array<f32>;
@group(0) @binding(10) var<storage, read> c_in: array<f32>;
@group(0) @binding(11) var<storage, read_write> out_values: array<f32>;
@group(0) @binding(12) var<storage, read_write> out_ids: array<i32>;

var<workgroup> h_shared: array<f32, ROWS * U>;
var<workgroup> x_shared: array<f32, ROWS * F>;
var<workgroup> y_shared: array<f32, ROWS * O>;

fn sigmoid(v: f32) -> f32 {
  let e = exp(-abs(v)); // never overflows
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}
fn stable_tanh(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  return sign(v) * (1.0 - e) / (1.0 + e);
}

// y_shared = head(h_shared) for every row of the workgroup (invocations o < O).
fn head_outputs(o: u32, row0: u32) {
  if (o < O) {
    for (var r = 0u; r < ROWS; r++) {
      var y = head_bias[o];
      for (var k = 0u; k < U; k++) { y += h_shared[r * U + k] * head_kernel[k * O + o]; }
      y_shared[r * O + o] = y;
    }
  }
}

// Emits step t from y_shared and prepares the next input in x_shared (one invocation per row for tokens).
fn emit(lane: u32, row0: u32, t: u32, ended: ptr<function, bool>) {
  if (TOKENS) {
    if (lane < ROWS) {
      let r = lane;
      let b = row0 + r;
      var best = 0u;
      for (var v = 1u; v < O; v++) { if (y_shared[r * O + v] > y_shared[r * O + best]) { best = v; } }
      var id = i32(best);
      if (*ended) { id = END_TOKEN; }
      if (END_TOKEN >= 0 && i32(best) == END_TOKEN) { *ended = true; }
      if (b < B) { out_ids[b * STEPS + t] = id; }
      let row = u32(clamp(id, 0, i32(O) - 1));
      for (var f = 0u; f < F; f++) { x_shared[r * F + f] = table[row * F + f]; }
    }
  } else if (lane < O) {
    for (var r = 0u; r < ROWS; r++) {
      let b = row0 + r;
      let y = y_shared[r * O + lane];
      if (b < B) { out_values[(b * STEPS + t) * O + lane] = y; }
      x_shared[r * F + lane] = y; // F == O: the output is the next input
    }
  }
}

@compute @workgroup_size(DWG)
fn decode_loop(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let j = local.x;
  let row0 = group.x * ROWS;
  var c: array<f32, MAX_ROWS>;
  var ended = false; // in token mode, invocation r holds whether row r has emitted END_TOKEN
  for (var r = 0u; r < ROWS; r++) {
    let b = min(row0 + r, B - 1u);
    if (j < U) {
      h_shared[r * U + j] = h_in[b * U + j];
      if (IS_LSTM) { c[r] = c_in[b * U + j]; }
    }
    if (j < F) {
      // The first input: 0 (numbers) or the start token's embedding.
      if (TOKENS) {
        x_shared[r * F + j] = table[u32(START_TOKEN) * F + j];
      } else {
        x_shared[r * F + j] = 0.0;
      }
    }
  }
  workgroupBarrier();
  var first = 0u;
  if (CONTINUE) {
    head_outputs(j, row0);
    workgroupBarrier();
    emit(j, row0, 0u, &ended);
    workgroupBarrier();
    first = 1u;
  }
  for (var t = first; t < STEPS; t++) {
    var h_new: array<f32, MAX_ROWS>;
    if (j < U) {
      for (var r = 0u; r < ROWS; r++) {
        var z = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
        for (var g = 0u; g < G; g++) {
          var s = bias[j * G + g];
          for (var f = 0u; f < F; f++) { s += x_shared[r * F + f] * kernel[(f * U + j) * G + g]; }
          for (var k = 0u; k < U; k++) { s += h_shared[r * U + k] * rk[(k * U + j) * G + g]; }
          z[g] = s;
        }
        if (IS_LSTM) {
          c[r] = sigmoid(z[1]) * c[r] + sigmoid(z[0]) * stable_tanh(z[2]);
          h_new[r] = sigmoid(z[3]) * stable_tanh(c[r]);
        } else {
          h_new[r] = select(stable_tanh(z[0]), max(z[0], 0.0), ACTIVATION == 1u);
        }
      }
    }
    workgroupBarrier(); // every read of h_shared and x_shared for step t is done
    if (j < U) {
      for (var r = 0u; r < ROWS; r++) { h_shared[r * U + j] = h_new[r]; }
    }
    workgroupBarrier();
    head_outputs(j, row0);
    workgroupBarrier();
    emit(j, row0, t, &ended);
    workgroupBarrier();
  }
}

// ---------------------------------------------------------------------------------------------------
// slide_window: the sliding window of closed-loop generation that re-reads its window every step (seed
// 004's inference loop: the model sees the last STEPS values, from a zero state, and predicts the next).
// After a prediction, the window drops its oldest step and appends the prediction:
//   window_out[t, b, f] = window_in[t + 1, b, f]   for t < STEPS - 1
//   window_out[STEPS - 1, b, f] = next_value[b, f]
//
// Buffers: window_in, window_out: [STEPS, B, F] (time-major, distinct buffers), next_value: [B, F]
// Dispatch: ceil(STEPS * B * F / 64) workgroups of 64, folded into a 2-D grid past the per-dimension
// limit; element index = global id x + global id y * (workgroups in x * 64).

@group(0) @binding(13) var<storage, read> window_in: array<f32>;
@group(0) @binding(14) var<storage, read> next_value: array<f32>;
@group(0) @binding(15) var<storage, read_write> window_out: array<f32>;

@compute @workgroup_size(64)
fn slide_window(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * 64u;
  let row = B * F;
  let last = (STEPS - 1u) * row;
  if (i >= STEPS * row) { return; }
  if (i < last) {
    window_out[i] = window_in[i + row];
  } else {
    window_out[i] = next_value[i - last];
  }
}
