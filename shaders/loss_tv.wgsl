// Total variation of a per-view depth (or disparity) grid (CoherentGS), forward and backward
// (loss_common.wgsl is prepended). loss = weight / P * sum over right/down neighbour pairs with both
// pixels valid of |d_p - d_q| (or (d_p - d_q)^2 when squared), P = H*(W-1) + (H-1)*W.
// Each pixel's thread sums its right/down pairs for the loss and all four pairs for its gradient.

struct Params {
  width: u32,
  height: u32,
  has_valid: u32,
  squared: u32,
  weight: f32,
  inv_pairs: f32,
  loss_slot: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> depth: array<f32>;
@group(0) @binding(2) var<storage, read> valid: array<u32>; // u32 or f32 bits: nonzero (sign ignored) = valid
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss_out: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;

fn ok(i: u32) -> bool {
  return P.has_valid == 0u || (valid[i] & 0x7fffffffu) != 0u;
}

// Loss of one pair and its derivative w.r.t. the first pixel.
fn pair(a: f32, b: f32) -> vec2f {
  let d = a - b;
  if (P.squared != 0u) { return vec2f(d * d, 2.0 * d); }
  return vec2f(abs(d), sign(d));
}

// Grid-stride over pixels (GRID threads), one loss partial per thread, no barriers.
@compute @workgroup_size(256)
fn tv(@builtin(global_invocation_id) gid: vec3u) {
  let t = gid.x;
  let n = P.width * P.height;
  var loss = 0.0;
  for (var p = t; p < n; p += GRID) {
    if (!ok(p)) { continue; }
    let x = p % P.width;
    let y = p / P.width;
    let d = depth[p];
    var g = 0.0;
    if (x + 1u < P.width && ok(p + 1u)) {
      let v = pair(d, depth[p + 1u]);
      loss += v.x;
      g += v.y;
    }
    if (y + 1u < P.height && ok(p + P.width)) {
      let v = pair(d, depth[p + P.width]);
      loss += v.x;
      g += v.y;
    }
    if (x > 0u && ok(p - 1u)) { g += pair(d, depth[p - 1u]).y; }
    if (y > 0u && ok(p - P.width)) { g += pair(d, depth[p - P.width]).y; }
    grad[p] = grad[p] + P.weight * P.inv_pairs * g;
  }
  partials[t] = loss;
}

@compute @workgroup_size(64)
fn tv_finalize(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < GRID; i += 64u) { s += partials[i]; }
  let total = sum64_to_first(lid, vec4f(s, 0.0, 0.0, 0.0));
  if (lid == 0u) { loss_out[P.loss_slot] = P.weight * P.inv_pairs * total.x; }
}
