/**
 * Float64 CPU reference of the GPU rasterizer (forward and backward), used by tests only.
 * Same math as shaders/project.wgsl, rasterize.wgsl, rasterize_backward.wgsl and
 * project_backward.wgsl: EWA projection with gsplat's Jacobian clipping and 0.3 px^2 dilation,
 * optional Mip-Splatting compensation, SH colour + 0.5 clamped at 0, opacity-aware tile
 * rectangles, 16x16 tiles, (depth, index) order, front-to-back compositing with alpha clamped
 * to 0.99, skipped below 1/255, termination before T < 1e-4; pixel centres at +0.5.
 * Sources: 3DGS (Kerbl et al. 2023) and its CUDA backward; gsplat; Mip-Splatting (Yu et al. 2024).
 */
import type { Camera } from '../core/Camera';
import { shCoeffCount } from '../core/GaussianCloud';
import { NEAR_PLANE, TILE_SIZE, dropoutKeeps, jacobianLimits, type RasterOptions } from './GaussianRasterizer';

/** Opacity factor of Gaussian i under opts.dropout: 0 when dropped, 1 / (1 - rate) when kept, 1 without. */
function dropoutFactor(i: number, opts: RasterOptions): number {
  const d = opts.dropout;
  if (!d || !(d.rate > 0)) return 1;
  return dropoutKeeps(i, d.seed >>> 0, d.rate) ? 1 / Math.fround(1 - d.rate) : 0;
}

/** Float arrays of a cloud: RefCloud (Float32Array) or a float64 copy (finite differences). */
type FloatArray = Float32Array | Float64Array;

/** A GaussianCloud whose arrays may be float64 (same layout as core/GaussianCloud). */
export interface RefCloud {
  count: number;
  shDegree: number;
  means: FloatArray;
  logScales: FloatArray;
  quats: FloatArray;
  logitOpacities: FloatArray;
  sh: FloatArray;
}

const ALPHA_MIN = 1 / 255;
const ALPHA_MAX = 0.99;
const T_MIN = 1e-4;
const DILATION = 0.3;
const HUGE = 1e30;
/** Relative distance to the 1/255 cut under which a pixel is flagged ambiguous (f32 vs f64). */
const AMBIGUITY_REL = 1e-3;

const SH_C0 = 0.28209479177387814;
const SH_C1 = 0.4886025119029199;
const SH_C2 = [1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396];
const SH_C3 = [-0.5900435899266435, 2.890611442640554, -0.4570457994644658, 0.3731763325901154, -0.4570457994644658, 1.445305721320277, -0.5900435899266435];

