// Forward compositing: one workgroup of LANES threads per 16x16 tile; thread `lane` owns the
// PPL = 256 / LANES pixels lane, lane + LANES, ... of the tile and blends the tile's depth-sorted
// splats front to back (3DGS, Kerbl et al. 2023, eq. 3), each pixel stopping before its
// transmittance drops below 1e-4.
// Why not one thread per pixel with the splats staged in workgroup memory (the GPU textbook
// form): on CPU drivers (lavapipe, SwiftShader) barriers run as coroutine switches and a storage
// load is a per-lane gather, so loading each splat once per PPL pixels with no barriers measured
// several times faster; on GPUs LANES is the subgroup size, so a splat load is one broadcast.
// The `// #for j` blocks are repeated for j = 0 .. PPL-1 by wgsl.ts (names ending in `_j` get
// the pixel's number): pixel state in scalars, because private arrays indexed in a loop are
// scratch memory on CPU drivers (5x slower, measured).
// Outputs per pixel: rgb (+ T * background), alpha = 1 - T, depth = sum(w_i z_i) (not
// normalized), and for the backward pass the final T and the count of splats walked (last contributor).
// Needs raster_common.wgsl prepended and `const LANES: u32` (a power of two, 8..256) before it.

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> splats: array<Splat>;
@group(0) @binding(2) var<storage, read> isectVals: array<u32>;      // tile-sorted Gaussian indices
@group(0) @binding(3) var<storage, read> ranges: array<vec2u>;       // per tile [start, end)
@group(0) @binding(4) var<storage, read_write> outRgb: array<f32>;     // [H][W][3]
@group(0) @binding(5) var<storage, read_write> outAlpha: array<f32>;   // [H][W]
@group(0) @binding(6) var<storage, read_write> outDepth: array<f32>;   // [H][W]
@group(0) @binding(7) var<storage, read_write> outFinalT: array<f32>;  // [H][W]
@group(0) @binding(8) var<storage, read_write> outLast: array<u32>;    // [H][W] splats walked up to the last contributor

// Pixel (x, y) of the tile's q-th pixel (row-major).
fn tilePixel(wid: vec3u, q: u32) -> vec2u {
  return vec2u(wid.x * TILE + q % TILE, wid.y * TILE + q / TILE);
}

@compute @workgroup_size(LANES)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let W = P.dims.x; let H = P.dims.y;
  let range = ranges[wid.x + wid.y * P.dims.z];
  let origin = wid.xy * TILE;
  var liveCount = 0u;
  // #for j
  let px_j = tilePixel(wid, j_INDEX * LANES + lane);
  let pix_j = vec2f(px_j) + 0.5;
  var T_j = 1.0;
  var C_j = vec3f(0.0);
  var D_j = 0.0;
  var last_j = 0u;
  var live_j = px_j.x < W && px_j.y < H;
  if (live_j) { liveCount++; }
  // #endfor j
  for (var idx = range.x; idx < range.y; idx++) {
    if (liveCount == 0u) { break; }
    let s = splats[isectVals[idx]];
    // alpha >= 1/255 needs sigma <= ln(255 opacity): tested first, so that a SIMD bundle of
    // pixels all failing it skips the exp; the exact alpha test follows.
    let sigmaCut = log(s.opacity / ALPHA_MIN) + 1e-3;
    let n = idx - range.x + 1u;
    let box = tileBox(s, origin);
    // #for j
    if (blockMeetsBox(j_INDEX, LANES, box)) { // uniform: the whole bundle skips the block
      if (live_j) {
        let d = s.xy - pix_j;
        let sigma = 0.5 * (s.conic.x * d.x * d.x + s.conic.z * d.y * d.y) + s.conic.y * d.x * d.y;
        if (sigma >= 0.0 && sigma <= sigmaCut) {
          let alpha = min(ALPHA_MAX, s.opacity * exp(-sigma));
          if (alpha >= ALPHA_MIN) {
            let nextT = T_j * (1.0 - alpha);
            if (nextT < T_MIN) {
              live_j = false;
              liveCount--;
            } else {
              let w = alpha * T_j;
              C_j += s.color.xyz * w;
              D_j += s.depth * w;
              T_j = nextT;
              last_j = n;
            }
          }
        }
      }
    }
    // #endfor j
  }
  // #for j
  if (px_j.x < W && px_j.y < H) {
    let p = px_j.y * W + px_j.x;
    let rgb = C_j + T_j * P.bg.xyz;
    outRgb[p * 3u] = rgb.x;
    outRgb[p * 3u + 1u] = rgb.y;
    outRgb[p * 3u + 2u] = rgb.z;
    outAlpha[p] = 1.0 - T_j;
    outDepth[p] = D_j;
    outFinalT[p] = T_j;
    outLast[p] = last_j;
  }
  // #endfor j
}
