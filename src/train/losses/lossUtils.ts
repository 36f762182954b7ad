/**
 * Plumbing shared by the GPU losses: input validation with clear errors, per-record parameter
 * upload ordered inside the command encoder, and the shared WGSL prelude. Pipelines, bind groups
 * and passes come from src/gpu/passes.
 */
import commonWgsl from '../../../shaders/loss_common.wgsl?raw';
import { Usage, createStorageBuffer, createUniformBuffer } from '../../gpu/buffers';
import { gaussianWindow } from './reference';

/** Prepends loss_common.wgsl and fills the `/*GAUSS11*\/`, `/*GAUSS4*\/` placeholders with the windows. */
export function lossShader(code: string): string {
  const g = (n: number) => Array.from(gaussianWindow(n)).map((v) => v.toPrecision(9)).join(', ');
  return `${commonWgsl}\n${code.replace('/*GAUSS11*/', g(11)).replace('/*GAUSS4*/', g(4))}`;
}

/** Threads of the grid-stride reduction passes (GRID in shaders/loss_common.wgsl). */
export const GRID = 16384;

/** Throws unless width and height are positive integers. */
export function checkSize(where: string, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`${where}: width/height must be positive integers, got ${width}x${height}`);
  }
}

/** Throws unless `buffer` exists and holds at least `bytes` bytes. */
export function checkBuffer(where: string, field: string, buffer: GPUBuffer | null | undefined, bytes: number): void {
  if (!buffer) throw new Error(`${where}: ${field} buffer is missing`);
  if (buffer.size < bytes) throw new Error(`${where}: ${field} buffer has ${buffer.size} bytes, needs at least ${bytes}`);
}

/** Throws unless `value` is a finite number (>= min when given). */
export function checkNumber(where: string, field: string, value: number, min = -Infinity, max = Infinity): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${where}: ${field} must be a finite number in [${min}, ${max}], got ${value}`);
  }
}

/** Throws unless `lossSlot` is an integer float index inside `lossOut`. */
export function checkLossSlot(where: string, lossOut: GPUBuffer, lossSlot: number): void {
  if (!Number.isInteger(lossSlot) || lossSlot < 0) throw new Error(`${where}: lossSlot must be a non-negative integer, got ${lossSlot}`);
  checkBuffer(where, 'lossOut', lossOut, (lossSlot + 1) * 4);
}

/**
 * A uniform block whose contents are copied inside the command encoder (from a small mapped
 * staging buffer), so a loss may be recorded several times into one encoder with different
 * parameters and each dispatch sees its own values.
 */
export class ParamBlock {
  readonly buffer: GPUBuffer;
  private readonly bytes: number;

  constructor(private readonly device: GPUDevice, bytes: number, label: string) {
    this.bytes = Math.ceil(bytes / 16) * 16;
    this.buffer = createUniformBuffer(device, this.bytes, label);
  }

  /** Records a copy of the words written by `fill` (u32 and f32 views of one block) into the uniform buffer. */
  record(enc: GPUCommandEncoder, fill: (u32: Uint32Array, f32: Float32Array) => void): void {
    const staging = this.device.createBuffer({ size: this.bytes, usage: Usage.COPY_SRC, mappedAtCreation: true });
    const range = staging.getMappedRange();
    fill(new Uint32Array(range), new Float32Array(range));
    staging.unmap();
    enc.copyBufferToBuffer(staging, 0, this.buffer, 0, this.bytes);
  }
}

/**
 * A scratch storage buffer that grows (never shrinks) to the requested size. Outgrown buffers are
 * kept until destroy(), since commands recorded earlier in the same encoder may still use them.
 */
export class Scratch {
  private buf: GPUBuffer | null = null;
  private retired: GPUBuffer[] = [];
  constructor(private readonly device: GPUDevice, private readonly label: string) {}

  /** Returns a buffer of at least `bytes` bytes (a new one when it grows). */
  get(bytes: number): { buffer: GPUBuffer; grown: boolean } {
    if (this.buf && this.buf.size >= bytes) return { buffer: this.buf, grown: false };
    if (this.buf) this.retired.push(this.buf);
    this.buf = createStorageBuffer(this.device, bytes, this.label);
    return { buffer: this.buf, grown: true };
  }

  destroy(): void {
    this.buf?.destroy();
    for (const b of this.retired) b.destroy();
    this.retired = [];
    this.buf = null;
  }
}

/** A 4-byte storage buffer standing in for an absent optional input. */
export function dummyBuffer(device: GPUDevice, label: string): GPUBuffer {
  return createStorageBuffer(device, new Uint32Array(4), label);
}
