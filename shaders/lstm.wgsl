// LSTM recurrence, forward and backward through time, with Keras semantics: gate order i, f, c, o,
// recurrent activation sigmoid, activation tanh.
//
// Inside webrnn a layer's gates are interleaved per unit: column 4*j + g holds gate g of unit j, so one
// vec4<f32> is (i, f, c, o) of a unit. The host permutes Keras' [.., 4U] gate blocks to this layout and
// back (getWeights / setWeights). Rows are time-major: row = t * B + b.
//
// The input projection xw = x . kernel + bias is one matmul before this kernel; the weight and input
// gradients are matmuls after the backward one. This file holds only what is sequential.
//
// Forward, step s = 0..T-1 (processed order; input time t = s, or T-1-s with GO_BACKWARDS):
//   z     = xw[t, b, j] + sum_k h[s-1, b, k] * rk[k, j]          (vec4 over the four gates)
//   i, f, o = sigmoid(z.x, z.y, z.w);  g = tanh(z.z)
//   c[s]  = f * c[s-1] + i * g;         h[s] = o * tanh(c[s])      (h[-1] = h0, c[-1] = c0)
// Backward, s = T-1..0, with dh = dhseq[s] + dh_rec + (s == T-1 ? dhT : 0), dc carried from s+1 (dcT at T-1):
//   dc    = dc + dh * o * (1 - tanh(c[s])^2)
//   dz    = (dc * g * i(1-i),  dc * c[s-1] * f(1-f),  dc * i * (1-g^2),  dh * tanh(c[s]) * o(1-o))
//   dc    = dc * f                        (to step s-1)
//   dh_rec[b, k] = sum_j dot(dz[b, j], rk[k, j])   (to step s-1; after step 0 it is dh0, and dc is dc0)
//
// Buffers (B batch, T steps, U units; "vec4" = the four gates of a unit):
//   xw:     [T, B, U] vec4   input projection incl. bias, by input time
//   rk:     [U, U] vec4      recurrent kernel, rk[k * U + j] = weights from h unit k to the gates of unit j
//   h0, c0: [B, U]           initial state
//   hseq:   [T, B, U]        h[s], processed order (the layer output with returnSequences)
//   hprev:  [T, B, U]        h[s-1] stored by input time t, aligned with xw / dz rows for dRecurrent
//   cseq:   [T, B, U]        c[s], processed order
//   gates:  [T, B, U] vec4   activated (i, f, g, o), processed order
//   hT, cT: [B, U]           final state
//   dhseq:  [T, B, U]        gradient into hseq (only read when HAS_DHSEQ)
//   dhT, dcT: [B, U]         gradient into the final state
//   dz:     [T, B, U] vec4   gradient of the pre-activations, by input time
//   dh0, dc0: [B, U]         gradient of the initial state
//   params: uniform { step } (per-step entry points only)
//
// Two execution strategies with identical results:
//   *_sequence: the whole time loop in one dispatch. A workgroup owns ROWS batch rows and all U units
//     (invocation i owns units i, i + S, ..., UNITS_PER_INVOCATION of them, S = ceil(U / UNITS_PER_INVOCATION));
//     h (forward) or dz (backward) of the current step lives in workgroup memory, one barrier per step
//     (ping-pong buffers). Needs workgroup memory of 2*ROWS*U floats forward, 2*ROWS*U vec4 backward.
//     Grid: [ceil(B / ROWS), 1, 1], workgroup size WG >= S.
//   *_step: one dispatch per time step, state in global memory; backward ends with one more dispatch,
//     backward_initial_state, for dh0. Grid: [ceil(U / 64), ceil(B / ROWS), 1].

override B: u32;
override T: u32;
override U: u32;
override ROWS: u32;             // batch rows per workgroup (<= MAX_ROWS)
override WG: u32 = 64u;         // workgroup size of the sequence entry points (>= U)
override GO_BACKWARDS: bool = false;
override HAS_DHSEQ: bool = true;
const MAX_ROWS: u32 = 16u;
const MAX_UNITS_PER_INVOCATION: u32 = 4u;
override UNITS_PER_INVOCATION: u32 = 1u; // <= MAX_UNITS_PER_INVOCATION
const STEP_WG: u32 = 64u;

