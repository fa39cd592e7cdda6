// SimpleRNN recurrence, forward and backward through time, with Keras semantics: one gate per unit,
// activation tanh (default) or relu, chosen by the ACTIVATION override. Rows are time-major: row = t * B + b.
// With a single gate Keras' weight layout is webrnn's as is: no interleaving.
//
// The input projection xw = x . kernel + bias is one matmul before this kernel; the weight and input
// gradients are matmuls after the backward one. This file holds only what is sequential.
//
// Forward, step s = 0..T-1 (processed order; input time t = s, or T-1-s with GO_BACKWARDS):
//   z     = xw[t, b, j] + sum_k h[s-1, b, k] * rk[k, j]
//   h[s]  = act(z)                        (h[-1] = h0; act = tanh, or relu)
// Backward, s = T-1..0, with dh = dhseq[s] + dh_rec + (s == T-1 ? dhT : 0):
//   dz    = dh * act'(z),  act'(z) read off h[s] itself: tanh' = 1 - h^2, relu' = (h > 0 ? 1 : 0)
//           (0 at z = 0, as TensorFlow), so backward needs no saved buffer besides hseq
//   dh_rec[b, k] = sum_j dz[b, j] * rk[k, j]   (to step s-1; after step 0 it is dh0)
//
// Buffers (B batch, T steps, U units):
//   xw:     [T, B, U]   input projection incl. bias, by input time
//   rk:     [U, U]      recurrent kernel, rk[k * U + j] = weight from h unit k to unit j
//   h0:     [B, U]      initial state
//   hseq:   [T, B, U]   h[s], processed order (the layer output with returnSequences; read by backward
//                       as saved_hseq)
//   hprev:  [T, B, U]   h[s-1] stored by input time t, aligned with xw / dz rows for dRecurrent
//   hT:     [B, U]      final state
//   dhseq:  [T, B, U]   gradient into hseq (only read when HAS_DHSEQ)
//   dhT:    [B, U]      gradient into the final state
//   dz:     [T, B, U]   gradient of the pre-activations, by input time
//   dh0:    [B, U]      gradient of the initial state
//   params: uniform { step } (per-step entry points only)
//
// Two execution strategies with identical results:
//   *_sequence: the whole time loop in one dispatch. A workgroup owns ROWS batch rows and all U units
//     (invocation j = unit j); h (forward) or dz (backward) of the current step lives in workgroup memory,
//     one barrier per step (ping-pong buffers). Needs U <= workgroup size and workgroup memory of
//     2*ROWS*U floats, forward and backward. Grid: [ceil(B / ROWS), 1, 1], workgroup size WG >= U.
//   *_step: one dispatch per time step, state in global memory; backward ends with one more dispatch,
//     backward_initial_state, for dh0. Grid: [ceil(U / 64), ceil(B / ROWS), 1].

override B: u32;
override T: u32;
override U: u32;
override ROWS: u32;             // batch rows per workgroup (<= MAX_ROWS)
override WG: u32 = 64u;         // workgroup size of the sequence entry points (>= U)
override GO_BACKWARDS: bool = false;
override HAS_DHSEQ: bool = true;
override ACTIVATION: u32 = 0u;  // 0 tanh, 1 relu
const MAX_ROWS: u32 = 16u;
const STEP_WG: u32 = 64u;
const RELU: u32 = 1u;

struct StepParams { step: u32 }

@group(0) @binding(0) var<storage, read> xw: array<f32>;
@group(0) @binding(1) var<storage, read> rk: array<f32>;
@group(0) @binding(2) var<storage, read> h0: array<f32>;
@group(0) @binding(3) var<storage, read_write> hseq: array<f32>;
@group(0) @binding(4) var<storage, read_write> hprev: array<f32>;
@group(0) @binding(5) var<storage, read_write> hT: array<f32>;
@group(0) @binding(6) var<uniform> params: StepParams;

