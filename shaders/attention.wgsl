// Attention of a query sequence over a value sequence (Keras' Attention and AdditiveAttention), forward
// and backward. Per sample b, query step i, value step j (time-major values, as every sequence here):
//
//   raw[i, j] = sum_d q[i, d] k[j, d]                                 score 'dot'
//             = sum_d w[d] tanh(a (q[i, d] + k[j, d]))               score 'concat' (additive)
//   s[i, j]   = c raw[i, j] - 1e9 [value step j masked, or j > i when causal]
//   W[i, :]   = softmax(s[i, :]);   out[i, e] = m_q[i] sum_j W[i, j] v[j, e]
//
// c, a, w are learned weights or 1 by the flags: Attention('dot') c = scale; Attention('concat') c =
// concat_score_weight, a = scale; AdditiveAttention w = scale [D]. The key is the value when not given.
// Backward, with g[i, e] = m_q[i] dout[i, e]:
//   dW[i, j] = sum_e g[i, e] v[j, e];   dS[i, j] = W[i, j] (dW[i, j] - sum_j' W[i, j'] dW[i, j'])
//   dv[j, e] = sum_i W[i, j] g[i, e]
//   dot:     dq[i, d] = c sum_j dS[i, j] k[j, d];  dk[j, d] = c sum_i dS[i, j] q[i, d]
//   concat:  with t = tanh(a (q + k)), u = c w[d] (1 - t^2) a:  dq[i, d] = sum_j dS u;  dk[j, d] = sum_i dS u
//   dc = sum dS raw;  da = sum dS c w[d] (1 - t^2) (q + k);  dw[d] = sum dS c t   (over b, i, j (, d))
//   with the key the value, dv += dk.
//
// Buffers (f32, element offsets in dims): query [Tq, B, D], key [Tv, B, D], value [Tv, B, E]; q_mask
//   [Tq, B], v_mask [Tv, B] (1 real, 0 padded); params / dparams: the model's parameter and gradient
//   buffers (c, a at their offsets, w [D] at w_offset); weights [B, Tq, Tv] (W, kept for the backward);
//   out, dout [Tq, B, E]; dscores [B, Tq, Tv]; dquery, dkey, dvalue as their inputs (added to with the
//   accumulate flags; only those the flags want are written). dparams are always added to.
// Dispatch (workgroups of 64, element = id.x + id.y * groups.x * 64): forward, dscores: B Tq rows;
//   dquery: Tq B D; dkey_value: Tv B max(D, E); dparams: 2 + D workgroups (c, a, then w[d]), each reducing.

const FLAG_CONCAT: u32 = 1u;
const FLAG_C: u32 = 2u;
const FLAG_A: u32 = 4u;
const FLAG_W: u32 = 8u;
const FLAG_Q_MASK: u32 = 16u;
const FLAG_V_MASK: u32 = 32u;
const FLAG_CAUSAL: u32 = 64u;
const FLAG_KEY_IS_VALUE: u32 = 128u;
const FLAG_ACCUMULATE_DQ: u32 = 256u;
const FLAG_ACCUMULATE_DK: u32 = 512u;
const FLAG_ACCUMULATE_DV: u32 = 1024u;
const FLAG_WANT_DK: u32 = 2048u;
const FLAG_WANT_DV: u32 = 4096u;
const MASKED_SCORE: f32 = 1.0e9;

