//! joined after: common/activations.wgsl, common/random.wgsl, common/sampling.wgsl, cells/*.wgsl
// The time loop of every recurrent cell, forward and backward through time, and the GPU decode loop.
// Joined after shaders/common/activations.wgsl and one cell file (shaders/cells/*.wgsl), which provides:
//   alias Gates                 f32 (one gate) or vec4<f32> (up to four gates of a unit side by side)
//   PHASES                      recurrent products per step: 1, or 2 (GRU reset_after = false)
//   struct CellState, CellSaved, CellGrad { g: Gates, direct: f32 }
//   cell_phase(p, d, j, x_part, h_part, h_prev, &state, &cell_saved) -> f32   phase p's output: the next phase's
//                               operand (p < PHASES - 1) or the new h
//   cell_resume(p, d, s, b, j, &state, &cell_saved)  reloads the state before step s and earlier phases' values
//   cell_store(p, d, s, b, j, state, cell_saved)  saves what backward needs (and the final states)
//   cell_backward(q, d, s, t, b, j, dh, dop) -> CellGrad   writes the pre-activation gradients dz (and the
//                               recurrent ones it keeps apart); returns g_q, the vector whose product with
//                               rk^T is the gradient of phase q's operand, and (q = 0) the gradient that
//                               reaches h[s-1] directly rather than through rk
//   cell_keep_backward(q, d, s, t, b, j)  a masked step: zeroes the cell's gradients of step s and passes
//                               the gradients of its other states (LSTM c) on to step s - 1 unchanged
//   saved_float(i), saved_float_r(i)  float i of the cell's saved buffer (forward, backward): the mask
//                               lives there, after the cell's own values, at dims.mask_offset
//
// A step s (processed order; input time t = s, or T-1-s when the direction runs backwards), row b, unit j:
//   phase p:  zr = sum_k op_p[k] rk[k, j]     op_0 = h[s-1] (h0 at s = 0); op_p = phase p-1's output
//             result = cell_phase(p, x_part = xw[t, b, j], h_part = zr, h[s-1])
//   backward, q = PHASES-1 .. 0, dh = dhseq[s] (+ dhT at s = T-1) + dh_next(s + 1):
//             g_q = cell_backward(q, dh, dop_q);  dop_{q-1}[j] = sum_m dot(g_q[m], rk[j, m])
//             dh_next(s) = (direct + dop_0) m     (m: recurrent dropout's factor, else 1; after step 0 it is dh0)
// Masking (FLAG_MASKED, Keras' mask of time steps): where mask[t, b] = 0 the step keeps every state,
//   h[s] = h[s-1] (the output sequence repeats it, as Keras' zero_output_for_mask = false), the cell's
//   other states likewise; backward, the gradient at h[s] (and c[s]) goes to h[s-1] (c[s-1]) unchanged,
//   and the step's dz (so its input gradient and its share of every weight gradient) is 0.
// Recurrent dropout (FLAG_RECURRENT_DROPOUT, Keras' recurrent_dropout, in training): a mask m [D, B, U] of
//   each sequence (0, or 1 / (1 - rate) scaled), the same at every step, multiplies the previous h the cell
//   reads: the cell runs on h_in = h[s-1] m (its recurrent products, and GRU's z h_in, as TF.js' cells
//   do), op_0 = h_in, and backward the gradient reaching h[s-1] through the cell is m times that of h_in.
//   A masked time step still passes h[s-1] on undropped. The sequence entry points keep h m in h_sh
//   (what the products read) and reread h[s-1] itself from hseq / s0; the step entry points write the
//   next step's op_0 = h[s] m, which the next product reads (forward_dropout_initial writes step 0's).
// The weight gradients are matmuls done afterwards by the host's plan (src/cells/descriptor.ts):
//   dW = x^T dz (+ db = colsum dz),  dR = sum_p op_p^T g_p (+ recurrent bias = colsum g),  dx = dz W^T.
//
// Buffers (D directions, S states (h, then the cell's others: LSTM c), T steps, B batch, U units; "Gates"
// = one Gates value per unit; all time-major; at most 8 storage buffers per entry point, WebGPU's
// guaranteed minimum):
//   xw:      [D, T, B, U] Gates    x . kernel + input bias, by input time
//   weights: the layer's parameters, one range: rk = weights[rk_offset ..] [D, U, U] Gates,
//            rk[(d * U + k) * U + j] = weights from h unit k to the gates of unit j (the cell and the decode
//            loop read their other parameters at their offsets)
//   s0:      [D, S, B, U]          initial states (h at state 0);  sT: [D, S, B, U] final states
//   hseq:    [D, T, B, U]          h[s] in processed order (the layer's output sequence); saved_hseq reads it
//   ops:     [D, PHASES, T, B, U]  every phase's operand by input time (op_0 = h[s-1]): dR's left factor
//   zr:      [D, B, U] Gates       step entry points: this phase's recurrent product (a matmul before)
//   dhseq:   [D, T, B, U]          gradient into hseq (read when FLAG_HAS_DHSEQ)
//   dsT:     [D, S, B, U]          gradient into sT (read when FLAG_HAS_DSTATE)
//   ds0:     [D, S, B, U]          gradient of s0 (written, or added to with FLAG_ACCUMULATE_DSTATE0); the
//                                  skeleton writes h's, the cell the others
//   dz:      [D, T, B, U] Gates    gradient of the input-side pre-activations, by input time, written by
//                                  the cell; a cell's recurrent gradient may follow (GRU: [D, PHASES, T, B, U])
//   carry:   [regions, D, B, U]    scratch between steps: region 0 the gradient arriving at h[s-1] from
//                                  step s, region 1 (step entry points) dh of the current step, then the cell's
//   drec:    [D, B, U]             step entry points: dop of this phase (a matmul before)
//   saved:   the cell's saved values (its layout); saved_r reads them in backward; with FLAG_MASKED,
//            then the mask [T, B] f32 by input time (1 real step, 0 masked) from float dims.mask_offset;
//            with FLAG_RECURRENT_DROPOUT, the recurrent dropout mask [D, B, U] f32 from dims.rdrop_offset
//
// Two strategies with identical results:
//   *_sequence: the whole time loop in one dispatch. A workgroup owns 4 RG batch rows (RG vec4s of
//     rows in workgroup memory) and every unit: invocation i owns units i, i + S, ... (UPI of them,
//     S = ceil(U / UPI)), so each weight loaded feeds 4 RG x UPI multiply-adds. One barrier per phase per
//     step. Workgroup memory (U_MAX >= U): forward (2 RG U_MAX + RG U_MAX (PHASES - 1) + 1) vec4,
//     backward 4 RG U_MAX Gates. Grid [ceil(B / (4 RG)), D]; workgroup size WG >= S.
//   *_step: one elementwise dispatch per (step, phase), the recurrent products done by matmuls between
//     them (any U). Grid [ceil(U / 64), B, D].
// Nothing is carried in registers across a barrier: the cell reloads its state from what it saved
// (the same invocation wrote it), which keeps the compiled kernel small on CPU drivers.