/** SH basis (3DGS signs) of unit direction (x, y, z) and its partial derivatives (unnormalized). */
export function shBasisWithGrad(x: number, y: number, z: number, deg: number): { b: number[]; dx: number[]; dy: number[]; dz: number[] } {
  const b = new Array(16).fill(0);
  const dx = new Array(16).fill(0);
  const dy = new Array(16).fill(0);
  const dz = new Array(16).fill(0);
  b[0] = SH_C0;
  if (deg >= 1) {
    b[1] = -SH_C1 * y; dy[1] = -SH_C1;
    b[2] = SH_C1 * z; dz[2] = SH_C1;
    b[3] = -SH_C1 * x; dx[3] = -SH_C1;
  }
  if (deg >= 2) {
    const xx = x * x, yy = y * y, zz = z * z;
    b[4] = SH_C2[0] * x * y; dx[4] = SH_C2[0] * y; dy[4] = SH_C2[0] * x;
    b[5] = SH_C2[1] * y * z; dy[5] = SH_C2[1] * z; dz[5] = SH_C2[1] * y;
    b[6] = SH_C2[2] * (2 * zz - xx - yy); dx[6] = -2 * SH_C2[2] * x; dy[6] = -2 * SH_C2[2] * y; dz[6] = 4 * SH_C2[2] * z;
    b[7] = SH_C2[3] * x * z; dx[7] = SH_C2[3] * z; dz[7] = SH_C2[3] * x;
    b[8] = SH_C2[4] * (xx - yy); dx[8] = 2 * SH_C2[4] * x; dy[8] = -2 * SH_C2[4] * y;
    if (deg >= 3) {
      b[9] = SH_C3[0] * y * (3 * xx - yy); dx[9] = 6 * SH_C3[0] * x * y; dy[9] = SH_C3[0] * (3 * xx - 3 * yy);
      b[10] = SH_C3[1] * x * y * z; dx[10] = SH_C3[1] * y * z; dy[10] = SH_C3[1] * x * z; dz[10] = SH_C3[1] * x * y;
      b[11] = SH_C3[2] * y * (4 * zz - xx - yy); dx[11] = -2 * SH_C3[2] * x * y; dy[11] = SH_C3[2] * (4 * zz - xx - 3 * yy); dz[11] = 8 * SH_C3[2] * y * z;
      b[12] = SH_C3[3] * z * (2 * zz - 3 * xx - 3 * yy); dx[12] = -6 * SH_C3[3] * x * z; dy[12] = -6 * SH_C3[3] * y * z; dz[12] = SH_C3[3] * (6 * zz - 3 * xx - 3 * yy);
      b[13] = SH_C3[4] * x * (4 * zz - xx - yy); dx[13] = SH_C3[4] * (4 * zz - 3 * xx - yy); dy[13] = -2 * SH_C3[4] * x * y; dz[13] = 8 * SH_C3[4] * x * z;
      b[14] = SH_C3[5] * z * (xx - yy); dx[14] = 2 * SH_C3[5] * x * z; dy[14] = -2 * SH_C3[5] * y * z; dz[14] = SH_C3[5] * (xx - yy);
      b[15] = SH_C3[6] * x * (xx - 3 * yy); dx[15] = SH_C3[6] * (3 * xx - 3 * yy); dy[15] = -6 * SH_C3[6] * x * y;
    }
  }
  return { b, dx, dy, dz };
}

/** Rotation matrix (row-major 3x3) of the unit quaternion (w, x, y, z). */
function quatToMat(w: number, x: number, y: number, z: number): number[] {
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ];
}

/** Projected Gaussian (all f64). */
export interface RefSplat {
  valid: boolean;
  xy: [number, number];
  conic: [number, number, number];
  opacity: number;
  z: number;
  color: [number, number, number];
  /** Tile rectangle [x0, y0, x1, y1) in tiles. */
  rect: [number, number, number, number];
}

/** Output of referenceForward. */
export interface RefForward {
  width: number;
  height: number;
  /** [H][W][3] */
  rgb: Float64Array;
  /** [H][W] */
  alpha: Float64Array;
  /** [H][W] sum w_i z_i */
  depth: Float64Array;
  /** Sum of the tile-rectangle areas (number of (tile, Gaussian) pairs). */
  intersections: number;
  /**
   * [H][W] 1 where float32 rounding can legitimately change the result: a splat's alpha within
   * 0.1% of the 1/255 cut, or two contributing splats at depths equal within float32 rounding.
   */
  ambiguous: Uint8Array;
  splats: RefSplat[];
  /** Gaussian indices in (depth, index) order. */
  order: number[];
}

function isFiniteCloudEntry(cloud: RefCloud, i: number): boolean {
  const k = shCoeffCount(cloud.shDegree);
  const vals = [
    ...cloud.means.subarray(i * 3, i * 3 + 3),
    ...cloud.logScales.subarray(i * 3, i * 3 + 3),
    ...cloud.quats.subarray(i * 4, i * 4 + 4),
    cloud.logitOpacities[i],
    ...cloud.sh.subarray(i * k * 3, (i + 1) * k * 3),
  ];
  return vals.every(Number.isFinite);
}

