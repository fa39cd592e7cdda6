// LSTM cell (Keras semantics): gates i, f, c, o side by side in one vec4 per unit.
//   z = x_part + h_part       (x_part = x . kernel + bias, h_part = h[s-1] . recurrent_kernel)
//   i = ra(z.x), f = ra(z.y), g = act(z.z), o = ra(z.w)      (ra: recurrent activation, default sigmoid)
//   c = f c[s-1] + i g;  h = o act(c)
// Backward, with dc carried from step s + 1 (dcT at the last step):
//   dc   = dc + dh o act'(c)
//   dz   = (dc g ra'(i), dc c[s-1] ra'(f), dc i act'(g), dh act(c) ra'(o));  g_0 = dz (no direct term)
//   dc[s-1] = dc f
//
// State 1 of s0 / sT / dsT / ds0 is c. Saved values (processed order, as recurrence.wgsl):
//   saved, saved_r: f32, the activated gates (i, f, g, o) [D, T, B, U, 4], then c [D, T, B, U]
// Carry region CARRY_CELL: dc between steps.
// A masked step (recurrence.wgsl): c[s] = c[s-1] (saved gates 0), backward dc[s-1] = dc, dz = 0.

alias Gates = vec4<f32>;
const PHASES: u32 = 1u;
const C_STATE: u32 = 1u;

struct CellState { c: f32 }
struct CellSaved { gates: vec4<f32> }
struct CellGrad { g: Gates, direct: f32 }

@group(0) @binding(30) var<storage, read_write> saved: array<f32>;
@group(0) @binding(31) var<storage, read> saved_r: array<f32>;

fn gates_dot(a: Gates, b: Gates) -> f32 { return dot(a, b); }
fn saved_float(i: u32) -> f32 { return saved[i]; }
fn saved_float_r(i: u32) -> f32 { return saved_r[i]; }
fn c_at(i: u32) -> u32 { return 4u * sequence_size() + i; }

fn cell_phase(p: u32, d: u32, j: u32, x_part: Gates, h_part: Gates, h_prev: f32, state: ptr<function, CellState>, cell_saved: ptr<function, CellSaved>) -> f32 {
  let z = x_part + h_part;
  let ra = dims.recurrent_activation;
  let a = vec4<f32>(activation(ra, z.x), activation(ra, z.y), activation(dims.activation, z.z), activation(ra, z.w));
  (*state).c = a.y * (*state).c + a.x * a.z;
  (*cell_saved).gates = a;
  return a.w * activation(dims.activation, (*state).c);
}

fn cell_resume(p: u32, d: u32, s: u32, b: u32, j: u32, state: ptr<function, CellState>, cell_saved: ptr<function, CellSaved>) {
  if (s == 0u) { (*state).c = s0[state_at(d, C_STATE, b, j)]; } else { (*state).c = saved[c_at(seq_at(d, s - 1u, b, j))]; }
}

fn cell_store(p: u32, d: u32, s: u32, b: u32, j: u32, state: CellState, cell_saved: CellSaved) {
  let i = seq_at(d, s, b, j);
  let a = cell_saved.gates;
  saved[4u * i] = a.x;
  saved[4u * i + 1u] = a.y;
  saved[4u * i + 2u] = a.z;
  saved[4u * i + 3u] = a.w;
  saved[c_at(i)] = state.c;
  if (s + 1u == dims.steps) { sT[state_at(d, C_STATE, b, j)] = state.c; }
}

// The gradient arriving at c[s]: from step s + 1, or from the final state at the last step.
fn dc_arriving(d: u32, s: u32, b: u32, j: u32) -> f32 {
  if (s + 1u == dims.steps) { return select(0.0, dsT[state_at(d, C_STATE, b, j)], has_flag(FLAG_HAS_DSTATE)); }
  return carry[carry_at(CARRY_CELL, d, b, j)];
}

fn cell_keep_backward(q: u32, d: u32, s: u32, t: u32, b: u32, j: u32) {
  dz[seq_at(d, t, b, j)] = Gates();
  let dc = dc_arriving(d, s, b, j);
  carry[carry_at(CARRY_CELL, d, b, j)] = dc;
  if (s == 0u) { write_ds0(d, C_STATE, b, j, dc); }
}

fn cell_backward(q: u32, d: u32, s: u32, t: u32, b: u32, j: u32, dh: f32, dop: f32) -> CellGrad {
  let i = seq_at(d, s, b, j);
  let a = vec4<f32>(saved_r[4u * i], saved_r[4u * i + 1u], saved_r[4u * i + 2u], saved_r[4u * i + 3u]);
  let c = saved_r[c_at(i)];
  var c_prev: f32;
  if (s == 0u) { c_prev = s0[state_at(d, C_STATE, b, j)]; } else { c_prev = saved_r[c_at(seq_at(d, s - 1u, b, j))]; }
  let carried = carry_at(CARRY_CELL, d, b, j);
  var dc = dc_arriving(d, s, b, j);
  let act = dims.activation;
  let ra = dims.recurrent_activation;
  let tc = activation(act, c);
  dc += dh * a.w * activation_grad_from_output(act, tc);
  let grad = vec4<f32>(
    dc * a.z * activation_grad_from_output(ra, a.x),
    dc * c_prev * activation_grad_from_output(ra, a.y),
    dc * a.x * activation_grad_from_output(act, a.z),
    dh * tc * activation_grad_from_output(ra, a.w),
  );
  dz[seq_at(d, t, b, j)] = grad;
  let dc_prev = dc * a.y;
  carry[carried] = dc_prev;
  if (s == 0u) { write_ds0(d, C_STATE, b, j, dc_prev); }
  return CellGrad(grad, 0.0);
}
