// Backward of the projection, one thread per Gaussian, from grad2d (dL/d mean2d, conic, opacity,
// rgb, z) to the raw parameters; ADDS into the gradient buffers. Entry points:
// shBackward (SH coefficients of bands <= active degree, and the view-direction term of dL/dmean),
// geomBackward (means, log-scales, quaternions through their normalization, logit opacities;
// EWA Jacobian with gsplat's clipping, Mip-Splatting compensation), statsBackward (densification
// statistics: |dL/dmean2d| in pixels and a visibility count), poseBackward + poseReduce (the
// gradient of the camera pose, for pose refinement). Derivations: 3DGS CUDA backward
// (Kerbl et al. 2023), gsplat; dSigma'^-1 = -Q dSigma' Q for the conic.
// Needs raster_common.wgsl prepended.

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> means: array<f32>;
@group(0) @binding(2) var<storage, read> logScales: array<f32>;
@group(0) @binding(3) var<storage, read> quats: array<f32>;
@group(0) @binding(4) var<storage, read> logitOpacities: array<f32>;
@group(0) @binding(5) var<storage, read> sh: array<f32>;
@group(0) @binding(6) var<storage, read> grad2d: array<f32>;  // [N][10]
@group(0) @binding(7) var<storage, read> rects: array<vec4u>;
@group(0) @binding(8) var<storage, read_write> gMeans: array<f32>;
@group(0) @binding(9) var<storage, read_write> gLogScales: array<f32>;
@group(0) @binding(10) var<storage, read_write> gQuats: array<f32>;
@group(0) @binding(11) var<storage, read_write> gLogitOpacities: array<f32>;
@group(0) @binding(12) var<storage, read_write> gSh: array<f32>;
@group(0) @binding(13) var<storage, read_write> statsNorm: array<f32>;
@group(0) @binding(14) var<storage, read_write> statsCount: array<f32>;
@group(0) @binding(15) var<storage, read_write> posePartials: array<f32>; // [ceil(N / 256)][POSE_GRADS]
@group(0) @binding(16) var<storage, read_write> poseGrad: array<f32>;     // [POSE_GRADS]: dL/dw, dL/dv, dL/dlog f (ADDED)

fn gaussianIndex(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 256u; }

fn isVisible(i: u32) -> bool {
  let r = rects[i];
  return r.z > r.x && r.w > r.y;
}

// SH basis derivatives w.r.t. the (unnormalized) direction components, 3DGS sign convention.
struct ShGrad { dx: array<f32, 16>, dy: array<f32, 16>, dz: array<f32, 16> }

fn shBasisGrad(d: vec3f, deg: u32) -> ShGrad {
  var g: ShGrad;
  let x = d.x; let y = d.y; let z = d.z;
  if (deg >= 1u) { g.dy[1] = -SH_C1; g.dz[2] = SH_C1; g.dx[3] = -SH_C1; }
  if (deg >= 2u) {
    let xx = x * x; let yy = y * y; let zz = z * z;
    g.dx[4] = SH_C2[0] * y; g.dy[4] = SH_C2[0] * x;
    g.dy[5] = SH_C2[1] * z; g.dz[5] = SH_C2[1] * y;
    g.dx[6] = -2.0 * SH_C2[2] * x; g.dy[6] = -2.0 * SH_C2[2] * y; g.dz[6] = 4.0 * SH_C2[2] * z;
    g.dx[7] = SH_C2[3] * z; g.dz[7] = SH_C2[3] * x;
    g.dx[8] = 2.0 * SH_C2[4] * x; g.dy[8] = -2.0 * SH_C2[4] * y;
    if (deg >= 3u) {
      g.dx[9] = 6.0 * SH_C3[0] * x * y; g.dy[9] = SH_C3[0] * (3.0 * xx - 3.0 * yy);
      g.dx[10] = SH_C3[1] * y * z; g.dy[10] = SH_C3[1] * x * z; g.dz[10] = SH_C3[1] * x * y;
      g.dx[11] = -2.0 * SH_C3[2] * x * y; g.dy[11] = SH_C3[2] * (4.0 * zz - xx - 3.0 * yy); g.dz[11] = 8.0 * SH_C3[2] * y * z;
      g.dx[12] = -6.0 * SH_C3[3] * x * z; g.dy[12] = -6.0 * SH_C3[3] * y * z; g.dz[12] = SH_C3[3] * (6.0 * zz - 3.0 * xx - 3.0 * yy);
      g.dx[13] = SH_C3[4] * (4.0 * zz - 3.0 * xx - yy); g.dy[13] = -2.0 * SH_C3[4] * x * y; g.dz[13] = 8.0 * SH_C3[4] * x * z;
      g.dx[14] = 2.0 * SH_C3[5] * x * z; g.dy[14] = -2.0 * SH_C3[5] * y * z; g.dz[14] = SH_C3[5] * (xx - yy);
      g.dx[15] = SH_C3[6] * (3.0 * xx - 3.0 * yy); g.dy[15] = -6.0 * SH_C3[6] * x * y;
    }
  }
  return g;
}