// Workgroup memory is sized for up to U_MAX units (the unit count rounded up to a multiple of 8, so
// layers of different widths share pipelines); the unit count itself is dims.units.
override U_MAX: u32;
override WG: u32 = 64u;
override UPI: u32 = 1u; // units per invocation of the sequence entry points, 1 to MAX_UPI
// Batch rows per invocation (and workgroup) of the sequence entry points: RG vec4s of RB = 4 rows.
override RG: u32 = 1u;
const RB: u32 = 4u;
const MAX_UPI: u32 = 4u;
const MAX_RG: u32 = 4u;
const MAX_ACC: u32 = RB * MAX_UPI * MAX_RG;
const STEP_WG: u32 = 64u;

struct Dims {
  units: u32,
  batch: u32,
  steps: u32,
  directions: u32,
  // The cell's states, h included (LSTM 2).
  states: u32,
  // Per-step entry points: the step (processed order) and the phase.
  step: u32,
  phase: u32,
  flags: u32,
  activation: u32,
  recurrent_activation: u32,
  // UPI and RG again, as values the compiler cannot fold, so the per-unit epilogue is a loop, not unrolled.
  upi: u32,
  row_groups: u32,
  // Element offsets in `weights` (in Gates): the recurrent kernel, and the recurrent bias (GRU).
  rk_offset: u32,
  rbias_offset: u32,
  // decode_loop only: the input kernel and bias in `weights` (in Gates), the head's kernel and bias in
  // `head` (in f32), input features, head outputs, tokens.
  w_in_offset: u32,
  b_in_offset: u32,
  head_bias_offset: u32,
  inputs: u32,
  outputs: u32,
  start_token: i32,
  end_token: i32,
  // FLAG_MASKED: where the mask starts in `saved` (floats).
  mask_offset: u32,
  // FLAG_RECURRENT_DROPOUT: where the recurrent dropout mask starts in `saved` (floats).
  rdrop_offset: u32,
}

