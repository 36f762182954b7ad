/**
 * LPIPS (Zhang et al., "The Unreasonable Effectiveness of Deep Features as a Perceptual Metric",
 * CVPR 2018) through onnxruntime-web, with an ONNX LPIPS model that the user supplies (none is
 * bundled or downloaded). The model must take two float32 images of shape [1, 3, H, W] with values
 * in [-1, 1] (the convention of the reference `lpips` package: img * 2 - 1) and return the distance
 * (any shape: a [1,1,1,1] scalar or a spatial map, averaged here). Lower is more similar.
 */
import * as ort from 'onnxruntime-web';
import { onnx } from 'onnx-proto';
import type { ImageRGB } from '../core/Image';

/** Thrown when the supplied file is not a usable ONNX LPIPS model; the message names the source. */
export class LpipsModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LpipsModelError';
  }
}

/** Options of Lpips.load. */
export interface LpipsOptions {
  /** onnxruntime-web execution providers (default ['wasm']). */
  executionProviders?: string[];
}

async function readSource(src: string | Uint8Array | ArrayBuffer): Promise<{ bytes: Uint8Array; name: string }> {
  if (src instanceof Uint8Array) return { bytes: src, name: '<bytes>' };
  if (src instanceof ArrayBuffer) return { bytes: new Uint8Array(src), name: '<bytes>' };
  const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
  if (isNode && !/^https?:/.test(src)) {
    const fs = await import('node:fs/promises');
    try {
      return { bytes: new Uint8Array(await fs.readFile(src)), name: src };
    } catch (e) {
      throw new LpipsModelError(`LPIPS model ${src}: cannot read file (${(e as Error).message})`);
    }
  }
  const res = await fetch(src);
  if (!res.ok) throw new LpipsModelError(`LPIPS model ${src}: HTTP ${res.status}`);
  return { bytes: new Uint8Array(await res.arrayBuffer()), name: src };
}

/** Checks that `bytes` decode as an ONNX ModelProto with a graph; throws LpipsModelError otherwise. */
function checkOnnx(bytes: Uint8Array, name: string): void {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new LpipsModelError(`LPIPS model ${name}: not an ONNX file (protobuf decoding failed: ${(e as Error).message})`);
  }
  if (!model.graph || !model.graph.node?.length || !model.graph.output?.length) {
    throw new LpipsModelError(`LPIPS model ${name}: not an ONNX model (no graph with nodes and outputs)`);
  }
}

/**
 * Converts an ImageRGB (HWC, [0,1]) to a [1,3,H,W] tensor in [-1,1], clamping to [0,1] first.
 * @throws Error when the data length is wrong or a value is not finite.
 */
export function toLpipsTensor(img: ImageRGB): ort.Tensor {
  const { width: w, height: h, data } = img;
  if (data.length !== w * h * 3) throw new Error(`LPIPS: image data has ${data.length} values, expected width*height*3 = ${w * h * 3}`);
  const out = new Float32Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    for (let c = 0; c < 3; c++) {
      const v = data[i * 3 + c];
      if (!Number.isFinite(v)) throw new Error(`LPIPS: image data[${i * 3 + c}] is ${v} (not finite)`);
      out[c * w * h + i] = Math.min(1, Math.max(0, v)) * 2 - 1;
    }
  }
  return new ort.Tensor('float32', out, [1, 3, h, w]);
}

/** An LPIPS evaluator around an onnxruntime-web session. */
export class Lpips {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputs: [string, string],
    private readonly output: string,
  ) {}

  /**
   * Loads an ONNX LPIPS model from a file path (Node), a URL (browser) or bytes.
   * In Node, onnxruntime-web runs single-threaded unless ort.env.wasm.numThreads was set.
   * @throws LpipsModelError when the source is unreadable, not ONNX, or does not have two inputs.
   */
  static async load(src: string | Uint8Array | ArrayBuffer, opts: LpipsOptions = {}): Promise<Lpips> {
    const { bytes, name } = await readSource(src);
    checkOnnx(bytes, name);
    const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
    if (isNode && !ort.env.wasm.numThreads) ort.env.wasm.numThreads = 1;
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, { executionProviders: opts.executionProviders ?? ['wasm'] });
    } catch (e) {
      throw new LpipsModelError(`LPIPS model ${name}: onnxruntime could not load it (${(e as Error).message})`);
    }
    if (session.inputNames.length !== 2 || session.outputNames.length < 1) {
      throw new LpipsModelError(`LPIPS model ${name}: expected 2 image inputs and an output, found inputs [${session.inputNames.join(', ')}]`);
    }
    return new Lpips(session, [session.inputNames[0], session.inputNames[1]], session.outputNames[0]);
  }

  /**
   * LPIPS distance between two images of the same size (ImageRGB, [0,1] sRGB-encoded; clamped),
   * the mean of the model's first output.
   * @throws Error when the sizes differ or a value is not finite.
   */
  async distance(a: ImageRGB, b: ImageRGB): Promise<number> {
    if (a.width !== b.width || a.height !== b.height) {
      throw new Error(`LPIPS: image sizes differ (${a.width}x${a.height} vs ${b.width}x${b.height})`);
    }
    const res = await this.session.run({ [this.inputs[0]]: toLpipsTensor(a), [this.inputs[1]]: toLpipsTensor(b) });
    const out = res[this.output].data as Float32Array;
    let s = 0;
    for (const v of out) s += v;
    return s / out.length;
  }

  /** Releases the onnxruntime session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
