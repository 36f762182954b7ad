/**
 * Draws the current model into the WebGPU canvas. Two paths:
 * - 'raster': the project's compute rasterizer (src/splat/GaussianRasterizer) writes planar rgb /
 *   alpha / depth buffers, and shaders/display.wgsl copies them to the canvas texture (colormap for
 *   depth and alpha); no CPU readback.
 * - 'preview': SplatPreview's quad splatting (used when the rasterizer is missing or fails).
 * The engine renders only when asked (the viewer asks on camera, model, mode or size changes).
 */
import displayWgsl from '../../shaders/display.wgsl?raw';
import { Camera } from '../core/Camera';
import type { GaussianCloud } from '../core/GaussianCloud';
import { createUniformBuffer, writeBuffer } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { GaussianBuffers } from '../splat/GaussianBuffers';
import type { Rasterizer } from './parts';
import { SplatPreview } from './SplatPreview';
import type { RenderMode } from './store';

export type RendererKind = 'raster' | 'preview';

export interface FrameRequest {
  /** View camera in canvas pixels (OpenCV). */
  camera: Camera;
  mode: RenderMode;
  /** Background, RGB in [0,1]. */
  background: [number, number, number];
  /** Depth colormap range, world units. */
  near: number;
  far: number;
  /** Fraction of the canvas resolution the rasterizer renders at (display upsamples). */
  renderScale: number;
}

export class ViewerEngine {
  readonly context: GPUCanvasContext;
  readonly format: GPUTextureFormat;
  private preview: SplatPreview;
  private displayPipeline: GPURenderPipeline;
  private displayUniform: GPUBuffer;
  private displayBind: GPUBindGroup | null = null;
  private displayKey: GPUBuffer[] = [];
  private own: GaussianBuffers | null = null;
  /** What is drawn: our own upload of a file, or a trainer's live buffers. */
  model: GaussianBuffers | null = null;
  /** CPU means used for the preview's depth sort (may lag the live model). */
  sortMeans: Float32Array | null = null;
  rasterizer: Rasterizer | null = null;
  kind: RendererKind = 'preview';
  /** Last error of the raster path (the engine then falls back to the preview). */
  rasterError = '';
  private inFlight = false;
  /** Wall time of the last completed frame's GPU work, ms (submit to done). */
  lastFrameMs = 0;
  private lastSync = 0;
  /** Called when a frame was incomplete (the viewer redraws). */
  onIncomplete: () => void = () => {};

  constructor(
    readonly gpu: GpuContext,
    readonly canvas: HTMLCanvasElement,
  ) {
    const ctx = canvas.getContext('webgpu');
    if (!ctx) throw new Error('This canvas cannot provide a WebGPU context');
    this.context = ctx;
    this.format = navigator.gpu.getPreferredCanvasFormat();
    ctx.configure({ device: gpu.device, format: this.format, alphaMode: 'opaque' });
    this.preview = new SplatPreview(gpu.device, this.format);
    const module = gpu.device.createShaderModule({ code: displayWgsl, label: 'shaders/display.wgsl' });
    this.displayPipeline = gpu.device.createRenderPipeline({
      label: 'display',
      layout: 'auto',
      vertex: { module, entryPoint: 'vs' },
      fragment: { module, entryPoint: 'fs', targets: [{ format: this.format }] },
      primitive: { topology: 'triangle-list' },
    });
    this.displayUniform = createUniformBuffer(gpu.device, 48, 'display.params');
  }

  /** Uploads a CPU cloud as the displayed model (replacing any previous upload). */
  showCloud(cloud: GaussianCloud): void {
    if (!this.own) this.own = new GaussianBuffers(this.gpu.device, Math.max(1, cloud.count), 'viewer');
    this.own.upload(cloud);
    this.model = this.own;
    this.sortMeans = cloud.means;
  }

  /** Shows a GaussianBuffers owned elsewhere (the trainer's live parameters). */
  showBuffers(buffers: GaussianBuffers | null, means: Float32Array | null = null): void {
    this.model = buffers;
    this.sortMeans = means;
  }

  /** True while a frame's GPU work is still queued (callers skip a frame then). */
  get busy(): boolean {
    return this.inFlight;
  }