const FLAG_BACKWARDS_0: u32 = 1u;        // direction 0 runs time backwards (go_backwards)
const FLAG_BACKWARDS_1: u32 = 2u;        // direction 1 likewise (a Bidirectional's backward layer)
const FLAG_HAS_DHSEQ: u32 = 4u;
const FLAG_HAS_DSTATE: u32 = 8u;         // gradient arrives at the final states
const FLAG_ACCUMULATE_DSTATE0: u32 = 16u;
const FLAG_TOKENS: u32 = 32u;            // decode_loop: argmax -> embedding row is the next input
const FLAG_CONTINUE: u32 = 64u;          // decode_loop: the primed state's head output is output 0
const FLAG_HAS_BIAS: u32 = 128u;         // decode_loop: the layer has an input bias (b_in_offset)
const FLAG_HEAD_BIAS: u32 = 256u;        // decode_loop: the head has a bias (head_bias_offset)
const FLAG_MASKED: u32 = 512u;           // a mask of time steps (in `saved` at mask_offset)
const FLAG_RECURRENT_DROPOUT: u32 = 1024u; // a recurrent dropout mask (in `saved` at rdrop_offset)
const FLAG_SAMPLE: u32 = 2048u;          // decode_loop: tokens drawn from the logits, not their argmax

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> xw: array<Gates>;
@group(0) @binding(2) var<storage, read> weights: array<Gates>;
@group(0) @binding(3) var<storage, read> s0: array<f32>;
@group(0) @binding(4) var<storage, read_write> hseq: array<f32>;
@group(0) @binding(5) var<storage, read_write> ops: array<f32>;
@group(0) @binding(6) var<storage, read_write> sT: array<f32>;
@group(0) @binding(7) var<storage, read> zr: array<Gates>;
@group(0) @binding(8) var<storage, read> dhseq: array<f32>;
@group(0) @binding(9) var<storage, read> dsT: array<f32>;
@group(0) @binding(10) var<storage, read_write> ds0: array<f32>;
@group(0) @binding(11) var<storage, read_write> carry: array<f32>;
@group(0) @binding(12) var<storage, read> drec: array<f32>;
@group(0) @binding(13) var<storage, read> saved_ops: array<f32>;
@group(0) @binding(14) var<storage, read> saved_hseq: array<f32>;
@group(0) @binding(15) var<storage, read_write> dz: array<Gates>;

var<workgroup> h_sh: array<vec4<f32>, 2u * RG * U_MAX>;
var<workgroup> op_sh: array<vec4<f32>, RG * U_MAX * (PHASES - 1u) + 1u>;
var<workgroup> g_sh: array<Gates, RB * RG * U_MAX>;

fn has_flag(flag: u32) -> bool { return (dims.flags & flag) != 0u; }
fn runs_backwards(d: u32) -> bool { return (dims.flags & (FLAG_BACKWARDS_0 << d)) != 0u; }
fn input_time(d: u32, s: u32) -> u32 { return select(s, dims.steps - 1u - s, runs_backwards(d)); }
// [D, T, B, U]: step (or input time) s, row b, unit j of direction d.
fn seq_at(d: u32, s: u32, b: u32, j: u32) -> u32 { let U = dims.units; return ((d * dims.steps + s) * dims.batch + b) * U + j; }
// [D, S, B, U]: state k (0 = h) of row b, unit j of direction d.
fn state_at(d: u32, k: u32, b: u32, j: u32) -> u32 { let U = dims.units; return ((d * dims.states + k) * dims.batch + b) * U + j; }
// [D, PHASES, T, B, U]
fn op_at(d: u32, p: u32, t: u32, b: u32, j: u32) -> u32 { let U = dims.units; return (((d * PHASES + p) * dims.steps + t) * dims.batch + b) * U + j; }
// [regions, D, B, U]: scratch region r (0: dh_next, 1: dh_total, 2.. the cell's) of row b, unit j.
fn carry_at(r: u32, d: u32, b: u32, j: u32) -> u32 { let U = dims.units; return ((r * dims.directions + d) * dims.batch + b) * U + j; }
// Elements of one [D, T, B, U] sequence: where a second region of a buffer starts.
fn sequence_size() -> u32 { let U = dims.units; return dims.directions * dims.steps * dims.batch * U; }
const CARRY_DH_NEXT: u32 = 0u;
const CARRY_DH_TOTAL: u32 = 1u;
const CARRY_CELL: u32 = 2u;

