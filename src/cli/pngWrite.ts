import { encode } from 'fast-png';
import type { ImageRGB } from '../core/Image';
import { imageToRGBA8 } from '../core/Image';

/** Encodes an RGB image (sRGB-encoded floats in [0,1], H*W*3 row-major) as an 8-bit RGBA PNG. */
export function encodePng(img: ImageRGB): Uint8Array {
  return encode({ width: img.width, height: img.height, data: imageToRGBA8(img), depth: 8, channels: 4 });
}

/**
 * Encodes a single-channel map (H*W) as a grey 8-bit PNG, mapping [lo, hi] to [0, 255]; values
 * that are 0 or non-finite (unknown) are black.
 */
export function encodeGreyPng(values: Float32Array, width: number, height: number, lo: number, hi: number): Uint8Array {
  const data = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const v = values[i];
    data[i] = v && Number.isFinite(v) ? Math.round(Math.min(1, Math.max(0, (v - lo) / Math.max(1e-12, hi - lo))) * 255) : 0;
  }
  return encode({ width, height, data, depth: 8, channels: 1 });
}
