/**
 * Float64 CPU references of the training losses and their gradients, used by the tests to check
 * the GPU kernels and (through central finite differences) the analytic gradients.
 * Images are row-major H*W*3 interleaved RGB (sRGB-encoded values in [0,1]); depth maps H*W.
 * Every function returns { loss, grad } with `grad` = d(loss)/d(input), same layout as the input,
 * where `loss` already includes `weight`.
 */
import { S3IM, relativeDepthPatchCorners, s3imVirtualPatchPixels } from './random';

type Arr = ArrayLike<number>;

/** Result of a reference loss: weighted loss and its gradient w.r.t. the first input. */
export interface LossAndGrad {
  loss: number;
  grad: Float64Array;
}

/** Normalized 1-D Gaussian of pytorch-ssim: exp(-(t - floor(size/2))^2 / (2 sigma^2)), t = 0..size-1. */
export function gaussianWindow(size: number, sigma = 1.5): Float64Array {
  const g = new Float64Array(size);
  let s = 0;
  for (let t = 0; t < size; t++) {
    g[t] = Math.exp(-((t - Math.floor(size / 2)) ** 2) / (2 * sigma * sigma));
    s += g[t];
  }
  for (let t = 0; t < size; t++) g[t] /= s;
  return g;
}

export const SSIM_C1 = 0.01 ** 2;
export const SSIM_C2 = 0.03 ** 2;

/**
 * SSIM of pytorch-ssim / 3DGS `_ssim` on planar images x, y (C x H x W), with its gradient w.r.t. x:
 * depthwise conv2d with the separable Gaussian window (`window` taps, sigma 1.5), zero padding
 * floor((window-1)/2), `stride`; C1 = 0.01^2, C2 = 0.03^2; mean of the SSIM map over C*Hout*Wout.
 * (Wang et al. 2004, Eq. 13; 3DGS utils/loss_utils.py; S3IM uses window 4, stride 4.)
 */
export function ssimPlanar(
  x: Arr,
  y: Arr,
  channels: number,
  height: number,
  width: number,
  window: number,
  stride: number,
): { ssim: number; grad: Float64Array } {
  const g = gaussianWindow(window);
  const pad = Math.floor((window - 1) / 2);
  const hOut = Math.floor((height + 2 * pad - window) / stride) + 1;
  const wOut = Math.floor((width + 2 * pad - window) / stride) + 1;
  const count = channels * hOut * wOut;
  const grad = new Float64Array(channels * height * width);
  let sum = 0;
  for (let c = 0; c < channels; c++) {
    const base = c * height * width;
    for (let oy = 0; oy < hOut; oy++) {
      for (let ox = 0; ox < wOut; ox++) {
        let mx = 0, my = 0, exx = 0, eyy = 0, exy = 0;
        for (let ty = 0; ty < window; ty++) {
          const iy = oy * stride - pad + ty;
          if (iy < 0 || iy >= height) continue;
          for (let tx = 0; tx < window; tx++) {
            const ix = ox * stride - pad + tx;
            if (ix < 0 || ix >= width) continue;
            const w = g[ty] * g[tx];
            const a = x[base + iy * width + ix];
            const b = y[base + iy * width + ix];
            mx += w * a;
            my += w * b;
            exx += w * a * a;
            eyy += w * b * b;
            exy += w * a * b;
          }
        }
        const d = ssimPartials(mx, my, exx, eyy, exy);
        sum += d.s;
        for (let ty = 0; ty < window; ty++) {
          const iy = oy * stride - pad + ty;
          if (iy < 0 || iy >= height) continue;
          for (let tx = 0; tx < window; tx++) {
            const ix = ox * stride - pad + tx;
            if (ix < 0 || ix >= width) continue;
            const w = g[ty] * g[tx];
            const i = base + iy * width + ix;
            grad[i] += (w * (d.dmx + 2 * x[i] * d.dexx + y[i] * d.dexy)) / count;
          }
        }
      }
    }
  }
  return { ssim: sum / count, grad };
}