// Whether input time t of row b is masked (forward reads the mask through `saved`, backward through `saved_r`).
fn masked_forward(t: u32, b: u32) -> bool { return has_flag(FLAG_MASKED) && saved_float(dims.mask_offset + t * dims.batch + b) < 0.5; }
fn masked_backward(t: u32, b: u32) -> bool { return has_flag(FLAG_MASKED) && saved_float_r(dims.mask_offset + t * dims.batch + b) < 0.5; }
// The recurrent dropout factor of row b, unit j (1 without recurrent dropout).
fn dropout_keep_forward(d: u32, b: u32, j: u32) -> f32 {
  if (!has_flag(FLAG_RECURRENT_DROPOUT)) { return 1.0; }
  return saved_float(dims.rdrop_offset + (d * dims.batch + b) * dims.units + j);
}
// What the gradient of step s's h_in is multiplied by to reach h[s-1]: the factor, or 1 at a masked step.
fn dropout_keep_backward(d: u32, s: u32, b: u32, j: u32) -> f32 {
  if (!has_flag(FLAG_RECURRENT_DROPOUT) || masked_backward(input_time(d, s), b)) { return 1.0; }
  return saved_float_r(dims.rdrop_offset + (d * dims.batch + b) * dims.units + j);
}

// ---- forward -------------------------------------------------------------------------------------

// Phase p of step s for one (row, unit), given its recurrent product and h[s-1] (undropped): runs the
// cell, saves, and returns the phase's output (the next operand, or h[s]).
fn forward_cell(p: u32, d: u32, s: u32, b: u32, j: u32, zr_value: Gates, h_prev: f32) -> f32 {
  let t = input_time(d, s);
  var state: CellState;
  var cell_saved: CellSaved;
  cell_resume(p, d, s, b, j, &state, &cell_saved);
  let h_in = h_prev * dropout_keep_forward(d, b, j);
  var value: f32;
  if (masked_forward(t, b)) {
    // Every state kept: the cell stores its states as they were, h passes through (the operand of a
    // later phase is unused: its gradient is 0).
    cell_saved = CellSaved();
    value = select(0.0, h_prev, p + 1u == PHASES);
  } else {
    value = cell_phase(p, d, j, xw[seq_at(d, t, b, j)], zr_value, h_in, &state, &cell_saved);
  }
  cell_store(p, d, s, b, j, state, cell_saved);
  if (p == 0u) { ops[op_at(d, 0u, t, b, j)] = h_in; }
  if (p + 1u < PHASES) {
    ops[op_at(d, p + 1u, t, b, j)] = value;
  } else {
    hseq[seq_at(d, s, b, j)] = value;
    if (s + 1u == dims.steps) { sT[state_at(d, 0u, b, j)] = value; }
  }
  return value;
}

