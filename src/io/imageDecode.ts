import exifr from 'exifr';
import { convertIndexedToRgb, decode as decodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { createImage, type ImageRGB } from '../core/Image';
import { browserDecodeAvailable, decodeInWorker } from './browserImageDecode';
import { fail, guardDecode } from './FormatError';
import { orientRGBA8, type DecodeFit } from './imageWorkerProtocol';

export { fitLongSide, fitSize, type DecodeFit } from './imageWorkerProtocol';

/**
 * Image decoding. In a browser: the browser's own decoders in a pool of Web Workers
 * (browserImageDecode.ts: createImageBitmap with EXIF orientation, OffscreenCanvas), which may also
 * shrink the image on the way out. In Node, and as the browser's fallback: pure-JS libraries,
 * fast-png (PNG, 8/16-bit, grey/RGB/alpha/palette), jpeg-js (baseline + progressive JPEG) and exifr
 * (EXIF orientation). Sizes are read from the header first so that absurd images are refused before
 * any allocation, whichever decoder runs.
 */

/** Largest image accepted, in pixels (100 MP). */
export const MAX_IMAGE_PIXELS = 100_000_000;

export type ImageKind = 'png' | 'jpeg';

/** Width/height from the file header, without decoding. */
export interface ImageHeader {
  kind: ImageKind;
  width: number;
  height: number;
}

/** Decoded 8-bit RGBA pixels, row-major, EXIF orientation applied. */
export interface RGBA8Image {
  width: number;
  height: number;
  rgba: Uint8Array;
  /**
   * Present when the decoder already applied DecodeOptions.fit: the image's size as decoded (after
   * orientation), before shrinking. Absent: the pixels are at full size and `fit` is still to do.
   */
  source?: { width: number; height: number };
}

/** How decodeImage may work. */
export interface DecodeOptions {
  /** Shrink while decoding, where the decoder can (the browser path); see RGBA8Image.source. */
  fit?: DecodeFit;
  /** 'js' forces the pure-JS decoders; 'auto' (default) uses the browser's where available. */
  decoder?: 'auto' | 'js';
}

/** Image extensions the loaders look for. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** True when the path has a PNG or JPEG extension. */
export function isImagePath(p: string): boolean {
  const l = p.toLowerCase();
  return IMAGE_EXTENSIONS.some((e) => l.endsWith(e));
}

/**
 * Reads width and height from a PNG (IHDR) or JPEG (first SOFn marker) header.
 * @throws FormatError naming the file when it is neither PNG nor JPEG, the header is truncated, or
 *   the size is zero or above MAX_IMAGE_PIXELS.
 */
export function readImageHeader(file: string, bytes: Uint8Array, maxPixels = MAX_IMAGE_PIXELS): ImageHeader {
  let h: ImageHeader | undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    if (bytes.length < 24) fail(file, 'PNG header', 'truncated before IHDR');
    h = { kind: 'png', width: dv.getUint32(16), height: dv.getUint32(20) };
  } else if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    let o = 2;
    while (o + 4 <= bytes.length) {
      if (bytes[o] !== 0xff) fail(file, 'JPEG header', `bad marker at byte ${o}`);
      const m = bytes[o + 1];
      if (m === 0xff) { o++; continue; }
      if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7) || m === 0x01) { o += 2; continue; }
      const len = dv.getUint16(o + 2);
      if (len < 2) fail(file, 'JPEG header', `bad segment length at byte ${o}`);
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
        if (o + 9 > bytes.length) fail(file, 'JPEG header', 'truncated SOF segment');
        h = { kind: 'jpeg', height: dv.getUint16(o + 5), width: dv.getUint16(o + 7) };
        break;
      }
      if (m === 0xda || m === 0xd9) break;
      o += 2 + len;
    }
    if (!h) fail(file, 'JPEG header', 'no frame (SOF) marker found (truncated file?)');
  } else {
    fail(file, 'image', 'not a PNG or JPEG file (unrecognized header bytes)');
  }
  if (!(h.width > 0 && h.height > 0)) fail(file, 'image size', `invalid size ${h.width}x${h.height}`);
  if (h.width * h.height > maxPixels) {
    fail(file, 'image size', `${h.width}x${h.height} pixels exceeds the ${maxPixels}-pixel limit`);
  }
  return h;
}

