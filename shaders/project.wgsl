// Forward projection: one thread per Gaussian. EWA splatting (Zwicker et al. 2002; 3DGS, Kerbl et
// al. 2023, eq. 5) with gsplat's Jacobian clipping, 0.3 px^2 dilation, optional Mip-Splatting
// opacity compensation (Yu et al. 2024, eq. 9), SH colour (view direction camera centre -> mean),
// opacity-aware tile rectangle, and the depth key / payload of the depth sort. With Gaussian
// dropout on, a hashed subset is left out and the rest get opacity / (1 - rate).
// Needs raster_common.wgsl prepended.

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> means: array<f32>;
@group(0) @binding(2) var<storage, read> logScales: array<f32>;
@group(0) @binding(3) var<storage, read> quats: array<f32>;
@group(0) @binding(4) var<storage, read> logitOpacities: array<f32>;
@group(0) @binding(5) var<storage, read> sh: array<f32>;
@group(0) @binding(6) var<storage, read_write> splats: array<Splat>;
@group(0) @binding(7) var<storage, read_write> rects: array<vec4u>;     // tile rect [x0, y0, x1, y1)
@group(0) @binding(8) var<storage, read_write> depthKeys: array<u32>;  // f32 bits of z, ~0 when culled
@group(0) @binding(9) var<storage, read_write> depthVals: array<u32>;  // Gaussian index
@group(0) @binding(10) var<storage, read_write> sortCount: array<u32>; // [0] = N (element count of the depth sort)

fn paramsFinite(i: u32) -> bool {
  var ok = true;
  for (var k = 0u; k < 3u; k++) {
    ok = ok && isFiniteF(means[i * 3u + k]) && isFiniteF(logScales[i * 3u + k]);
  }
  for (var k = 0u; k < 4u; k++) { ok = ok && isFiniteF(quats[i * 4u + k]); }
  ok = ok && isFiniteF(logitOpacities[i]);
  let nc = (P.counts.y + 1u) * (P.counts.y + 1u);
  for (var k = 0u; k < nc * 3u; k++) { ok = ok && isFiniteF(sh[i * 48u + k]); }
  return ok;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  let n = P.counts.x;
  if (i == 0u) { sortCount[0] = n; }
  if (i >= n) { return; }
  depthVals[i] = i;
  depthKeys[i] = 0xffffffffu;
  rects[i] = vec4u(0u);
  if (!paramsFinite(i)) { return; }

  let mean = vec3f(means[i * 3u], means[i * 3u + 1u], means[i * 3u + 2u]);
  let W = worldToCam();
  let pc = W * mean + vec3f(P.R0.w, P.R1.w, P.R2.w);
  if (!(pc.z >= P.campos.w)) { return; } // near plane (also rejects NaN)

  let qraw = vec4f(quats[i * 4u], quats[i * 4u + 1u], quats[i * 4u + 2u], quats[i * 4u + 3u]);
  let qn = length(qraw);
  if (!(qn > 0.0) || !isFiniteF(qn)) { return; }
  let Rq = quatToMat(qraw / qn);
  let s = exp(vec3f(logScales[i * 3u], logScales[i * 3u + 1u], logScales[i * 3u + 2u]));
  let M = mat3x3f(Rq[0] * s.x, Rq[1] * s.y, Rq[2] * s.z);
  let Sigma = M * transpose(M);

  let fx = P.intr.x; let fy = P.intr.y;
  let z = pc.z;
  let rz = 1.0 / z;
  let tx = z * clamp(pc.x * rz, -P.lim.y, P.lim.x);
  let ty = z * clamp(pc.y * rz, -P.lim.w, P.lim.z);
  let J = mat3x2f(vec2f(fx * rz, 0.0), vec2f(0.0, fy * rz), vec2f(-fx * tx * rz * rz, -fy * ty * rz * rz));
  let T = J * W;
  let cov = T * Sigma * transpose(T);
  let a = cov[0][0]; let b = cov[0][1]; let c = cov[1][1];
  if (!(abs(a) < HUGE && abs(b) < HUGE && abs(c) < HUGE)) { return; }
  let ad = a + DILATION; let cd = c + DILATION;
  let det = ad * cd - b * b;
  if (!(det > 0.0)) { return; }
  if (!dropoutKeeps(i)) { return; } // dropped from this render: no splat, no gradient
  var opacity = dropoutScale() / (1.0 + exp(-logitOpacities[i]));
  if (P.bg.w > 0.5) {
    opacity *= sqrt(max(0.0, (a * c - b * b) / det));
  }
  if (!(opacity >= ALPHA_MIN)) { return; }
  let conic = vec3f(cd / det, -b / det, ad / det);

  // Opacity-aware extent: alpha = opacity * exp(-0.5 d^T conic d) >= 1/255 inside the ellipse
  // d^T conic d <= k, whose bounding box has half-widths sqrt(k cov_xx), sqrt(k cov_yy).
  let k = 2.0 * log(opacity * 255.0) * 1.001;
  let ex = sqrt(k * ad); let ey = sqrt(k * cd);
  let xy = vec2f(fx * pc.x * rz + P.intr.z, fy * pc.y * rz + P.intr.w);
  let wf = f32(P.dims.x); let hf = f32(P.dims.y);
  let x0 = max(ceil(xy.x - ex - 0.5), 0.0);
  let x1 = min(floor(xy.x + ex - 0.5), wf - 1.0);
  let y0 = max(ceil(xy.y - ey - 0.5), 0.0);
  let y1 = min(floor(xy.y + ey - 0.5), hf - 1.0);
  if (!(x0 <= x1 && y0 <= y1)) { return; }
  let rect = vec4u(u32(x0) / TILE, u32(y0) / TILE, u32(x1) / TILE + 1u, u32(y1) / TILE + 1u);

  // View-dependent colour: SH of the direction camera centre -> mean, + 0.5, clamped at 0.
  let dir = normalize(mean - P.campos.xyz);
  let basis = shBasis(dir, P.counts.y);
  let nc = (P.counts.y + 1u) * (P.counts.y + 1u);
  var rgb = vec3f(0.5);
  for (var kk = 0u; kk < nc; kk++) {
    let o = i * 48u + kk * 3u;
    rgb += basis[kk] * vec3f(sh[o], sh[o + 1u], sh[o + 2u]);
  }
  rgb = max(rgb, vec3f(0.0));

  var sp: Splat;
  sp.xy = xy;
  sp.opacity = opacity;
  sp.depth = z;
  sp.conic = vec4f(conic, bitcast<f32>(u32(x0) | (u32(x1) << 16u)));
  sp.color = vec4f(rgb, bitcast<f32>(u32(y0) | (u32(y1) << 16u)));
  splats[i] = sp;
  rects[i] = rect;
  depthKeys[i] = bitcast<u32>(z);
}
