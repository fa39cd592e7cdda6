// Autoregressive decoding helpers (the fused decode loop of a one-layer decoder is in recurrence.wgsl).
//
//   argmax:       ids[b] = argmax_v logits[b, v] (the first maximum, as numpy / Keras), unless the row already
//                 ended: once row b has emitted end_token it keeps emitting end_token (finished[b] = 1).
//                 With end_token < 0 no sequence ends early.
//   slide_window: the sliding window of closed-loop generation that re-reads its window every step (the
//                 model sees the last `steps` values, from a zero state, and predicts the next). After a
//                 prediction the window drops its oldest step and appends the prediction:
//                   window_out[t, b, f] = window_in[t + 1, b, f]   for t < steps - 1
//                   window_out[steps - 1, b, f] = next_value[b, f]
//
// Buffers: argmax: logits [B, V], ids [B] i32 (this step's slot of the output), finished [B] u32 (zeroed
//   by the host before the first step); slide_window: window_in, window_out [steps, B, F] (time-major,
//   distinct buffers), next_value [B, F].
// Dispatch: argmax: ceil(B / 64) workgroups, one invocation per row; slide_window: ceil(steps B F / 64)
//   workgroups of 64, 2-D past the per-dimension limit (element = id.x + id.y * groups.x * 64).

struct Dims {
  batch: u32,
  vocab: u32,
  features: u32,
  steps: u32,
  end_token: i32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> ids: array<i32>;
@group(0) @binding(3) var<storage, read_write> finished: array<u32>;
@group(0) @binding(4) var<storage, read> window_in: array<f32>;
@group(0) @binding(5) var<storage, read> next_value: array<f32>;
@group(0) @binding(6) var<storage, read_write> window_out: array<f32>;

@compute @workgroup_size(64)
fn argmax(@builtin(global_invocation_id) id: vec3<u32>) {
  let b = id.x;
  if (b >= dims.batch) { return; }
  if (finished[b] != 0u) {
    ids[b] = dims.end_token;
    return;
  }
  let base = b * dims.vocab;
  var best = 0u;
  var best_value = logits[base];
  for (var v = 1u; v < dims.vocab; v++) {
    let value = logits[base + v];
    if (value > best_value) {
      best_value = value;
      best = v;
    }
  }
  ids[b] = i32(best);
  if (dims.end_token >= 0 && i32(best) == dims.end_token) { finished[b] = 1u; }
}

@compute @workgroup_size(64)
fn slide_window(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * 64u;
  let row = dims.batch * dims.features;
  let last = (dims.steps - 1u) * row;
  if (i >= dims.steps * row) { return; }
  if (i < last) {
    window_out[i] = window_in[i + row];
  } else {
    window_out[i] = next_value[i - last];
  }
}