/** Projects Gaussian i (see shaders/project.wgsl). */
export function referenceProject(cloud: RefCloud, i: number, camera: Camera, opts: RasterOptions): RefSplat {
  const bad: RefSplat = { valid: false, xy: [0, 0], conic: [0, 0, 0], opacity: 0, z: 0, color: [0, 0, 0], rect: [0, 0, 0, 0] };
  if (!isFiniteCloudEntry(cloud, i)) return bad;
  const keep = dropoutFactor(i, opts);
  if (keep === 0) return bad;
  const R = camera.R;
  const t = camera.t;
  const m = [cloud.means[i * 3], cloud.means[i * 3 + 1], cloud.means[i * 3 + 2]];
  const pc = [0, 1, 2].map((r) => R[r * 3] * m[0] + R[r * 3 + 1] * m[1] + R[r * 3 + 2] * m[2] + t[r]);
  if (!(pc[2] >= NEAR_PLANE)) return bad;
  const q = [cloud.quats[i * 4], cloud.quats[i * 4 + 1], cloud.quats[i * 4 + 2], cloud.quats[i * 4 + 3]];
  const qn = Math.hypot(q[0], q[1], q[2], q[3]);
  if (!(qn > 0)) return bad;
  const Rq = quatToMat(q[0] / qn, q[1] / qn, q[2] / qn, q[3] / qn);
  const s = [0, 1, 2].map((k) => Math.exp(cloud.logScales[i * 3 + k]));
  // Sigma = Rq S S Rq^T
  const Sig = new Array(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) {
    let acc = 0;
    for (let k = 0; k < 3; k++) acc += Rq[r * 3 + k] * s[k] * s[k] * Rq[c * 3 + k];
    Sig[r * 3 + c] = acc;
  }
  const { fx, fy, cx, cy } = camera;
  const z = pc[2];
  const lim = jacobianLimits(camera);
  const tx = z * Math.min(lim[0], Math.max(-lim[1], pc[0] / z));
  const ty = z * Math.min(lim[2], Math.max(-lim[3], pc[1] / z));
  const J = [fx / z, 0, (-fx * tx) / (z * z), 0, fy / z, (-fy * ty) / (z * z)];
  // T = J R (2x3)
  const T = new Array(6).fill(0);
  for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) T[r * 3 + c] = J[r * 3] * R[c] + J[r * 3 + 1] * R[3 + c] + J[r * 3 + 2] * R[6 + c];
  const cov = [0, 0, 0, 0];
  for (let r = 0; r < 2; r++) for (let c = 0; c < 2; c++) {
    let acc = 0;
    for (let k = 0; k < 3; k++) for (let l = 0; l < 3; l++) acc += T[r * 3 + k] * Sig[k * 3 + l] * T[c * 3 + l];
    cov[r * 2 + c] = acc;
  }
  const a = cov[0], b = cov[1], c = cov[3];
  if (!(Math.abs(a) < HUGE && Math.abs(b) < HUGE && Math.abs(c) < HUGE)) return bad;
  const ad = a + DILATION, cd = c + DILATION;
  const det = ad * cd - b * b;
  if (!(det > 0)) return bad;
  let opacity = keep / (1 + Math.exp(-cloud.logitOpacities[i]));
  if (opts.antialiased) opacity *= Math.sqrt(Math.max(0, (a * c - b * b) / det));
  if (!(opacity >= ALPHA_MIN)) return bad;
  const conic: [number, number, number] = [cd / det, -b / det, ad / det];
  const kk = 2 * Math.log(opacity * 255) * 1.001;
  const ex = Math.sqrt(kk * ad), ey = Math.sqrt(kk * cd);
  const xy: [number, number] = [(fx * pc[0]) / z + cx, (fy * pc[1]) / z + cy];
  const x0 = Math.max(Math.ceil(xy[0] - ex - 0.5), 0);
  const x1 = Math.min(Math.floor(xy[0] + ex - 0.5), camera.width - 1);
  const y0 = Math.max(Math.ceil(xy[1] - ey - 0.5), 0);
  const y1 = Math.min(Math.floor(xy[1] + ey - 0.5), camera.height - 1);
  if (!(x0 <= x1 && y0 <= y1)) return bad;
  const rect: [number, number, number, number] = [
    Math.floor(x0 / TILE_SIZE), Math.floor(y0 / TILE_SIZE), Math.floor(x1 / TILE_SIZE) + 1, Math.floor(y1 / TILE_SIZE) + 1,
  ];
  const cam = camera.center;
  const dir = [m[0] - cam[0], m[1] - cam[1], m[2] - cam[2]];
  const dn = Math.hypot(dir[0], dir[1], dir[2]);
  const { b: basis } = shBasisWithGrad(dir[0] / dn, dir[1] / dn, dir[2] / dn, cloud.shDegree);
  const K = shCoeffCount(cloud.shDegree);
  const color: [number, number, number] = [0.5, 0.5, 0.5];
  for (let k = 0; k < K; k++) for (let ch = 0; ch < 3; ch++) color[ch] += basis[k] * cloud.sh[(i * K + k) * 3 + ch];
  for (let ch = 0; ch < 3; ch++) color[ch] = Math.max(0, color[ch]);
  return { valid: true, xy, conic, opacity, z, color, rect };
}

