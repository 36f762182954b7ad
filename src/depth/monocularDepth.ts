import type { ImageRGB } from '../core/Image';

/** Pre-processing and interpretation of a monocular depth model. */
export interface MonoDepthOptions {
  /**
   * Network input size [width, height] in pixels. Default: the model's static input size, else the
   * image size rounded to a multiple of 14 (the ViT patch of Depth Anything / DPT-DINOv2).
   */
  inputSize?: [number, number];
  /** Per-channel mean subtracted from the sRGB-encoded [0,1] values (default ImageNet 0.485, 0.456, 0.406). */
  mean?: [number, number, number];
  /** Per-channel divisor after the mean (default ImageNet 0.229, 0.224, 0.225). */
  std?: [number, number, number];
  /** What the model outputs: 'disparity' (inverse-depth-like, e.g. Depth Anything, MiDaS) or 'depth'. Default 'disparity'. */
  output?: 'depth' | 'disparity';
  /** onnxruntime-web execution providers. Default: Node ['wasm']; browser ['webgpu', 'wasm'] when WebGPU exists, else ['wasm']. */
  executionProviders?: string[];
}

/** A loaded monocular depth model. */
export interface MonocularDepth {
  /**
   * Predicts relative depth or disparity (see `output`) for an image: H*W float32 at the image's own
   * size (bilinear resize of the network output), row-major. Values are affine-ambiguous.
   * @throws Error when the model's output is not [1,1,h,w], [1,h,w] or [h,w]
   */
  predict(img: ImageRGB): Promise<Float32Array>;
  /** 'depth' or 'disparity', as configured; pass it to alignScaleShift's `target`. */
  readonly output: 'depth' | 'disparity';
  /** Name of the model's image input. */
  readonly inputName: string;
}

const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
}

/**
 * Loads a monocular depth ONNX model (image -> relative depth / disparity, e.g. Depth Anything V2
 * small, MiDaS, DPT) with onnxruntime-web: wasm in Node, WebGPU or wasm in the browser. The model
 * must take one float32 NCHW RGB input [1, 3, H, W] (dimensions may be symbolic).
 * Pre-processing: bilinear resize to the input size, then (value - mean) / std per channel on
 * sRGB-encoded [0,1] values (the Depth Anything / DPT convention).
 * @param model the ONNX file's bytes, or a path (Node) / URL (browser and Node http(s))
 * @param opts input size, normalization, output kind, execution providers
 * @throws Error naming the model when it cannot be read, is not an ONNX model, or its input is not
 *   a [1,3,H,W] float tensor (or disagrees with `inputSize`)
 */