/**
 * SSIM of one window from its raw moments (mx, my, E[x^2], E[y^2], E[xy]) and the partial
 * derivatives of SSIM w.r.t. mx, E[x^2] and E[xy] (the GPU kernels use the same formulas).
 */
export function ssimPartials(mx: number, my: number, exx: number, eyy: number, exy: number) {
  const sxx = exx - mx * mx;
  const syy = eyy - my * my;
  const sxy = exy - mx * my;
  const a1 = 2 * mx * my + SSIM_C1;
  const a2 = 2 * sxy + SSIM_C2;
  const b1 = mx * mx + my * my + SSIM_C1;
  const b2 = sxx + syy + SSIM_C2;
  const s = (a1 * a2) / (b1 * b2);
  return {
    s,
    dmx: s * ((2 * my) / a1 - (2 * my) / a2 - (2 * mx) / b1 + (2 * mx) / b2),
    dexx: -s / b2,
    dexy: (2 * s) / a2,
  };
}

function toPlanar(img: Arr, n: number): Float64Array {
  const out = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[c * n + i] = img[i * 3 + c];
  return out;
}

/**
 * 3DGS photometric loss: weight * ((1 - lambda) * mean|render - target| + lambda * (1 - SSIM)),
 * SSIM with the 11-tap Gaussian window (sigma 1.5) and zero 'same' padding as 3DGS's ssim().
 * d|u|/du at u = 0 is taken as 0 (as PyTorch's abs).
 */
export function l1SsimLossRef(render: Arr, target: Arr, width: number, height: number, lambda: number, weight: number): LossAndGrad {
  const n = width * height;
  const N = n * 3;
  const s = ssimPlanar(toPlanar(render, n), toPlanar(target, n), 3, height, width, 11, 1);
  let l1 = 0;
  const grad = new Float64Array(N);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const d = render[i * 3 + c] - target[i * 3 + c];
      l1 += Math.abs(d);
      grad[i * 3 + c] = weight * (((1 - lambda) * Math.sign(d)) / N - lambda * s.grad[c * n + i]);
    }
  }
  return { loss: weight * ((1 - lambda) * (l1 / N) + lambda * (1 - s.ssim)), grad };
}

/**
 * S3IM loss: weight * (1 - SSIM(virtual render patch, virtual target patch)), the virtual patches
 * being the 3 x 64 x 640 images gathered through `s3imVirtualPatchPixels(width, height, seed)`,
 * SSIM with window 4, stride 4 (padding 1). Gradient scattered back onto the image pixels.
 * Also returns the virtual patches (planar 3 x 64 x 640) for inspection.
 */
export function s3imLossRef(
  render: Arr,
  target: Arr,
  width: number,
  height: number,
  seed: number,
  weight: number,
): LossAndGrad & { ssim: number; patchRender: Float64Array; patchTarget: Float64Array } {
  const pix = s3imVirtualPatchPixels(width, height, seed);
  const P = pix.length;
  const pr = new Float64Array(P * 3);
  const pt = new Float64Array(P * 3);
  for (let q = 0; q < P; q++) {
    for (let c = 0; c < 3; c++) {
      pr[c * P + q] = render[pix[q] * 3 + c];
      pt[c * P + q] = target[pix[q] * 3 + c];
    }
  }
  const s = ssimPlanar(pr, pt, 3, S3IM.patchHeight, S3IM.patchWidth, S3IM.kernel, S3IM.stride);
  const grad = new Float64Array(width * height * 3);
  for (let q = 0; q < P; q++) for (let c = 0; c < 3; c++) grad[pix[q] * 3 + c] -= weight * s.grad[c * P + q];
  return { loss: weight * (1 - s.ssim), grad, ssim: s.ssim, patchRender: pr, patchTarget: pt };
}

/** Reads a validity mask entry: nonzero bits (ignoring the sign bit) = valid; null mask = all valid. */
function isValid(valid: Arr | null | undefined, i: number): boolean {
  return !valid || valid[i] !== 0;
}

/**
 * Total variation of a depth grid (CoherentGS): weight / P * sum over 4-neighbour pairs (right and
 * down) with both pixels valid of |d_p - d_q| (or (d_p - d_q)^2 when `squared`), where
 * P = H*(W-1) + (H-1)*W is the number of pairs in the grid (so the gradient needs no global count).
 */
