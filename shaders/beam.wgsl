// Beam search over a decoder's steps, on the GPU (no backward: a search is not differentiated).
// Q questions, K beams each (width), B = Q K decoder rows, row q K + k is beam k of question q.
//
//   beam_select:  one invocation per question, after the head of step t (dims.step = t). Each live beam
//                 k proposes every token v with score' = score_k + log_softmax(logits[q K + k])[v] and
//                 length' = length_k + 1 (finished if v is end_token); a finished beam proposes only
//                 itself (its end token, score and length unchanged). Candidates are ranked by
//                   key = score' / ((5 + length') / 6)^length_penalty      (GNMT; 0: the plain score)
//                 highest first, ties by the lower candidate index k V + v, and the best K become the
//                 beams of step t + 1, in rank order: parents[t, q K + j] = the row the j-th came from,
//                 tokens[t + 1, q K + j] = its token. Fewer than K candidates leave the last beams empty.
//   gather_rows:  out[s, r, u] = in[s, sources[step B_out + r], u] for state [S, rows, U]: a decoder
//                 layer's states reordered to follow their beams (sources = parents, at step t), or the
//                 encoder's Q final states spread to K rows each (sources = the table r / K, step 0).
//   backtrack:    one invocation per row: the tokens of its beam, followed back through the parents:
//                 result[r, t] for t < T, then each row's score (f32 bits), length and status.
//
// Buffers: logits [B, V] (the head's pre-activation); beams [B] Beam (read and written in place: one
//   invocation owns a question's K beams); parents [T, B] u32; tokens: the decode's token slots, slot s
//   at s slot_stride (slot 0: the start tokens; slot t + 1: step t's choices); state_in [S, rows_in, U],
//   state_out [S, B, U] (distinct buffers); sources [*] u32; result [B T + 3 B] u32.
// Dispatch: beam_select ceil(Q / 64); backtrack ceil(B / 64); gather_rows ceil(S B U / 64) workgroups of
//   64, 2-D past the per-dimension limit (element = id.x + id.y * groups.x * 64).

const MAX_WIDTH = 16u;
const ALIVE = 0u;
const FINISHED = 1u;
const EMPTY = 2u;

struct Dims {
  questions: u32,
  width: u32,
  vocab: u32,
  step: u32,
  steps: u32,
  end_token: i32,
  length_penalty: f32,
  slot_stride: u32,
  states: u32,
  rows_in: u32,
  units: u32,
}

struct Beam {
  score: f32,
  length: u32,
  status: u32,
  pad: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> beams: array<Beam>;
@group(0) @binding(3) var<storage, read_write> parents: array<u32>;
@group(0) @binding(4) var<storage, read_write> tokens: array<i32>;
@group(0) @binding(5) var<storage, read> state_in: array<f32>;
@group(0) @binding(6) var<storage, read_write> state_out: array<f32>;
@group(0) @binding(7) var<storage, read> sources: array<u32>;
@group(0) @binding(8) var<storage, read_write> result: array<u32>;

// The best candidates so far, in rank order (kept sorted by insertion).
var<private> best_key: array<f32, MAX_WIDTH>;
var<private> best_index: array<u32, MAX_WIDTH>;
var<private> best_score: array<f32, MAX_WIDTH>;
var<private> best_length: array<u32, MAX_WIDTH>;
var<private> best_status: array<u32, MAX_WIDTH>;
var<private> best_count: u32;

fn ranking_key(score: f32, length: u32) -> f32 {
  return score / pow((5.0 + f32(length)) / 6.0, dims.length_penalty);
}

// Candidates arrive in increasing index, so a later one displaces an earlier only with a strictly higher key.
fn consider(key: f32, index: u32, score: f32, length: u32, status: u32) {
  let width = dims.width;
  if (best_count == width && !(key > best_key[width - 1u])) { return; }
  var at = min(best_count, width - 1u);
  while (at > 0u && key > best_key[at - 1u]) {
    best_key[at] = best_key[at - 1u];
    best_index[at] = best_index[at - 1u];
    best_score[at] = best_score[at - 1u];
    best_length[at] = best_length[at - 1u];
    best_status[at] = best_status[at - 1u];
    at--;
  }
  best_key[at] = key;
  best_index[at] = index;
  best_score[at] = score;
  best_length[at] = length;
  best_status[at] = status;
  best_count = min(best_count + 1u, width);
}

// log(sum_v exp(logits[row, v])), from the row's maximum.
fn log_sum_exp(base: u32) -> f32 {
  var top = logits[base];
  for (var v = 1u; v < dims.vocab; v++) { top = max(top, logits[base + v]); }
  var total = 0.0;
  for (var v = 0u; v < dims.vocab; v++) { total += exp(logits[base + v] - top); }
  return top + log(total);
}

@compute @workgroup_size(64)
fn beam_select(@builtin(global_invocation_id) id: vec3<u32>) {
  let q = id.x;
  if (q >= dims.questions) { return; }
  let K = dims.width;
  let V = dims.vocab;
  let first = q * K;
  best_count = 0u;
  for (var k = 0u; k < K; k++) {
    let beam = beams[first + k];
    if (beam.status == EMPTY) { continue; }
    if (beam.status == FINISHED) {
      consider(ranking_key(beam.score, beam.length), k * V + u32(dims.end_token), beam.score, beam.length, FINISHED);
      continue;
    }
    let base = (first + k) * V;
    let normalizer = log_sum_exp(base);
    let length = beam.length + 1u;
    let divisor = pow((5.0 + f32(length)) / 6.0, dims.length_penalty);
    for (var v = 0u; v < V; v++) {
      let score = beam.score + (logits[base + v] - normalizer);
      let status = select(ALIVE, FINISHED, i32(v) == dims.end_token);
      consider(score / divisor, k * V + v, score, length, status);
    }
  }
  let B = dims.questions * K;
  let slot = (dims.step + 1u) * dims.slot_stride;
  for (var j = 0u; j < K; j++) {
    let row = first + j;
    if (j < best_count) {
      beams[row] = Beam(best_score[j], best_length[j], best_status[j], 0u);
      parents[dims.step * B + row] = first + best_index[j] / V;
      tokens[slot + row] = i32(best_index[j] % V);
    } else {
      beams[row] = Beam(0.0, 0u, EMPTY, 0u);
      parents[dims.step * B + row] = row;
      tokens[slot + row] = 0;
    }
  }
}

@compute @workgroup_size(64)
fn gather_rows(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * 64u;
  let rows = dims.questions * dims.width;
  let U = dims.units;
  if (i >= dims.states * rows * U) { return; }
  let s = i / (rows * U);
  let r = (i / U) % rows;
  let source = sources[dims.step * rows + r];
  state_out[i] = state_in[(s * dims.rows_in + source) * U + i % U];
}

@compute @workgroup_size(64)
fn backtrack(@builtin(global_invocation_id) id: vec3<u32>) {
  let B = dims.questions * dims.width;
  let r = id.x;
  if (r >= B) { return; }
  let T = dims.steps;
  var row = r;
  for (var t = T; t > 0u; t--) {
    result[r * T + t - 1u] = u32(tokens[t * dims.slot_stride + row]);
    row = parents[(t - 1u) * B + row];
  }
  let beam = beams[r];
  result[B * T + r] = bitcast<u32>(beam.score);
  result[B * T + B + r] = beam.length;
  result[B * T + 2u * B + r] = beam.status;
}
