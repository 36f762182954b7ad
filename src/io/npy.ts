import { fail } from './FormatError';

/**
 * Minimal NumPy .npy reader (format spec: numpy.lib.format, versions 1.0-3.0) for little-endian
 * float64/float32 C-order arrays, as LLFF's poses_bounds.npy.
 * @returns the values as float64 and the shape
 * @throws FormatError naming the file and the header field when the magic, dtype, order or size is wrong.
 */
export function readNpy(file: string, bytes: Uint8Array): { shape: number[]; data: Float64Array } {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((m, i) => bytes[i] !== m)) fail(file, 'magic', 'not a .npy file');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const hlen = major === 1 ? dv.getUint16(8, true) : bytes.length >= 12 ? dv.getUint32(8, true) : -1;
  const hstart = major === 1 ? 10 : 12;
  if (hlen < 0 || hstart + hlen > bytes.length) fail(file, 'header', 'truncated header');
  const header = new TextDecoder('latin1').decode(bytes.subarray(hstart, hstart + hlen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr !== '<f8' && descr !== '<f4') fail(file, 'descr', `dtype "${descr}" unsupported (need <f8 or <f4)`);
  if (fortran !== 'False') fail(file, 'fortran_order', 'only C-order arrays are supported');
  if (shapeStr === undefined) fail(file, 'shape', 'missing');
  const shape = shapeStr.split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(file, 'shape', `invalid shape (${shapeStr})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const size = descr === '<f8' ? 8 : 4;
  const off = hstart + hlen;
  if (off + count * size > bytes.length) fail(file, 'data', `truncated: shape (${shape.join(', ')}) needs ${count * size} bytes, ${bytes.length - off} present`);
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = size === 8 ? dv.getFloat64(off + i * 8, true) : dv.getFloat32(off + i * 4, true);
  return { shape, data };
}
