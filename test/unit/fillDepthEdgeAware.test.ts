import { describe, expect, it } from 'vitest';
import { FILLED_CONFIDENCE, fillDepthEdgeAware } from '../../src/depth/fillDepthEdgeAware';

/** 64x48 photo: dark left half (x < 32), bright right half; depth 2 m on the left, 4 m on the right. */
function scene() {
  const W = 64;
  const H = 48;
  const data = new Float32Array(W * H * 3);
  const depth = new Float32Array(W * H);
  const confidence = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      data.fill(x < 32 ? 0.1 : 0.9, p * 3, p * 3 + 3);
      // a hole: rows 16..31 have no estimate across the whole width, edge included
      if (y >= 16 && y < 32) continue;
      depth[p] = x < 32 ? 2 : 4;
      confidence[p] = 0.8;
    }
  }
  return { image: { width: W, height: H, data }, depth, confidence, W, H };
}

describe('fillDepthEdgeAware', () => {
  it('fills holes from their own side of a colour edge, keeps confident pixels', () => {
    const { image, depth, confidence, W } = scene();
    const before = depth.slice();
    const frac = fillDepthEdgeAware(image, depth, confidence);
    expect(frac).toBeCloseTo((16 * 64) / (64 * 48), 9);
    let worst = 0;
    for (let y = 16; y < 32; y++) {
      for (let x = 0; x < W; x++) {
        const p = y * W + x;
        expect(confidence[p]).toBe(FILLED_CONFIDENCE);
        worst = Math.max(worst, Math.abs(depth[p] - (x < 32 ? 2 : 4)));
      }
    }
    // right at the edge too: a colour-blind fill would mix 2 and 4 there (about 2.7 in inverse depth)
    expect(worst).toBeLessThan(0.05);
    for (let p = 0; p < depth.length; p++) if (before[p] > 0) expect(depth[p]).toBe(before[p]);
    // the same fill blind to colour mixes the two sides at the edge
    const blind = scene();
    fillDepthEdgeAware(blind.image, blind.depth, blind.confidence, { sigmaColor: 1e3 });
    expect(Math.abs(blind.depth[24 * W + 31] - 2)).toBeGreaterThan(0.3);
  });
  it('leaves transparent pixels empty and does nothing without a confident pixel', () => {
    const { image, depth, confidence, W, H } = scene();
    const alpha = new Float32Array(W * H).fill(1);
    for (let y = 16; y < 32; y++) for (let x = 40; x < W; x++) alpha[y * W + x] = 0;
    fillDepthEdgeAware(image, depth, confidence, { alpha });
    expect(depth[20 * W + 50]).toBe(0);
    expect(confidence[20 * W + 50]).toBe(0);
    expect(depth[20 * W + 35]).toBeCloseTo(4, 1);
    const empty = new Float32Array(W * H);
    expect(fillDepthEdgeAware(image, empty, new Float32Array(W * H))).toBe(0);
    expect(empty.every((v) => v === 0)).toBe(true);
  });
  it('names mismatched sizes', () => {
    const { image, depth } = scene();
    expect(() => fillDepthEdgeAware(image, depth, new Float32Array(10))).toThrow(/64x48 image \(3072 pixels\), 3072 depths, 10 confidences/);
  });
});
