/**
 * An RGB image as float32 values in [0,1], row-major, 3 channels interleaved (length W*H*3).
 * Values are sRGB-encoded (display values / 255), the space 3DGS trains and reports PSNR in.
 */
export interface ImageRGB {
  width: number;
  height: number;
  data: Float32Array;
}

/** Allocates a zeroed (black) RGB image. */
export function createImage(width: number, height: number): ImageRGB {
  return { width, height, data: new Float32Array(width * height * 3) };
}

/** Converts an 8-bit RGBA buffer to an ImageRGB, compositing alpha over `background` (RGB in [0,1]). */
export function imageFromRGBA8(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  background: [number, number, number] = [0, 0, 0],
): ImageRGB {
  const img = createImage(width, height);
  for (let i = 0; i < width * height; i++) {
    const a = rgba[i * 4 + 3] / 255;
    for (let c = 0; c < 3; c++) img.data[i * 3 + c] = (rgba[i * 4 + c] / 255) * a + background[c] * (1 - a);
  }
  return img;
}

/** Converts an ImageRGB to 8-bit RGBA (alpha 255), clamping and rounding. */
export function imageToRGBA8(img: ImageRGB): Uint8Array {
  const out = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round(Math.min(1, Math.max(0, img.data[i * 3 + c])) * 255);
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** The image with every value clamped to [0, 1] (renders are clamped before scoring, as in 3DGS). */
export function clampImage(img: ImageRGB): ImageRGB {
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, img.data[i]));
  return { width: img.width, height: img.height, data };
}