/** Per-pixel visit of the splats that contribute, front to back (shared by forward and backward). */
interface PixelTrace {
  ids: number[];
  alphas: number[];
  finalT: number;
  ambiguous: boolean;
}

function tracePixel(px: number, py: number, list: number[], splats: RefSplat[], nearTie: Int32Array): PixelTrace {
  const cxp = px + 0.5, cyp = py + 0.5;
  let T = 1;
  const ids: number[] = [];
  const alphas: number[] = [];
  let ambiguous = false;
  for (const i of list) {
    const s = splats[i];
    const dx = s.xy[0] - cxp, dy = s.xy[1] - cyp;
    const sigma = 0.5 * (s.conic[0] * dx * dx + s.conic[2] * dy * dy) + s.conic[1] * dx * dy;
    if (sigma < 0) continue;
    const raw = s.opacity * Math.exp(-sigma);
    if (Math.abs(raw - ALPHA_MIN) < AMBIGUITY_REL * ALPHA_MIN) ambiguous = true;
    const alpha = Math.min(ALPHA_MAX, raw);
    if (alpha < ALPHA_MIN) continue;
    const nextT = T * (1 - alpha);
    if (nextT < T_MIN) break;
    if (nearTie[i] >= 0 && ids.includes(nearTie[i])) ambiguous = true;
    ids.push(i);
    alphas.push(alpha);
    T = nextT;
  }
  return { ids, alphas, finalT: T, ambiguous };
}

function tileLists(splats: RefSplat[], order: number[], tilesX: number, tilesY: number): number[][] {
  const lists: number[][] = Array.from({ length: tilesX * tilesY }, () => []);
  for (const i of order) {
    const r = splats[i].rect;
    for (let ty = r[1]; ty < r[3]; ty++) for (let tx = r[0]; tx < r[2]; tx++) lists[ty * tilesX + tx].push(i);
  }
  return lists;
}

/** Depth order, and for each splat the splat just before it when their depths agree within float32 rounding (else -1). */
function depthOrder(splats: RefSplat[]): { order: number[]; nearTie: Int32Array } {
  const order = splats.map((_, i) => i).filter((i) => splats[i].valid);
  order.sort((a, b) => splats[a].z - splats[b].z || a - b);
  const nearTie = new Int32Array(splats.length).fill(-1);
  for (let k = 1; k < order.length; k++) {
    const a = order[k - 1], b = order[k];
    if (Math.abs(splats[a].z - splats[b].z) <= 4e-6 * (1 + splats[b].z)) nearTie[b] = a;
  }
  return { order, nearTie };
}

/**
 * Renders `cloud` (SH degree cloud.shDegree) from `camera` in float64.
 * @returns images [H][W](x3), intersection count, per-pixel ambiguity flags, splats and depth order
 */