@compute @workgroup_size(WG)
fn forward_sequence(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let U = dims.units;
  let d = group.y;
  let B = dims.batch;
  let row0 = group.x * RB * RG;
  let rows = min(RB * RG, B - row0);
  // Row groups holding a row of the batch: the products skip the rest (a partial last workgroup).
  let groups = (rows + RB - 1u) / RB;
  let stride = (U + UPI - 1u) / UPI;
  let on = lane < stride;
  // h_sh[(half * RG + g) * U + j]: rows g * 4 .. g * 4 + 3 of unit j, two halves (ping-pong).
  for (var u = 0u; u < UPI; u++) {
    let j = lane + u * stride;
    if (on && j < U) {
      for (var g = 0u; g < RG; g++) {
        var v = vec4<f32>();
        for (var r = 0u; r < RB; r++) {
          let b = min(row0 + g * RB + r, B - 1u);
          v[r] = s0[state_at(d, 0u, b, j)] * dropout_keep_forward(d, b, j);
        }
        h_sh[g * U + j] = v;
      }
    }
  }
  workgroupBarrier();
  var cur = 0u;
  for (var s = 0u; s < dims.steps; s++) {
    for (var p = 0u; p < PHASES; p++) {
      if (on) {
        var col: array<u32, MAX_UPI>;
        for (var u = 0u; u < UPI; u++) { col[u] = min(lane + u * stride, U - 1u); }
        // Explicitly zeroed: lavapipe keeps a declaration's zero value only on the first loop iteration.
        // acc[u * RB * RG + row]: the recurrent product of unit u's gates for row `row`.
        var acc = array<Gates, MAX_ACC>();
        for (var k = 0u; k < U; k++) {
          var w: array<Gates, MAX_UPI>;
          for (var u = 0u; u < UPI; u++) { w[u] = weights[dims.rk_offset + (d * U + k) * U + col[u]]; }
          for (var g = 0u; g < RG; g++) {
            if (g < groups) {
              var hv: vec4<f32>;
              if (p == 0u) { hv = h_sh[(cur * RG + g) * U + k]; } else { hv = op_sh[g * U + k]; }
              for (var u = 0u; u < UPI; u++) {
                for (var r = 0u; r < RB; r++) { acc[u * RB * RG + g * RB + r] += hv[r] * w[u]; }
              }
            }
          }
        }
        let products = acc;
        for (var u = 0u; u < dims.upi; u++) {
          let j = lane + u * stride;
          if (j < U) {
            for (var g = 0u; g < dims.row_groups; g++) {
              // h_sh holds h[s-1] m with recurrent dropout: the cell reads h[s-1] itself from where this
              // invocation wrote it.
              let h_prev = h_sh[(cur * RG + g) * U + j];
              var values = vec4<f32>();
              var keep = vec4<f32>(1.0);
              for (var r = 0u; r < RB; r++) {
                let row = g * RB + r;
                if (row < rows) {
                  let b = row0 + row;
                  var h_r = h_prev[r];
                  if (has_flag(FLAG_RECURRENT_DROPOUT)) {
                    keep[r] = dropout_keep_forward(d, b, j);
                    if (s == 0u) { h_r = s0[state_at(d, 0u, b, j)]; } else { h_r = hseq[seq_at(d, s - 1u, b, j)]; }
                  }
                  values[r] = forward_cell(p, d, s, b, j, products[u * RB * RG + row], h_r);
                }
              }
              if (p + 1u < PHASES) { op_sh[g * U + j] = values; } else { h_sh[((1u - cur) * RG + g) * U + j] = values * keep; }
            }
          }
        }
      }
      workgroupBarrier();
    }
    cur = 1u - cur;
  }
}

// One phase of one step (dims.step, dims.phase); zr holds the recurrent product of this phase.
@compute @workgroup_size(STEP_WG)
fn forward_step(@builtin(global_invocation_id) id: vec3<u32>) {
  let U = dims.units;
  let j = id.x;
  let b = id.y;
  let d = id.z;
  if (j >= U || b >= dims.batch) { return; }
  let s = dims.step;
  var h_prev: f32;
  if (s == 0u) { h_prev = s0[state_at(d, 0u, b, j)]; } else { h_prev = hseq[seq_at(d, s - 1u, b, j)]; }
  let value = forward_cell(dims.phase, d, s, b, j, zr[(d * dims.batch + b) * U + j], h_prev);
  // Recurrent dropout: the next step's product reads its operand h[s] m from ops.
  if (has_flag(FLAG_RECURRENT_DROPOUT) && dims.phase + 1u == PHASES && s + 1u < dims.steps) {
    ops[op_at(d, 0u, input_time(d, s + 1u), b, j)] = value * dropout_keep_forward(d, b, j);
  }
}

// Recurrent dropout, step strategy: step 0's operand h0 m, before its product.
@compute @workgroup_size(STEP_WG)
fn forward_dropout_initial(@builtin(global_invocation_id) id: vec3<u32>) {
  let j = id.x;
  let b = id.y;
  let d = id.z;
  if (j >= dims.units || b >= dims.batch) { return; }
  ops[op_at(d, 0u, input_time(d, 0u), b, j)] = s0[state_at(d, 0u, b, j)] * dropout_keep_forward(d, b, j);
}

// ---- backward ------------------------------------------------------------------------------------

fn dh_from_outside(d: u32, s: u32, b: u32, j: u32) -> f32 {
  var dh = 0.0;
  if (has_flag(FLAG_HAS_DHSEQ)) { dh += dhseq[seq_at(d, s, b, j)]; }
  if (s + 1u == dims.steps && has_flag(FLAG_HAS_DSTATE)) { dh += dsT[state_at(d, 0u, b, j)]; }
  return dh;
}

