import backgroundWgsl from '../../shaders/background.wgsl?raw';
import type { GpuContext } from '../gpu/device';
import { createStorageBuffer, createUniformBuffer, writeBuffer } from '../gpu/buffers';
import { bindEntries, cachedPipeline, recordPass, workgroups } from '../gpu/passes';

/**
 * Random-background training (as 3DGS's --random_background): each step renders over a random
 * colour and compares against the photo re-composited over that colour with its alpha, so the
 * model cannot paint the background into semi-transparent Gaussians. Needs Scene.alphas.
 */
export class RandomBackground {
  /** Re-composited target of the current step, [H][W][3] f32. */
  readonly target: GPUBuffer;
  private readonly uniform: GPUBuffer;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly pipeline: GPUComputePipeline,
    private readonly pixels: number,
  ) {
    this.target = createStorageBuffer(gpu.device, pixels * 3 * 4, 'randomBackground.target');
    this.uniform = createUniformBuffer(gpu.device, 32, 'randomBackground.params');
  }

  /** @param pixels width * height of the training images */
  static async create(gpu: GpuContext, pixels: number): Promise<RandomBackground> {
    return new RandomBackground(gpu, await cachedPipeline(gpu.device, backgroundWgsl, 'main', 'shaders/background.wgsl'), pixels);
  }

  /**
   * Records target' = target + (1 - alpha) (colour - sceneBackground) into `this.target`.
   * @param target photo composited over `sceneBackground`, [H][W][3]
   * @param alpha its alpha, [H][W]
   */
  record(enc: GPUCommandEncoder, target: GPUBuffer, alpha: GPUBuffer, colour: [number, number, number], sceneBackground: [number, number, number]): void {
    const u = new ArrayBuffer(32);
    new Uint32Array(u)[0] = this.pixels;
    new Float32Array(u).set([0, 1, 2].map((c) => colour[c] - sceneBackground[c]), 4);
    writeBuffer(this.gpu.device, this.uniform, new Uint8Array(u));
    const bind = bindEntries(this.gpu.device, this.pipeline, { 0: this.uniform, 1: target, 2: alpha, 3: this.target }, 'randomBackground');
    recordPass(enc, 'background', this.pipeline, bind, workgroups(this.pixels, 256));
  }

  destroy(): void {
    this.target.destroy();
    this.uniform.destroy();
  }
}