export function referenceForward(cloud: RefCloud, camera: Camera, opts: RasterOptions): RefForward {
  const W = camera.width, H = camera.height;
  const splats = Array.from({ length: cloud.count }, (_, i) => referenceProject(cloud, i, camera, opts));
  const { order, nearTie } = depthOrder(splats);
  const tilesX = Math.ceil(W / TILE_SIZE), tilesY = Math.ceil(H / TILE_SIZE);
  const lists = tileLists(splats, order, tilesX, tilesY);
  let intersections = 0;
  for (const l of lists) intersections += l.length;
  const rgb = new Float64Array(W * H * 3);
  const alpha = new Float64Array(W * H);
  const depth = new Float64Array(W * H);
  const ambiguous = new Uint8Array(W * H);
  for (let py = 0; py < H; py++) for (let px = 0; px < W; px++) {
    const tr = tracePixel(px, py, lists[Math.floor(py / TILE_SIZE) * tilesX + Math.floor(px / TILE_SIZE)], splats, nearTie);
    const p = py * W + px;
    let T = 1;
    const c = [0, 0, 0];
    let dd = 0;
    for (let k = 0; k < tr.ids.length; k++) {
      const s = splats[tr.ids[k]];
      const w = tr.alphas[k] * T;
      for (let ch = 0; ch < 3; ch++) c[ch] += s.color[ch] * w;
      dd += s.z * w;
      T *= 1 - tr.alphas[k];
    }
    for (let ch = 0; ch < 3; ch++) rgb[p * 3 + ch] = c[ch] + tr.finalT * opts.background[ch];
    alpha[p] = 1 - tr.finalT;
    depth[p] = dd;
    ambiguous[p] = tr.ambiguous ? 1 : 0;
  }
  return { width: W, height: H, rgb, alpha, depth, intersections, ambiguous, splats, order };
}

/** Gradients of the reference backward, in the cloud's layout (sh [N][K][3], K for cloud.shDegree). */
export interface RefGrads {
  means: Float64Array;
  logScales: Float64Array;
  quats: Float64Array;
  logitOpacities: Float64Array;
  sh: Float64Array;
  /** [N] |dL/dmean2d| in pixels. */
  mean2dGradNorm: Float64Array;
  /** [N] 1 when the Gaussian's tile rectangle is non-empty. */
  visible: Float64Array;
  /** [N][10] gradients w.r.t. the projected quantities: mean2d (2), conic (3), opacity, rgb (3), z. */
  grad2d: Float64Array;
}

/**
 * Backward of referenceForward for loss L with dL/drgb = gradRgb [H][W][3], dL/dalpha = gradAlpha
 * [H][W] (or null), dL/ddepth = gradDepth [H][W] (or null). Per pixel back to front as the 3DGS
 * CUDA backward (transmittance recomputed from the final T), then per-Gaussian projection backward
 * to means, log-scales, quaternions (through normalization), logit opacities and SH coefficients.
 */