export function depthTvLossRef(
  depth: Arr,
  valid: Arr | null,
  width: number,
  height: number,
  weight: number,
  squared: boolean,
): LossAndGrad {
  const pairs = height * (width - 1) + (height - 1) * width;
  const inv = pairs > 0 ? 1 / pairs : 0;
  const grad = new Float64Array(width * height);
  let loss = 0;
  const term = (p: number, q: number) => {
    if (!isValid(valid, p) || !isValid(valid, q)) return;
    const d = depth[p] - depth[q];
    loss += squared ? d * d : Math.abs(d);
    const g = squared ? 2 * d : Math.sign(d);
    grad[p] += weight * inv * g;
    grad[q] -= weight * inv * g;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (x + 1 < width) term(p, p + 1);
      if (y + 1 < height) term(p, p + width);
    }
  }
  return { loss: weight * inv * loss, grad };
}

/** Variance floor (depth units^2) in the Pearson correlation, so constant patches stay finite. */
export const PEARSON_EPS = 1e-6;

/**
 * Relative (scale- and shift-invariant) depth loss, Pearson form (FSGS / SparseGS / RDG-GS):
 *   corr(S) = sum_S r~ p~ / sqrt((sum_S r~^2 + n eps) (sum_S p~^2 + n eps)),  r~ = r - mean_S r, p~ = p - mean_S p
 *   loss = weight * ( mean_{patches k with n_k >= 2} (1 - corr(patch_k)) + globalWeight * (1 - corr(all)) )
 * over valid pixels only (valid mask nonzero and, when alpha is given, alpha > alphaThreshold);
 * a set with fewer than 2 valid pixels contributes 0. Patches: `relativeDepthPatchCorners`.
 */
export function relativeDepthLossRef(
  render: Arr,
  prior: Arr,
  valid: Arr | null,
  alpha: Arr | null,
  width: number,
  height: number,
  opts: { patchSize: number; patches: number; globalWeight: number; weight: number; seed: number; alphaThreshold: number },
): LossAndGrad {
  const n = width * height;
  const ok = (i: number) => isValid(valid, i) && (!alpha || alpha[i] > opts.alphaThreshold);
  const grad = new Float64Array(n);
  // Returns 1 - corr of the set and adds scale * d(1 - corr)/dr into grad.
  const term = (idx: number[], scale: number, apply: boolean): number => {
    const set = idx.filter(ok);
    const m = set.length;
    if (m < 2) return 0;
    let mr = 0, mp = 0;
    for (const i of set) {
      mr += render[i];
      mp += prior[i];
    }
    mr /= m;
    mp /= m;
    let srr = 0, spp = 0, srp = 0;
    for (const i of set) {
      srr += (render[i] - mr) ** 2;
      spp += (prior[i] - mp) ** 2;
      srp += (render[i] - mr) * (prior[i] - mp);
    }
    const vr = srr + m * PEARSON_EPS;
    const vp = spp + m * PEARSON_EPS;
    const a = 1 / Math.sqrt(vr * vp);
    const corr = srp * a;
    if (apply) for (const i of set) grad[i] -= scale * (a * (prior[i] - mp) - (corr * (render[i] - mr)) / vr);
    return 1 - corr;
  };
  const corners = opts.patches > 0 ? relativeDepthPatchCorners(width, height, opts.patchSize, opts.patches, opts.seed) : new Uint32Array(0);
  const patchSets: number[][] = [];
  for (let k = 0; k < opts.patches; k++) {
    const set: number[] = [];
    for (let dy = 0; dy < opts.patchSize; dy++) {
      for (let dx = 0; dx < opts.patchSize; dx++) set.push((corners[2 * k + 1] + dy) * width + corners[2 * k] + dx);
    }
    patchSets.push(set);
  }
  const validPatches = patchSets.filter((s) => s.filter(ok).length >= 2).length;
  let patchLoss = 0;
  if (validPatches > 0) for (const s of patchSets) patchLoss += term(s, opts.weight / validPatches, true) / validPatches;
  const all = Array.from({ length: n }, (_, i) => i);
  const globalLoss = term(all, opts.weight * opts.globalWeight, true);
  return { loss: opts.weight * (patchLoss + opts.globalWeight * globalLoss), grad };
}