struct Dims {
  batch: u32,
  tq: u32,
  tv: u32,
  dim: u32,
  value_dim: u32,
  flags: u32,
  query_offset: u32,
  key_offset: u32,
  value_offset: u32,
  q_mask_offset: u32,
  v_mask_offset: u32,
  c_offset: u32,
  a_offset: u32,
  w_offset: u32,
  dquery_offset: u32,
  dkey_offset: u32,
  dvalue_offset: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> query: array<f32>;
@group(0) @binding(2) var<storage, read> key: array<f32>;
@group(0) @binding(3) var<storage, read> value: array<f32>;
@group(0) @binding(4) var<storage, read> params: array<f32>;
@group(0) @binding(5) var<storage, read> q_mask: array<f32>;
@group(0) @binding(6) var<storage, read> v_mask: array<f32>;
@group(0) @binding(7) var<storage, read_write> weights: array<f32>;
@group(0) @binding(8) var<storage, read_write> out: array<f32>;
@group(0) @binding(9) var<storage, read> dout: array<f32>;
@group(0) @binding(10) var<storage, read_write> dscores: array<f32>;
@group(0) @binding(11) var<storage, read_write> dquery: array<f32>;
@group(0) @binding(12) var<storage, read_write> dkey: array<f32>;
@group(0) @binding(13) var<storage, read_write> dvalue: array<f32>;
@group(0) @binding(14) var<storage, read_write> dparams: array<f32>;

fn has_flag(flag: u32) -> bool { return (dims.flags & flag) != 0u; }

fn element(id: vec3<u32>, groups: vec3<u32>) -> u32 { return id.x + id.y * groups.x * 64u; }

fn param_c() -> f32 { return select(1.0, params[dims.c_offset], has_flag(FLAG_C)); }
fn param_a() -> f32 { return select(1.0, params[dims.a_offset], has_flag(FLAG_A)); }
fn param_w(d: u32) -> f32 { return select(1.0, params[dims.w_offset + d], has_flag(FLAG_W)); }

fn q_at(i: u32, b: u32, d: u32) -> f32 { return query[dims.query_offset + (i * dims.batch + b) * dims.dim + d]; }
fn k_at(j: u32, b: u32, d: u32) -> f32 { return key[dims.key_offset + (j * dims.batch + b) * dims.dim + d]; }
fn v_at(j: u32, b: u32, e: u32) -> f32 { return value[dims.value_offset + (j * dims.batch + b) * dims.value_dim + e]; }
fn w_index(b: u32, i: u32, j: u32) -> u32 { return (b * dims.tq + i) * dims.tv + j; }

fn query_kept(i: u32, b: u32) -> f32 {
  return select(1.0, q_mask[dims.q_mask_offset + i * dims.batch + b], has_flag(FLAG_Q_MASK));
}

fn score_masked(i: u32, j: u32, b: u32) -> bool {
  if (has_flag(FLAG_CAUSAL) && j > i) { return true; }
  return has_flag(FLAG_V_MASK) && v_mask[dims.v_mask_offset + j * dims.batch + b] == 0.0;
}

// tanh(a (q + k)) of one feature (concat scores).
fn concat_term(i: u32, j: u32, b: u32, d: u32) -> f32 { return tanh(param_a() * (q_at(i, b, d) + k_at(j, b, d))); }

fn raw_score(i: u32, j: u32, b: u32) -> f32 {
  var total = 0.0;
  if (has_flag(FLAG_CONCAT)) {
    for (var d = 0u; d < dims.dim; d++) { total += param_w(d) * concat_term(i, j, b, d); }
  } else {
    for (var d = 0u; d < dims.dim; d++) { total += q_at(i, b, d) * k_at(j, b, d); }
  }
  return total;
}

// d score / d (q[i, d] or k[j, d]) over c dS: the same for both in concat mode, the other input in dot mode.
fn concat_slope(i: u32, j: u32, b: u32, d: u32) -> f32 {
  let t = concat_term(i, j, b, d);
  return param_c() * param_w(d) * (1.0 - t * t) * param_a();
}

@compute @workgroup_size(64)
fn attention_forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = element(id, groups);
  if (row >= dims.batch * dims.tq) { return; }
  let b = row % dims.batch;
  let i = row / dims.batch;
  let c = param_c();
  var top = -3.0e38;
  for (var j = 0u; j < dims.tv; j++) {
    var s = c * raw_score(i, j, b);
    if (score_masked(i, j, b)) { s -= MASKED_SCORE; }
    weights[w_index(b, i, j)] = s;
    top = max(top, s);
  }
  var total = 0.0;
  for (var j = 0u; j < dims.tv; j++) {
    let e = exp(weights[w_index(b, i, j)] - top);
    weights[w_index(b, i, j)] = e;
    total += e;
  }
  for (var j = 0u; j < dims.tv; j++) { weights[w_index(b, i, j)] /= total; }
  let kept = query_kept(i, b);
  for (var e = 0u; e < dims.value_dim; e++) {
    var sum = 0.0;
    for (var j = 0u; j < dims.tv; j++) { sum += weights[w_index(b, i, j)] * v_at(j, b, e); }
    out[(i * dims.batch + b) * dims.value_dim + e] = kept * sum;
  }
}

@compute @workgroup_size(64)
fn attention_dscores(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = element(id, groups);
  if (row >= dims.batch * dims.tq) { return; }
  let b = row % dims.batch;
  let i = row / dims.batch;
  let kept = query_kept(i, b);
  var weighted = 0.0;
  for (var j = 0u; j < dims.tv; j++) {
    var dw = 0.0;
    for (var e = 0u; e < dims.value_dim; e++) { dw += dout[(i * dims.batch + b) * dims.value_dim + e] * v_at(j, b, e); }
    dw *= kept;
    dscores[w_index(b, i, j)] = dw;
    weighted += weights[w_index(b, i, j)] * dw;
  }
  for (var j = 0u; j < dims.tv; j++) {
    let at = w_index(b, i, j);
    dscores[at] = weights[at] * (dscores[at] - weighted);
  }
}

