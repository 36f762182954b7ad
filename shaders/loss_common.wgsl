// Shared by the loss shaders (prepended by the TS side): hashing, keyed permutations and a
// workgroup tree sum. Bit-exact with src/train/losses/random.ts.

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

const WG: u32 = 256u;
var<workgroup> red: array<f32, 256>;

// Tree sum over a 256-thread workgroup; call from uniform control flow.
fn wg_sum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}
