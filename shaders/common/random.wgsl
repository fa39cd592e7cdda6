// Counter-based random numbers: Philox-4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random
// numbers: as easy as 1, 2, 3", SC 2011; the generator of Random123, cuRAND, TensorFlow and JAX). A
// draw is a pure function of a 128-bit counter and a 64-bit key, so every element computes its own
// numbers, statelessly: the result depends on (key, counter) only, never on the dispatch layout or on
// which invocation ran first.
//
//   philox4x32_10(c, k): 10 rounds of
//     (hi0, lo0) = M0 c.x,  (hi1, lo1) = M1 c.z                 (32 x 32 -> 64-bit products)
//     c = (hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0)
//   with the key bumped by the Weyl constants (W0, W1) before every round but the first;
//   M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9 (golden ratio), W1 = 0xBB67AE85 (sqrt 3 - 1).
//   Known answers (Random123's kat_vectors): c = 0, k = 0 -> (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8).
//   WGSL has no 64-bit integers: the high word of a product is put together from 16-bit halves.
//
//   uniform01(r) = (r >> 8) 2^-24: a float in [0, 1 - 2^-24], 24 bits of resolution, every value exact
//     (an f32 holds 24 significant bits), each of the 2^24 equally likely.
//   normal01(a, b): Box-Muller, sqrt(-2 ln u1) cos(pi (2 u2 - 1)) with u1 = 1 - uniform01(a) in
//     [2^-24, 1] (never log 0) and u2 = uniform01(b): a standard normal (the angle is taken in [-pi, pi),
//     where WGSL bounds cos's error; cos is even, so this is the textbook 2 pi u2). The tail stops at
//     sqrt(48 ln 2) ~ 5.77 standard deviations (probability beyond: ~8e-9).

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;
const RANDOM_PI: f32 = 3.14159265358979;
const TWO_TO_MINUS_24: f32 = 1.0 / 16777216.0;

// (low, high) words of the 64-bit product a b.
fn mul_wide(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xFFFFu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xFFFFu;
  let b_hi = b >> 16u;
  let ll = a_lo * b_lo;
  let lh = a_lo * b_hi;
  let hl = a_hi * b_lo;
  let carry = (ll >> 16u) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
  return vec2<u32>(a * b, a_hi * b_hi + (lh >> 16u) + (hl >> 16u) + (carry >> 16u));
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var rnd = 0u; rnd < 10u; rnd++) {
    if (rnd > 0u) { k = k + vec2<u32>(PHILOX_W0, PHILOX_W1); }
    let p0 = mul_wide(PHILOX_M0, c.x);
    let p1 = mul_wide(PHILOX_M1, c.z);
    c = vec4<u32>(p1.y ^ c.y ^ k.x, p1.x, p0.y ^ c.w ^ k.y, p0.x);
  }
  return c;
}

fn uniform01(r: u32) -> f32 {
  return f32(r >> 8u) * TWO_TO_MINUS_24;
}

fn normal01(a: u32, b: u32) -> f32 {
  let u1 = 1.0 - uniform01(a);
  let u2 = uniform01(b);
  let radius = sqrt(max(-2.0 * log(u1), 0.0));
  return radius * cos(RANDOM_PI * (2.0 * u2 - 1.0));
}
