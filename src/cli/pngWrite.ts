import { PNG } from 'pngjs';
import type { ImageRGB } from '../core/Image';
import { imageToRGBA8 } from '../core/Image';

/** Encodes an RGB image (sRGB-encoded floats in [0,1]) as an 8-bit PNG. */
export function encodePng(img: ImageRGB): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(imageToRGBA8(img));
  return new Uint8Array(PNG.sync.write(png));
}

/**
 * Encodes a single-channel map (H*W) as a grey 8-bit PNG, mapping [lo, hi] to [0, 255]; values
 * that are 0 or non-finite (unknown) are black.
 */
export function encodeGreyPng(values: Float32Array, width: number, height: number, lo: number, hi: number): Uint8Array {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    const v = values[i];
    const g = v && Number.isFinite(v) ? Math.round(Math.min(1, Math.max(0, (v - lo) / Math.max(1e-12, hi - lo))) * 255) : 0;
    png.data[i * 4] = png.data[i * 4 + 1] = png.data[i * 4 + 2] = g;
    png.data[i * 4 + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(png));
}