// Phase q's backward of step s (input time t): the cell's, or at a masked step the gradient passed on
// (to h[s-1] directly; nothing through rk).
fn step_backward(q: u32, d: u32, s: u32, t: u32, b: u32, j: u32, dh: f32, dop: f32) -> CellGrad {
  if (masked_backward(t, b)) {
    cell_keep_backward(q, d, s, t, b, j);
    return CellGrad(Gates(), select(0.0, dh, q == 0u));
  }
  return cell_backward(q, d, s, t, b, j, dh, dop);
}

// The gradient of initial state k (0 = h; the cell writes its others through this too).
fn write_ds0(d: u32, k: u32, b: u32, j: u32, value: f32) {
  let at = state_at(d, k, b, j);
  ds0[at] = select(0.0, ds0[at], has_flag(FLAG_ACCUMULATE_DSTATE0)) + value;
}

@compute @workgroup_size(WG)
fn backward_sequence(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let U = dims.units;
  let d = group.y;
  let B = dims.batch;
  let T = dims.steps;
  let ROWS = RB * RG;
  let row0 = group.x * ROWS;
  let rows = min(ROWS, B - row0);
  let groups = (rows + RB - 1u) / RB;
  let stride = (U + UPI - 1u) / UPI;
  let on = lane < stride;
  // dop[u * ROWS + row]: the recurrent product of the last gradient, for unit u's row `row`.
  var dop: array<f32, MAX_ACC>;
  for (var n = 0u; n < T; n++) {
    let s = T - 1u - n;
    let t = input_time(d, s);
    for (var qi = 0u; qi < PHASES; qi++) {
      let q = PHASES - 1u - qi;
      if (on) {
        let dops = dop;
        for (var u = 0u; u < dims.upi; u++) {
          let j = lane + u * stride;
          if (j < U) {
            for (var row = 0u; row < rows; row++) {
              let b = row0 + row;
              let at = carry_at(CARRY_DH_NEXT, d, b, j);
              let dh = dh_from_outside(d, s, b, j) + select(0.0, carry[at], s + 1u < T);
              let grad = step_backward(q, d, s, t, b, j, dh, dops[u * ROWS + row]);
              g_sh[row * U + j] = grad.g;
              if (q == 0u) { carry[at] = grad.direct; }
            }
          }
        }
      }
      workgroupBarrier();
      if (on) {
        var base: array<u32, MAX_UPI>;
        for (var u = 0u; u < UPI; u++) { base[u] = dims.rk_offset + (d * U + min(lane + u * stride, U - 1u)) * U; }
        var acc = array<f32, MAX_ACC>();
        for (var m = 0u; m < U; m++) {
          var w: array<Gates, MAX_UPI>;
          for (var u = 0u; u < UPI; u++) { w[u] = weights[base[u] + m]; }
          for (var g = 0u; g < RG; g++) {
            if (g < groups) {
              for (var r = 0u; r < RB; r++) {
                let row = g * RB + r;
                let gv = g_sh[row * U + m];
                for (var u = 0u; u < UPI; u++) { acc[u * ROWS + row] += gates_dot(gv, w[u]); }
              }
            }
          }
        }
        dop = acc;
        if (q == 0u) {
          let sums = acc;
          for (var u = 0u; u < dims.upi; u++) {
            let j = lane + u * stride;
            if (j < U) {
              for (var row = 0u; row < rows; row++) {
                let at = carry_at(CARRY_DH_NEXT, d, row0 + row, j);
                let total = (carry[at] + sums[u * ROWS + row]) * dropout_keep_backward(d, s, row0 + row, j);
                carry[at] = total;
                if (s == 0u) { write_ds0(d, 0u, row0 + row, j, total); }
              }
            }
          }
        }
      }
      // g_sh is rewritten by the next phase's epilogue: every product must have read it first.
      workgroupBarrier();
    }
  }
}