export function referenceBackward(
  cloud: RefCloud,
  camera: Camera,
  opts: RasterOptions,
  gradRgb: ArrayLike<number>,
  gradAlpha: ArrayLike<number> | null,
  gradDepth: ArrayLike<number> | null,
): RefGrads {
  const W = camera.width, H = camera.height;
  const N = cloud.count;
  const splats = Array.from({ length: N }, (_, i) => referenceProject(cloud, i, camera, opts));
  const { order, nearTie } = depthOrder(splats);
  const tilesX = Math.ceil(W / TILE_SIZE), tilesY = Math.ceil(H / TILE_SIZE);
  const lists = tileLists(splats, order, tilesX, tilesY);
  const g2 = new Float64Array(N * 10);
  const bg = opts.background;
  for (let py = 0; py < H; py++) for (let px = 0; px < W; px++) {
    const p = py * W + px;
    const tr = tracePixel(px, py, lists[Math.floor(py / TILE_SIZE) * tilesX + Math.floor(px / TILE_SIZE)], splats, nearTie);
    const gc = [gradRgb[p * 3], gradRgb[p * 3 + 1], gradRgb[p * 3 + 2]];
    const ga = gradAlpha ? gradAlpha[p] : 0;
    const gd = gradDepth ? gradDepth[p] : 0;
    const Tf = tr.finalT;
    let T = Tf;
    const S = [0, 0, 0];
    let SD = 0;
    const cxp = px + 0.5, cyp = py + 0.5;
    for (let k = tr.ids.length - 1; k >= 0; k--) {
      const i = tr.ids[k];
      const s = splats[i];
      const a = tr.alphas[k];
      const Tk = T / (1 - a);
      const w = a * Tk;
      let dLda = 0;
      for (let ch = 0; ch < 3; ch++) {
        g2[i * 10 + 6 + ch] += gc[ch] * w;
        dLda += gc[ch] * (s.color[ch] * Tk - (S[ch] + Tf * bg[ch]) / (1 - a));
        S[ch] += s.color[ch] * w;
      }
      g2[i * 10 + 9] += gd * w;
      dLda += (ga * Tf) / (1 - a) + gd * (s.z * Tk - SD / (1 - a));
      SD += s.z * w;
      T = Tk;
      const dx = s.xy[0] - cxp, dy = s.xy[1] - cyp;
      const sigma = 0.5 * (s.conic[0] * dx * dx + s.conic[2] * dy * dy) + s.conic[1] * dx * dy;
      const G = Math.exp(-sigma);
      const raw = s.opacity * G;
      if (raw > ALPHA_MAX) continue; // clamped: alpha does not depend on the parameters
      const dLdsigma = -dLda * raw;
      g2[i * 10 + 0] += dLdsigma * (s.conic[0] * dx + s.conic[1] * dy);
      g2[i * 10 + 1] += dLdsigma * (s.conic[1] * dx + s.conic[2] * dy);
      g2[i * 10 + 2] += dLdsigma * 0.5 * dx * dx;
      g2[i * 10 + 3] += dLdsigma * dx * dy;
      g2[i * 10 + 4] += dLdsigma * 0.5 * dy * dy;
      g2[i * 10 + 5] += dLda * G;
    }
  }
  const K = shCoeffCount(cloud.shDegree);
  const out: RefGrads = {
    means: new Float64Array(N * 3),
    logScales: new Float64Array(N * 3),
    quats: new Float64Array(N * 4),
    logitOpacities: new Float64Array(N),
    sh: new Float64Array(N * K * 3),
    mean2dGradNorm: new Float64Array(N),
    visible: new Float64Array(N),
    grad2d: g2,
  };
  for (let i = 0; i < N; i++) {
    if (!splats[i].valid) continue;
    out.visible[i] = 1;
    out.mean2dGradNorm[i] = Math.hypot(g2[i * 10], g2[i * 10 + 1]);
    projectBackward(cloud, i, camera, opts, g2.subarray(i * 10, i * 10 + 10), out);
  }
  return out;
}