// Backward bindings (numbered apart from the forward ones; an entry point uses one set).
@group(0) @binding(7) var<storage, read> saved_hseq: array<f32>;
@group(0) @binding(8) var<storage, read> dhseq: array<f32>;
@group(0) @binding(9) var<storage, read> dhT: array<f32>;
@group(0) @binding(10) var<storage, read_write> dz: array<f32>;
@group(0) @binding(11) var<storage, read_write> dh0: array<f32>;

var<workgroup> h_shared: array<f32, 2u * ROWS * U>;
var<workgroup> dz_shared: array<f32, 2u * ROWS * U>;

fn stable_tanh(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v)); // never overflows, for any pre-activation
  return sign(v) * (1.0 - e) / (1.0 + e);
}

// The cell's activation of a pre-activation z.
fn activation(z: f32) -> f32 {
  if (ACTIVATION == RELU) { return max(z, 0.0); }
  return stable_tanh(z);
}

// act'(z), from the activated value h = act(z).
fn activation_grad(h: f32) -> f32 {
  if (ACTIVATION == RELU) { return select(0.0, 1.0, h > 0.0); }
  return 1.0 - h * h;
}

fn input_time(s: u32) -> u32 {
  return select(s, T - 1u - s, GO_BACKWARDS);
}

// Writes what step s leaves behind for row b, unit j.
fn store_forward(s: u32, b: u32, j: u32, h: f32, h_before: f32) {
  hseq[(s * B + b) * U + j] = h;
  hprev[(input_time(s) * B + b) * U + j] = h_before;
  if (s == T - 1u) {
    hT[b * U + j] = h;
  }
}

@compute @workgroup_size(WG)
fn forward_sequence(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let j = local.x;
  let row0 = group.x * ROWS;
  let owns_unit = j < U;
  for (var r = 0u; r < ROWS; r++) {
    let b = row0 + r;
    if (owns_unit && b < B) {
      h_shared[r * U + j] = h0[b * U + j];
    }
  }
  workgroupBarrier();
  var current = 0u;
  for (var s = 0u; s < T; s++) {
    let next = 1u - current;
    if (owns_unit) {
      let t = input_time(s);
      var z: array<f32, MAX_ROWS>;
      for (var r = 0u; r < ROWS; r++) {
        z[r] = xw[(t * B + min(row0 + r, B - 1u)) * U + j];
      }
      let h_base = current * ROWS * U;
      for (var k = 0u; k < U; k++) {
        let w = rk[k * U + j];
        for (var r = 0u; r < ROWS; r++) {
          z[r] += h_shared[h_base + r * U + k] * w;
        }
      }
      for (var r = 0u; r < ROWS; r++) {
        let b = row0 + r;
        let h = activation(z[r]);
        // This invocation wrote h_shared[h_base + r * U + j] itself (step s-1, or the initial copy).
        let h_before = h_shared[h_base + r * U + j];
        h_shared[next * ROWS * U + r * U + j] = h;
        if (b < B) {
          store_forward(s, b, j, h, h_before);
        }
      }
    }
    current = next;
    workgroupBarrier();
  }
}

@compute @workgroup_size(STEP_WG)
fn forward_step(@builtin(global_invocation_id) id: vec3<u32>) {
  let j = id.x;
  let row0 = id.y * ROWS;
  if (j >= U) { return; }
  let s = params.step;
  let t = input_time(s);
  for (var r = 0u; r < ROWS; r++) {
    let b = row0 + r;
    if (b >= B) { break; }
    var z = xw[(t * B + b) * U + j];
    var h_before: f32;
    if (s == 0u) {
      for (var k = 0u; k < U; k++) { z += h0[b * U + k] * rk[k * U + j]; }
      h_before = h0[b * U + j];
    } else {
      let prev = ((s - 1u) * B + b) * U;
      for (var k = 0u; k < U; k++) { z += hseq[prev + k] * rk[k * U + j]; }
      h_before = hseq[prev + j];
    }
    store_forward(s, b, j, activation(z), h_before);
  }
}

