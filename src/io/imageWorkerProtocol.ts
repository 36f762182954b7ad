/**
 * Messages between the page and the image-decoding workers (imageWorker.ts, pool in
 * browserImageDecode.ts), and the size rule both sides share. Pure: no DOM, no decoders, so the
 * worker bundle stays small and the protocol is unit-tested in Node.
 */

/**
 * How the decoded image may be shrunk on the way out (the browser resamples while it still holds
 * the decoded bitmap, which is much cheaper than shrinking float images later): first by an
 * integer-ish factor (`shrink`, a downscale asked for a folder that is absent), then so that the
 * long side is at most `maxLongSide`. Never upscales.
 */
export interface DecodeFit {
  shrink?: number;
  maxLongSide?: number;
}

/** Page -> worker: decode `bytes` (a PNG or JPEG, transferred) of `file`. */
export interface DecodeRequest {
  id: number;
  file: string;
  bytes: ArrayBuffer;
  fit?: DecodeFit;
  /** MIME type from the header ('image/png' or 'image/jpeg'), for ImageDecoder. */
  type?: string;
  /**
   * EXIF orientation (1-8) as read on the page (exifr), applied by the worker when its decoder
   * returns pixels as stored (ImageDecoder); the createImageBitmap path applies the file's own.
   */
  orientation?: number;
  /** Width and height as stored (from the file header, before orientation), for a scaled JPEG decode. */
  storedSize?: [number, number];
}

/** Worker -> page: 8-bit RGBA pixels (transferred), EXIF orientation applied, maybe shrunk per `fit`. */
export interface DecodeSuccess {
  id: number;
  ok: true;
  width: number;
  height: number;
  /** Size as decoded (after orientation), before any shrinking. */
  sourceWidth: number;
  sourceHeight: number;
  rgba: ArrayBuffer;
}

/** Worker -> page: the browser could not decode it (`unsupported`: this worker cannot decode at all). */
export interface DecodeFailure {
  id: number;
  ok: false;
  error: string;
  unsupported?: boolean;
}

export type DecodeResponse = DecodeSuccess | DecodeFailure;

/** Output size for a maximum long side (no upscaling). */
export function fitLongSide(width: number, height: number, maxLongSide?: number): [number, number] {
  if (!maxLongSide || Math.max(width, height) <= maxLongSide) return [width, height];
  const s = maxLongSide / Math.max(width, height);
  return [Math.max(1, Math.round(width * s)), Math.max(1, Math.round(height * s))];
}

/** The size an image of `width` x `height` ends up at under `fit` (the rule assembleScene applies). */
export function fitSize(width: number, height: number, fit: DecodeFit = {}): [number, number] {
  let w = width;
  let h = height;
  if (fit.shrink && fit.shrink > 1) [w, h] = [Math.max(1, Math.round(w / fit.shrink)), Math.max(1, Math.round(h / fit.shrink))];
  return fitLongSide(w, h, fit.maxLongSide);
}

/**
 * The size to ask a JPEG decoder for (ImageDecoder's desiredWidth/Height, which libjpeg-turbo meets
 * by decoding at a scale of M/8, the largest not above the request): the smallest such scale whose
 * size still covers `target`, so the area-average shrink that follows only ever shrinks. Undefined
 * when no scale below 8/8 covers it.
 */
export function scaledDecodeSize(width: number, height: number, target: [number, number]): [number, number] | undefined {
  const m = Math.ceil(8 * Math.max(target[0] / width, target[1] / height) - 1e-9);
  if (m >= 8) return undefined;
  return [Math.ceil((width * m) / 8), Math.ceil((height * m) / 8)];
}

/**
 * Checks a message from a worker and returns it typed; anything malformed (wrong id, sizes that do
 * not match the pixel buffer) becomes a failure, so the page falls back instead of reading garbage.
 */
