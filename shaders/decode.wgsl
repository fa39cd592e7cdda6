//! joined after: common/random.wgsl, common/sampling.wgsl
// Autoregressive decoding helpers (the fused decode loop of a one-layer decoder is in recurrence.wgsl).
//
//   argmax:       ids[b] = argmax_v logits[b, v] (the first maximum, as numpy / Keras), unless the row already
//                 ended: once row b has emitted end_token it keeps emitting end_token (finished[b] = 1).
//                 With end_token < 0 no sequence ends early.
//   sample_ids:   as argmax, but ids[b] is drawn from the logits (common/sampling.wgsl: temperature, top-k,
//                 top-p) with the numbers of (row b, dims.steps = the output position) and the seed in
//                 `sampling` (u32 [5]: seed low, seed high, top_k, temperature and top_p as f32 bits),
//                 which the host writes before each run.
//   slide_window: the sliding window of closed-loop generation that re-reads its window every step (the
//                 model sees the last `steps` values, from a zero state, and predicts the next). After a
//                 prediction the window drops its oldest step and appends the prediction:
//                   window_out[t, b, f] = window_in[t + 1, b, f]   for t < steps - 1
//                   window_out[steps - 1, b, f] = next_value[b, f]
//
// Buffers: argmax: logits [B, V], ids [B] i32 (this step's slot of the output), finished [B] u32 (zeroed
//   by the host before the first step); slide_window: window_in, window_out [steps, B, F] (time-major,
//   distinct buffers), next_value [B, F].
// Dispatch: argmax, sample_ids: ceil(B / 64) workgroups, one invocation per row; slide_window: ceil(steps B F / 64)
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
@group(0) @binding(7) var<storage, read> sampling: array<u32>;

fn sampling_logit(row: u32, v: u32) -> f32 { return logits[row * dims.vocab + v]; }

// A row past its end token emits it again (and is skipped); true when row b is one, or out of range.
fn skip_row(b: u32) -> bool {
  if (b >= dims.batch) { return true; }
  if (finished[b] != 0u) {
    ids[b] = dims.end_token;
    return true;
  }
  return false;
}

fn emit_token(b: u32, token: i32) {
  ids[b] = token;
  if (dims.end_token >= 0 && token == dims.end_token) { finished[b] = 1u; }
}

@compute @workgroup_size(64)
fn argmax(@builtin(global_invocation_id) id: vec3<u32>) {
  let b = id.x;
  if (skip_row(b)) { return; }
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
  emit_token(b, i32(best));
}

@compute @workgroup_size(64)
fn sample_ids(@builtin(global_invocation_id) id: vec3<u32>) {
  let b = id.x;
  if (skip_row(b)) { return; }
  let params = SamplingParams(vec2<u32>(sampling[0], sampling[1]), sampling[2], bitcast<f32>(sampling[3]), bitcast<f32>(sampling[4]));
  emit_token(b, i32(sample_token(b, b, dims.steps, dims.vocab, params)));
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