// dL/d(mean) through the SH view direction (camera centre -> mean) of Gaussian i; when writeSh,
// also ADDS dL/d(SH coefficients) into gSh.
fn shGrad(i: u32, writeSh: bool) -> vec3f {
  let gc = vec3f(grad2d[i * 10u + 6u], grad2d[i * 10u + 7u], grad2d[i * 10u + 8u]);
  let mean = vec3f(means[i * 3u], means[i * 3u + 1u], means[i * 3u + 2u]);
  let dir = mean - P.campos.xyz;
  let dn = length(dir);
  let d = dir / dn;
  let deg = P.counts.y;
  let nc = (deg + 1u) * (deg + 1u);
  let basis = shBasis(d, deg);
  let bg = shBasisGrad(d, deg);
  var raw = vec3f(0.5);
  for (var k = 0u; k < nc; k++) {
    let o = i * 48u + k * 3u;
    raw += basis[k] * vec3f(sh[o], sh[o + 1u], sh[o + 2u]);
  }
  // Channels clamped at 0 in the forward get no gradient.
  let g = select(gc, vec3f(0.0), raw < vec3f(0.0));
  var gdir = vec3f(0.0);
  for (var k = 0u; k < nc; k++) {
    let o = i * 48u + k * 3u;
    let coef = vec3f(sh[o], sh[o + 1u], sh[o + 2u]);
    if (writeSh) {
      gSh[o] += g.x * basis[k];
      gSh[o + 1u] += g.y * basis[k];
      gSh[o + 2u] += g.z * basis[k];
    }
    let s = dot(g, coef);
    gdir += s * vec3f(bg.dx[k], bg.dy[k], bg.dz[k]);
  }
  return (gdir - d * dot(gdir, d)) / dn;
}

@compute @workgroup_size(256)
fn shBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gaussianIndex(gid, nwg);
  if (i >= P.counts.x || !isVisible(i)) { return; }
  let gm = shGrad(i, true);
  gMeans[i * 3u] += gm.x;
  gMeans[i * 3u + 1u] += gm.y;
  gMeans[i * 3u + 2u] += gm.z;
}

// What the projection backward knows of Gaussian i: its camera-frame mean pc, dL/dpc (with the
// camera-frame covariance held fixed), its world covariance Sigma = M M^T and dL/dSigma, and
// dL/dlogit(opacity). Shared by geomBackward (parameters) and poseBackward (the camera).
struct GeomGrad {
  pc: vec3f,
  gpc: vec3f,
  Sigma: mat3x3f,
  dSigma: mat3x3f,
  M: mat3x3f,
  Rq: mat3x3f,
  s: vec3f,
  q: vec4f,
  qn: f32,
  gLogit: f32,
  // dL/d(log f) with fx and fy scaled together, pc held fixed (through mean2d and the Jacobian J)
  gLogFocal: f32,
}