export async function createMonocularDepth(model: Uint8Array | string, opts: MonoDepthOptions = {}): Promise<MonocularDepth> {
  const label = typeof model === 'string' ? model : `ONNX model (${model.byteLength} bytes)`;
  const bytes = await readModel(model, label);
  const node = isNode();
  // Node: the package's node build (wasm files from node_modules). Browser: the build with the WebGPU EP.
  const ort = node ? await import('onnxruntime-web') : await import('onnxruntime-web/webgpu');
  if (node) ort.env.wasm.numThreads = 1; // no worker threads in Node; the wasm files load from node_modules
  const providers =
    opts.executionProviders ?? (node ? ['wasm'] : typeof navigator !== 'undefined' && 'gpu' in navigator ? ['webgpu', 'wasm'] : ['wasm']);
  let session: import('onnxruntime-web').InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: providers });
  } catch (e) {
    throw new Error(`${label}: not a loadable ONNX model (${(e as Error).message ?? e})`);
  }
  if (session.inputNames.length !== 1) {
    throw new Error(`${label}: expected one image input, the model has ${session.inputNames.length} (${session.inputNames.join(', ')})`);
  }
  const inputName = session.inputNames[0];
  const meta = (session as any).inputMetadata?.[0] as { isTensor?: boolean; type?: string; shape?: (number | string)[] } | undefined;
  const shape = meta?.shape;
  if (meta && (meta.isTensor === false || (meta.type && meta.type !== 'float32'))) {
    throw new Error(`${label}: input "${inputName}" must be a float32 tensor (got ${meta.type ?? 'a non-tensor'})`);
  }
  let fixed: [number, number] | undefined;
  if (shape) {
    const fits = shape.length === 4 && (shape[0] === 1 || typeof shape[0] === 'string') && (shape[1] === 3 || typeof shape[1] === 'string');
    if (!fits) {
      throw new Error(`${label}: input "${inputName}" has shape [${shape.join(', ')}]; expected [1, 3, H, W] (NCHW RGB)`);
    }
    if (typeof shape[2] === 'number' && typeof shape[3] === 'number' && shape[2] > 0 && shape[3] > 0) fixed = [shape[3], shape[2]];
  }
  if (opts.inputSize) {
    const [w, h] = opts.inputSize;
    if (!(Number.isInteger(w) && Number.isInteger(h) && w > 0 && h > 0)) throw new Error(`${label}: inputSize must be positive integers (got ${w}x${h})`);
    if (fixed && (fixed[0] !== w || fixed[1] !== h)) {
      throw new Error(`${label}: inputSize ${w}x${h} does not fit the model's fixed input [1, 3, ${fixed[1]}, ${fixed[0]}]`);
    }
  }
  const mean = opts.mean ?? IMAGENET_MEAN;
  const std = opts.std ?? IMAGENET_STD;
  if (std.some((s) => !(s > 0))) throw new Error(`${label}: std values must be positive (got ${std.join(', ')})`);

  return {
    output: opts.output ?? 'disparity',
    inputName,
    async predict(img: ImageRGB): Promise<Float32Array> {
      if (img.data.length !== img.width * img.height * 3) {
        throw new Error(`predict: image data has ${img.data.length} values, expected ${img.width}x${img.height}x3`);
      }
      const [w, h] = opts.inputSize ?? fixed ?? [roundTo(img.width, 14), roundTo(img.height, 14)];
      const input = new Float32Array(3 * w * h);
      const resized = resizeBilinear(img.data, img.width, img.height, 3, w, h);
      for (let p = 0; p < w * h; p++) for (let c = 0; c < 3; c++) input[c * w * h + p] = (resized[p * 3 + c] - mean[c]) / std[c];
      const feeds = { [inputName]: new ort.Tensor('float32', input, [1, 3, h, w]) };
      const out = (await session.run(feeds))[session.outputNames[0]];
      const dims = out.dims;
      const ok = (dims.length === 4 && dims[0] === 1 && dims[1] === 1) || (dims.length === 3 && dims[0] === 1) || dims.length === 2;
      if (!ok || out.type !== 'float32') {
        throw new Error(`${label}: output "${session.outputNames[0]}" is ${out.type} [${dims.join(', ')}]; expected float32 [1,1,h,w], [1,h,w] or [h,w]`);
      }
      const oh = dims[dims.length - 2];
      const ow = dims[dims.length - 1];
      return resizeBilinear(out.data as Float32Array, ow, oh, 1, img.width, img.height);
    },
  };
}

async function readModel(model: Uint8Array | string, label: string): Promise<Uint8Array> {
  if (typeof model !== 'string') return model;
  if (/^(https?|blob|data):/i.test(model) || !isNode()) {
    const res = await fetch(model).catch((e) => {
      throw new Error(`${label}: cannot fetch the model (${e.message ?? e})`);
    });
    if (!res.ok) throw new Error(`${label}: HTTP ${res.status} fetching the model`);
    return new Uint8Array(await res.arrayBuffer());
  }
  const fs = await import('node:fs/promises');
  try {
    return new Uint8Array(await fs.readFile(model));
  } catch (e) {
    throw new Error(`${label}: cannot read the model file (${(e as Error).message})`);
  }
}

function roundTo(v: number, m: number): number {
  return Math.max(m, Math.round(v / m) * m);
}

/**
 * Bilinear resize (pixel centres aligned, align_corners = false) of an interleaved image with
 * `ch` channels from sw x sh to dw x dh.
 */
export function resizeBilinear(src: ArrayLike<number>, sw: number, sh: number, ch: number, dw: number, dh: number): Float32Array {
  const out = new Float32Array(dw * dh * ch);
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(Math.max(((y + 0.5) * sh) / dh - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const ty = fy - y0;
    for (let x = 0; x < dw; x++) {
      const fx = Math.min(Math.max(((x + 0.5) * sw) / dw - 0.5, 0), sw - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, sw - 1);
      const tx = fx - x0;
      for (let c = 0; c < ch; c++) {
        const a = src[(y0 * sw + x0) * ch + c] * (1 - tx) + src[(y0 * sw + x1) * ch + c] * tx;
        const b = src[(y1 * sw + x0) * ch + c] * (1 - tx) + src[(y1 * sw + x1) * ch + c] * tx;
        out[(y * dw + x) * ch + c] = a * (1 - ty) + b * ty;
      }
    }
  }
  return out;
}