export function parseDecodeResponse(msg: unknown, id: number): DecodeResponse {
  const m = msg as { id?: unknown; ok?: unknown; error?: unknown; unsupported?: unknown; width?: unknown; height?: unknown; sourceWidth?: unknown; sourceHeight?: unknown; rgba?: unknown } | null;
  if (!m || typeof m !== 'object' || m.id !== id) return { id, ok: false, error: 'malformed worker reply' };
  if (m.ok === false) return { id, ok: false, error: String(m.error ?? 'decoding failed'), ...(m.unsupported ? { unsupported: true } : {}) };
  const { width, height, sourceWidth, sourceHeight, rgba } = m;
  const pos = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (!pos(width) || !pos(height) || !pos(sourceWidth) || !pos(sourceHeight) || !(rgba instanceof ArrayBuffer)) {
    return { id, ok: false, error: 'malformed worker reply' };
  }
  if (rgba.byteLength !== width * height * 4) {
    return { id, ok: false, error: `worker returned ${rgba.byteLength} bytes for ${width}x${height} RGBA` };
  }
  return { id, ok: true, width, height, sourceWidth, sourceHeight, rgba };
}

/**
 * Shrinks 8-bit RGBA by area averaging (box filter over the covered source area), alpha-weighted so
 * that compositing the result over a background equals averaging the composited pixels (what
 * resizeImage does to float images). Returns the input when the size is unchanged.
 */
export function resizeRGBA8(src: Uint8Array | Uint8ClampedArray, W: number, H: number, w: number, h: number): Uint8Array {
  if (w === W && h === H) return src instanceof Uint8Array ? src : new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  const out = new Uint8Array(w * h * 4);
  const sx = W / w;
  const sy = H / h;
  // Per output column: the covered source columns and their weights (shared by every row).
  const xs0 = new Int32Array(w);
  const xs1 = new Int32Array(w);
  const wx: Float64Array[] = [];
  for (let x = 0; x < w; x++) {
    const x0 = x * sx;
    const x1 = x0 + sx;
    xs0[x] = Math.floor(x0);
    xs1[x] = Math.min(W, Math.ceil(x1));
    const ws = new Float64Array(xs1[x] - xs0[x]);
    for (let xx = xs0[x]; xx < xs1[x]; xx++) ws[xx - xs0[x]] = Math.min(x1, xx + 1) - Math.max(x0, xx);
    wx.push(ws);
  }
  for (let y = 0; y < h; y++) {
    const y0 = y * sy;
    const y1 = y0 + sy;
    const ya = Math.floor(y0);
    const yb = Math.min(H, Math.ceil(y1));
    for (let x = 0; x < w; x++) {
      let r = 0, g = 0, b = 0, a = 0, wsum = 0;
      const ws = wx[x];
      for (let yy = ya; yy < yb; yy++) {
        const wy = Math.min(y1, yy + 1) - Math.max(y0, yy);
        let s = (yy * W + xs0[x]) * 4;
        for (let k = 0; k < ws.length; k++, s += 4) {
          const wt = wy * ws[k];
          const wa = wt * src[s + 3];
          r += src[s] * wa;
          g += src[s + 1] * wa;
          b += src[s + 2] * wa;
          a += wa;
          wsum += wt;
        }
      }
      const d = (y * w + x) * 4;
      if (a > 0) {
        out[d] = Math.round(r / a);
        out[d + 1] = Math.round(g / a);
        out[d + 2] = Math.round(b / a);
      }
      out[d + 3] = Math.round(a / wsum);
    }
  }
  return out;
}

/** Applies an EXIF orientation (1-8) to RGBA pixels; 5-8 swap width and height. */
export function orientRGBA8(rgba: Uint8Array, W: number, H: number, orientation: number): { width: number; height: number; rgba: Uint8Array } {
  if (!(orientation >= 2 && orientation <= 8)) return { width: W, height: H, rgba };
  const swap = orientation >= 5;
  const ow = swap ? H : W;
  const oh = swap ? W : H;
  const out = new Uint8Array(ow * oh * 4);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let sx: number, sy: number;
      switch (orientation) {
        case 2: sx = W - 1 - x; sy = y; break;
        case 3: sx = W - 1 - x; sy = H - 1 - y; break;
        case 4: sx = x; sy = H - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = H - 1 - x; break;
        case 7: sx = W - 1 - y; sy = H - 1 - x; break;
        default: sx = W - 1 - y; sy = x; break; // 8
      }
      const s = (sy * W + sx) * 4;
      const d = (y * ow + x) * 4;
      out[d] = rgba[s];
      out[d + 1] = rgba[s + 1];
      out[d + 2] = rgba[s + 2];
      out[d + 3] = rgba[s + 3];
    }
  }
  return { width: ow, height: oh, rgba: out };
}
