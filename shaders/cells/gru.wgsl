// GRU cell (Keras semantics): gates z, r, h side by side in one vec4 per unit (the fourth slot unused).
// RESET_AFTER = true (Keras 2.x/3 default, cuDNN-compatible), one recurrent product per step:
//   rz = h_part + rbias       (x_part = x . kernel + input bias, h_part = h[s-1] . recurrent_kernel)
//   z = ra(x_part.x + rz.x), r = ra(x_part.y + rz.y), n = act(x_part.z + r rz.z)
//   h = z h[s-1] + (1 - z) n
//   backward: dn = dh (1 - z) act'(n), dz_ = dh (h[s-1] - n) ra'(z), dr = dn rz.z ra'(r)
//             dz = (dz_, dr, dn)  (input side);  g_0 = (dz_, dr, dn r)  (recurrent side, also the
//             gradient of rbias);  direct = dh z
// RESET_AFTER = false: two recurrent products per step, the second over r * h[s-1]:
//   phase 0: z = ra(x_part.x + h_part.x), r = ra(x_part.y + h_part.y); its output is the operand r h[s-1]
//   phase 1: n = act(x_part.z + h_part.z) (h_part.z = (r h[s-1]) . recurrent_kernel_h);  h = z h[s-1] + (1 - z) n
//   backward phase 1: dn = dh (1 - z) act'(n);  g_1 = (0, 0, dn)
//   backward phase 0, dop = d(r h[s-1]) from g_1: dr = dop h[s-1] ra'(r), dz_ = dh (h[s-1] - n) ra'(z)
//             dz = (dz_, dr, dn);  g_0 = (dz_, dr, 0);  direct = dh z + dop r
//
// Buffers (as recurrence.wgsl):
//   weights[rbias_offset ..]: [D, U] vec4, the recurrent bias (RESET_AFTER with a bias)
//   saved, saved_r: [D, T, B, U] vec4 (z, r, n, rz.z), processed order
//   dz[sequence_size() ..]: [D, PHASES, T, B, U] vec4 g_q by input time, the right factor of dR (and of
//     the rbias gradient)

alias Gates = vec4<f32>;
override RESET_AFTER: bool = true;
override PHASES: u32 = select(2u, 1u, RESET_AFTER);
override HAS_RBIAS: bool = true;

struct CellState { unused: f32 }
struct CellSaved { gates: vec4<f32> }
struct CellGrad { g: Gates, direct: f32 }

@group(0) @binding(30) var<storage, read_write> saved: array<vec4<f32>>;
@group(0) @binding(31) var<storage, read> saved_r: array<vec4<f32>>;

fn gates_dot(a: Gates, b: Gates) -> f32 { return dot(a, b); }
fn saved_float(i: u32) -> f32 { return saved[i / 4u][i % 4u]; }
fn saved_float_r(i: u32) -> f32 { return saved_r[i / 4u][i % 4u]; }
fn g_at(d: u32, q: u32, t: u32, b: u32, j: u32) -> u32 { return sequence_size() + op_at(d, q, t, b, j); }

fn cell_phase(p: u32, d: u32, j: u32, x_part: Gates, h_part: Gates, h_prev: f32, state: ptr<function, CellState>, cell_saved: ptr<function, CellSaved>) -> f32 {
  let ra = dims.recurrent_activation;
  if (RESET_AFTER) {
    var rz = h_part;
    if (HAS_RBIAS) { rz += weights[dims.rbias_offset + d * dims.units + j]; }
    let z = activation(ra, x_part.x + rz.x);
    let r = activation(ra, x_part.y + rz.y);
    let n = activation(dims.activation, x_part.z + r * rz.z);
    (*cell_saved).gates = vec4<f32>(z, r, n, rz.z);
    return z * h_prev + (1.0 - z) * n;
  }
  if (p == 0u) {
    let z = activation(ra, x_part.x + h_part.x);
    let r = activation(ra, x_part.y + h_part.y);
    (*cell_saved).gates = vec4<f32>(z, r, 0.0, 0.0);
    return r * h_prev;
  }
  let z = (*cell_saved).gates.x;
  let n = activation(dims.activation, x_part.z + h_part.z);
  (*cell_saved).gates.z = n;
  return z * h_prev + (1.0 - z) * n;
}

fn cell_resume(p: u32, d: u32, s: u32, b: u32, j: u32, state: ptr<function, CellState>, cell_saved: ptr<function, CellSaved>) {
  if (p > 0u) { (*cell_saved).gates = saved[seq_at(d, s, b, j)]; }
}

fn cell_store(p: u32, d: u32, s: u32, b: u32, j: u32, state: CellState, cell_saved: CellSaved) {
  saved[seq_at(d, s, b, j)] = cell_saved.gates;
}

// A masked step: no gradient reaches its gates (h passes through in recurrence.wgsl).
fn cell_keep_backward(q: u32, d: u32, s: u32, t: u32, b: u32, j: u32) {
  dz[g_at(d, q, t, b, j)] = Gates();
  if (q == 0u) { dz[seq_at(d, t, b, j)] = Gates(); }
}

fn cell_backward(q: u32, d: u32, s: u32, t: u32, b: u32, j: u32, dh: f32, dop: f32) -> CellGrad {
  let a = saved_r[seq_at(d, s, b, j)];
  let h_prev = saved_ops[op_at(d, 0u, t, b, j)];
  let ra = dims.recurrent_activation;
  let dn = dh * (1.0 - a.x) * activation_grad_from_output(dims.activation, a.z);
  let dz_gate = dh * (h_prev - a.z) * activation_grad_from_output(ra, a.x);
  if (RESET_AFTER) {
    let dr = dn * a.w * activation_grad_from_output(ra, a.y);
    dz[seq_at(d, t, b, j)] = vec4<f32>(dz_gate, dr, dn, 0.0);
    let g = vec4<f32>(dz_gate, dr, dn * a.y, 0.0);
    dz[g_at(d, 0u, t, b, j)] = g;
    return CellGrad(g, dh * a.x);
  }
  if (q == 1u) {
    let g = vec4<f32>(0.0, 0.0, dn, 0.0);
    dz[g_at(d, 1u, t, b, j)] = g;
    return CellGrad(g, 0.0);
  }
  let dr = dop * h_prev * activation_grad_from_output(ra, a.y);
  dz[seq_at(d, t, b, j)] = vec4<f32>(dz_gate, dr, dn, 0.0);
  let g = vec4<f32>(dz_gate, dr, 0.0, 0.0);
  dz[g_at(d, 0u, t, b, j)] = g;
  return CellGrad(g, dh * a.x + dop * a.y);
}
