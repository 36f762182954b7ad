/**
 * Studio preview splatting on a WebGPU render pass (shaders/preview_splat.wgsl): one quad per
 * Gaussian, EWA-projected, blended back to front after a CPU depth sort. It draws straight from a
 * GaussianBuffers (a loaded file or the trainer's live parameters), so it needs no readback. Used
 * when the compute rasterizer is unavailable; the sort order comes from a CPU copy of the means.
 */
import previewWgsl from '../../shaders/preview_splat.wgsl?raw';
import type { Camera } from '../core/Camera';
import { Usage, createStorageBuffer, createUniformBuffer, writeBuffer } from '../gpu/buffers';
import type { GaussianBuffers } from '../splat/GaussianBuffers';

const MODES = { rgb: 0, depth: 1, alpha: 2 } as const;

export class SplatPreview {
  private pipeline: GPURenderPipeline;
  private uniform: GPUBuffer;
  private orderBuf: GPUBuffer | null = null;
  private orderCap = 0;
  private bind: GPUBindGroup | null = null;
  private bindKey: GPUBuffer[] = [];
  private depthKey = new Float32Array(0);
  private order = new Uint32Array(0);

  /**
   * @param device the WebGPU device
   * @param format the canvas (colour target) format
   * @throws ShaderCompileError-like GPU validation errors surface through the device's error scope
   */
  constructor(
    private device: GPUDevice,
    format: GPUTextureFormat,
  ) {
    const module = device.createShaderModule({ code: previewWgsl, label: 'shaders/preview_splat.wgsl' });
    this.pipeline = device.createRenderPipeline({
      label: 'preview_splat',
      layout: 'auto',
      vertex: { module, entryPoint: 'vs' },
      fragment: {
        module,
        entryPoint: 'fs',
        targets: [
          {
            format,
            blend: {
              color: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha', operation: 'add' },
              alpha: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha', operation: 'add' },
            },
          },
        ],
      },
      primitive: { topology: 'triangle-strip' },
    });
    this.uniform = createUniformBuffer(device, 96, 'preview.view');
  }

  /**
   * Back-to-front order of `count` Gaussians for `camera` by camera-z of `means` (N*3 world xyz):
   * a 16-bit counting sort. When `means` is null or shorter than `count`, the rest keep index order.
   */
  sortOrder(means: Float32Array | null, count: number, camera: Camera): Uint32Array {
    if (this.order.length < count) {
      this.order = new Uint32Array(count);
      this.depthKey = new Float32Array(count);
    }
    const order = this.order;
    const n = means ? Math.min(count, Math.floor(means.length / 3)) : 0;
    if (n === 0 || !means) {
      for (let i = 0; i < count; i++) order[i] = i;
      return order.subarray(0, count);
    }
    const R = camera.R;
    const t2 = camera.t[2];
    let lo = Infinity;
    let hi = -Infinity;
    const z = this.depthKey;
    for (let i = 0; i < n; i++) {
      const v = R[6] * means[i * 3] + R[7] * means[i * 3 + 1] + R[8] * means[i * 3 + 2] + t2;
      z[i] = v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const B = 65536;
    const counts = new Uint32Array(B + 1);
    const scale = hi > lo ? (B - 1) / (hi - lo) : 0;
    const keys = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      const k = B - 1 - Math.floor((z[i] - lo) * scale); // far first
      keys[i] = k;
      counts[k + 1]++;
    }
    for (let b = 0; b < B; b++) counts[b + 1] += counts[b];
    for (let i = 0; i < n; i++) order[counts[keys[i]]++] = i;
    for (let i = n; i < count; i++) order[i] = i;
    return order.subarray(0, count);
  }

  /**
   * Records the splat draw into `pass` (a render pass on the canvas, cleared to the background).
   * @param gaussians the model (its first `count` Gaussians are drawn)
   * @param camera the view (OpenCV, pixels of the colour target)
   * @param order draw order from sortOrder (length >= count)
   * @param near,far depth-colormap range in world units
   */
  draw(
    pass: GPURenderPassEncoder,
    gaussians: GaussianBuffers,
    camera: Camera,
    order: Uint32Array,
    mode: keyof typeof MODES,
    near: number,
    far: number,
  ): void {
    const count = gaussians.count;
    if (count === 0) return;
    if (!this.orderBuf || this.orderCap < count) {
      this.orderBuf?.destroy();
      this.orderCap = Math.ceil(count * 1.25);
      this.orderBuf = createStorageBuffer(this.device, this.orderCap * 4, 'preview.order', Usage.STORAGE | Usage.COPY_DST);
      this.bind = null;
    }
    writeBuffer(this.device, this.orderBuf, order.subarray(0, count));
    const b = gaussians.buffers;
    const key = [b.means, b.logScales, b.quats, b.logitOpacities, b.sh, this.orderBuf];
    if (!this.bind || key.some((k, i) => k !== this.bindKey[i])) {
      this.bindKey = key;
      this.bind = this.device.createBindGroup({
        layout: this.pipeline.getBindGroupLayout(0),
        entries: [this.uniform, ...key].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
    }
    const R = camera.R;
    const t = camera.t;
    const u = new ArrayBuffer(96);
    const f = new Float32Array(u);
    const ui = new Uint32Array(u);
    f.set([R[0], R[1], R[2], t[0], R[3], R[4], R[5], t[1], R[6], R[7], R[8], t[2]], 0);
    f.set([camera.fx, camera.fy, camera.cx, camera.cy, camera.width, camera.height], 12);
    ui[18] = MODES[mode];
    ui[19] = gaussians.shDegree;
    f[20] = near;
    f[21] = far;
    ui[22] = count;
    writeBuffer(this.device, this.uniform, f);
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bind);
    pass.draw(4, count);
  }

  destroy(): void {
    this.orderBuf?.destroy();
    this.uniform.destroy();
  }
}
