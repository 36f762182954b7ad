import { describe, expect, it } from 'vitest';
import { decode } from 'fast-png';
import { encodeGreyPng, encodePng } from '../../src/cli/pngWrite';

describe('PNG writers (fast-png, the one PNG library)', () => {
  it('encodePng round-trips 8-bit sRGB values and opaque alpha', () => {
    const img = { width: 3, height: 2, data: Float32Array.from({ length: 18 }, (_, i) => i / 17) };
    const png = decode(encodePng(img));
    expect([png.width, png.height, png.channels, png.depth]).toEqual([3, 2, 4, 8]);
    for (let p = 0; p < 6; p++) {
      for (let c = 0; c < 3; c++) expect(png.data[p * 4 + c]).toBe(Math.round(((p * 3 + c) / 17) * 255));
      expect(png.data[p * 4 + 3]).toBe(255);
    }
  });

  it('encodeGreyPng maps [lo, hi] to [0, 255] and unknown (0, NaN) to black', () => {
    const png = decode(encodeGreyPng(Float32Array.from([0, 1, 2, NaN, 3, 4]), 3, 2, 1, 4));
    expect(png.channels).toBe(1);
    expect(Array.from(png.data)).toEqual([0, 0, 85, 0, 170, 255]);
  });
});