/**
 * Binocular self-consistency (Binocular3DGS eq. 5), float64: see BinocularLoss for the definition.
 * depth, alpha: [H][W] of the training render (depth = sum_i w_i z_i); shifted, target: [H][W][3].
 * @returns loss, and its gradients w.r.t. shifted ([H][W][3]), depth and alpha ([H][W])
 */
export function binocularLossRef(
  depth: Arr,
  alpha: Arr,
  shifted: Arr,
  target: Arr,
  width: number,
  height: number,
  fxBaseline: number,
  weight: number,
  alphaMin: number,
): { loss: number; gradShifted: Float64Array; gradDepth: Float64Array; gradAlpha: Float64Array } {
  const n = width * height;
  const scale = weight / (3 * n);
  const gradShifted = new Float64Array(3 * n);
  const gradDepth = new Float64Array(n);
  const gradAlpha = new Float64Array(n);
  let loss = 0;
  for (let p = 0; p < n; p++) {
    const a = alpha[p];
    if (!(a > alphaMin)) continue;
    const z = depth[p] / a;
    if (!(z > 0)) continue;
    const xs = (p % width) - fxBaseline / z;
    const x0 = Math.floor(xs);
    if (!(x0 >= 0 && x0 + 1 <= width - 1)) continue;
    const f = xs - x0;
    const i0 = p - (p % width) + x0;
    let gx = 0;
    for (let c = 0; c < 3; c++) {
      const c0 = shifted[3 * i0 + c];
      const c1 = shifted[3 * i0 + 3 + c];
      const diff = (1 - f) * c0 + f * c1 - target[3 * p + c];
      loss += Math.abs(diff);
      const r = scale * Math.sign(diff);
      gradShifted[3 * i0 + c] += r * (1 - f);
      gradShifted[3 * i0 + 3 + c] += r * f;
      gx += r * (c1 - c0);
    }
    // xs = x - fxBaseline * a / depth
    gradDepth[p] += (gx * fxBaseline * a) / (depth[p] * depth[p]);
    gradAlpha[p] -= (gx * fxBaseline) / depth[p];
  }
  return { loss: scale * loss, gradShifted, gradDepth, gradAlpha };
}

/** A reprojection source for reprojectionLossRef: reference-to-source R (row-major 3x3) and t, intrinsics (pixels), photo [H][W][3]. */
export interface ReprojectionSourceRef {
  R: Arr;
  t: Arr;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  photo: Arr;
}

/**
 * Multi-view reprojection loss (see src/train/losses/ReprojectionLoss.ts): per pixel with alpha >
 * alphaMin, z = depth / alpha, X = z ((x + 0.5 - cx) / fx, (y + 0.5 - cy) / fy, 1), Y = R X + t,
 * u = fx_s Y.x / Y.z + cx_s, v likewise; the photo read bilinearly at (u - 0.5, v - 0.5) in index
 * space; the valid source with the smallest L1 residual counts. Returns the loss and d/ddepth,
 * d/dalpha, d/dtarget ([H][W][3]; the target as a render).
 */