// Gradient arriving at h[s] of row b, unit j from above (the layer output and the final state).
fn dh_from_outside(s: u32, b: u32, j: u32) -> f32 {
  var dh = 0.0;
  if (HAS_DHSEQ) { dh += dhseq[(s * B + b) * U + j]; }
  if (s == T - 1u) { dh += dhT[b * U + j]; }
  return dh;
}

@compute @workgroup_size(WG)
fn backward_sequence(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let j = local.x;
  let row0 = group.x * ROWS;
  let owns_unit = j < U;
  var dh_rec: array<f32, MAX_ROWS>;
  for (var r = 0u; r < ROWS; r++) { dh_rec[r] = 0.0; }
  var current = 0u;
  for (var n = 0u; n < T; n++) {
    let s = T - 1u - n;
    if (owns_unit) {
      let t = input_time(s);
      for (var r = 0u; r < ROWS; r++) {
        let b = row0 + r;
        var d = 0.0;
        if (b < B) {
          let dh = dh_from_outside(s, b, j) + dh_rec[r];
          d = dh * activation_grad(saved_hseq[(s * B + b) * U + j]);
          dz[(t * B + b) * U + j] = d;
        }
        dz_shared[current * ROWS * U + r * U + j] = d;
      }
    }
    workgroupBarrier();
    if (owns_unit) {
      // dh_rec[b, j] = sum_m dz[b, m] * rk[j, m]: row j of rk is contiguous.
      let base = current * ROWS * U;
      for (var r = 0u; r < ROWS; r++) { dh_rec[r] = 0.0; }
      for (var m = 0u; m < U; m++) {
        let w = rk[j * U + m];
        for (var r = 0u; r < ROWS; r++) {
          dh_rec[r] += dz_shared[base + r * U + m] * w;
        }
      }
    }
    current = 1u - current;
  }
  if (owns_unit) {
    for (var r = 0u; r < ROWS; r++) {
      let b = row0 + r;
      if (b < B) {
        dh0[b * U + j] = dh_rec[r];
      }
    }
  }
}

// One backward step. The recurrent gradient comes from dz of step s+1 (written by the previous dispatch).
@compute @workgroup_size(STEP_WG)
fn backward_step(@builtin(global_invocation_id) id: vec3<u32>) {
  let j = id.x;
  let row0 = id.y * ROWS;
  if (j >= U) { return; }
  let s = params.step;
  let t = input_time(s);
  for (var r = 0u; r < ROWS; r++) {
    let b = row0 + r;
    if (b >= B) { break; }
    var dh = dh_from_outside(s, b, j);
    if (s < T - 1u) {
      let next = (input_time(s + 1u) * B + b) * U;
      for (var m = 0u; m < U; m++) { dh += dz[next + m] * rk[j * U + m]; }
    }
    dz[(t * B + b) * U + j] = dh * activation_grad(saved_hseq[(s * B + b) * U + j]);
  }
}

// After backward_step for s = 0: dh0[b, j] = sum_m dz[step 0, b, m] * rk[j, m]. A dispatch of its own,
// because it reads dz of every unit, which the step-0 dispatch writes.
@compute @workgroup_size(STEP_WG)
fn backward_initial_state(@builtin(global_invocation_id) id: vec3<u32>) {
  let j = id.x;
  let row0 = id.y * ROWS;
  if (j >= U) { return; }
  let first = input_time(0u);
  for (var r = 0u; r < ROWS; r++) {
    let b = row0 + r;
    if (b >= B) { break; }
    let base = (first * B + b) * U;
    var dh = 0.0;
    for (var m = 0u; m < U; m++) { dh += dz[base + m] * rk[j * U + m]; }
    dh0[b * U + j] = dh;
  }
}