@compute @workgroup_size(64)
fn attention_dquery(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let n = element(id, groups);
  if (n >= dims.tq * dims.batch * dims.dim) { return; }
  let d = n % dims.dim;
  let b = (n / dims.dim) % dims.batch;
  let i = n / (dims.dim * dims.batch);
  var total = 0.0;
  for (var j = 0u; j < dims.tv; j++) {
    let ds = dscores[w_index(b, i, j)];
    if (has_flag(FLAG_CONCAT)) {
      total += ds * concat_slope(i, j, b, d);
    } else {
      total += ds * k_at(j, b, d);
    }
  }
  if (!has_flag(FLAG_CONCAT)) { total *= param_c(); }
  let at = dims.dquery_offset + n;
  dquery[at] = select(0.0, dquery[at], has_flag(FLAG_ACCUMULATE_DQ)) + total;
}

@compute @workgroup_size(64)
fn attention_dkey_value(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let width = max(dims.dim, dims.value_dim);
  let n = element(id, groups);
  if (n >= dims.tv * dims.batch * width) { return; }
  let f = n % width;
  let b = (n / width) % dims.batch;
  let j = n / (width * dims.batch);
  var dk = 0.0;
  if (f < dims.dim) {
    for (var i = 0u; i < dims.tq; i++) {
      let ds = dscores[w_index(b, i, j)];
      if (has_flag(FLAG_CONCAT)) {
        dk += ds * concat_slope(i, j, b, f);
      } else {
        dk += ds * q_at(i, b, f);
      }
    }
    if (!has_flag(FLAG_CONCAT)) { dk *= param_c(); }
  }
  var dv = 0.0;
  if (f < dims.value_dim) {
    for (var i = 0u; i < dims.tq; i++) {
      dv += weights[w_index(b, i, j)] * query_kept(i, b) * dout[(i * dims.batch + b) * dims.value_dim + f];
    }
  }
  if (has_flag(FLAG_KEY_IS_VALUE)) {
    let at = dims.dvalue_offset + (j * dims.batch + b) * dims.value_dim + f;
    dvalue[at] = select(0.0, dvalue[at], has_flag(FLAG_ACCUMULATE_DV)) + dk + dv;
    return;
  }
  if (f < dims.dim && has_flag(FLAG_WANT_DK)) {
    let at = dims.dkey_offset + (j * dims.batch + b) * dims.dim + f;
    dkey[at] = select(0.0, dkey[at], has_flag(FLAG_ACCUMULATE_DK)) + dk;
  }
  if (f < dims.value_dim && has_flag(FLAG_WANT_DV)) {
    let at = dims.dvalue_offset + (j * dims.batch + b) * dims.value_dim + f;
    dvalue[at] = select(0.0, dvalue[at], has_flag(FLAG_ACCUMULATE_DV)) + dv;
  }
}

var<workgroup> partial: array<f32, 64>;

// Workgroup 0: dc; 1: da; 2 + d: dw[d]. Each invocation sums a stride of the (b, i, j) terms.
@compute @workgroup_size(64)
fn attention_dparams(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let which = group.x;
  if ((which == 0u && !has_flag(FLAG_C)) || (which == 1u && !has_flag(FLAG_A)) || (which >= 2u && !has_flag(FLAG_W))) { return; }
  let terms = dims.batch * dims.tq * dims.tv;
  let c = param_c();
  var total = 0.0;
  for (var n = lane; n < terms; n += 64u) {
    let j = n % dims.tv;
    let i = (n / dims.tv) % dims.tq;
    let b = n / (dims.tv * dims.tq);
    let ds = dscores[n];
    if (which == 0u) {
      total += ds * raw_score(i, j, b);
    } else if (which == 1u) {
      for (var d = 0u; d < dims.dim; d++) {
        let t = concat_term(i, j, b, d);
        total += ds * c * param_w(d) * (1.0 - t * t) * (q_at(i, b, d) + k_at(j, b, d));
      }
    } else {
      total += ds * c * concat_term(i, j, b, which - 2u);
    }
  }
  partial[lane] = total;
  workgroupBarrier();
  for (var stride = 32u; stride > 0u; stride /= 2u) {
    if (lane < stride) { partial[lane] += partial[lane + stride]; }
    workgroupBarrier();
  }
  if (lane != 0u) { return; }
  if (which == 0u) { dparams[dims.c_offset] += partial[0]; }
  if (which == 1u) { dparams[dims.a_offset] += partial[0]; }
  if (which >= 2u) { dparams[dims.w_offset + which - 2u] += partial[0]; }
}
