// Winner-take-all over the hypotheses, streamed chunk by chunk, with parabolic sub-sample refinement
// of the inverse depth (fit through the costs at best-1, best, best+1).
// state per pixel: (best cost, best index, cost at best-1 or -1, cost at best+1 or -1), (last cost, ...).
//   wtaStep:     folds one chunk of aggregated costs into the state.
//   wtaFinalize: writes depth (camera z, 0 = none) and score (1 - best cost = aggregated ZNCC).

struct Params {
  width: u32, height: u32, chunk: u32, d0: u32,
  hypotheses: u32, outOffset: u32, invNear: f32, invStep: f32,
};
@group(0) @binding(0) var<uniform> U: Params;
@group(0) @binding(1) var<storage, read> costs: array<f32>;      // [chunk][H*W]
@group(0) @binding(2) var<storage, read_write> state: array<vec4f>; // [H*W][2]
@group(0) @binding(3) var<storage, read_write> depthOut: array<f32>;
@group(0) @binding(4) var<storage, read_write> scoreOut: array<f32>;

@compute @workgroup_size(64)
fn wtaStep(@builtin(global_invocation_id) gid: vec3u) {
  let n = U.width * U.height;
  if (gid.x >= n) { return; }
  var s = state[gid.x * 2u];
  var last = state[gid.x * 2u + 1u].x;
  if (U.d0 == 0u) { s = vec4f(1e9, -1.0, -1.0, -1.0); last = -1.0; }
  for (var k = 0u; k < U.chunk; k++) {
    let d = f32(U.d0 + k);
    let c = costs[k * n + gid.x];
    if (c < s.x) {
      s = vec4f(c, d, last, -1.0);
    } else if (d == s.y + 1.0) {
      s.w = c;
    }
    last = c;
  }
  state[gid.x * 2u] = s;
  state[gid.x * 2u + 1u] = vec4f(last, 0.0, 0.0, 0.0);
}

@compute @workgroup_size(64)
fn wtaFinalize(@builtin(global_invocation_id) gid: vec3u) {
  let n = U.width * U.height;
  if (gid.x >= n) { return; }
  let s = state[gid.x * 2u];
  var depth = 0.0;
  var score = 0.0;
  // Minima at the first/last hypothesis mean the surface is outside the sweep: no depth.
  if (s.x < 1.99 && s.y > 0.5 && s.y < f32(U.hypotheses) - 1.5 && s.z >= 0.0 && s.w >= 0.0) {
    let denom = s.z - 2.0 * s.x + s.w;
    var off = 0.0;
    if (denom > 1e-6) { off = clamp(0.5 * (s.z - s.w) / denom, -0.5, 0.5); }
    depth = 1.0 / (U.invNear + (s.y + off) * U.invStep);
    score = 1.0 - s.x;
  }
  depthOut[U.outOffset + gid.x] = depth;
  scoreOut[U.outOffset + gid.x] = score;
}
