/** Small helpers for GPU buffers: creation from typed arrays, readback, zeroing. */

/**
 * GPUBufferUsage / GPUMapMode flag values from the WebGPU spec, usable at module load in Node
 * (where the `GPUBufferUsage` global appears only once Dawn is loaded).
 */
export const Usage = {
  MAP_READ: 0x1,
  MAP_WRITE: 0x2,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  INDEX: 0x10,
  VERTEX: 0x20,
  UNIFORM: 0x40,
  STORAGE: 0x80,
  INDIRECT: 0x100,
  QUERY_RESOLVE: 0x200,
} as const;
const MAP_MODE_READ = 0x1;

/** Default usage of our storage buffers: STORAGE | COPY_SRC | COPY_DST. */
export const STORAGE = Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST;

/** Rounds a byte size up to a multiple of 4 (and at least 4), as WebGPU requires. */
export function alignSize(bytes: number): number {
  return Math.max(4, Math.ceil(bytes / 4) * 4);
}

/**
 * Creates a storage buffer holding `data` (or `bytes` zeroed bytes when given a number).
 * Usage defaults to STORAGE | COPY_SRC | COPY_DST.
 */
export function createStorageBuffer(
  device: GPUDevice,
  data: ArrayBufferView | number,
  label: string,
  usage: number = STORAGE,
): GPUBuffer {
  if (typeof data === 'number') {
    return device.createBuffer({ size: alignSize(data), usage, label });
  }
  const buffer = device.createBuffer({ size: alignSize(data.byteLength), usage, label, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}

/** Creates a uniform buffer of `bytes` bytes (rounded to 16), COPY_DST for updates. */
export function createUniformBuffer(device: GPUDevice, bytes: number, label: string): GPUBuffer {
  return device.createBuffer({
    size: Math.max(16, Math.ceil(bytes / 16) * 16),
    usage: Usage.UNIFORM | Usage.COPY_DST,
    label,
  });
}

/**
 * Copies `byteLength` bytes (default: whole buffer) of a COPY_SRC buffer to the CPU.
 * Waits for all queued work. Use in tests, CLIs and at intervals, never per training step.
 */
export async function readBuffer(
  device: GPUDevice,
  buffer: GPUBuffer,
  byteLength: number = buffer.size,
  byteOffset = 0,
): Promise<ArrayBuffer> {
  const size = alignSize(byteLength);
  const staging = device.createBuffer({ size, usage: Usage.MAP_READ | Usage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buffer, byteOffset, staging, 0, size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(MAP_MODE_READ);
  const out = staging.getMappedRange().slice(0, byteLength);
  staging.unmap();
  staging.destroy();
  return out;
}

/** Reads a buffer as Float32Array of `count` floats. */
export async function readF32(device: GPUDevice, buffer: GPUBuffer, count?: number): Promise<Float32Array> {
  const bytes = count === undefined ? buffer.size : count * 4;
  return new Float32Array(await readBuffer(device, buffer, bytes));
}

/** Reads a buffer as Uint32Array of `count` values. */
export async function readU32(device: GPUDevice, buffer: GPUBuffer, count?: number): Promise<Uint32Array> {
  const bytes = count === undefined ? buffer.size : count * 4;
  return new Uint32Array(await readBuffer(device, buffer, bytes));
}

/**
 * Writes a typed array into `buffer` at `byteOffset` (queue.writeBuffer without the
 * ArrayBuffer/SharedArrayBuffer typing friction of TS 5.9's generic typed arrays).
 */
export function writeBuffer(device: GPUDevice, buffer: GPUBuffer, data: ArrayBufferView, byteOffset = 0): void {
  device.queue.writeBuffer(buffer, byteOffset, data as ArrayBufferView<ArrayBuffer>);
}
