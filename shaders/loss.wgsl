// Training losses: the gradient w.r.t. the predictions (or logits) and per-element partial losses, then
// one reduction that adds the batch's scaled loss to a running accumulator on the GPU (read by the host
// once per epoch, so no readback per training step).
//
//   mse:                   d = pred[i] - target_values[i]
//                          grad[i] = 2 d / COUNT               (Keras 'mse': mean over every element)
//                          partial[i] = d^2
//   softmax_cross_entropy: per row r, with m = max_k logits[r, k], s = sum_k exp(logits[r, k] - m),
//                          t = targets[r] clamped to [0, VOCAB), w = row_weight[r]:
//                          grad[r, k] = w (exp(logits[r, k] - m) / s - (k == t))
//                          partial[r] = w (log(s) - (logits[r, t] - m))      (= w (logsumexp - logit_t))
//                          The host writes w = mask[r] / sum(mask), so the weighted sum is the masked mean.
//                          A row of weight 0 never uses its target (padding ids may be anything); an id
//                          out of range on a weighted row is clamped, never read out of bounds.
//   sum_partials:          accumulator[0] += LOSS_SCALE * sum_{i < COUNT} partial[i]
//                          (mse: LOSS_SCALE = batch / COUNT; cross-entropy: LOSS_SCALE = batch, so the
//                          accumulator sums batch size x batch mean loss over the batches of an epoch).
//
// Buffers:
//   mse:                   pred, target_values, grad, partial: [COUNT]
//   softmax_cross_entropy: logits, grad: [ROWS, VOCAB]; targets: [ROWS] i32; row_weight, partial: [ROWS]
//   sum_partials:          partial: [COUNT]; accumulator: [1] (read and written)
// Dispatch:
//   mse: ceil(COUNT / 64) workgroups of 64 (2-D when over the per-dimension limit,
//     index = id.x + id.y * groups.x * 64).
//   softmax_cross_entropy: one workgroup of 64 per row (2-D when ROWS is over the per-dimension limit,
//     row = group.x + group.y * groups.x); the 64 invocations stride over the vocabulary and combine the
//     row max and the sum of exponentials in workgroup memory, so large vocabularies keep lanes busy.
//   sum_partials: a single workgroup of 256: each invocation sums every 256th partial, then a tree
//     reduction in workgroup memory. One workgroup reads the whole array, which is fine for the sizes of
//     one batch (up to a few million values) and keeps the sum deterministic (no float atomics in WGSL).

override COUNT: u32;
override ROWS: u32;
override VOCAB: u32;
override LOSS_SCALE: f32 = 1.0;
const ELEMENT_WG: u32 = 64u;
const ROW_WG: u32 = 64u;
const SUM_WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> pred: array<f32>;
@group(0) @binding(1) var<storage, read> target_values: array<f32>; // 'target' is a reserved word in WGSL
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read> targets: array<i32>;
@group(0) @binding(4) var<storage, read> row_weight: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;
// Written by mse / softmax_cross_entropy, read by sum_partials: one declaration, so read_write for both.
@group(0) @binding(6) var<storage, read_write> partial: array<f32>;
@group(0) @binding(7) var<storage, read_write> accumulator: array<f32>;

var<workgroup> row_scratch: array<f32, ROW_WG>;
var<workgroup> sum_scratch: array<f32, SUM_WG>;

@compute @workgroup_size(ELEMENT_WG)
fn mse(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * ELEMENT_WG;
  if (i >= COUNT) { return; }
  let d = pred[i] - target_values[i];
  grad[i] = 2.0 * d / f32(COUNT);
  partial[i] = d * d;
}

// Tree reduction of row_scratch (ROW_WG values) to row_scratch[0], as max or as sum. Every invocation of
// the workgroup must call it (it has barriers).
fn reduce_row_scratch(lane: u32, take_max: bool) {
  for (var stride = ROW_WG / 2u; stride > 0u; stride >>= 1u) {
    workgroupBarrier();
    if (lane < stride) {
      let other = row_scratch[lane + stride];
      row_scratch[lane] = select(row_scratch[lane] + other, max(row_scratch[lane], other), take_max);
    }
  }
  workgroupBarrier();
}

@compute @workgroup_size(ROW_WG)
fn softmax_cross_entropy(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  // Uniform per workgroup (from workgroup_id), so returning here keeps the barriers below uniform.
  let row = group.x + group.y * groups.x;
  if (row >= ROWS) { return; }
  let base = row * VOCAB;

  var local_max = logits[base];
  for (var k = lane; k < VOCAB; k += ROW_WG) { local_max = max(local_max, logits[base + k]); }
  row_scratch[lane] = local_max;
  reduce_row_scratch(lane, true);
  let row_max = row_scratch[0];
  // Everyone has read the max before the scratch is reused for the sum.
  workgroupBarrier();

  var local_sum = 0.0;
  for (var k = lane; k < VOCAB; k += ROW_WG) { local_sum += exp(logits[base + k] - row_max); }
  row_scratch[lane] = local_sum;
  reduce_row_scratch(lane, false);
  let exp_sum = row_scratch[0]; // >= 1: the max term is exp(0)

  let weight = row_weight[row];
  var target_id = 0u;
  if (weight != 0.0) {
    target_id = u32(clamp(targets[row], 0i, i32(VOCAB) - 1i));
  }
  let inverse_sum = 1.0 / exp_sum;
  for (var k = lane; k < VOCAB; k += ROW_WG) {
    let probability = exp(logits[base + k] - row_max) * inverse_sum;
    grad[base + k] = weight * (probability - select(0.0, 1.0, k == target_id));
  }
  if (lane == 0u) {
    partial[row] = weight * (log(exp_sum) - (logits[base + target_id] - row_max));
  }
}

@compute @workgroup_size(SUM_WG)
fn sum_partials(@builtin(local_invocation_index) lane: u32) {
  var local_sum = 0.0;
  for (var i = lane; i < COUNT; i += SUM_WG) { local_sum += partial[i]; }
  sum_scratch[lane] = local_sum;
  for (var stride = SUM_WG / 2u; stride > 0u; stride >>= 1u) {
    workgroupBarrier();
    if (lane < stride) { sum_scratch[lane] += sum_scratch[lane + stride]; }
  }
  if (lane == 0u) {
    accumulator[0] += LOSS_SCALE * sum_scratch[0];
  }
}
