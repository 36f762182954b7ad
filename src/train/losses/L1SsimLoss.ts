/**
 * The 3DGS photometric loss on the GPU, forward and backward:
 *   loss = weight * ((1 - lambdaSsim) * L1 + lambdaSsim * (1 - SSIM))
 * exactly as 3DGS's train.py (`(1 - λ) * Ll1 + λ * (1.0 - ssim(image, gt))`, Kerbl et al. 2023, Eq. 7;
 * note: 3DGS uses 1 - SSIM, not (1 - SSIM) / 2). L1 = mean |render - target| over H*W*3;
 * SSIM = Wang et al. 2004 with an 11-tap Gaussian window (sigma 1.5), C1 = 0.01^2, C2 = 0.03^2,
 * zero 'same' padding per channel (3DGS's conv2d), mean over H*W*3. Float64 reference:
 * `l1SsimLossRef` in ./reference.ts. Shader: shaders/loss_l1ssim.wgsl (5 compute passes, stage
 * 'loss.l1ssim'; its sliding-window bodies are generated here).
 */
import code from '../../../shaders/loss_l1ssim.wgsl?raw';
import type { GpuContext } from '../../gpu/device';
import { bindEntries, cachedPipeline, recordPass, workgroups } from '../../gpu/passes';
import { gaussianWindow } from './reference';
import { ParamBlock, Scratch, checkBuffer, checkLossSlot, checkNumber, checkSize, lossShader } from './lossUtils';

const LABEL = 'shaders/loss_l1ssim.wgsl';
/** Pixels per thread along the blur axis (a sliding window of 11 registers per quantity). */
const SEG = 16;

/**
 * WGSL body for a /*GEN_*\/ placeholder of loss_l1ssim.wgsl: the thread walks SEG pixels along
 * `axis` keeping the 11-tap window in registers w0_q..w10_q (shifted every step), so it loads each
 * input pixel about once instead of 11 times; the loop stays rolled, which keeps compile times
 * short. `load(slot, offset)` returns statements that define w{slot}_q for q < quantities from the
 * pixel at `offset` along the axis; `emit(taps)` returns the output statement, `taps(q)` being the
 * blurred quantity q (RGB vec3f).
 */
function slidingBody(
  axis: 'x' | 'y',
  quantities: number,
  load: (slot: number, offset: string) => string,
  emit: (taps: (q: number) => string) => string,
): string {
  const g = Array.from(gaussianWindow(11)).map((v) => v.toPrecision(9));
  const pos = axis === 'x' ? 'x0' : 'y0';
  const limit = axis === 'x' ? 'i32(P.width)' : 'i32(P.height)';
  const qs = Array.from({ length: quantities }, (_, q) => q);
  const out: string[] = [];
  for (let k = 0; k < 10; k++) out.push(load(k, `${pos} + ${k - 5}`).replace(/\blet\b/g, 'var'));
  out.push(`for (var j = 0; j < i32(SEG); j++) {`);
  out.push(`    ${load(10, `${pos} + j + 5`)}`);
  out.push(`    if (${pos} + j >= ${limit}) { break; }`);
  out.push(`    ${emit((q) => g.map((w, k) => `${w} * w${k}_${q}`).join(' + '))}`);
  for (let k = 0; k < 10; k++) out.push(`    ${qs.map((q) => `w${k}_${q} = w${k + 1}_${q};`).join(' ')}`);
  out.push(`  }`);
  return out.join('\n  ');
}

/** loss_l1ssim.wgsl with its generated sliding-window bodies, prefixed by loss_common.wgsl. */
export function l1SsimShaderSource(): string {
  const h1 = slidingBody(
    'x',
    5,
    (k, off) => `let a${k} = ld_x(${off}, y); let b${k} = ld_y(${off}, y); let w${k}_0 = a${k}; let w${k}_1 = b${k}; let w${k}_2 = a${k} * a${k}; let w${k}_3 = b${k} * b${k}; let w${k}_4 = a${k} * b${k};`,
    (t) => `let p = pix(x0 + j, y); ${[0, 1, 2, 3, 4].map((q) => `st_h(p, 15u, ${q}u, ${t(q)});`).join(' ')}`,
  );
  const v1 = slidingBody(
    'y',
    5,
    (k, off) => [0, 1, 2, 3, 4].map((q) => `let w${k}_${q} = ld_h(x, ${off}, 15u, ${q}u);`).join(' '),
    (t) => `acc += ssim_pixel(pix(x, y0 + j), ${[0, 1, 2, 3, 4].map(t).join(', ')});`,
  );
  const h2 = slidingBody(
    'x',
    3,
    (k, off) => [0, 1, 2].map((q) => `let w${k}_${q} = ld_d(${off}, y, ${q}u);`).join(' '),
    (t) => `let p = pix(x0 + j, y); ${[0, 1, 2].map((q) => `st_h(p, 9u, ${q}u, ${t(q)});`).join(' ')}`,
  );
  const v2 = slidingBody(
    'y',
    3,
    (k, off) => [0, 1, 2].map((q) => `let w${k}_${q} = ld_h(x, ${off}, 9u, ${q}u);`).join(' '),
    (t) => `grad_pixel(pix(x, y0 + j), ${[0, 1, 2].map(t).join(', ')});`,
  );
  return lossShader(
    code.replace('/*SEG*/', String(SEG)).replace('/*GEN_H1*/', h1).replace('/*GEN_V1*/', v1).replace('/*GEN_H2*/', h2).replace('/*GEN_V2*/', v2),
  );
}