fn geomGrad(i: u32) -> GeomGrad {
  var g: array<f32, 10>;
  for (var k = 0u; k < 10u; k++) { g[k] = grad2d[i * 10u + k]; }

  let mean = vec3f(means[i * 3u], means[i * 3u + 1u], means[i * 3u + 2u]);
  let Wc = worldToCam();
  let pc = Wc * mean + vec3f(P.R0.w, P.R1.w, P.R2.w);
  let qraw = vec4f(quats[i * 4u], quats[i * 4u + 1u], quats[i * 4u + 2u], quats[i * 4u + 3u]);
  let qn = length(qraw);
  let q = qraw / qn;
  let Rq = quatToMat(q);
  let s = exp(vec3f(logScales[i * 3u], logScales[i * 3u + 1u], logScales[i * 3u + 2u]));
  let M = mat3x3f(Rq[0] * s.x, Rq[1] * s.y, Rq[2] * s.z);
  let Sigma = M * transpose(M);
  let fx = P.intr.x; let fy = P.intr.y;
  let z = pc.z;
  let rz = 1.0 / z;
  let rxRaw = pc.x * rz; let ryRaw = pc.y * rz;
  let rx = clamp(rxRaw, -P.lim.y, P.lim.x);
  let ry = clamp(ryRaw, -P.lim.w, P.lim.z);
  let J = mat3x2f(vec2f(fx * rz, 0.0), vec2f(0.0, fy * rz), vec2f(-fx * rx * rz, -fy * ry * rz));
  let T = J * Wc;
  let cov = T * Sigma * transpose(T);
  let a = cov[0][0]; let b = cov[0][1]; let c = cov[1][1];
  let ad = a + DILATION; let cd = c + DILATION;
  let det = ad * cd - b * b;
  let sig = 1.0 / (1.0 + exp(-logitOpacities[i]));
  let det0 = a * c - b * b;
  var comp = 1.0;
  if (P.bg.w > 0.5) { comp = sqrt(max(0.0, det0 / det)); }

  let dropS = dropoutScale(); // opacity = dropS * comp * sigmoid(logit)
  let gLogit = g[5] * dropS * comp * sig * (1.0 - sig);

  // conic -> dilated covariance: dL/dSigma' = -Q G_Q Q (symmetric 2x2)
  let Q = mat2x2f(vec2f(cd, -b) / det, vec2f(-b, ad) / det);
  let GQ = mat2x2f(vec2f(g[2], 0.5 * g[3]), vec2f(0.5 * g[3], g[4]));
  let dS = (Q * GQ * Q) * -1.0;
  var dLa = dS[0][0];
  var dLc = dS[1][1];
  var dLb = dS[0][1] + dS[1][0];
  if (P.bg.w > 0.5 && comp > 0.0) {
    let gComp = g[5] * dropS * sig * 0.5 / comp;
    let det2 = det * det;
    dLa += gComp * (c * det - det0 * cd) / det2;
    dLc += gComp * (a * det - det0 * ad) / det2;
    dLb += gComp * (-2.0 * b * det + 2.0 * b * det0) / det2;
  }
  let G2 = mat2x2f(vec2f(dLa, 0.5 * dLb), vec2f(0.5 * dLb, dLc));
  // cov = T Sigma T^T: dL/dSigma = T^T G2 T, dL/dT = 2 G2 T Sigma
  let dSigma = transpose(T) * G2 * T;
  let dT = 2.0 * (G2 * T * Sigma);
  // T = J W: dL/dJ = dT W^T
  let dJ = dT * transpose(Wc);
  // dJ[col][row]: J00 = dJ[0][0], J11 = dJ[1][1], J02 = dJ[2][0], J12 = dJ[2][1]
  var gpc = vec3f(0.0);
  let rz2 = rz * rz;
  gpc.z += dJ[0][0] * (-fx * rz2) + dJ[1][1] * (-fy * rz2);
  if (rxRaw != rx) {
    gpc.z += dJ[2][0] * fx * rx * rz2;
  } else {
    gpc.x += dJ[2][0] * (-fx * rz2);
    gpc.z += dJ[2][0] * 2.0 * fx * pc.x * rz2 * rz;
  }
  if (ryRaw != ry) {
    gpc.z += dJ[2][1] * fy * ry * rz2;
  } else {
    gpc.y += dJ[2][1] * (-fy * rz2);
    gpc.z += dJ[2][1] * 2.0 * fy * pc.y * rz2 * rz;
  }
  gpc.x += g[0] * fx * rz;
  gpc.y += g[1] * fy * rz;
  gpc.z += -g[0] * fx * pc.x * rz2 - g[1] * fy * pc.y * rz2 + g[9];
  // u = fx x / z + cx, J00 = fx / z, J02 = -fx rx / z (and the same in y): each is linear in its
  // focal, except a clamped J02, fx lim / z with lim ~ 1 / fx (jacobianLimits): constant in fx
  var gLogFocal = g[0] * fx * rxRaw + g[1] * fy * ryRaw + dJ[0][0] * fx * rz + dJ[1][1] * fy * rz;
  if (rxRaw == rx) { gLogFocal -= dJ[2][0] * fx * rx * rz; }
  if (ryRaw == ry) { gLogFocal -= dJ[2][1] * fy * ry * rz; }
  return GeomGrad(pc, gpc, Sigma, dSigma, M, Rq, s, q, qn, gLogit, gLogFocal);
}