struct StepParams { step: u32 }

@group(0) @binding(0) var<storage, read> xw: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> rk: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> h0: array<f32>;
@group(0) @binding(3) var<storage, read> c0: array<f32>;
@group(0) @binding(4) var<storage, read_write> hseq: array<f32>;
@group(0) @binding(5) var<storage, read_write> hprev: array<f32>;
@group(0) @binding(6) var<storage, read_write> cseq: array<f32>;
@group(0) @binding(7) var<storage, read_write> gates: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> hT: array<f32>;
@group(0) @binding(9) var<storage, read_write> cT: array<f32>;
@group(0) @binding(10) var<uniform> params: StepParams;

// Backward bindings (numbered apart from the forward ones; an entry point uses one set).
@group(0) @binding(11) var<storage, read> saved_gates: array<vec4<f32>>;
@group(0) @binding(12) var<storage, read> saved_cseq: array<f32>;
@group(0) @binding(13) var<storage, read> dhseq: array<f32>;
@group(0) @binding(14) var<storage, read> dhT: array<f32>;
@group(0) @binding(15) var<storage, read> dcT: array<f32>;
@group(0) @binding(16) var<storage, read_write> dz: array<vec4<f32>>;
@group(0) @binding(17) var<storage, read_write> dh0: array<f32>;
@group(0) @binding(18) var<storage, read_write> dc0: array<f32>;

var<workgroup> h_shared: array<f32, 2u * ROWS * U>;
var<workgroup> dz_shared: array<vec4<f32>, 2u * ROWS * U>;

fn sigmoid(v: f32) -> f32 {
  let e = exp(-abs(v)); // never overflows, for any pre-activation
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}
fn stable_tanh(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  return sign(v) * (1.0 - e) / (1.0 + e);
}

fn input_time(s: u32) -> u32 {
  return select(s, T - 1u - s, GO_BACKWARDS);
}

// The cell: pre-activations z and previous c -> activated gates, new c (h = o * tanh(c)).
fn activate(z: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(sigmoid(z.x), sigmoid(z.y), stable_tanh(z.z), sigmoid(z.w));
}

// One backward cell step: returns dz; updates dc in place to the gradient for c[s-1].
fn cell_backward(dh: f32, dc: ptr<function, f32>, a: vec4<f32>, c: f32, c_prev: f32) -> vec4<f32> {
  let tc = stable_tanh(c);
  let dcs = *dc + dh * a.w * (1.0 - tc * tc);
  *dc = dcs * a.y;
  return vec4<f32>(
    dcs * a.z * a.x * (1.0 - a.x),
    dcs * c_prev * a.y * (1.0 - a.y),
    dcs * a.x * (1.0 - a.z * a.z),
    dh * tc * a.w * (1.0 - a.w),
  );
}

// Writes what step s leaves behind for row b, unit j.
fn store_forward(s: u32, b: u32, j: u32, a: vec4<f32>, c: f32, h: f32, h_before: f32) {
  let at = (s * B + b) * U + j;
  hseq[at] = h;
  cseq[at] = c;
  gates[at] = a;
  hprev[(input_time(s) * B + b) * U + j] = h_before;
  if (s == T - 1u) {
    hT[b * U + j] = h;
    cT[b * U + j] = c;
  }
}