// One phase of one backward step; drec holds the recurrent product of the gradient: for the last phase
// that of g_0 of step s + 1 (unused at s = T - 1), otherwise that of g_{q+1} of this step.
@compute @workgroup_size(STEP_WG)
fn backward_step(@builtin(global_invocation_id) id: vec3<u32>) {
  let U = dims.units;
  let j = id.x;
  let b = id.y;
  let d = id.z;
  if (j >= U || b >= dims.batch) { return; }
  let s = dims.step;
  let q = dims.phase;
  let next = carry_at(CARRY_DH_NEXT, d, b, j);
  let total = carry_at(CARRY_DH_TOTAL, d, b, j);
  let at = (d * dims.batch + b) * U + j;
  var dh: f32;
  var dop = 0.0;
  if (q + 1u == PHASES) {
    dh = dh_from_outside(d, s, b, j);
    if (s + 1u < dims.steps) { dh += (carry[next] + drec[at]) * dropout_keep_backward(d, s + 1u, b, j); }
    if (PHASES > 1u) { carry[total] = dh; }
  } else {
    dh = carry[total];
    dop = drec[at];
  }
  let grad = step_backward(q, d, s, input_time(d, s), b, j, dh, dop);
  if (q == 0u) { carry[next] = grad.direct; }
}

// After the last backward step: dh0 = direct + the recurrent product of g_0 of step 0 (in drec).
@compute @workgroup_size(STEP_WG)
fn backward_initial(@builtin(global_invocation_id) id: vec3<u32>) {
  let U = dims.units;
  let j = id.x;
  let b = id.y;
  let d = id.z;
  if (j >= U || b >= dims.batch) { return; }
  write_ds0(d, 0u, b, j, (carry[carry_at(CARRY_DH_NEXT, d, b, j)] + drec[(d * dims.batch + b) * U + j]) * dropout_keep_backward(d, 0u, b, j));
}

// ---- decode loop ---------------------------------------------------------------------------------
// The whole autoregressive decode of a one-layer decoder with a Dense head, in one dispatch. A
// workgroup owns 4 sequences (a vec4 of rows); invocation j owns unit j (and head output j, input j).
// Per step t:
//   zx[j] = b_in[j] + sum_f x[f] w_in[f, j];  phases as forward (zr = sum_k op_p[k] rk[k, j])
//   y[o] = head_bias[o] + sum_k h[k] head_kernel[k, o]
//   numbers: out[b, t, :] = y, and y is the next x (inputs == outputs);
//   tokens: id = argmax y (the first maximum), or with FLAG_SAMPLE a draw from y (common/sampling.wgsl,
//           the numbers of (row, t), the settings in `sampling` as decode.wgsl's sample_ids reads them);
//           once end_token is emitted a row keeps emitting it;
//           out[b, t] = id (as f32, exact below 2^24), and table[id, :] is the next x (the first x is
//           table[start_token]).
// FLAG_CONTINUE (a stack continuing from its primed state): y of the primed state is output 0.
// Buffers: weights (w_in [F, U], b_in [U], rk, the cell's: in Gates at their offsets), s0 (the primed
//   state), head (kernel [U, O] at 0, bias [O] at head_bias_offset), table [V, F], out [B, STEPS, O] or [B, STEPS].
// Grid [ceil(B / 4)]; WG >= max(U, O, F, 4). Workgroup memory: (U PHASES + 1 + 2 MAX_IO) vec4 + 4 i32.

@group(0) @binding(16) var<storage, read> head: array<f32>;
@group(0) @binding(17) var<storage, read> table: array<f32>;
@group(0) @binding(18) var<storage, read_write> out: array<f32>;
@group(0) @binding(19) var<storage, read> sampling: array<u32>;

// The logits of the workgroup's row `row` (common/sampling.wgsl reads them through this).
fn sampling_logit(row: u32, v: u32) -> f32 { return y_sh[v][row]; }

override MAX_IO: u32 = 1u; // max(inputs, outputs), sizes the decode loop's workgroup memory
var<workgroup> x_sh: array<vec4<f32>, MAX_IO>;
var<workgroup> y_sh: array<vec4<f32>, MAX_IO>;
var<workgroup> ids_sh: array<i32, RB>;

fn decode_head(lane: u32) {
  let U = dims.units;
  let O = dims.outputs;
  if (lane < O) {
    var y = vec4<f32>(select(0.0, head[dims.head_bias_offset + lane], has_flag(FLAG_HEAD_BIAS)));
    for (var k = 0u; k < U; k++) { y += h_sh[k] * head[k * O + lane]; }
    y_sh[lane] = y;
  }
}

