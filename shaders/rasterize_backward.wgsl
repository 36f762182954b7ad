// Backward of the compositing (3DGS CUDA backward, Kerbl et al. 2023): one workgroup of LANES
// threads per 16x16 tile; thread `lane` owns the PPL = 256 / LANES pixels lane, lane + LANES, ...
// of the tile and keeps their state in scalars (the `// #for j` blocks are repeated for each
// pixel by wgsl.ts, as in rasterize.wgsl). The tile's splats are walked back to front,
// each pixel's transmittance recovered from its final T (T_k = T_{k+1} / (1 - alpha_k)). Per splat
// and pixel
//   dL/dalpha = sum_c g_c (c_k T_k - (S_c + T_final bg_c) / (1 - alpha_k)) + g_A T_final / (1 - alpha_k)
//               + g_D (z_k T_k - S_D / (1 - alpha_k)),   S = sum over splats behind k of colour * weight,
// then the gradients of mean2d, conic, opacity (zero where alpha was clamped to 0.99), colour and
// z. S and S_D only enter dL/dalpha through Q = g . S + g_D S_D, so each pixel carries the scalar Q
// (Q += w (g . c_k + g_D z_k)) and the constant K = T_final (g . bg - g_A):
//   dL/dalpha = T_k (g . c_k + g_D z_k) - (Q + K) / (1 - alpha_k). Each thread sums them over its pixels in registers; the LANES partial sums are added
// (subgroupAdd when the workgroup is exactly one subgroup, else in workgroup memory) and the
// tile's total is added to the Gaussian's grad2d with one compare-and-swap loop per value
// (WebGPU has no atomic<f32>): one atomic add per (splat, tile), not per pixel, so contention
// is rare. Frames whose intersections overflowed the capacity add nothing.
// Why LANES threads and not 256: CPU drivers run a workgroup on one core, SIMD-width lanes at a
// time, and a tile-wide reduction per splat needs barriers, which they run as coroutine switches
// (measured 4x slower on lavapipe).
// Needs raster_common.wgsl prepended and `const LANES: u32` (a power of two, 8..256) before it;
// `// #if SUBGROUPS` blocks are selected in TypeScript (wgsl.ts).

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> splats: array<Splat>;
@group(0) @binding(2) var<storage, read> isectVals: array<u32>;
@group(0) @binding(3) var<storage, read> ranges: array<vec2u>;
@group(0) @binding(4) var<storage, read> finalT: array<f32>;
@group(0) @binding(5) var<storage, read> lastContrib: array<u32>;
@group(0) @binding(6) var<storage, read> gradRgb: array<f32>;
@group(0) @binding(7) var<storage, read> gradAlpha: array<f32>;
@group(0) @binding(8) var<storage, read> gradDepth: array<f32>;
// [N][10] f32 bits: mean2d (2), conic (3), opacity, rgb (3), z
@group(0) @binding(9) var<storage, read_write> grad2d: array<atomic<u32>>;
@group(0) @binding(10) var<storage, read> status: array<u32>;

const NG: u32 = 10u;

var<workgroup> wgLast: atomic<u32>;
var<workgroup> wgLastPlain: u32;
// #if SUBGROUPS
// #else
var<workgroup> red0: array<vec4f, LANES>;
var<workgroup> red1: array<vec4f, LANES>;
var<workgroup> red2: array<vec2f, LANES>;
// #endif