  /**
   * Renders one frame to the canvas. Returns false when skipped because the previous frame is still
   * on the GPU. The camera's width/height must equal the canvas's pixel size.
   */
  render(req: FrameRequest): boolean {
    if (this.inFlight) return false;
    const device = this.gpu.device;
    const enc = device.createCommandEncoder({ label: 'viewer.frame' });
    const view = this.context.getCurrentTexture().createView();
    const [br, bg, bb] = req.background;
    const model = this.model;
    let drawn = false;
    if (model && model.count > 0 && this.kind === 'raster' && this.rasterizer) {
      try {
        const w = Math.max(1, Math.round(req.camera.width * req.renderScale));
        const h = Math.max(1, Math.round(req.camera.height * req.renderScale));
        const cam = req.renderScale === 1 ? req.camera : req.camera.resized(w, h);
        const out = this.rasterizer.forward(enc, model, cam, { background: req.background, antialiased: false });
        this.display(enc, view, out, req);
        drawn = true;
      } catch (e) {
        this.rasterError = e instanceof Error ? e.message : String(e);
        this.kind = 'preview';
      }
    }
    if (!drawn) {
      const pass = enc.beginRenderPass({
        colorAttachments: [{ view, loadOp: 'clear', storeOp: 'store', clearValue: { r: br, g: bg, b: bb, a: 1 } }],
      });
      if (model && model.count > 0) {
        const order = this.preview.sortOrder(this.sortMeans, model.count, req.camera);
        this.preview.draw(pass, model, req.camera, order, req.mode, req.near, req.far);
      }
      pass.end();
    }
    this.inFlight = true;
    const t0 = performance.now();
    const sync = drawn && this.rasterizer?.syncCapacity && t0 - this.lastSync > 500;
    device.queue.submit([enc.finish()]);
    device.queue.onSubmittedWorkDone().then(
      async () => {
        this.lastFrameMs = performance.now() - t0;
        if (sync) {
          this.lastSync = performance.now();
          // Intersection buffers grow on demand: redraw when the last frame was incomplete.
          const r = await this.rasterizer!.syncCapacity!().catch(() => ({ overflowed: false }));
          if (r.overflowed) this.onIncomplete();
        }
        this.inFlight = false;
      },
      () => {
        this.inFlight = false;
      },
    );
    return true;
  }

  /** Waits for the last submitted frame. */
  async settle(): Promise<void> {
    await this.gpu.device.queue.onSubmittedWorkDone();
    this.inFlight = false;
  }

  private display(
    enc: GPUCommandEncoder,
    view: GPUTextureView,
    out: { width: number; height: number; rgb: GPUBuffer; alpha: GPUBuffer; depth: GPUBuffer },
    req: FrameRequest,
  ): void {
    const key = [out.rgb, out.alpha, out.depth];
    if (!this.displayBind || key.some((k, i) => k !== this.displayKey[i])) {
      this.displayKey = key;
      this.displayBind = this.gpu.device.createBindGroup({
        layout: this.displayPipeline.getBindGroupLayout(0),
        entries: [this.displayUniform, ...key].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
    }
    const u = new ArrayBuffer(48);
    const ui = new Uint32Array(u);
    const f = new Float32Array(u);
    ui.set([req.camera.width, req.camera.height, out.width, out.height, { rgb: 0, depth: 1, alpha: 2 }[req.mode], 1]);
    f[6] = req.near;
    f[7] = req.far;
    f.set([...req.background, 1], 8);
    writeBuffer(this.gpu.device, this.displayUniform, ui);
    const pass = enc.beginRenderPass({
      colorAttachments: [{ view, loadOp: 'clear', storeOp: 'store', clearValue: { r: 0, g: 0, b: 0, a: 1 } }],
    });
    pass.setPipeline(this.displayPipeline);
    pass.setBindGroup(0, this.displayBind);
    pass.draw(3);
    pass.end();
  }

  destroy(): void {
    this.own?.destroy();
    this.preview.destroy();
    this.rasterizer?.destroy?.();
    this.context.unconfigure();
  }
}

/** Pinhole camera (OpenCV) from a three.js-style camera: c2w matrix (column-major 4x4, OpenGL axes), vertical fov (degrees) and pixel size. */
export function cameraFromGL(matrixWorld: ArrayLike<number>, fovYDeg: number, width: number, height: number): Camera {
  const m = matrixWorld;
  // three.js elements are column-major; OpenGL camera axes -> OpenCV: flip y and z.
  const c2w = [m[0], -m[4], -m[8], m[12], m[1], -m[5], -m[9], m[13], m[2], -m[6], -m[10], m[14], 0, 0, 0, 1];
  const fy = height / 2 / Math.tan(((fovYDeg * Math.PI) / 180) / 2);
  return Camera.fromC2W(c2w, fy, fy, width / 2, height / 2, width, height, 'viewer');
}
