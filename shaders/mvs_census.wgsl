// Census matching cost (Zabih & Woodfill 1994) mixed into the ZNCC cost of one source, as
// ACMM / census-ZNCC plane sweeps do: census is robust to outliers and non-linear radiometric
// change inside the window, where ZNCC assumes an affine one.
//   refCensus:  per reference pixel, the census bit string of its (2r+1)^2 window (r <= 3, so at
//               most 48 bits in two u32): bit = neighbour < centre. Off-image neighbours are 0 bits.
//   censusMix:  per (k, p), the warped source window's bits from the warp volume's J (.x), Hamming
//               distance to the reference bits, and
//               cost = (1 - w) * znccCost + w * 2 * hamming / bits   (both 0 = match, ~1 = unrelated).
//               Pixels whose window leaves the source (any neighbour invalid) or with no ZNCC cost
//               (-1) keep the ZNCC cost unchanged.

struct Params {
  width: u32, height: u32, radius: u32, chunk: u32,
  refOffset: u32, slot: u32, weight: f32, _pad: u32,
};
@group(0) @binding(0) var<uniform> U: Params;
@group(0) @binding(1) var<storage, read> vol: array<vec4f>;           // warp volume [chunk][H*W]: (J, J^2, I*J, valid)
@group(0) @binding(2) var<storage, read_write> bits: array<vec2u>;    // reference census bits [H*W]
@group(0) @binding(3) var<storage, read> gray: array<f32>;            // [view][H*W]
@group(0) @binding(4) var<storage, read_write> cost: array<f32>;      // [slot][chunk][H*W]

// Sets bit k of a 64-bit string held in two u32.
fn withBit(b: vec2u, k: u32) -> vec2u {
  if (k < 32u) { return vec2u(b.x | (1u << k), b.y); }
  return vec2u(b.x, b.y | (1u << (k - 32u)));
}

@compute @workgroup_size(64)
fn refCensus(@builtin(global_invocation_id) gid: vec3u) {
  let n = U.width * U.height;
  if (gid.x >= n) { return; }
  let px = i32(gid.x % U.width);
  let py = i32(gid.x / U.width);
  let r = i32(U.radius);
  let centre = gray[U.refOffset + gid.x];
  var b = vec2u(0u);
  var k = 0u;
  for (var dy = -r; dy <= r; dy++) {
    for (var dx = -r; dx <= r; dx++) {
      if (dx == 0 && dy == 0) { continue; }
      let x = px + dx;
      let y = py + dy;
      if (x >= 0 && y >= 0 && x < i32(U.width) && y < i32(U.height)) {
        if (gray[U.refOffset + u32(y) * U.width + u32(x)] < centre) { b = withBit(b, k); }
      }
      k++;
    }
  }
  bits[gid.x] = b;
}

@compute @workgroup_size(64)
fn censusMix(@builtin(global_invocation_id) gid: vec3u) {
  let n = U.width * U.height;
  if (gid.x >= n || gid.y >= U.chunk) { return; }
  let at = (U.slot * U.chunk + gid.y) * n + gid.x;
  let zc = cost[at];
  if (zc < 0.0) { return; }
  let px = i32(gid.x % U.width);
  let py = i32(gid.x / U.width);
  let r = i32(U.radius);
  let row = gid.y * n;
  let centre = vol[row + gid.x].x;
  var b = vec2u(0u);
  var k = 0u;
  var used = 0u;
  for (var dy = -r; dy <= r; dy++) {
    for (var dx = -r; dx <= r; dx++) {
      if (dx == 0 && dy == 0) { continue; }
      let x = px + dx;
      let y = py + dy;
      if (x >= 0 && y >= 0 && x < i32(U.width) && y < i32(U.height)) {
        let s = vol[row + u32(y) * U.width + u32(x)];
        if (s.w < 0.5) { return; } // window leaves the source: ZNCC alone
        if (s.x < centre) { b = withBit(b, k); }
        used++;
      }
      k++;
    }
  }
  if (used == 0u) { return; }
  let d = bits[gid.x] ^ b;
  let hamming = f32(countOneBits(d.x) + countOneBits(d.y));
  cost[at] = (1.0 - U.weight) * zc + U.weight * 2.0 * hamming / f32(used);
}