function pngToRGBA(file: string, bytes: Uint8Array): RGBA8Image {
  const png = guardDecode(file, 'PNG data', () => decodePng(bytes));
  const { width, height } = png;
  let data: ArrayLike<number> = png.data;
  let channels = png.channels;
  let depth: number = png.depth;
  if (png.palette) {
    data = guardDecode(file, 'PNG palette', () => convertIndexedToRgb(png));
    channels = png.palette[0]?.length === 4 || png.transparency ? 4 : 3;
    if (data.length === width * height * 4) channels = 4;
    else if (data.length === width * height * 3) channels = 3;
    depth = 8;
  }
  if (data.length < width * height * channels) fail(file, 'PNG data', 'decoded fewer pixels than the header declares');
  const shift = depth === 16 ? 8 : 0;
  const scale = depth < 8 ? 255 / ((1 << depth) - 1) : 1;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const s = i * channels;
    const v = (k: number) => (shift ? data[s + k] >> shift : Math.round(data[s + k] * scale));
    if (channels >= 3) {
      rgba[i * 4] = v(0);
      rgba[i * 4 + 1] = v(1);
      rgba[i * 4 + 2] = v(2);
      rgba[i * 4 + 3] = channels === 4 ? v(3) : 255;
    } else {
      const g = v(0);
      rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = g;
      rgba[i * 4 + 3] = channels === 2 ? v(1) : 255;
    }
  }
  return { width, height, rgba };
}

/** Applies an EXIF orientation (1-8) to RGBA pixels; 5-8 swap width and height. */
export function applyOrientation(img: RGBA8Image, orientation: number): RGBA8Image {
  if (!(orientation >= 2 && orientation <= 8)) return img;
  return orientRGBA8(img.rgba, img.width, img.height, orientation);
}

/**
 * Decodes a PNG or JPEG to 8-bit RGBA with the EXIF orientation applied (JPEG). In a browser the
 * workers decode (and may apply `opts.fit`, see RGBA8Image.source); what they refuse goes to the
 * pure-JS decoders, which decode it or name the fault.
 * @throws FormatError naming the file for a non-image, a truncated/corrupt file, or an image whose
 *   header size exceeds `maxPixels` (checked before decoding).
 */
export async function decodeImage(file: string, bytes: Uint8Array, maxPixels = MAX_IMAGE_PIXELS, opts: DecodeOptions = {}): Promise<RGBA8Image> {
  const h = readImageHeader(file, bytes, maxPixels);
  if (opts.decoder !== 'js' && browserDecodeAvailable()) {
    const r = await decodeInWorker(file, bytes, opts.fit, {
      type: h.kind === 'png' ? 'image/png' : 'image/jpeg',
      orientation: h.kind === 'jpeg' ? await jpegOrientation(bytes) : 1,
      storedSize: [h.width, h.height],
    });
    if (r.ok && r.sourceWidth * r.sourceHeight <= maxPixels) {
      return { width: r.width, height: r.height, rgba: new Uint8Array(r.rgba), source: { width: r.sourceWidth, height: r.sourceHeight } };
    }
  }
  return decodeImageJs(file, bytes, maxPixels, h);
}

/** The pure-JS decoders (fast-png, jpeg-js + exifr): full size, EXIF orientation applied. */
export async function decodeImageJs(file: string, bytes: Uint8Array, maxPixels = MAX_IMAGE_PIXELS, h = readImageHeader(file, bytes, maxPixels)): Promise<RGBA8Image> {
  if (h.kind === 'png') return pngToRGBA(file, bytes);
  const dec = guardDecode(file, 'JPEG data', () =>
    jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: Math.ceil(maxPixels / 1e6), maxMemoryUsageInMB: 2048 }),
  );
  const img: RGBA8Image = { width: dec.width, height: dec.height, rgba: dec.data as Uint8Array };
  return applyOrientation(img, await jpegOrientation(bytes));
}

/** The EXIF orientation of a JPEG (1 when it has none or it cannot be read). */
async function jpegOrientation(bytes: Uint8Array): Promise<number> {
  try {
    return (await exifr.orientation(bytes)) ?? 1;
  } catch {
    return 1; // no or unreadable EXIF: keep pixels as stored
  }
}

/**
 * Area-averaging resize of a float RGB image (box filter over the covered source area), used to
 * shrink images to a maximum long side. Values stay in the input's encoding (sRGB-encoded here).
 */
export function resizeImage(img: ImageRGB, width: number, height: number): ImageRGB {
  if (width === img.width && height === img.height) return img;
  const out = createImage(width, height);
  const sx = img.width / width;
  const sy = img.height / height;
  const src = img.data;
  for (let y = 0; y < height; y++) {
    const y0 = y * sy;
    const y1 = y0 + sy;
    for (let x = 0; x < width; x++) {
      const x0 = x * sx;
      const x1 = x0 + sx;
      let r = 0, g = 0, b = 0, wsum = 0;
      for (let yy = Math.floor(y0); yy < Math.min(img.height, Math.ceil(y1)); yy++) {
        const wy = Math.min(y1, yy + 1) - Math.max(y0, yy);
        for (let xx = Math.floor(x0); xx < Math.min(img.width, Math.ceil(x1)); xx++) {
          const w = wy * (Math.min(x1, xx + 1) - Math.max(x0, xx));
          const s = (yy * img.width + xx) * 3;
          r += src[s] * w;
          g += src[s + 1] * w;
          b += src[s + 2] * w;
          wsum += w;
        }
      }
      const d = (y * width + x) * 3;
      out.data[d] = r / wsum;
      out.data[d + 1] = g / wsum;
      out.data[d + 2] = b / wsum;
    }
  }
  return out;
}

