// Cost combination over source views and edge-aware spatial aggregation (adaptive support weights,
// Yoon & Kweon 2006: w = exp(-|I_q - I_p| / gammaC - |q - p|^2 / (2 sigmaS^2))).
//   combine:   per (k, p) the mean of the best topK valid source costs (occlusion robust); 2 when none.
//   supportWeights: the normalized weights of each reference pixel's window (once per view).
//   aggregate: weighted mean of the combined cost over a (2r+1)^2 window of the same hypothesis.

struct Params {
  width: u32, height: u32, chunk: u32, sources: u32,
  topK: u32, radius: u32, refOffset: u32, _pad: u32,
  gammaC: f32, sigmaS: f32, _p0: f32, _p1: f32,
};
@group(0) @binding(0) var<uniform> U: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<storage, read> gray: array<f32>;

@compute @workgroup_size(64)
fn combine(@builtin(global_invocation_id) gid: vec3u) {
  let n = U.width * U.height;
  if (gid.x >= n || gid.y >= U.chunk) { return; }
  var c: array<f32, 8>;
  var m = 0u;
  for (var s = 0u; s < U.sources; s++) {
    let v = src[(s * U.chunk + gid.y) * n + gid.x];
    if (v >= 0.0) {
      // insertion into the sorted prefix
      var i = m;
      while (i > 0u && c[i - 1u] > v) { c[i] = c[i - 1u]; i--; }
      c[i] = v;
      m++;
    }
  }
  var out = 2.0;
  if (m > 0u) {
    let k = min(U.topK, m);
    var s = 0.0;
    for (var i = 0u; i < k; i++) { s += c[i]; }
    out = s / f32(k);
  }
  dst[gid.y * n + gid.x] = out;
}

@group(0) @binding(4) var<storage, read_write> weights: array<f32>; // [H*W][(2r+1)^2], 0 off-image

// Support weights of the reference view, computed once per view (they do not depend on the hypothesis).
@compute @workgroup_size(64)
fn supportWeights(@builtin(global_invocation_id) gid: vec3u) {
  let n = U.width * U.height;
  if (gid.x >= n) { return; }
  let px = i32(gid.x % U.width);
  let py = i32(gid.x / U.width);
  let r = i32(U.radius);
  let side = 2 * r + 1;
  let Ip = gray[U.refOffset + gid.x];
  var sw = 0.0;
  for (var dy = -r; dy <= r; dy++) {
    for (var dx = -r; dx <= r; dx++) {
      let x = px + dx;
      let y = py + dy;
      var w = 0.0;
      if (x >= 0 && x < i32(U.width) && y >= 0 && y < i32(U.height)) {
        let q = u32(y) * U.width + u32(x);
        w = exp(-abs(gray[U.refOffset + q] - Ip) / U.gammaC - f32(dx * dx + dy * dy) / (2.0 * U.sigmaS * U.sigmaS));
      }
      weights[gid.x * u32(side * side) + u32((dy + r) * side + dx + r)] = w;
      sw += w;
    }
  }
  for (var i = 0; i < side * side; i++) { weights[gid.x * u32(side * side) + u32(i)] /= sw; }
}

@group(0) @binding(5) var<storage, read> weightsIn: array<f32>;

@compute @workgroup_size(64)
fn aggregate(@builtin(global_invocation_id) gid: vec3u) {
  let n = U.width * U.height;
  if (gid.x >= n || gid.y >= U.chunk) { return; }
  let px = i32(gid.x % U.width);
  let py = i32(gid.x / U.width);
  let r = i32(U.radius);
  let side = 2 * r + 1;
  let base = gid.y * n;
  var sc = 0.0;
  var i = gid.x * u32(side * side);
  for (var dy = -r; dy <= r; dy++) {
    let y = clamp(py + dy, 0, i32(U.height) - 1);
    for (var dx = -r; dx <= r; dx++) {
      let x = clamp(px + dx, 0, i32(U.width) - 1);
      sc += weightsIn[i] * src[base + u32(y) * U.width + u32(x)];
      i++;
    }
  }
  dst[gid.y * n + gid.x] = sc;
}
