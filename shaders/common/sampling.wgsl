//! joined after: common/random.wgsl
// Drawing a token from logits (temperature, top-k, top-p), for one row, serially in one invocation. The
// program that joins this file provides fn sampling_logit(row: u32, v: u32) -> f32, the logit of token v
// of the row it names.
//
//   weights:  w_v = exp((l_v - max l) / temperature)            (softmax(l / temperature) up to a factor)
//   ranking:  token j comes before v when l_j > l_v, or l_j = l_v and j < v (ties: the lower id first)
//   top-k:    (top_k > 0) v is kept when fewer than top_k tokens come before it
//   top-p:    (top_p < 1) of the top-k tokens, v is kept when the weight of those before it is below
//             top_p times their total (the smallest most-probable set reaching top_p; the first always kept)
//   draw:     u = uniform01(philox(key_row, step, SAMPLING_STREAM, 0; seed)); the first kept v (in id order)
//             whose running kept weight exceeds u times the kept total (the last kept one if rounding
//             leaves none)
// Cost: O(V) per draw with temperature only, O(V^2) with top-k or top-p (no sort: small vocabularies).

// The Philox stream of token draws (no other use of a decode's seed shares it).
const SAMPLING_STREAM: u32 = 0x53414d50u;

struct SamplingParams {
  seed: vec2<u32>,
  top_k: u32,
  temperature: f32,
  top_p: f32,
}

fn sampling_weight(row: u32, v: u32, top: f32, inv_temperature: f32) -> f32 {
  return exp((sampling_logit(row, v) - top) * inv_temperature);
}

fn sampling_before(row: u32, j: u32, v: u32, lv: f32) -> bool {
  let lj = sampling_logit(row, j);
  return lj > lv || (lj == lv && j < v);
}

// Whether v survives top-k: fewer than top_k tokens come before it.
fn sampling_in_top_k(row: u32, v: u32, vocab: u32, top_k: u32) -> bool {
  if (top_k == 0u || top_k >= vocab) { return true; }
  let lv = sampling_logit(row, v);
  var before = 0u;
  for (var j = 0u; j < vocab; j++) {
    if (sampling_before(row, j, v, lv)) { before++; }
  }
  return before < top_k;
}

fn sampling_kept(row: u32, v: u32, vocab: u32, p: SamplingParams, top: f32, kept_total: f32) -> bool {
  if (!sampling_in_top_k(row, v, vocab, p.top_k)) { return false; }
  if (p.top_p >= 1.0) { return true; }
  let inv_t = 1.0 / p.temperature;
  let lv = sampling_logit(row, v);
  // Every token before a top-k token is a top-k token too (the ranking is a total order).
  var before = 0.0;
  for (var j = 0u; j < vocab; j++) {
    if (sampling_before(row, j, v, lv)) { before += sampling_weight(row, j, top, inv_t); }
  }
  return before < p.top_p * kept_total;
}

// A token of row `row` (as sampling_logit names it), drawn with the numbers of (key_row, step).
fn sample_token(row: u32, key_row: u32, step: u32, vocab: u32, p: SamplingParams) -> u32 {
  var top = sampling_logit(row, 0u);
  for (var v = 1u; v < vocab; v++) { top = max(top, sampling_logit(row, v)); }
  let inv_t = 1.0 / p.temperature;
  // The total weight of the top-k tokens (top-p's reference), then of the kept ones.
  var top_k_total = 0.0;
  for (var v = 0u; v < vocab; v++) {
    if (sampling_in_top_k(row, v, vocab, p.top_k)) { top_k_total += sampling_weight(row, v, top, inv_t); }
  }
  var kept_total = 0.0;
  for (var v = 0u; v < vocab; v++) {
    if (sampling_kept(row, v, vocab, p, top, top_k_total)) { kept_total += sampling_weight(row, v, top, inv_t); }
  }
  let r = philox4x32_10(vec4<u32>(key_row, step, SAMPLING_STREAM, 0u), p.seed);
  let target = uniform01(r.x) * kept_total;
  var running = 0.0;
  var last = 0u;
  for (var v = 0u; v < vocab; v++) {
    if (sampling_kept(row, v, vocab, p, top, top_k_total)) {
      running += sampling_weight(row, v, top, inv_t);
      last = v;
      if (running > target) { return v; }
    }
  }
  return last;
}
