// Shared by the loss shaders (prepended by the TS side): hashing, keyed permutations and a
// one-barrier 64-thread sum. Bit-exact with src/train/losses/random.ts.

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn stream_key(seed: u32, stream: u32) -> u32 {
  return pcg(pcg(seed) + stream);
}

fn feistel(x: u32, m: u32, key: u32) -> u32 {
  let mask = (1u << m) - 1u;
  var l = (x >> m) & mask;
  var r = x & mask;
  for (var i = 0u; i < 4u; i++) {
    let nl = r;
    r = l ^ (pcg(r ^ pcg(key + i)) & mask);
    l = nl;
  }
  return (l << m) | r;
}

fn feistel_inverse(y: u32, m: u32, key: u32) -> u32 {
  let mask = (1u << m) - 1u;
  var l = (y >> m) & mask;
  var r = y & mask;
  for (var j = 0u; j < 4u; j++) {
    let i = 3u - j;
    let pr = l;
    l = r ^ (pcg(pr ^ pcg(key + i)) & mask);
    r = pr;
  }
  return (l << m) | r;
}

// Keyed permutation of [0, n) by cycle-walking (terminates: the cycle through x contains x < n).
fn permute(x: u32, n: u32, m: u32, key: u32) -> u32 {
  var y = feistel(x, m, key);
  loop {
    if (y < n) { break; }
    y = feistel(y, m, key);
  }
  return y;
}

fn permute_inverse(y: u32, n: u32, m: u32, key: u32) -> u32 {
  var x = feistel_inverse(y, m, key);
  loop {
    if (x < n) { break; }
    x = feistel_inverse(x, m, key);
  }
  return x;
}

// Threads of the grid-stride passes: each thread folds several items and writes one partial, so
// no workgroup barrier is needed there (barriers are very slow on SwiftShader: ~0.25 ms per
// 256-thread workgroup barrier measured, i.e. a tree sum in every workgroup dominates the step).
const GRID: u32 = 16384u;

var<workgroup> red64: array<vec4f, 64>;

// Sum over a 64-thread workgroup with one barrier; the result is valid in thread 0 only.
// Call once per entry point (a second call would race with thread 0's reads).
fn sum64_to_first(lid: u32, v: vec4f) -> vec4f {
  red64[lid] = v;
  workgroupBarrier();
  var s = vec4f(0.0);
  if (lid == 0u) {
    for (var i = 0u; i < 64u; i++) { s += red64[i]; }
  }
  return s;
}

// Float atomic add through a compare-exchange loop on the bit pattern (WGSL has no atomic<f32>).
// Contention is rare where used (overlapping patches, repeated samples), so it rarely loops.
fn atomic_add_f32(a: ptr<storage, atomic<u32>, read_write>, v: f32) {
  var old = atomicLoad(a);
  loop {
    let r = atomicCompareExchangeWeak(a, old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }
}

// SSIM constants for values in [0, 1] (Wang et al. 2004): C1 = (0.01)^2, C2 = (0.03)^2.
const C1: f32 = 0.0001;
const C2: f32 = 0.0009;

// SSIM terms per channel from local means and second moments: SSIM = (a1 a2) / (b1 b2) with
// a1 = 2 mx my + C1, a2 = 2 cov + C2, b1 = mx^2 + my^2 + C1, b2 = var_x + var_y + C2.
struct SsimTerms { a1: vec3f, a2: vec3f, b1: vec3f, b2: vec3f, s: vec3f };

fn ssim_terms(mx: vec3f, my: vec3f, exx: vec3f, eyy: vec3f, exy: vec3f) -> SsimTerms {
  let a1 = 2.0 * mx * my + C1;
  let a2 = 2.0 * (exy - mx * my) + C2;
  let b1 = mx * mx + my * my + C1;
  let b2 = (exx - mx * mx) + (eyy - my * my) + C2;
  return SsimTerms(a1, a2, b1, b2, (a1 * a2) / (b1 * b2));
}
