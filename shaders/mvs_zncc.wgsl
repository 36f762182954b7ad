// ZNCC matching cost over a (2r+1)^2 window with separable box sums (the window is clipped at the
// image border identically for both images). Entries:
//   refStats: per reference pixel (S_I, S_II) over the window.
//   boxH:     horizontal window sums of the warp volume (J, J^2, I*J, valid) -> tmp.
//   zncc:     vertical sums of tmp, then cost = 1 - ZNCC in [0, 2] into cost[slot][k][p];
//             -1 marks "no cost" (window leaves the source image / source behind the camera).
// Textureless windows (variance below minVar per pixel) get cost 1 (uncorrelated).

struct Params {
  width: u32, height: u32, radius: u32, chunk: u32,
  refOffset: u32, slot: u32, minVar: f32, _pad: u32,
};
@group(0) @binding(0) var<uniform> U: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4f>;
@group(0) @binding(3) var<storage, read> aux: array<f32>; // refStats: grey images; zncc: ref stats (S_I, S_II) pairs

fn span(c: u32, r: u32, n: u32) -> vec2u {
  let lo = select(0u, c - r, c >= r);
  return vec2u(lo, min(c + r, n - 1u));
}

@compute @workgroup_size(64)
fn refStats(@builtin(global_invocation_id) gid: vec3u) {
  let n = U.width * U.height;
  if (gid.x >= n) { return; }
  let px = gid.x % U.width;
  let py = gid.x / U.width;
  let sx = span(px, U.radius, U.width);
  let sy = span(py, U.radius, U.height);
  var s = 0.0;
  var ss = 0.0;
  for (var y = sy.x; y <= sy.y; y++) {
    for (var x = sx.x; x <= sx.y; x++) {
      let I = aux[U.refOffset + y * U.width + x];
      s += I;
      ss += I * I;
    }
  }
  dst[gid.x] = vec4f(s, ss, 0.0, 0.0);
}

@compute @workgroup_size(64)
fn boxH(@builtin(global_invocation_id) gid: vec3u) {
  let n = U.width * U.height;
  if (gid.x >= n || gid.y >= U.chunk) { return; }
  let px = gid.x % U.width;
  let row = gid.y * n + gid.x - px;
  let sx = span(px, U.radius, U.width);
  var acc = vec4f(0.0);
  for (var x = sx.x; x <= sx.y; x++) { acc += src[row + x]; }
  dst[gid.y * n + gid.x] = acc;
}

@group(0) @binding(4) var<storage, read_write> cost: array<f32>; // [slot][chunk][H*W]

@compute @workgroup_size(64)
fn zncc(@builtin(global_invocation_id) gid: vec3u) {
  let n = U.width * U.height;
  if (gid.x >= n || gid.y >= U.chunk) { return; }
  let px = gid.x % U.width;
  let py = gid.x / U.width;
  let sx = span(px, U.radius, U.width);
  let sy = span(py, U.radius, U.height);
  let full = f32((sx.y - sx.x + 1u) * (sy.y - sy.x + 1u));
  var acc = vec4f(0.0);
  let base = gid.y * n + px;
  for (var y = sy.x; y <= sy.y; y++) { acc += src[base + y * U.width]; }
  var c = -1.0;
  if (acc.w > full - 0.5) {
    let sI = aux[gid.x * 4u];
    let sII = aux[gid.x * 4u + 1u];
    let vI = sII - sI * sI / full;
    let vJ = acc.y - acc.x * acc.x / full;
    let cov = acc.z - sI * acc.x / full;
    let floorVar = U.minVar * full;
    if (vI > floorVar && vJ > floorVar) {
      c = 1.0 - clamp(cov / sqrt(vI * vJ), -1.0, 1.0);
    } else {
      c = 1.0;
    }
  }
  cost[(U.slot * U.chunk + gid.y) * n + gid.x] = c;
}