// Emits output t of the rows of this workgroup and prepares the next input (needs the barriers around it).
fn decode_emit(lane: u32, row0: u32, t: u32, steps: u32, ended: ptr<function, bool>) {
  let B = dims.batch;
  let O = dims.outputs;
  if (has_flag(FLAG_TOKENS)) {
    if (lane < RB) {
      var best = 0u;
      if (has_flag(FLAG_SAMPLE)) {
        let params = SamplingParams(vec2<u32>(sampling[0], sampling[1]), sampling[2], bitcast<f32>(sampling[3]), bitcast<f32>(sampling[4]));
        best = sample_token(lane, row0 + lane, t, O, params);
      } else {
        for (var v = 1u; v < O; v++) { if (y_sh[v][lane] > y_sh[best][lane]) { best = v; } }
      }
      var id = i32(best);
      if (*ended) { id = dims.end_token; }
      if (dims.end_token >= 0 && i32(best) == dims.end_token) { *ended = true; }
      if (row0 + lane < B) { out[(row0 + lane) * steps + t] = f32(id); }
      ids_sh[lane] = clamp(id, 0, i32(O) - 1);
    }
    workgroupBarrier();
    if (lane < dims.inputs) {
      var x = vec4<f32>();
      for (var r = 0u; r < RB; r++) { x[r] = table[u32(ids_sh[r]) * dims.inputs + lane]; }
      x_sh[lane] = x;
    }
  } else if (lane < O) {
    let y = y_sh[lane];
    for (var r = 0u; r < RB; r++) {
      if (row0 + r < B) { out[((row0 + r) * steps + t) * O + lane] = y[r]; }
    }
    x_sh[lane] = y;
  }
}

@compute @workgroup_size(WG)
fn decode_loop(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let U = dims.units;
  let B = dims.batch;
  let F = dims.inputs;
  let steps = dims.steps;
  let row0 = group.x * RB;
  let j = min(lane, U - 1u);
  var state: array<CellState, RB>;
  var cell_saved: array<CellSaved, RB>;
  var ended = false;
  if (lane < U) {
    var h = vec4<f32>();
    for (var r = 0u; r < RB; r++) {
      let b = min(row0 + r, B - 1u);
      h[r] = s0[state_at(0u, 0u, b, j)];
      cell_resume(0u, 0u, 0u, b, j, &state[r], &cell_saved[r]);
    }
    h_sh[j] = h;
  }
  if (lane < F) {
    var x = vec4<f32>();
    if (has_flag(FLAG_TOKENS)) {
      for (var r = 0u; r < RB; r++) { x[r] = table[u32(dims.start_token) * F + lane]; }
    }
    x_sh[lane] = x;
  }
  workgroupBarrier();
  var first = 0u;
  if (has_flag(FLAG_CONTINUE)) {
    decode_head(lane);
    workgroupBarrier();
    decode_emit(lane, row0, 0u, steps, &ended);
    workgroupBarrier();
    first = 1u;
  }
  let with_bias = has_flag(FLAG_HAS_BIAS);
  for (var t = first; t < steps; t++) {
    for (var p = 0u; p < PHASES; p++) {
      var result = vec4<f32>();
      if (lane < U) {
        var zx = array<Gates, RB>();
        if (with_bias) {
          for (var r = 0u; r < RB; r++) { zx[r] = weights[dims.b_in_offset + j]; }
        }
        for (var f = 0u; f < F; f++) {
          let w = weights[dims.w_in_offset + f * U + j];
          let xv = x_sh[f];
          for (var r = 0u; r < RB; r++) { zx[r] += xv[r] * w; }
        }
        var zrs = array<Gates, RB>();
        for (var k = 0u; k < U; k++) {
          var hv: vec4<f32>;
          if (p == 0u) { hv = h_sh[k]; } else { hv = op_sh[k]; }
          let w = weights[dims.rk_offset + k * U + j];
          for (var r = 0u; r < RB; r++) { zrs[r] += hv[r] * w; }
        }
        let h_prev = h_sh[j];
        for (var r = 0u; r < RB; r++) { result[r] = cell_phase(p, 0u, j, zx[r], zrs[r], h_prev[r], &state[r], &cell_saved[r]); }
      }
      workgroupBarrier(); // every read of h_sh, op_sh and x_sh for this phase is done
      if (lane < U) {
        if (p + 1u < PHASES) { op_sh[j] = result; } else { h_sh[j] = result; }
      }
      workgroupBarrier();
    }
    decode_head(lane);
    workgroupBarrier();
    decode_emit(lane, row0, t, steps, &ended);
    workgroupBarrier();
  }
}
