// Training losses and metrics: the gradient of the batch's loss w.r.t. the predictions (or logits), the
// per-element or per-row partial losses, and one reduction that adds them to a running accumulator on
// the GPU (read by the host once per epoch, so no readback per training step).
//
// Rows r (batch x steps for sequence outputs) of `cols` values each, with a weight w[r] per row written by
// the host: mask[r] / sum(mask), so the weighted sum of per-row losses is the (masked) batch mean, as
// Keras' sum_over_batch_size with a mask. Per-row loss l_r (Keras' definitions, eps = 1e-7):
//   pointwise_loss, by kind (p = pred, y = target, d = p - y):
//     0 mse            mean_c d^2                                  grad = w 2 d / cols
//     1 mae            mean_c |d|                                  grad = w sign(d) / cols
//     2 bce, logits    mean_c max(p, 0) - p y + log(1 + e^-|p|)    grad = w (sigmoid(p) - y) / cols
//     3 bce, probs     mean_c -(y log q + (1 - y) log(1 - q)), q = clip(p, eps, 1 - eps)
//                                                                 grad = w (q - y) / (q (1 - q)) / cols
//                                                                        (0 where p is clipped)
//   row_loss (one workgroup per row; the row max, sums and argmax in workgroup memory), by kind:
//     0 sparse, logits  logsumexp(p) - p[t]                        grad = w (softmax(p) - onehot(t))
//     1 sparse, probs   -log clip(p[t] / S, eps, 1 - eps)           grad = w (1 / S - [k = t] / p[t])
//     2 dense, logits   sum_k y_k (logsumexp(p) - p_k)             grad = w (softmax(p) sum(y) - y)
//     3 dense, probs    -sum_k y_k log clip(p_k / S, eps, 1 - eps)  grad = w (sum(y) / S - y_k / p_k)
//     (S = sum_k p_k; t = target id clamped into range, never read for a row of weight 0; the probs
//     gradients are 0 where the probability is clipped)
//   accuracy, by kind: 0 binary mean_c [(p > threshold) = (y > 0.5)] (threshold 0.5, or 0 on logits);
//     1 categorical [argmax p = argmax y];  2 sparse [argmax p = t]  (the first maximum, as numpy)
//   sum_partials: accumulator[slot] += scale * sum_{i < count} partial[i]
//     FLAG_FINITE_ONLY (training): a sum that is not finite is left out and its scale (the batch's
//     samples) added to accumulator[slot + 1] instead, so an epoch's loss is the mean of its finite steps.
// FLAG_NO_GRAD: partials only (metrics, evaluation).
//
// Buffers: pred, grad: [rows, cols]; target_values: [rows, cols] f32; target_ids: [rows] i32;
//   row_weight: [rows]; partial: [rows * cols] (pointwise) or [rows]; accumulator: [>= slot + 1] (+ 1 with
//   FLAG_FINITE_ONLY)
// Dispatch: pointwise_loss: ceil(rows cols / 64) workgroups of 64, 2-D past the per-dimension limit
//   (index = id.x + id.y * groups.x * 64); row_loss: one workgroup of 64 per row (row = group.x +
//   group.y * groups.x); accuracy: one invocation per row, like pointwise; sum_partials: one workgroup
//   of 256 (each invocation sums every 256th partial, then a tree reduction: deterministic).

struct Dims {
  rows: u32,
  cols: u32,
  kind: u32,
  flags: u32,
  count: u32,
  slot: u32,
  scale: f32,
  threshold: f32,
}

const FLAG_NO_GRAD: u32 = 1u;
const FLAG_FINITE_ONLY: u32 = 2u;
const F32_EXPONENT: u32 = 0x7f800000u;
const EPS: f32 = 1e-7;
const ELEMENT_WG: u32 = 64u;
const ROW_WG: u32 = 64u;
const SUM_WG: u32 = 256u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> target_values: array<f32>; // 'target' is a reserved word in WGSL
@group(0) @binding(3) var<storage, read> target_ids: array<i32>;
@group(0) @binding(4) var<storage, read> row_weight: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;
// Written by the losses, read by sum_partials: one declaration, so read_write for both.
@group(0) @binding(6) var<storage, read_write> partial: array<f32>;
@group(0) @binding(7) var<storage, read_write> accumulator: array<f32>;

var<workgroup> row_scratch: array<f32, ROW_WG>;
var<workgroup> index_scratch: array<u32, ROW_WG>;
var<workgroup> sum_scratch: array<f32, SUM_WG>;

fn wants_grad() -> bool { return (dims.flags & FLAG_NO_GRAD) == 0u; }

