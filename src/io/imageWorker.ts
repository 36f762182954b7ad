/**
 * Image-decoding Web Worker (browser only; started by browserImageDecode.ts): the browser's own
 * decoders, colour profiles ignored as the pure-JS path does. First choice, WebCodecs' ImageDecoder:
 * the frame's pixels are copied out as RGBA (no canvas), shrunk per the request's `fit` by area
 * averaging (resizeRGBA8; JPEGs are first decoded at a reduced DCT scale that still covers the
 * target), and the EXIF orientation the page read is applied.
 * Otherwise createImageBitmap (EXIF orientation with `imageOrientation: 'from-image'`) read back
 * through an OffscreenCanvas, shrunk there. The canvas path is the fallback because the first 2D
 * canvas in a worker can stall for seconds in headless Chromium (measured: 2-5 s on SwiftShader).
 * Imported on the page too (the studio's module glob): it only listens when it runs in a worker.
 */
import { fitSize, orientRGBA8, resizeRGBA8, scaledDecodeSize, type DecodeRequest, type DecodeResponse } from './imageWorkerProtocol';

type Reply = { msg: DecodeResponse; transfer: Transferable[] };

/** Decodes the first frame as RGBA at its decoded size (maybe scaled, see scaledDecodeSize). */
async function decodeFrame(req: DecodeRequest, desired?: [number, number]): Promise<{ width: number; height: number; rgba: Uint8Array }> {
  const init = { data: req.bytes, type: req.type!, colorSpaceConversion: 'none', premultiplyAlpha: 'none' } as ImageDecoderInit & Record<string, unknown>;
  if (desired) Object.assign(init, { desiredWidth: desired[0], desiredHeight: desired[1] });
  const dec = new ImageDecoder(init);
  let frame: VideoFrame | undefined;
  try {
    frame = (await dec.decode()).image;
    const width = frame.visibleRect?.width ?? frame.codedWidth;
    const height = frame.visibleRect?.height ?? frame.codedHeight;
    const rgba = new Uint8Array(width * height * 4);
    await frame.copyTo(rgba, { format: 'RGBA' });
    return { width, height, rgba };
  } finally {
    frame?.close();
    dec.close();
  }
}

/**
 * ImageDecoder + VideoFrame.copyTo(RGBA), no canvas; a JPEG that will be shrunk is decoded at a
 * reduced DCT scale (much less work). Undefined where that is unavailable or fails here.
 */
async function decodeWithImageDecoder(req: DecodeRequest): Promise<Reply | undefined> {
  if (typeof ImageDecoder !== 'function' || !req.type) return undefined;
  try {
    const stored = req.storedSize;
    const target = stored ? fitSize(stored[0], stored[1], req.fit) : undefined;
    const desired = stored && target && req.type === 'image/jpeg' ? scaledDecodeSize(stored[0], stored[1], target) : undefined;
    let f = await decodeFrame(req, desired);
    // A scaled decode must cover the target and keep the aspect ratio; else decode at full size.
    if (desired && (!target || f.width < target[0] || f.height < target[1] || f.width > stored![0] || f.height > stored![1])) f = await decodeFrame(req);
    const full: [number, number] = desired && f.width !== stored![0] ? stored! : [f.width, f.height];
    // fitSize commutes with a transpose, so shrink as stored, then orient (fewer pixels to move).
    const [w, h] = fitSize(full[0], full[1], req.fit);
    const small = resizeRGBA8(f.rgba, f.width, f.height, w, h);
    const o = orientRGBA8(small, w, h, req.orientation ?? 1);
    const swap = (req.orientation ?? 1) >= 5;
    const rgba = o.rgba.byteOffset === 0 && o.rgba.byteLength === o.rgba.buffer.byteLength ? (o.rgba.buffer as ArrayBuffer) : (o.rgba.slice().buffer as ArrayBuffer);
    const msg: DecodeResponse = {
      id: req.id,
      ok: true,
      width: o.width,
      height: o.height,
      sourceWidth: swap ? full[1] : full[0],
      sourceHeight: swap ? full[0] : full[1],
      rgba,
    };
    return { msg, transfer: [rgba] };
  } catch {
    return undefined; // e.g. copyTo without RGBA conversion in this browser: the canvas path decides
  }
}

async function decode(req: DecodeRequest): Promise<Reply> {
  const viaDecoder = await decodeWithImageDecoder(req);
  if (viaDecoder) return viaDecoder;
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') {
    return { msg: { id: req.id, ok: false, error: 'createImageBitmap / OffscreenCanvas unavailable in workers', unsupported: true }, transfer: [] };
  }
  let bmp: ImageBitmap | undefined;
  try {
    bmp = await createImageBitmap(new Blob([req.bytes]), { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    const sw = bmp.width;
    const sh = bmp.height;
    const [w, h] = fitSize(sw, sh, req.fit);
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return { msg: { id: req.id, ok: false, error: 'no 2D context on OffscreenCanvas', unsupported: true }, transfer: [] };
    if (w !== sw || h !== sh) {
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(bmp, 0, 0, w, h);
    } else {
      ctx.drawImage(bmp, 0, 0);
    }
    const data = ctx.getImageData(0, 0, w, h).data;
    const rgba = data.buffer as ArrayBuffer;
    return { msg: { id: req.id, ok: true, width: w, height: h, sourceWidth: sw, sourceHeight: sh, rgba }, transfer: [rgba] };
  } catch (e) {
    return { msg: { id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) }, transfer: [] };
  } finally {
    bmp?.close();
  }
}

const scope = globalThis as unknown as { WorkerGlobalScope?: abstract new () => unknown; onmessage: unknown; postMessage: (m: unknown, t: Transferable[]) => void };
if (typeof scope.WorkerGlobalScope === 'function' && globalThis instanceof scope.WorkerGlobalScope) {
  scope.onmessage = async (e: MessageEvent<DecodeRequest>) => {
    const { msg, transfer } = await decode(e.data);
    scope.postMessage(msg, transfer);
  };
}