export function reprojectionLossRef(
  depth: Arr,
  alpha: Arr,
  target: Arr,
  width: number,
  height: number,
  intrinsics: { fx: number; fy: number; cx: number; cy: number },
  sources: ReprojectionSourceRef[],
  weight: number,
  alphaMin: number,
): { loss: number; gradDepth: Float64Array; gradAlpha: Float64Array; gradTarget: Float64Array } {
  const n = width * height;
  const scale = weight / (3 * n);
  const gradDepth = new Float64Array(n);
  const gradAlpha = new Float64Array(n);
  const gradTarget = new Float64Array(3 * n);
  let loss = 0;
  for (let p = 0; p < n; p++) {
    const a = alpha[p];
    if (!(a > alphaMin)) continue;
    const z = depth[p] / a;
    if (!(z > 0)) continue;
    const q = [((p % width) + 0.5 - intrinsics.cx) / intrinsics.fx, (Math.floor(p / width) + 0.5 - intrinsics.cy) / intrinsics.fy, 1];
    let best: { cost: number; gz: number; sg: number[] } | null = null;
    for (const s of sources) {
      const Rq = [0, 1, 2].map((i) => s.R[3 * i] * q[0] + s.R[3 * i + 1] * q[1] + s.R[3 * i + 2] * q[2]);
      const Y = Rq.map((v, i) => z * v + s.t[i]);
      if (!(Y[2] > 1e-6)) continue;
      const u = (s.fx * Y[0]) / Y[2] + s.cx - 0.5;
      const v = (s.fy * Y[1]) / Y[2] + s.cy - 0.5;
      const u0 = Math.floor(u);
      const v0 = Math.floor(v);
      if (!(u0 >= 0 && u0 + 1 <= width - 1 && v0 >= 0 && v0 + 1 <= height - 1)) continue;
      const fu = u - u0;
      const fv = v - v0;
      const i00 = v0 * width + u0;
      const dudz = (s.fx * (Rq[0] * Y[2] - Y[0] * Rq[2])) / (Y[2] * Y[2]);
      const dvdz = (s.fy * (Rq[1] * Y[2] - Y[1] * Rq[2])) / (Y[2] * Y[2]);
      let cost = 0;
      let gz = 0;
      const sgs: number[] = [];
      for (let c = 0; c < 3; c++) {
        const c00 = s.photo[3 * i00 + c];
        const c10 = s.photo[3 * (i00 + 1) + c];
        const c01 = s.photo[3 * (i00 + width) + c];
        const c11 = s.photo[3 * (i00 + width + 1) + c];
        const col = (1 - fv) * ((1 - fu) * c00 + fu * c10) + fv * ((1 - fu) * c01 + fu * c11);
        const diff = col - target[3 * p + c];
        cost += Math.abs(diff);
        const sg = Math.sign(diff);
        sgs.push(sg);
        gz += sg * (((1 - fv) * (c10 - c00) + fv * (c11 - c01)) * dudz + ((1 - fu) * (c01 - c00) + fu * (c11 - c10)) * dvdz);
      }
      if (!best || cost < best.cost) best = { cost, gz, sg: sgs };
    }
    if (!best) continue;
    loss += best.cost;
    gradDepth[p] += (scale * best.gz) / a;
    gradAlpha[p] -= (scale * best.gz * z) / a;
    for (let c = 0; c < 3; c++) gradTarget[3 * p + c] -= scale * best.sg[c];
  }
  return { loss: scale * loss, gradDepth, gradAlpha, gradTarget };
}

/**
 * Scale-ratio (anisotropy) regularizer of PhysGaussian (Xie et al. CVPR 2024, Eq. 11), float64:
 *   loss = weight / N * sum_i max(smax_i / smin_i, r) - r,   s = exp(logScales), r = maxRatio,
 * over N Gaussians with log scales [N][3] (natural log of world-unit scales). The gradient w.r.t.
 * the log scales is +-weight / N * ratio on the largest and smallest axis of each Gaussian above r
 * (the first index wins a tie), 0 elsewhere.
 */
export function scaleRatioLossRef(logScales: Arr, count: number, weight: number, maxRatio: number): LossAndGrad {
  const grad = new Float64Array(count * 3);
  if (count === 0) return { loss: 0, grad };
  let loss = 0;
  for (let i = 0; i < count; i++) {
    let hi = 0;
    let lo = 0;
    for (let k = 1; k < 3; k++) {
      if (logScales[3 * i + k] > logScales[3 * i + hi]) hi = k;
      if (logScales[3 * i + k] < logScales[3 * i + lo]) lo = k;
    }
    const ratio = Math.exp(logScales[3 * i + hi] - logScales[3 * i + lo]);
    if (!(ratio > maxRatio)) continue;
    loss += ratio - maxRatio;
    grad[3 * i + hi] += (weight / count) * ratio;
    grad[3 * i + lo] -= (weight / count) * ratio;
  }
  return { loss: (weight / count) * loss, grad };
}
