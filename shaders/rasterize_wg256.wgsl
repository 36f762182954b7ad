// Forward compositing, 'wg256' variant (GPUs and SwiftShader; rasterize.wgsl is the one for
// lavapipe): one 256-thread workgroup per 16x16 tile, front-to-back alpha blending of
// the tile's depth-sorted splats (3DGS, Kerbl et al. 2023, eq. 3), batches of 256 splats staged in
// workgroup memory, early termination when transmittance would drop below 1e-4.
// Outputs per pixel: rgb (+ T * background), alpha = 1 - T, depth = sum(w_i z_i) (not
// normalized), and for the backward pass the final T and the count of splats walked (last contributor).
// Needs raster_common.wgsl prepended.

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> splats: array<Splat>;
@group(0) @binding(2) var<storage, read> isectVals: array<u32>;   // tile-sorted Gaussian indices
@group(0) @binding(3) var<storage, read> ranges: array<vec2u>;    // per tile [start, end)
@group(0) @binding(4) var<storage, read_write> outRgb: array<f32>;     // [H][W][3]
@group(0) @binding(5) var<storage, read_write> outAlpha: array<f32>;   // [H][W]
@group(0) @binding(6) var<storage, read_write> outDepth: array<f32>;   // [H][W]
@group(0) @binding(7) var<storage, read_write> outFinalT: array<f32>;  // [H][W]
@group(0) @binding(8) var<storage, read_write> outLast: array<u32>;    // [H][W] splats walked up to the last contributor

var<workgroup> shXYOD: array<vec4f, 256>;   // xy, opacity, depth
var<workgroup> shConic: array<vec4f, 256>;
var<workgroup> shColor: array<vec4f, 256>;
var<workgroup> doneCount: atomic<u32>;
var<workgroup> allDone: u32;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let W = P.dims.x; let H = P.dims.y;
  let tile = wid.x + wid.y * P.dims.z;
  let px = wid.x * TILE + lid % TILE;
  let py = wid.y * TILE + lid / TILE;
  let inside = px < W && py < H;
  let pix = vec2f(f32(px) + 0.5, f32(py) + 0.5);
  let range = ranges[tile];
  if (lid == 0u) { atomicStore(&doneCount, 0u); }
  workgroupBarrier();
  var done = !inside;
  if (done) { atomicAdd(&doneCount, 1u); }
  var T = 1.0;
  var C = vec3f(0.0);
  var D = 0.0;
  var last = 0u;
  let n = range.y - range.x;
  let numBatches = (n + 255u) / 256u;
  for (var b = 0u; b < numBatches; b++) {
    if (lid == 0u) { allDone = atomicLoad(&doneCount); }
    if (workgroupUniformLoad(&allDone) == 256u) { break; }
    let idx = range.x + b * 256u + lid;
    if (idx < range.y) {
      let s = splats[isectVals[idx]];
      shXYOD[lid] = vec4f(s.xy, s.opacity, s.depth);
      shConic[lid] = s.conic;
      shColor[lid] = s.color;
    }
    workgroupBarrier();
    let cnt = min(256u, range.y - range.x - b * 256u);
    for (var k = 0u; k < cnt; k++) {
      if (done) { break; }
      let g = shXYOD[k];
      let con = shConic[k];
      let d = g.xy - pix;
      let sigma = 0.5 * (con.x * d.x * d.x + con.z * d.y * d.y) + con.y * d.x * d.y;
      if (sigma < 0.0) { continue; }
      let alpha = min(ALPHA_MAX, g.z * exp(-sigma));
      if (alpha < ALPHA_MIN) { continue; }
      let nextT = T * (1.0 - alpha);
      if (nextT < T_MIN) {
        done = true;
        atomicAdd(&doneCount, 1u);
        break;
      }
      let w = alpha * T;
      C += shColor[k].xyz * w;
      D += g.w * w;
      T = nextT;
      last = b * 256u + k + 1u;
    }
  }
  if (inside) {
    let p = py * W + px;
    let rgb = C + T * P.bg.xyz;
    outRgb[p * 3u] = rgb.x;
    outRgb[p * 3u + 1u] = rgb.y;
    outRgb[p * 3u + 2u] = rgb.z;
    outAlpha[p] = 1.0 - T;
    outDepth[p] = D;
    outFinalT[p] = T;
    outLast[p] = last;
  }
}