fn globalAddF(i: u32, v: f32) {
  var old = atomicLoad(&grad2d[i]);
  loop {
    let r = atomicCompareExchangeWeak(&grad2d[i], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }
}

// Pixel (x, y) of the tile's q-th pixel (row-major).
fn tilePixel(wid: vec3u, q: u32) -> vec2u {
  return vec2u(wid.x * TILE + q % TILE, wid.y * TILE + q / TILE);
}

@compute @workgroup_size(LANES)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  if (status[3] != 0u) { return; }
  let W = P.dims.x; let H = P.dims.y;
  let range = ranges[wid.x + wid.y * P.dims.z];
  let origin = wid.xy * TILE;
  let bg = P.bg.xyz;
  var myLast = 0u;
  // #for j
  let px_j = tilePixel(wid, j_INDEX * LANES + lane);
  let pix_j = vec2f(px_j) + 0.5;
  var Tf_j = 1.0;
  var last_j = 0u;
  var gC_j = vec3f(0.0);
  var gA_j = 0.0;
  var gD_j = 0.0;
  if (px_j.x < W && px_j.y < H) {
    let p = px_j.y * W + px_j.x;
    Tf_j = finalT[p];
    last_j = lastContrib[p];
    gC_j = vec3f(gradRgb[p * 3u], gradRgb[p * 3u + 1u], gradRgb[p * 3u + 2u]);
    if (P.flags.x != 0u) { gA_j = gradAlpha[p]; }
    if (P.flags.y != 0u) { gD_j = gradDepth[p]; }
  }
  var T_j = Tf_j;
  var Q_j = 0.0;
  let K_j = Tf_j * (dot(gC_j, bg) - gA_j);
  myLast = max(myLast, last_j);
  // #endfor j
  if (lane == 0u) { atomicStore(&wgLast, 0u); }
  workgroupBarrier();
  atomicMax(&wgLast, myLast);
  workgroupBarrier();
  if (lane == 0u) { wgLastPlain = atomicLoad(&wgLast); }
  let tileLast = workgroupUniformLoad(&wgLastPlain);

  for (var kk = 0u; kk < tileLast; kk++) {
    let k = tileLast - 1u - kk;
    let gi = isectVals[range.x + k];
    let s = splats[gi];
    let con = s.conic;
    let c = s.color.xyz;
    let sigmaCut = log(s.opacity / ALPHA_MIN) + 1e-3; // alpha >= 1/255 needs sigma <= ln(255 opacity)
    var g0 = vec4f(0.0); // mean2d x, y, conic A, B
    let box = tileBox(s, origin);
    var g1 = vec4f(0.0); // conic C, opacity, r, g
    var g2 = vec2f(0.0); // b, z
    // #for j
    if (blockMeetsBox(j_INDEX, LANES, box)) { // uniform: the whole bundle skips the block
      if (k < last_j) {
        let d = s.xy - pix_j;
        let sigma = 0.5 * (con.x * d.x * d.x + con.z * d.y * d.y) + con.y * d.x * d.y;
        if (sigma >= 0.0 && sigma <= sigmaCut) {
          let G = exp(-sigma);
          let raw = s.opacity * G;
          let alpha = min(ALPHA_MAX, raw);
          if (alpha >= ALPHA_MIN) {
            let inv = 1.0 / (1.0 - alpha);
            let Tk = T_j * inv;
            let w = alpha * Tk;
            let gc = dot(gC_j, c) + gD_j * s.depth;
            let dLda = Tk * gc - (Q_j + K_j) * inv;
            Q_j += w * gc;
            T_j = Tk;
            let gcw = gC_j * w;
            g1 += vec4f(0.0, 0.0, gcw.x, gcw.y);
            g2 += vec2f(gcw.z, gD_j * w);
            if (raw <= ALPHA_MAX) {
              let dLds = -dLda * raw;
              g0 += vec4f(dLds * (con.x * d.x + con.y * d.y), dLds * (con.y * d.x + con.z * d.y), dLds * 0.5 * d.x * d.x, dLds * d.x * d.y);
              g1 += vec4f(dLds * 0.5 * d.y * d.y, dLda * G, 0.0, 0.0);
            }
          }
        }
      }
    }
    // #endfor j
    // #if SUBGROUPS
    g0 = subgroupAdd(g0);
    g1 = subgroupAdd(g1);
    g2 = subgroupAdd(g2);
    // #else
    red0[lane] = g0;
    red1[lane] = g1;
    red2[lane] = g2;
    workgroupBarrier();
    if (lane == 0u) {
      for (var l = 1u; l < LANES; l++) { g0 += red0[l]; g1 += red1[l]; g2 += red2[l]; }
    }
    workgroupBarrier();
    // #endif
    if (lane == 0u) {
      let vals = array<f32, 10>(g0.x, g0.y, g0.z, g0.w, g1.x, g1.y, g1.z, g1.w, g2.x, g2.y);
      // One CAS loop in a loop (not ten inlined): much faster to compile on SwiftShader.
      for (var q = 0u; q < NG; q++) {
        if (vals[q] != 0.0) { globalAddF(gi * NG + q, vals[q]); }
      }
    }
  }
}