@compute @workgroup_size(256)
fn geomBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gaussianIndex(gid, nwg);
  if (i >= P.counts.x || !isVisible(i)) { return; }
  let G = geomGrad(i);
  let Wc = worldToCam();
  let gpc = G.gpc; let dSigma = G.dSigma; let M = G.M; let Rq = G.Rq; let s = G.s; let q = G.q; let qn = G.qn;
  gLogitOpacities[i] += G.gLogit;
  let gm = transpose(Wc) * gpc;
  gMeans[i * 3u] += gm.x;
  gMeans[i * 3u + 1u] += gm.y;
  gMeans[i * 3u + 2u] += gm.z;

  // Sigma = M M^T: dL/dM = 2 dSigma M; M = Rq diag(s)
  let dM = 2.0 * (dSigma * M);
  let ds = vec3f(dot(dM[0], Rq[0]), dot(dM[1], Rq[1]), dot(dM[2], Rq[2]));
  gLogScales[i * 3u] += ds.x * s.x;
  gLogScales[i * 3u + 1u] += ds.y * s.y;
  gLogScales[i * 3u + 2u] += ds.z * s.z;
  let dRm = mat3x3f(dM[0] * s.x, dM[1] * s.y, dM[2] * s.z);
  // row-major dR[r*3+c] = dRm[c][r]
  let dR0 = dRm[0][0]; let dR1 = dRm[1][0]; let dR2 = dRm[2][0];
  let dR3 = dRm[0][1]; let dR4 = dRm[1][1]; let dR5 = dRm[2][1];
  let dR6 = dRm[0][2]; let dR7 = dRm[1][2]; let dR8 = dRm[2][2];
  let w = q.x; let x = q.y; let y = q.z; let zq = q.w;
  let gw = 2.0 * (-zq * dR1 + y * dR2 + zq * dR3 - x * dR5 - y * dR6 + x * dR7);
  let gx = 2.0 * (y * dR1 + zq * dR2 + y * dR3 - 2.0 * x * dR4 - w * dR5 + zq * dR6 + w * dR7 - 2.0 * x * dR8);
  let gy = 2.0 * (-2.0 * y * dR0 + x * dR1 + w * dR2 + x * dR3 + zq * dR5 - w * dR6 + zq * dR7 - 2.0 * y * dR8);
  let gz = 2.0 * (-2.0 * zq * dR0 - w * dR1 + x * dR2 + w * dR3 - 2.0 * zq * dR4 + y * dR5 + x * dR6 + y * dR7);
  let gq = vec4f(gw, gx, gy, gz);
  let gqr = (gq - q * dot(q, gq)) / qn;
  gQuats[i * 4u] += gqr.x;
  gQuats[i * 4u + 1u] += gqr.y;
  gQuats[i * 4u + 2u] += gqr.z;
  gQuats[i * 4u + 3u] += gqr.w;
}

