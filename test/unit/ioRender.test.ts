import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Camera } from '../../src/core/Camera';
import { acquireGpu, type GpuContext } from '../../src/gpu/device';
import { readSplatFile } from '../../src/io/splatFile';
import { GaussianBuffers } from '../../src/splat/GaussianBuffers';
import { GaussianRasterizer } from '../../src/splat/GaussianRasterizer';

const SPLATS = resolve(__dirname, '../../../shared/data/splats');
const HAVE = existsSync(SPLATS);
if (!HAVE) console.warn(`skipping splat rendering: ${SPLATS} is absent`);

/** 5th-95th percentile box of the means (robust to stray splats far away). */
function robustBox(means: Float32Array): { center: number[]; radius: number } {
  const n = means.length / 3;
  const lo: number[] = [];
  const hi: number[] = [];
  for (let k = 0; k < 3; k++) {
    const v = Float32Array.from({ length: n }, (_, i) => means[i * 3 + k]).sort();
    lo.push(v[Math.floor(n * 0.05)]);
    hi.push(v[Math.floor(n * 0.95)]);
  }
  const center = lo.map((l, k) => (l + hi[k]) / 2);
  return { center, radius: Math.max(1e-3, Math.hypot(...hi.map((h, k) => h - lo[k])) / 2) };
}

describe.skipIf(!HAVE)('every file in ../shared/data/splats renders a non-empty image', () => {
  let gpu: GpuContext;
  let raster: GaussianRasterizer;
  beforeAll(async () => {
    gpu = await acquireGpu();
    raster = await GaussianRasterizer.create(gpu, { maxIntersections: 1 << 18 });
  });
  afterAll(() => raster?.destroy());

  const rendered = new Map<string, Float32Array>();
  const files = HAVE ? readdirSync(SPLATS).filter((f) => /\.(ply|splat|spz)$/i.test(f)).sort() : [];
  for (const file of files) {
    it(file, async () => {
      const cloud = readSplatFile(file, new Uint8Array(readFileSync(resolve(SPLATS, file))));
      const { center, radius } = robustBox(cloud.means);
      // 64x48 camera on the -z side looking along +z, framing the box's bounding sphere.
      const [W, H, f] = [64, 48, 50];
      const dist = radius / Math.tan(Math.atan(H / 2 / f)) + radius;
      const cam = new Camera([1, 0, 0, 0, 1, 0, 0, 0, 1], [-center[0], -center[1], -center[2] + dist], f, f, W / 2, H / 2, W, H, 'frame');
      const g = new GaussianBuffers(gpu.device, cloud.count, file);
      try {
        g.upload(cloud);
        const out = await raster.render(g, cam, { background: [0, 0, 0] });
        let covered = 0;
        let maxAlpha = 0;
        for (let i = 0; i < W * H; i++) {
          maxAlpha = Math.max(maxAlpha, out.alpha[i]);
          if (out.alpha[i] > 0.05) covered++;
        }
        const lit = out.rgb.filter((v) => v > 0.02).length;
        console.log(`${file}: ${cloud.count} splats, ${out.intersections} intersections, ${covered}/${W * H} pixels covered, max alpha ${maxAlpha.toFixed(3)}`);
        rendered.set(file, out.rgb);
        expect(out.rgb.every(Number.isFinite)).toBe(true);
        expect(maxAlpha).toBeGreaterThan(0.5);
        expect(covered).toBeGreaterThan(W * H * 0.05);
        expect(lit).toBeGreaterThan(0);
      } finally {
        g.destroy();
      }
    });
  }

  it('biker-v4.spz and biker.compressed.ply (same scene, different formats and axes) render alike', () => {
    const a = rendered.get('biker-v4.spz');
    const b = rendered.get('biker.compressed.ply');
    if (!a || !b) return;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff += Math.abs(a[i] - b[i]);
    console.log(`biker spz vs compressed ply: mean |rgb difference| ${(diff / a.length).toFixed(4)}`);
    expect(a.some((v) => v > 0.05)).toBe(true);
    expect(diff / a.length).toBeLessThan(0.01);
  });
});
