//! joined after: common/random.wgsl
// Keras' dropout and noise layers in training, from counter-based random numbers (common/random.wgsl):
// each element's noise is philox4x32_10((mask element, step, stream, 0), (seed_lo, seed_hi)), so the
// backward recomputes exactly the forward's noise instead of storing it.
//
//   noise_tick (one invocation): next = counter + 1; state = next; with FLAG_ADVANCE also counter = next.
//     The counter (one u32 of the model, zero at first) counts the training steps; each plan that draws
//     noise starts with a tick into a state of its own, which its forward and backward then read, so
//     every step draws new noise, with no host write, and every dispatch of one step sees one step.
//   noise_apply: out[i] (+)= v m + c (forward, v = x[i]) or v m (FLAG_BACKWARD, v = dy[i]), by kind:
//     0 dropout          kept = uniform01(r.x) >= rate;  m = kept ? scale : 0;  c = 0
//                        (Keras' inverted dropout, scale = 1 / (1 - rate) rounded once, on the host)
//     1 alpha dropout    m = kept ? scale : 0;  c = kept ? shift : dropped
//                        (Keras: a (x kept + alpha_p (1 - kept)) + b: scale = a, shift = b, dropped = a alpha_p + b)
//     2 gaussian dropout m = 1 + scale normal01(r.x, r.y);  c = 0   (scale = sqrt(rate / (1 - rate)))
//     3 gaussian noise   m = 1;  c = scale normal01(r.x, r.y)       (scale = stddev)
//   (+)=: added to what out holds with FLAG_ACCUMULATE, written otherwise. FLAG_MASK_ONLY: v = 1, x unread
//   (the mask itself: a recurrent layer's recurrent dropout mask).
//
// Element i of [T, B, F] (time-major: t = i / (B F), b = (i / F) % B, f = i % F) takes the noise of mask
// element t stride_t + b stride_b + f stride_f: a stride 0 shares one mask over that axis (Keras'
// noise_shape with a 1 there: [B, 1, F] shares a sample's mask over time, SpatialDropout1D).
// Regions (elements from element offsets, so no binding alignment applies):
//   src_values: [T B F] f32 from x_offset (x forward, dy backward);  dst_values: [T B F] from out_offset
//   noise_step: [1] u32 from state_offset (read by noise_apply); noise_state: the same, written by noise_tick
//   noise_counter: [1] u32 from counter_offset (noise_tick)
// Dispatch: noise_apply ceil(T B F / 64) workgroups of 64, 2-D past the per-dimension limit (index =
//   id.x + id.y groups.x 64); noise_tick 1 workgroup of 1.

struct Dims {
  steps: u32,
  batch: u32,
  features: u32,
  kind: u32,
  flags: u32,
  stride_t: u32,
  stride_b: u32,
  stride_f: u32,
  seed_lo: u32,
  seed_hi: u32,
  stream: u32,
  rate: f32,
  scale: f32,
  shift: f32,
  dropped: f32,
  x_offset: u32,
  out_offset: u32,
  state_offset: u32,
  counter_offset: u32,
}

const KIND_ALPHA_DROPOUT: u32 = 1u;
const KIND_GAUSSIAN_DROPOUT: u32 = 2u;
const KIND_GAUSSIAN_NOISE: u32 = 3u;
const FLAG_ACCUMULATE: u32 = 1u;
const FLAG_BACKWARD: u32 = 2u;
const FLAG_ADVANCE: u32 = 4u;
const FLAG_MASK_ONLY: u32 = 8u;
const WG: u32 = 64u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> src_values: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst_values: array<f32>;
@group(0) @binding(3) var<storage, read> noise_step: array<u32>;
@group(0) @binding(4) var<storage, read_write> noise_state: array<u32>;
@group(0) @binding(5) var<storage, read_write> noise_counter: array<u32>;

fn has_flag(flag: u32) -> bool { return (dims.flags & flag) != 0u; }

@compute @workgroup_size(1)
fn noise_tick() {
  let next = noise_counter[dims.counter_offset] + 1u;
  if (has_flag(FLAG_ADVANCE)) { noise_counter[dims.counter_offset] = next; }
  noise_state[dims.state_offset] = next;
}

@compute @workgroup_size(WG)
fn noise_apply(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WG;
  if (i >= dims.steps * dims.batch * dims.features) { return; }
  let f = i % dims.features;
  let row = i / dims.features;
  let element = (row / dims.batch) * dims.stride_t + (row % dims.batch) * dims.stride_b + f * dims.stride_f;
  let r = philox4x32_10(vec4<u32>(element, noise_step[dims.state_offset], dims.stream, 0u), vec2<u32>(dims.seed_lo, dims.seed_hi));
  var m = 1.0;
  var c = 0.0;
  switch dims.kind {
    case KIND_ALPHA_DROPOUT: {
      let kept = uniform01(r.x) >= dims.rate;
      m = select(0.0, dims.scale, kept);
      c = select(dims.dropped, dims.shift, kept);
    }
    case KIND_GAUSSIAN_DROPOUT: { m = 1.0 + dims.scale * normal01(r.x, r.y); }
    case KIND_GAUSSIAN_NOISE: { c = dims.scale * normal01(r.x, r.y); }
    default: { m = select(0.0, dims.scale, uniform01(r.x) >= dims.rate); }
  }
  var v = 1.0;
  if (!has_flag(FLAG_MASK_ONLY)) { v = src_values[dims.x_offset + i]; }
  var result = v * m;
  if (!has_flag(FLAG_BACKWARD)) { result = result + c; }
  let at = dims.out_offset + i;
  if (has_flag(FLAG_ACCUMULATE)) { result = result + dst_values[at]; }
  dst_values[at] = result;
}