fn sigmoid_of(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

@compute @workgroup_size(ELEMENT_WG)
fn pointwise_loss(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * ELEMENT_WG;
  if (i >= dims.rows * dims.cols) { return; }
  let w = row_weight[i / dims.cols];
  let scale = w / f32(dims.cols);
  let p = pred[i];
  let y = target_values[i];
  var loss: f32;
  var g: f32;
  switch dims.kind {
    case 1u: {
      loss = abs(p - y);
      g = sign(p - y);
    }
    case 2u: {
      loss = max(p, 0.0) - p * y + log(1.0 + exp(-abs(p)));
      g = sigmoid_of(p) - y;
    }
    case 3u: {
      let q = clamp(p, EPS, 1.0 - EPS);
      loss = -(y * log(q) + (1.0 - y) * log(1.0 - q));
      g = select(0.0, (q - y) / (q * (1.0 - q)), p > EPS && p < 1.0 - EPS);
    }
    default: {
      let d = p - y;
      loss = d * d;
      g = 2.0 * d;
    }
  }
  partial[i] = scale * loss;
  if (wants_grad()) { grad[i] = scale * g; }
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

fn row_sum(lane: u32, value: f32) -> f32 {
  row_scratch[lane] = value;
  reduce_row_scratch(lane, false);
  let total = row_scratch[0];
  workgroupBarrier(); // everyone has read it before the scratch is reused
  return total;
}

fn row_max(lane: u32, value: f32) -> f32 {
  row_scratch[lane] = value;
  reduce_row_scratch(lane, true);
  let total = row_scratch[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(ROW_WG)
fn row_loss(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  // Uniform per workgroup (from workgroup_id), so returning here keeps the barriers below uniform.
  let row = group.x + group.y * groups.x;
  if (row >= dims.rows) { return; }
  let cols = dims.cols;
  let base = row * cols;
  let kind = dims.kind;
  let w = row_weight[row];
  let sparse = kind < 2u;
  let logits = kind == 0u || kind == 2u;
  var t = 0u;
  if (sparse && w != 0.0) { t = u32(clamp(target_ids[row], 0i, i32(cols) - 1i)); }

  var local_max = pred[base];
  var local_total = 0.0;
  for (var k = lane; k < cols; k += ROW_WG) {
    local_max = max(local_max, pred[base + k]);
    local_total += pred[base + k];
  }
  let m = row_max(lane, local_max);
  let sum_p = row_sum(lane, local_total); // S, for the probs kinds
  // sum_y: of every target (logits kinds), or of the targets whose probability is not clipped (probs
  // kinds: clipping stops the gradient there, so their y drops out of the normalization term too).
  var local_y = 0.0;
  var local_exp = 0.0;
  for (var k = lane; k < cols; k += ROW_WG) {
    let p = pred[base + k];
    let y = select(target_values[base + k], select(0.0, 1.0, k == t), sparse);
    let q = p / sum_p;
    if (logits || (q > EPS && q < 1.0 - EPS)) { local_y += y; }
    if (logits) { local_exp += exp(p - m); }
  }
  let sum_y = row_sum(lane, local_y);
  // Kept apart from the max: m + log(s) in f32 would cost precision at logits of hundreds.
  let exp_sum = row_sum(lane, local_exp);
  let log_sum = log(exp_sum);

  var local_loss = 0.0;
  for (var k = lane; k < cols; k += ROW_WG) {
    let p = pred[base + k];
    let y = select(target_values[base + k], select(0.0, 1.0, k == t), sparse);
    var g: f32;
    if (logits) {
      local_loss += y * ((m - p) + log_sum);
      g = exp(p - m) / exp_sum * sum_y - y;
    } else {
      let q = p / sum_p;
      local_loss -= y * log(clamp(q, EPS, 1.0 - EPS));
      g = sum_y / sum_p - select(0.0, y / p, q > EPS && q < 1.0 - EPS);
    }
    if (wants_grad()) { grad[base + k] = w * g; }
  }
  let loss = row_sum(lane, local_loss);
  if (lane == 0u) { partial[row] = w * loss; }
}

@compute @workgroup_size(ELEMENT_WG)
fn accuracy(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = id.x + id.y * groups.x * ELEMENT_WG;
  if (row >= dims.rows) { return; }
  let cols = dims.cols;
  let base = row * cols;
  var correct = 0.0;
  if (dims.kind == 0u) {
    for (var k = 0u; k < cols; k++) {
      let hit = (pred[base + k] > dims.threshold) == (target_values[base + k] > 0.5);
      correct += select(0.0, 1.0, hit);
    }
    correct /= f32(cols);
  } else {
    var best = 0u;
    for (var k = 1u; k < cols; k++) { if (pred[base + k] > pred[base + best]) { best = k; } }
    var truth = 0u;
    if (dims.kind == 2u) {
      truth = u32(clamp(target_ids[row], 0i, i32(cols) - 1i));
    } else {
      for (var k = 1u; k < cols; k++) { if (target_values[base + k] > target_values[base + truth]) { truth = k; } }
    }
    correct = select(0.0, 1.0, best == truth);
  }
  partial[row] = row_weight[row] * correct;
}

@compute @workgroup_size(SUM_WG)
fn sum_partials(@builtin(local_invocation_index) lane: u32) {
  var local_sum = 0.0;
  for (var i = lane; i < dims.count; i += SUM_WG) { local_sum += partial[i]; }
  sum_scratch[lane] = local_sum;
  for (var stride = SUM_WG / 2u; stride > 0u; stride >>= 1u) {
    workgroupBarrier();
    if (lane < stride) { sum_scratch[lane] += sum_scratch[lane + stride]; }
  }
  if (lane == 0u) {
    let total = dims.scale * sum_scratch[0];
    // Finiteness from the exponent bits: WGSL lets compilers assume comparisons never meet a NaN.
    if ((dims.flags & FLAG_FINITE_ONLY) != 0u && (bitcast<u32>(total) & F32_EXPONENT) == F32_EXPONENT) {
      accumulator[dims.slot + 1u] += dims.scale;
    } else {
      accumulator[dims.slot] += total;
    }
  }
}