@compute @workgroup_size(256)
fn statsBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gaussianIndex(gid, nwg);
  if (i >= P.counts.x || !isVisible(i)) { return; }
  statsNorm[i] += length(vec2f(grad2d[i * 10u], grad2d[i * 10u + 1u]));
  statsCount[i] += 1.0;
}

// Camera pose gradient (photometric pose refinement, as 3DGS pose optimizers: gsplat's pose_opt,
// InstantSplat). The pose moves by a rotation w about the camera centre and a translation v, both in
// the camera frame: pc' = exp([w]x) pc + v, camera-frame covariance Sigma_c' = E Sigma_c E^T. Per
// Gaussian: dL/dv = dL/dpc; dL/dw = pc x dL/dpc + 2 (A12 - A21, A20 - A02, A01 - A10) with
// A = Sigma_c dL/dSigma_c = Wc (Sigma dL/dSigma) Wc^T (the antisymmetric part's axial vector turns
// with Wc). The SH view direction moves with the camera centre C only (w turns about it):
// dC/dv = -Wc^T, so dL/dv += Wc dL/dmean|SH. A 7th sum: dL/d(log f), fx and fy scaled together
// (focal refinement). One partial sum per workgroup.
const POSE_GRADS = 7u;
var<workgroup> poseShared: array<f32, 1792>; // [256][POSE_GRADS]

// Tree sum of poseShared over the workgroup into poseShared[0 .. POSE_GRADS).
fn reducePoseShared(lid: u32) {
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      for (var k = 0u; k < POSE_GRADS; k++) { poseShared[lid * POSE_GRADS + k] += poseShared[(lid + stride) * POSE_GRADS + k]; }
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(256)
fn poseBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = gaussianIndex(gid, nwg);
  var rot = vec3f(0.0);
  var trans = vec3f(0.0);
  var logFocal = 0.0;
  if (i < P.counts.x && isVisible(i)) {
    let G = geomGrad(i);
    let B = G.Sigma * G.dSigma; // B[c][r] = row r, column c
    let axial = vec3f(B[2][1] - B[1][2], B[0][2] - B[2][0], B[1][0] - B[0][1]);
    rot = cross(G.pc, G.gpc) + 2.0 * (worldToCam() * axial);
    trans = G.gpc;
    if (P.counts.y > 0u) { trans += worldToCam() * shGrad(i, false); }
    logFocal = G.gLogFocal;
  }
  for (var k = 0u; k < 3u; k++) {
    poseShared[lid * POSE_GRADS + k] = rot[k];
    poseShared[lid * POSE_GRADS + 3u + k] = trans[k];
  }
  poseShared[lid * POSE_GRADS + 6u] = logFocal;
  reducePoseShared(lid);
  // i / 256 of this workgroup's threads: the flat workgroup index
  let wgIndex = (gid.x >> 8u) + gid.y * nwg.x;
  if (lid == 0u && wgIndex * 256u < P.counts.x) {
    for (var k = 0u; k < POSE_GRADS; k++) { posePartials[wgIndex * POSE_GRADS + k] = poseShared[k]; }
  }
}

// One workgroup: poseGrad += the sum of poseBackward's ceil(N / 256) partials.
@compute @workgroup_size(256)
fn poseReduce(@builtin(local_invocation_index) lid: u32) {
  let parts = (P.counts.x + 255u) / 256u;
  var acc: array<f32, 7>;
  for (var p = lid; p < parts; p += 256u) {
    for (var k = 0u; k < POSE_GRADS; k++) { acc[k] += posePartials[p * POSE_GRADS + k]; }
  }
  for (var k = 0u; k < POSE_GRADS; k++) { poseShared[lid * POSE_GRADS + k] = acc[k]; }
  reducePoseShared(lid);
  if (lid == 0u) {
    for (var k = 0u; k < POSE_GRADS; k++) { poseGrad[k] += poseShared[k]; }
  }
}
