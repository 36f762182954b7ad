import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Camera } from '../../src/core/Camera';
import { decodeImageJs } from '../../src/io/imageDecode';
import { loadScenePath } from '../../src/io/nodeSource';
import { detectFeatures, type DetectedFeatures } from '../../src/poses/features';
import { matchFeatures } from '../../src/poses/matching';
import { availableDetectors, loadOpenCv } from '../../src/poses/opencv';

const FERN = resolve(__dirname, '../../../shared/data/scenes/llff-fern');
const haveFern = existsSync(FERN);
if (!haveFern) console.warn(`skipping fern features: ${FERN} is absent`);

/** Distance (px) of x2 from the epipolar line of x1 under the ground-truth cameras (F = K2^-T [t]x R K1^-1). */
function epipolarDistances(c1: Camera, c2: Camera, a: DetectedFeatures, b: DetectedFeatures, idx: Uint32Array): number[] {
  const R1 = c1.R, R2 = c2.R;
  // Relative pose: x2 = R x1 + t with R = R2 R1^T, t = t2 - R t1.
  const R = new Array(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) R[r * 3 + c] += R2[r * 3 + k] * R1[c * 3 + k];
  const t = [0, 1, 2].map((r) => c2.t[r] - (R[r * 3] * c1.t[0] + R[r * 3 + 1] * c1.t[1] + R[r * 3 + 2] * c1.t[2]));
  const tx = [0, -t[2], t[1], t[2], 0, -t[0], -t[1], t[0], 0];
  const E = new Array(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) E[r * 3 + c] += tx[r * 3 + k] * R[k * 3 + c];
  const out: number[] = [];
  for (let m = 0; m < idx.length / 2; m++) {
    const p = a.xy.subarray(idx[m * 2] * 2), q = b.xy.subarray(idx[m * 2 + 1] * 2);
    const n1 = [(p[0] - c1.cx) / c1.fx, (p[1] - c1.cy) / c1.fy, 1];
    const l = [0, 1, 2].map((r) => E[r * 3] * n1[0] + E[r * 3 + 1] * n1[1] + E[r * 3 + 2] * n1[2]);
    // Line in pixels of image 2: l_px = K2^-T l.
    const la = l[0] / c2.fx, lb = l[1] / c2.fy, lc = l[2] - la * c2.cx - lb * c2.cy;
    out.push(Math.abs(la * q[0] + lb * q[1] + lc) / Math.hypot(la, lb));
  }
  return out;
}

const median = (v: number[]) => { const s = [...v].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

describe('opencv.js', () => {
  it('loads once and has AKAZE and ORB (no SIFT in this build)', async () => {
    const cv = await loadOpenCv();
    expect(await loadOpenCv()).toBe(cv);
    const d = availableDetectors(cv);
    expect(d).toContain('AKAZE');
    expect(d).toContain('ORB');
  });
});

describe.skipIf(!haveFern)('features and matching on fern (images_8, 504x378)', () => {
  it('keypoints in original pixels; ratio-tested mutual matches agree with the ground-truth poses', async () => {
    const scene = await loadScenePath(FERN, { downscale: 8 });
    // The LLFF 3-view training views of fern are 1, 10, 19; 1 and 10 are 9 frames apart.
    const views = [1, 10];
    const feats: DetectedFeatures[] = [];
    for (const v of views) {
      const bytes = new Uint8Array(readFileSync(resolve(FERN, 'images_8', scene.imageNames[v])));
      const img = await decodeImageJs(scene.imageNames[v], bytes);
      // Working size 1008 (2x upsample is not done: the photo is smaller, so it stays at 504).
      const f = await detectFeatures(scene.imageNames[v], img, { maxKeypoints: 4000 });
      expect(f.width).toBe(504);
      expect(f.height).toBe(378);
      const n = f.xy.length / 2;
      expect(n).toBeGreaterThan(300);
      expect(n).toBeLessThanOrEqual(4000);
      for (let k = 0; k < n; k++) {
        expect(f.xy[k * 2]).toBeGreaterThanOrEqual(0);
        expect(f.xy[k * 2]).toBeLessThanOrEqual(504);
        expect(f.xy[k * 2 + 1]).toBeGreaterThanOrEqual(0);
        expect(f.xy[k * 2 + 1]).toBeLessThanOrEqual(378);
      }
      expect(f.rgb!.length).toBe(n * 3);
      console.log(`${f.name}: ${n} ${f.detector} keypoints in ${f.ms.toFixed(0)} ms`);
      feats.push(f);
    }
    // Shrunk working size: coordinates still in original pixels (same photo at half size).
    const img0 = await decodeImageJs('a', new Uint8Array(readFileSync(resolve(FERN, 'images_8', scene.imageNames[1]))));
    const half = await detectFeatures('half', img0, { workingLongSide: 252 });
    expect(half.workingSize).toEqual([252, 189]);
    expect(Math.max(...half.xy.filter((_, k) => k % 2 === 0))).toBeGreaterThan(300);
    const t0 = performance.now();
    const m = await matchFeatures(feats[0], feats[1], 0, 1);
    const ms = performance.now() - t0;
    const d = epipolarDistances(scene.cameras[views[0]], scene.cameras[views[1]], feats[0], feats[1], m.idx);
    const within2 = d.filter((x) => x < 2).length;
    console.log(`matches ${m.idx.length / 2} in ${ms.toFixed(0)} ms; epipolar distance median ${median(d).toFixed(2)} px, ${within2} within 2 px`);
    expect(m.idx.length / 2).toBeGreaterThan(100);
    expect(median(d)).toBeLessThan(2);
  });
});
