/**
 * WebGPU device acquisition for the browser (`navigator.gpu`) and Node (the `webgpu` npm package,
 * Dawn). On Linux machines without a GPU, Node uses SwiftShader's Vulkan driver shipped by Debian's
 * `chromium` package.
 */

/** A device plus what callers print and branch on. */
export interface GpuContext {
  device: GPUDevice;
  adapter: GPUAdapter;
  /** Human-readable adapter name, e.g. "SwiftShader Device (Subzero) (vulkan)". */
  adapterName: string;
  /** True when the device was created with the `subgroups` feature. */
  hasSubgroups: boolean;
  /** True when the device was created with `timestamp-query`. */
  hasTimestamps: boolean;
}

/** Thrown when no WebGPU adapter can be found; the message says what to install. */
export class GpuUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuUnavailableError';
  }
}

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

// Dawn's GPU object must stay referenced for the life of the process (GC of it crashes Node).
let nodeGpu: GPU | undefined;
let cached: Promise<GpuContext> | undefined;

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
}

async function nodeNavigatorGpu(): Promise<GPU> {
  if (nodeGpu) return nodeGpu;
  const fs = await import('node:fs');
  const env = process.env;
  if (!env.XDG_RUNTIME_DIR) env.XDG_RUNTIME_DIR = '/tmp';
  // Without a GPU device node the system's Vulkan ICDs (Mesa's lavapipe, say) are unusable by Dawn:
  // point the loader at SwiftShader, which Debian's chromium package ships.
  if (!env.VK_ICD_FILENAMES && !env.VK_DRIVER_FILES && process.platform === 'linux') {
    const hasGpuNode = fs.existsSync('/dev/dri') || fs.existsSync('/dev/nvidia0') || fs.existsSync('/dev/nvidiactl');
    if (!hasGpuNode && fs.existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  const webgpu = await import('webgpu');
  Object.assign(globalThis, webgpu.globals);
  nodeGpu = webgpu.create([]) as GPU;
  (globalThis as any).__sparsesplatDawn = nodeGpu;
  return nodeGpu;
}

function adapterLabel(adapter: GPUAdapter): string {
  const info = adapter.info;
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => !!s);
  return parts.length ? parts.join(' ') : 'unknown adapter';
}

/**
 * Returns the process-wide WebGPU device, creating it on first call with the adapter's largest
 * storage-buffer limits and the `subgroups` / `timestamp-query` features when available.
 * @throws GpuUnavailableError when no adapter is found, with install instructions.
 */
export function acquireGpu(): Promise<GpuContext> {
  if (!cached) {
    cached = createGpu().catch((e) => {
      cached = undefined;
      throw e;
    });
  }
  return cached;
}

async function createGpu(): Promise<GpuContext> {
  let gpu: GPU | undefined;
  if (isNode()) {
    gpu = await nodeNavigatorGpu();
  } else if (typeof navigator !== 'undefined' && 'gpu' in navigator) {
    gpu = navigator.gpu;
  }
  if (!gpu) {
    throw new GpuUnavailableError(
      'WebGPU is not available in this browser. Use a recent Chrome, Edge or Firefox Nightly, ' +
        'or start Chromium with --enable-unsafe-webgpu.',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new GpuUnavailableError(
      isNode()
        ? 'No WebGPU adapter found. On Debian/Ubuntu without a GPU install SwiftShader and the Vulkan ' +
            'loader: `sudo apt-get install chromium libvulkan1` (SwiftShader ships in ' +
            `${SWIFTSHADER_ICD}); or set VK_ICD_FILENAMES to your GPU's Vulkan ICD.`
        : 'No WebGPU adapter found: enable hardware acceleration, or start Chromium with ' +
            '--enable-unsafe-webgpu --enable-features=Vulkan.',
    );
  }
  const wanted: GPUFeatureName[] = ['subgroups', 'timestamp-query'];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxBindGroups: l.maxBindGroups,
    },
  });
  device.addEventListener('uncapturederror', (ev) => {
    console.error('WebGPU error:', (ev as GPUUncapturedErrorEvent).error.message);
  });
  return {
    device,
    adapter,
    adapterName: adapterLabel(adapter),
    hasSubgroups: device.features.has('subgroups'),
    hasTimestamps: device.features.has('timestamp-query'),
  };
}

/**
 * Forgets the cached device so the next acquireGpu() creates a new one. Call after `GPUDevice.lost`
 * (the studio does, to restart training on a fresh device); buffers of the old device are unusable.
 */
export function releaseGpu(): void {
  cached = undefined;
}
