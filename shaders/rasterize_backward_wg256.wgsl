// Backward of the compositing, 'wg256' variant (GPUs and SwiftShader; rasterize_backward.wgsl is
// the one for lavapipe) (3DGS CUDA backward, Kerbl et al. 2023): one 256-thread workgroup
// per 16x16 tile walks the tile's splats back to front, recomputing each pixel's transmittance
// from its final T (T_k = T_{k+1} / (1 - alpha_k)). Per splat and pixel it forms dL/dalpha
//   = sum_c g_c (c_k T_k - (S_c + T_final bg_c) / (1 - alpha_k)) + g_A T_final / (1 - alpha_k)
//     + g_D (z_k T_k - S_D / (1 - alpha_k)),   S = sum over splats behind k of colour * weight,
// then gradients of mean2d, conic, opacity (zero where alpha was clamped to 0.99), colour and z.
// They are summed over the tile in workgroup memory (after a subgroup sum when USE_SUBGROUPS) and
// added to the per-Gaussian grad2d with a compare-and-swap loop on u32 bit patterns (WebGPU has
// no atomic<f32>). Frames whose intersections overflowed the capacity add nothing.
// Needs raster_common.wgsl prepended; `// #if SUBGROUPS` blocks are selected in TypeScript (wgsl.ts).

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

var<workgroup> shXYOD: array<vec4f, 256>;
var<workgroup> shConic: array<vec4f, 256>;
var<workgroup> shColor: array<vec4f, 256>;
var<workgroup> shIdx: array<u32, 256>;
var<workgroup> wgGrad: array<atomic<u32>, 2560>; // [256][NG]
var<workgroup> maxLast: atomic<u32>;
var<workgroup> maxLastPlain: u32;

fn wgAddF(i: u32, v: f32) {
  var old = atomicLoad(&wgGrad[i]);
  loop {
    let r = atomicCompareExchangeWeak(&wgGrad[i], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }
}

fn globalAddF(i: u32, v: f32) {
  var old = atomicLoad(&grad2d[i]);
  loop {
    let r = atomicCompareExchangeWeak(&grad2d[i], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }
}

fn addSplatGrads(k: u32, g0: vec4f, g1: vec4f, g2: vec2f) {
  if (any(g0 != vec4f(0.0)) || any(g1 != vec4f(0.0)) || any(g2 != vec2f(0.0))) {
    let vals = array<f32, 10>(g0.x, g0.y, g0.z, g0.w, g1.x, g1.y, g1.z, g1.w, g2.x, g2.y);
    // One CAS loop in a loop (not ten inlined): much faster to compile on SwiftShader.
    for (var q = 0u; q < NG; q++) {
      if (vals[q] != 0.0) { wgAddF(k * NG + q, vals[q]); }
    }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  if (status[3] != 0u) { return; }
  let W = P.dims.x; let H = P.dims.y;
  let tile = wid.x + wid.y * P.dims.z;
  let px = wid.x * TILE + lid % TILE;
  let py = wid.y * TILE + lid / TILE;
  let inside = px < W && py < H;
  let pix = vec2f(f32(px) + 0.5, f32(py) + 0.5);
  let range = ranges[tile];
  let p = min(py * W + px, W * H - 1u);

  var Tf = 1.0;
  var last = 0u;
  var gC = vec3f(0.0);
  var gA = 0.0;
  var gD = 0.0;
  if (inside) {
    Tf = finalT[p];
    last = lastContrib[p];
    gC = vec3f(gradRgb[p * 3u], gradRgb[p * 3u + 1u], gradRgb[p * 3u + 2u]);
    if (P.flags.x != 0u) { gA = gradAlpha[p]; }
    if (P.flags.y != 0u) { gD = gradDepth[p]; }
  }
  if (lid == 0u) { atomicStore(&maxLast, 0u); }
  workgroupBarrier();
  atomicMax(&maxLast, last);
  workgroupBarrier();
  if (lid == 0u) { maxLastPlain = atomicLoad(&maxLast); }
  let tileLast = workgroupUniformLoad(&maxLastPlain);

  let bgTerm = Tf * P.bg.xyz;
  var T = Tf;
  var S = vec3f(0.0);
  var SD = 0.0;
  let numBatches = (tileLast + 255u) / 256u;
  for (var bb = 0u; bb < numBatches; bb++) {
    let b = numBatches - 1u - bb;
    let idx = range.x + b * 256u + lid;
    if (idx < range.x + tileLast) {
      let gi = isectVals[idx];
      let s = splats[gi];
      shXYOD[lid] = vec4f(s.xy, s.opacity, s.depth);
      shConic[lid] = s.conic;
      shColor[lid] = s.color;
      shIdx[lid] = gi;
    }
    for (var q = 0u; q < NG; q++) { atomicStore(&wgGrad[lid * NG + q], 0u); }
    workgroupBarrier();
    let cnt = min(256u, tileLast - b * 256u);
    for (var kk = 0u; kk < cnt; kk++) {
      let k = cnt - 1u - kk;
      var g0 = vec4f(0.0); // mean2d x, y, conic A, B
      var g1 = vec4f(0.0); // conic C, opacity, r, g
      var g2 = vec2f(0.0); // b, z
      if (b * 256u + k < last) {
        let xyod = shXYOD[k];
        let con = shConic[k];
        let d = xyod.xy - pix;
        let sigma = 0.5 * (con.x * d.x * d.x + con.z * d.y * d.y) + con.y * d.x * d.y;
        let G = exp(-sigma);
        let raw = xyod.z * G;
        let alpha = min(ALPHA_MAX, raw);
        if (sigma >= 0.0 && alpha >= ALPHA_MIN) {
          let c = shColor[k].xyz;
          let oneMinus = 1.0 - alpha;
          let Tk = T / oneMinus;
          let w = alpha * Tk;
          let dLda = dot(gC, c * Tk - (S + bgTerm) / oneMinus) + gA * Tf / oneMinus + gD * (xyod.w * Tk - SD / oneMinus);
          S += c * w;
          SD += xyod.w * w;
          T = Tk;
          let gc = gC * w;
          g1 = vec4f(0.0, 0.0, gc.x, gc.y);
          g2 = vec2f(gc.z, gD * w);
          if (raw <= ALPHA_MAX) {
            let dLds = -dLda * raw;
            g0 = vec4f(dLds * (con.x * d.x + con.y * d.y), dLds * (con.y * d.x + con.z * d.y), dLds * 0.5 * d.x * d.x, dLds * d.x * d.y);
            g1.x = dLds * 0.5 * d.y * d.y;
            g1.y = dLda * G;
          }
        }
      }
      // #if SUBGROUPS
      let s0 = subgroupAdd(g0);
      let s1 = subgroupAdd(g1);
      let s2 = subgroupAdd(g2);
      if (subgroupElect()) { addSplatGrads(k, s0, s1, s2); }
      // #else
      addSplatGrads(k, g0, g1, g2);
      // #endif
    }
    workgroupBarrier();
    if (lid < cnt) {
      let gi = shIdx[lid];
      for (var q = 0u; q < NG; q++) {
        let v = bitcast<f32>(atomicLoad(&wgGrad[lid * NG + q]));
        if (v != 0.0) { globalAddF(gi * NG + q, v); }
      }
    }
    workgroupBarrier();
  }
}