/** Per-Gaussian projection backward (see shaders/project_backward.wgsl); adds into `out`. */
function projectBackward(cloud: RefCloud, i: number, camera: Camera, opts: RasterOptions, g: Float64Array, out: RefGrads): void {
  const R = camera.R, t = camera.t;
  const m = [cloud.means[i * 3], cloud.means[i * 3 + 1], cloud.means[i * 3 + 2]];
  const pc = [0, 1, 2].map((r) => R[r * 3] * m[0] + R[r * 3 + 1] * m[1] + R[r * 3 + 2] * m[2] + t[r]);
  const qr = [cloud.quats[i * 4], cloud.quats[i * 4 + 1], cloud.quats[i * 4 + 2], cloud.quats[i * 4 + 3]];
  const qn = Math.hypot(qr[0], qr[1], qr[2], qr[3]);
  const [w, x, y, z] = qr.map((v) => v / qn);
  const Rq = quatToMat(w, x, y, z);
  const s = [0, 1, 2].map((k) => Math.exp(cloud.logScales[i * 3 + k]));
  const M = new Array(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) M[r * 3 + c] = Rq[r * 3 + c] * s[c];
  const Sig = new Array(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) Sig[r * 3 + c] += M[r * 3 + k] * M[c * 3 + k];
  const { fx, fy } = camera;
  const zc = pc[2];
  const lim = jacobianLimits(camera);
  const rxRaw = pc[0] / zc, ryRaw = pc[1] / zc;
  const rx = Math.min(lim[0], Math.max(-lim[1], rxRaw));
  const ry = Math.min(lim[2], Math.max(-lim[3], ryRaw));
  const J = [fx / zc, 0, (-fx * rx) / zc, 0, fy / zc, (-fy * ry) / zc];
  const T = new Array(6).fill(0);
  for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) T[r * 3 + c] = J[r * 3] * R[c] + J[r * 3 + 1] * R[3 + c] + J[r * 3 + 2] * R[6 + c];
  const cov = [0, 0, 0, 0];
  for (let r = 0; r < 2; r++) for (let c = 0; c < 2; c++) for (let k = 0; k < 3; k++) for (let l = 0; l < 3; l++) cov[r * 2 + c] += T[r * 3 + k] * Sig[k * 3 + l] * T[c * 3 + l];
  const a = cov[0], b = cov[1], c = cov[3];
  const ad = a + DILATION, cd = c + DILATION;
  const det = ad * cd - b * b;
  const sig = 1 / (1 + Math.exp(-cloud.logitOpacities[i]));
  let comp = 1;
  const det0 = a * c - b * b;
  if (opts.antialiased) comp = Math.sqrt(Math.max(0, det0 / det));

  // opacity
  const keep = dropoutFactor(i, opts);
  out.logitOpacities[i] += g[5] * keep * comp * sig * (1 - sig);
  // conic -> covariance (dilated): dL/dSigma' = -Q G_Q Q
  const Q = [cd / det, -b / det, -b / det, ad / det];
  const GQ = [g[2], g[3] / 2, g[3] / 2, g[4]];
  const QG = [Q[0] * GQ[0] + Q[1] * GQ[2], Q[0] * GQ[1] + Q[1] * GQ[3], Q[2] * GQ[0] + Q[3] * GQ[2], Q[2] * GQ[1] + Q[3] * GQ[3]];
  const dS = [
    -(QG[0] * Q[0] + QG[1] * Q[2]), -(QG[0] * Q[1] + QG[1] * Q[3]),
    -(QG[2] * Q[0] + QG[3] * Q[2]), -(QG[2] * Q[1] + QG[3] * Q[3]),
  ];
  let dLa = dS[0], dLc = dS[3], dLb = dS[1] + dS[2];
  if (opts.antialiased && comp > 0) {
    const gComp = g[5] * keep * sig * 0.5 / comp;
    const det2 = det * det;
    dLa += gComp * (c * det - det0 * cd) / det2;
    dLc += gComp * (a * det - det0 * ad) / det2;
    dLb += gComp * (-2 * b * det + 2 * b * det0) / det2;
  }
  const G2 = [dLa, dLb / 2, dLb / 2, dLc];
  // dL/dSigma3 = T^T G2 T ; dL/dT = 2 G2 T Sigma
  const dSig = new Array(9).fill(0);
  for (let r = 0; r < 3; r++) for (let cc = 0; cc < 3; cc++) for (let k = 0; k < 2; k++) for (let l = 0; l < 2; l++) dSig[r * 3 + cc] += T[k * 3 + r] * G2[k * 2 + l] * T[l * 3 + cc];
  const G2T = new Array(6).fill(0);
  for (let r = 0; r < 2; r++) for (let cc = 0; cc < 3; cc++) for (let k = 0; k < 2; k++) G2T[r * 3 + cc] += G2[r * 2 + k] * T[k * 3 + cc];
  const dT = new Array(6).fill(0);
  for (let r = 0; r < 2; r++) for (let cc = 0; cc < 3; cc++) for (let k = 0; k < 3; k++) dT[r * 3 + cc] += 2 * G2T[r * 3 + k] * Sig[k * 3 + cc];
  // T = J R -> dL/dJ = dT R^T
  const dJ = new Array(6).fill(0);
  for (let r = 0; r < 2; r++) for (let cc = 0; cc < 3; cc++) for (let k = 0; k < 3; k++) dJ[r * 3 + cc] += dT[r * 3 + k] * R[cc * 3 + k];
  const gpc = [0, 0, 0];
  const z2 = zc * zc;
  gpc[2] += dJ[0] * (-fx / z2) + dJ[4] * (-fy / z2);
  const xClamped = rxRaw !== rx, yClamped = ryRaw !== ry;
  if (xClamped) gpc[2] += dJ[2] * (fx * rx) / z2;
  else {
    gpc[0] += dJ[2] * (-fx / z2);
    gpc[2] += dJ[2] * (2 * fx * pc[0]) / (z2 * zc);
  }
  if (yClamped) gpc[2] += dJ[5] * (fy * ry) / z2;
  else {
    gpc[1] += dJ[5] * (-fy / z2);
    gpc[2] += dJ[5] * (2 * fy * pc[1]) / (z2 * zc);
  }
  // mean2d and depth
  gpc[0] += g[0] * fx / zc;
  gpc[1] += g[1] * fy / zc;
  gpc[2] += -g[0] * fx * pc[0] / z2 - g[1] * fy * pc[1] / z2 + g[9];
  for (let k = 0; k < 3; k++) out.means[i * 3 + k] += R[k] * gpc[0] + R[3 + k] * gpc[1] + R[6 + k] * gpc[2];
  // Sigma = M M^T -> dL/dM = 2 dSig M ; M = Rq diag(s)
  const dM = new Array(9).fill(0);
  for (let r = 0; r < 3; r++) for (let cc = 0; cc < 3; cc++) for (let k = 0; k < 3; k++) dM[r * 3 + cc] += 2 * dSig[r * 3 + k] * M[k * 3 + cc];
  const dR = new Array(9).fill(0);
  for (let k = 0; k < 3; k++) {
    let ds = 0;
    for (let r = 0; r < 3; r++) {
      ds += dM[r * 3 + k] * Rq[r * 3 + k];
      dR[r * 3 + k] = dM[r * 3 + k] * s[k];
    }
    out.logScales[i * 3 + k] += ds * s[k];
  }
  // rotation matrix -> unit quaternion -> raw quaternion
  const gw = 2 * (-z * dR[1] + y * dR[2] + z * dR[3] - x * dR[5] - y * dR[6] + x * dR[7]);
  const gx = 2 * (y * dR[1] + z * dR[2] + y * dR[3] - 2 * x * dR[4] - w * dR[5] + z * dR[6] + w * dR[7] - 2 * x * dR[8]);
  const gy = 2 * (-2 * y * dR[0] + x * dR[1] + w * dR[2] + x * dR[3] + z * dR[5] - w * dR[6] + z * dR[7] - 2 * y * dR[8]);
  const gz = 2 * (-2 * z * dR[0] - w * dR[1] + x * dR[2] + w * dR[3] - 2 * z * dR[4] + y * dR[5] + x * dR[6] + y * dR[7]);
  const dotq = w * gw + x * gx + y * gy + z * gz;
  out.quats[i * 4] += (gw - w * dotq) / qn;
  out.quats[i * 4 + 1] += (gx - x * dotq) / qn;
  out.quats[i * 4 + 2] += (gy - y * dotq) / qn;
  out.quats[i * 4 + 3] += (gz - z * dotq) / qn;
  // SH colour (channels clamped at 0 get no gradient)
  const cam = camera.center;
  const dir = [m[0] - cam[0], m[1] - cam[1], m[2] - cam[2]];
  const dn = Math.hypot(dir[0], dir[1], dir[2]);
  const d = dir.map((v) => v / dn);
  const K = shCoeffCount(cloud.shDegree);
  const bb = shBasisWithGrad(d[0], d[1], d[2], cloud.shDegree);
  const gdir = [0, 0, 0];
  for (let ch = 0; ch < 3; ch++) {
    let raw = 0.5;
    for (let k = 0; k < K; k++) raw += bb.b[k] * cloud.sh[(i * K + k) * 3 + ch];
    if (raw < 0) continue;
    const gch = g[6 + ch];
    for (let k = 0; k < K; k++) {
      out.sh[(i * K + k) * 3 + ch] += gch * bb.b[k];
      const coef = gch * cloud.sh[(i * K + k) * 3 + ch];
      gdir[0] += coef * bb.dx[k];
      gdir[1] += coef * bb.dy[k];
      gdir[2] += coef * bb.dz[k];
    }
  }
  const dd = gdir[0] * d[0] + gdir[1] * d[1] + gdir[2] * d[2];
  for (let k = 0; k < 3; k++) out.means[i * 3 + k] += (gdir[k] - d[k] * dd) / dn;
}