/** Parameters of one L1SsimLoss.record call. */
export interface L1SsimParams {
  /** Image size in pixels. */
  width: number;
  height: number;
  /** Rendered image: f32 H*W*3, row-major interleaved RGB, sRGB-encoded values in [0,1]. */
  render: GPUBuffer;
  /** Ground-truth image, same layout. */
  target: GPUBuffer;
  /** Receives += weight * dLoss/dRender (same layout as render). */
  gradRender: GPUBuffer;
  /** D-SSIM weight lambda in [0,1] (3DGS: 0.2). */
  lambdaSsim: number;
  /** Overall weight of this loss. */
  weight: number;
  /** f32 buffer receiving weight * loss at float index lossSlot. */
  lossOut: GPUBuffer;
  lossSlot: number;
}

/** L1 + D-SSIM loss of 3DGS with its backward pass, on the GPU (see file header for the formula). */
export class L1SsimLoss {
  private readonly params: ParamBlock;
  private readonly hbuf: Scratch;
  private readonly dmaps: Scratch;
  private readonly partials: Scratch;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly pipes: Record<'h1' | 'v1' | 'finalize' | 'h2' | 'v2', GPUComputePipeline>,
  ) {
    this.params = new ParamBlock(gpu.device, 48, 'L1SsimLoss.params');
    this.hbuf = new Scratch(gpu.device, 'L1SsimLoss.hbuf');
    this.dmaps = new Scratch(gpu.device, 'L1SsimLoss.dmaps');
    this.partials = new Scratch(gpu.device, 'L1SsimLoss.partials');
  }

  /**
   * Compiles the pipelines.
   * @throws ShaderCompileError when the WGSL fails to compile on this device.
   */
  static async create(gpu: GpuContext): Promise<L1SsimLoss> {
    const src = l1SsimShaderSource();
    const ps = await Promise.all(['h1', 'v1', 'finalize', 'h2', 'v2'].map((e) => cachedPipeline(gpu.device, src, e, LABEL)));
    return new L1SsimLoss(gpu, { h1: ps[0], v1: ps[1], finalize: ps[2], h2: ps[3], v2: ps[4] });
  }

  /**
   * Records forward + backward: adds weight * dLoss/dRender into gradRender and writes
   * weight * loss to lossOut[lossSlot]. No CPU readback. Scratch: 96 bytes per pixel.
   * @throws Error naming the field when a size, buffer or number is invalid.
   */
  record(enc: GPUCommandEncoder, p: L1SsimParams): void {
    const where = 'L1SsimLoss.record';
    checkSize(where, p.width, p.height);
    const n = p.width * p.height;
    for (const f of ['render', 'target', 'gradRender'] as const) checkBuffer(where, f, p[f], n * 12);
    checkNumber(where, 'lambdaSsim', p.lambdaSsim, 0, 1);
    checkNumber(where, 'weight', p.weight);
    checkLossSlot(where, p.lossOut, p.lossSlot);
    const segsX = Math.ceil(p.width / SEG);
    const segsY = Math.ceil(p.height / SEG);
    const rows = segsX * p.height; // threads of h1 / h2
    const cols = p.width * segsY; // threads of v1 / v2 (= partials)
    const hbuf = this.hbuf.get(n * 60).buffer;
    const dmaps = this.dmaps.get(n * 36).buffer;
    const partials = this.partials.get(cols * 8).buffer;
    this.params.record(enc, (u, f) => {
      u[0] = p.width;
      u[1] = p.height;
      u[2] = segsX;
      u[3] = segsY;
      f[4] = p.lambdaSsim;
      f[5] = p.weight;
      u[6] = p.lossSlot;
      f[7] = 1 / (n * 3);
      u[8] = cols;
    });
    const d = this.gpu.device;
    const U = this.params.buffer;
    const P = this.pipes;
    for (const threads of [rows, cols]) {
      if (workgroups(threads, 64)[1] > 1) throw new Error(`L1SsimLoss.record: image ${p.width}x${p.height} too large for one dispatch`);
    }
    const run = (pipe: GPUComputePipeline, entries: Record<number, GPUBuffer>, threads: number, label: string) =>
      recordPass(enc, 'loss.l1ssim', pipe, bindEntries(d, pipe, entries, label), [workgroups(threads, 64)[0]]);
    run(P.h1, { 0: U, 1: p.render, 2: p.target, 3: hbuf }, rows, 'L1SsimLoss.h1');
    run(P.v1, { 0: U, 1: p.render, 2: p.target, 3: hbuf, 4: dmaps, 5: partials }, cols, 'L1SsimLoss.v1');
    run(P.finalize, { 0: U, 5: partials, 6: p.lossOut }, 1, 'L1SsimLoss.finalize');
    run(P.h2, { 0: U, 3: hbuf, 4: dmaps }, rows, 'L1SsimLoss.h2');
    run(P.v2, { 0: U, 1: p.render, 2: p.target, 3: hbuf, 7: p.gradRender }, cols, 'L1SsimLoss.v2');
  }

  /** Frees the scratch buffers. */
  destroy(): void {
    this.hbuf.destroy();
    this.dmaps.destroy();
    this.partials.destroy();
  }
}
