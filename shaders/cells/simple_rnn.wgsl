// SimpleRNN cell (Keras semantics): one gate per unit, so Keras' weight layout is the kernels' as is.
//   h = act(zx + zr)          (zx = x . kernel + bias, zr = h[s-1] . recurrent_kernel; act default tanh)
//   backward: dz = dh act'(h), act' read off h itself (saved_hseq), so nothing else is saved; g_0 = dz
// saved, saved_r: f32, only the mask of a masked layer (recurrence.wgsl)

alias Gates = f32;
const PHASES: u32 = 1u;

struct CellState { unused: f32 }
struct CellSaved { unused: f32 }
struct CellGrad { g: Gates, direct: f32 }

@group(0) @binding(30) var<storage, read_write> saved: array<f32>;
@group(0) @binding(31) var<storage, read> saved_r: array<f32>;

fn gates_dot(a: Gates, b: Gates) -> f32 { return a * b; }
fn saved_float(i: u32) -> f32 { return saved[i]; }
fn saved_float_r(i: u32) -> f32 { return saved_r[i]; }

fn cell_phase(p: u32, d: u32, j: u32, x_part: Gates, h_part: Gates, h_prev: f32, state: ptr<function, CellState>, cell_saved: ptr<function, CellSaved>) -> f32 {
  return activation(dims.activation, x_part + h_part);
}

fn cell_resume(p: u32, d: u32, s: u32, b: u32, j: u32, state: ptr<function, CellState>, cell_saved: ptr<function, CellSaved>) {}

fn cell_store(p: u32, d: u32, s: u32, b: u32, j: u32, state: CellState, cell_saved: CellSaved) {}

fn cell_keep_backward(q: u32, d: u32, s: u32, t: u32, b: u32, j: u32) { dz[seq_at(d, t, b, j)] = 0.0; }

fn cell_backward(q: u32, d: u32, s: u32, t: u32, b: u32, j: u32, dh: f32, dop: f32) -> CellGrad {
  let grad = dh * activation_grad_from_output(dims.activation, saved_hseq[seq_at(d, s, b, j)]);
  dz[seq_at(d, t, b, j)] = grad;
  return CellGrad(grad, 0.0);
}
