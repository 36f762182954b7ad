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

/** v / 255 for every byte value (as float64; stored as float32 like the blend's result). */
const BYTE_TO_UNIT = Float64Array.from({ length: 256 }, (_, v) => v / 255);

/** Converts an 8-bit RGBA buffer to an ImageRGB, compositing alpha over `background` (RGB in [0,1]). */
export function imageFromRGBA8(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  background: [number, number, number] = [0, 0, 0],
): ImageRGB {
  const img = createImage(width, height);
  const d = img.data;
  for (let i = 0; i < width * height; i++) {
    const a8 = rgba[i * 4 + 3];
    if (a8 === 255) {
      // Opaque (the common case): the same values as the blend below, without its arithmetic.
      d[i * 3] = BYTE_TO_UNIT[rgba[i * 4]];
      d[i * 3 + 1] = BYTE_TO_UNIT[rgba[i * 4 + 1]];
      d[i * 3 + 2] = BYTE_TO_UNIT[rgba[i * 4 + 2]];
      continue;
    }
    const a = a8 / 255;
    for (let c = 0; c < 3; c++) d[i * 3 + c] = (rgba[i * 4 + c] / 255) * a + background[c] * (1 - a);
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