@compute @workgroup_size(WG)
fn forward_sequence(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  // Invocation i owns units i, i + STRIDE, ... (UNITS_PER_INVOCATION of them): every h value loaded from
  // workgroup memory then feeds that many vec4 FMAs, which matters where loads are the cost (CPU drivers).
  let stride = (U + UNITS_PER_INVOCATION - 1u) / UNITS_PER_INVOCATION;
  let row0 = group.x * ROWS;
  var c: array<f32, MAX_ROWS * MAX_UNITS_PER_INVOCATION>;
  var h_before: array<f32, MAX_ROWS * MAX_UNITS_PER_INVOCATION>;
  for (var u = 0u; u < UNITS_PER_INVOCATION; u++) {
    let j = local.x + u * stride;
    for (var r = 0u; r < ROWS; r++) {
      let b = row0 + r;
      if (local.x < stride && j < U && b < B) {
        h_shared[r * U + j] = h0[b * U + j];
        c[u * MAX_ROWS + r] = c0[b * U + j];
        h_before[u * MAX_ROWS + r] = h0[b * U + j];
      }
    }
  }
  workgroupBarrier();
  var current = 0u;
  for (var s = 0u; s < T; s++) {
    let next = 1u - current;
    if (local.x < stride) {
      let t = input_time(s);
      var z: array<vec4<f32>, MAX_ROWS * MAX_UNITS_PER_INVOCATION>;
      for (var u = 0u; u < UNITS_PER_INVOCATION; u++) {
        let j = min(local.x + u * stride, U - 1u);
        for (var r = 0u; r < ROWS; r++) {
          z[u * MAX_ROWS + r] = xw[(t * B + min(row0 + r, B - 1u)) * U + j];
        }
      }
      let h_base = current * ROWS * U;
      for (var k = 0u; k < U; k++) {
        for (var u = 0u; u < UNITS_PER_INVOCATION; u++) {
          let w = rk[k * U + min(local.x + u * stride, U - 1u)];
          for (var r = 0u; r < ROWS; r++) {
            z[u * MAX_ROWS + r] += h_shared[h_base + r * U + k] * w;
          }
        }
      }
      for (var u = 0u; u < UNITS_PER_INVOCATION; u++) {
        let j = local.x + u * stride;
        if (j < U) {
          for (var r = 0u; r < ROWS; r++) {
            let b = row0 + r;
            let i = u * MAX_ROWS + r;
            let a = activate(z[i]);
            c[i] = a.y * c[i] + a.x * a.z;
            let h = a.w * stable_tanh(c[i]);
            h_shared[next * ROWS * U + r * U + j] = h;
            if (b < B) {
              store_forward(s, b, j, a, c[i], h, h_before[i]);
            }
            h_before[i] = h;
          }
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
    var c_prev: f32;
    var h_before: f32;
    if (s == 0u) {
      for (var k = 0u; k < U; k++) { z += h0[b * U + k] * rk[k * U + j]; }
      c_prev = c0[b * U + j];
      h_before = h0[b * U + j];
    } else {
      let prev = ((s - 1u) * B + b) * U;
      for (var k = 0u; k < U; k++) { z += hseq[prev + k] * rk[k * U + j]; }
      c_prev = cseq[prev + j];
      h_before = hseq[prev + j];
    }
    let a = activate(z);
    let c = a.y * c_prev + a.x * a.z;
    store_forward(s, b, j, a, c, a.w * stable_tanh(c), h_before);
  }
}

// Gradient arriving at h[s] of row b, unit j from above (the layer output and the final state).
fn dh_from_outside(s: u32, b: u32, j: u32) -> f32 {
  var dh = 0.0;
  if (HAS_DHSEQ) { dh += dhseq[(s * B + b) * U + j]; }
  if (s == T - 1u) { dh += dhT[b * U + j]; }
  return dh;
}

fn saved_c_before(s: u32, b: u32, j: u32) -> f32 {
  if (s == 0u) { return c0[b * U + j]; }
  return saved_cseq[((s - 1u) * B + b) * U + j];
}

@compute @workgroup_size(WG)
fn backward_sequence(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  // Units as in forward_sequence: invocation i owns units i, i + stride, ...
  let stride = (U + UNITS_PER_INVOCATION - 1u) / UNITS_PER_INVOCATION;
  let row0 = group.x * ROWS;
  let active_lane = local.x < stride;
  var dc: array<f32, MAX_ROWS * MAX_UNITS_PER_INVOCATION>;
  var dh_rec: array<f32, MAX_ROWS * MAX_UNITS_PER_INVOCATION>;
  for (var u = 0u; u < UNITS_PER_INVOCATION; u++) {
    let j = local.x + u * stride;
    for (var r = 0u; r < ROWS; r++) {
      let b = min(row0 + r, B - 1u);
      dc[u * MAX_ROWS + r] = select(0.0, dcT[b * U + min(j, U - 1u)], active_lane && j < U && row0 + r < B);
      dh_rec[u * MAX_ROWS + r] = 0.0;
    }
  }
  var current = 0u;
  for (var n = 0u; n < T; n++) {
    let s = T - 1u - n;
    if (active_lane) {
      let t = input_time(s);
      for (var u = 0u; u < UNITS_PER_INVOCATION; u++) {
        let j = local.x + u * stride;
        if (j < U) {
          for (var r = 0u; r < ROWS; r++) {
            let b = row0 + r;
            let i = u * MAX_ROWS + r;
            var d = vec4<f32>(0.0);
            if (b < B) {
              let at = (s * B + b) * U + j;
              let dh = dh_from_outside(s, b, j) + dh_rec[i];
              d = cell_backward(dh, &dc[i], saved_gates[at], saved_cseq[at], saved_c_before(s, b, j));
              dz[(t * B + b) * U + j] = d;
            }
            dz_shared[current * ROWS * U + r * U + j] = d;
          }
        }
      }
    }
    workgroupBarrier();
    if (active_lane) {
      // dh_rec[b, j] = sum_m dot(dz[b, m], rk[j, m]): row j of rk is contiguous.
      let base = current * ROWS * U;
      for (var i = 0u; i < ROWS * UNITS_PER_INVOCATION; i++) { dh_rec[(i / ROWS) * MAX_ROWS + i % ROWS] = 0.0; }
      for (var m = 0u; m < U; m++) {
        for (var u = 0u; u < UNITS_PER_INVOCATION; u++) {
          let w = rk[min(local.x + u * stride, U - 1u) * U + m];
          for (var r = 0u; r < ROWS; r++) {
            dh_rec[u * MAX_ROWS + r] += dot(dz_shared[base + r * U + m], w);
          }
        }
      }
    }
    current = 1u - current;
  }
  if (active_lane) {
    for (var u = 0u; u < UNITS_PER_INVOCATION; u++) {
      let j = local.x + u * stride;
      for (var r = 0u; r < ROWS; r++) {
        let b = row0 + r;
        if (j < U && b < B) {
          dh0[b * U + j] = dh_rec[u * MAX_ROWS + r];
          dc0[b * U + j] = dc[u * MAX_ROWS + r];
        }
      }
    }
  }
}

// One backward step. The recurrent gradient comes from dz of step s+1 (written by the previous
// dispatch); dc is carried in dc0, which holds dc for step s+1 between dispatches (dcT before the first).
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
    var dc: f32;
    if (s == T - 1u) {
      dc = dcT[b * U + j];
    } else {
      dc = dc0[b * U + j];
      let next = (input_time(s + 1u) * B + b) * U;
      for (var m = 0u; m < U; m++) { dh += dot(dz[next + m], rk[j * U + m]); }
    }
    let at = (s * B + b) * U + j;
    let d = cell_backward(dh, &dc, saved_gates[at], saved_cseq[at], saved_c_before(s, b, j));
    dz[(t * B + b) * U + j] = d;
    dc0[b * U + j] = dc;
  }
}

// After backward_step for s = 0: dh0[b, j] = sum_m dot(dz[step 0, b, m], rk[j, m]). A dispatch of its
// own, because it reads dz of every unit, which the step-0 dispatch writes.
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
    for (var m = 0u; m < U; m++) { dh += dot(dz[base + m], rk[j * U + m]); }
    dh0[b * U + j] = dh;
  }
}
