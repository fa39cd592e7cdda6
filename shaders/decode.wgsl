// Greedy token choice for autoregressive decoding on the GPU.
//
//   argmax: ids[b] = argmax_v logits[b, v] (the first maximum, as numpy / Keras), unless the sequence
//           already ended: once row b has emitted END_TOKEN, it keeps emitting END_TOKEN (finished[b] = 1).
//           With END_TOKEN < 0 no sequence ends early.
//
// Buffers: logits: [B, V], ids: [B] i32 (this step's slot of the output), finished: [B] u32 (zeroed by
//   the host before the first step)
// Dispatch: ceil(B / 64) workgroups, one invocation per row.

override B: u32;
override V: u32;
override END_TOKEN: i32 = -1;

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read_write> ids: array<i32>;
@group(0) @binding(2) var<storage, read_write> finished: array<u32>;

@compute @workgroup_size(64)
fn argmax(@builtin(global_invocation_id) id: vec3<u32>) {
  let b = id.x;
  if (b >= B) { return; }
  if (finished[b] != 0u) {
    ids[b] = END_TOKEN;
    return;
  }
  let base = b * V;
  var best = 0u;
  var best_value = logits[base];
  for (var v = 1u; v < V; v++) {
    let value = logits[base + v];
    if (value > best_value) {
      best_value = value;
      best = v;
    }
  }
  ids[b] = i32(best);
  if (END_TOKEN >= 0 && i32(best) == END_TOKEN) { finished[b] = 1u; }
}
