import { fail } from './FormatError';

/**
 * Generic PLY reader (header + elements), the container under INRIA 3DGS PLY, PlayCanvas compressed
 * PLY and COLMAP/nerfstudio point clouds. Spec: Greg Turk, "The PLY Polygon File Format" (1994),
 * http://paulbourke.net/dataformats/ply/. Supports ascii, binary_little_endian and binary_big_endian,
 * scalar and list properties. Every count is checked against the file size before allocating.
 */

export type PlyScalarType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';
export type PlyColumn = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

export interface PlyProperty {
  name: string;
  type: PlyScalarType;
  /** For list properties: the type of the length prefix (the property itself is skipped when read). */
  listCountType?: PlyScalarType;
}

export interface PlyElement {
  name: string;
  count: number;
  properties: PlyProperty[];
}

export interface PlyHeader {
  format: 'ascii' | 'binary_little_endian' | 'binary_big_endian';
  elements: PlyElement[];
  comments: string[];
  /** Byte offset of the body (just after "end_header\n"). */
  bodyOffset: number;
}

/** Scalar columns of each element: element name -> property name -> values (native PLY type). */
export type PlyData = Map<string, Map<string, PlyColumn>>;

const TYPE_ALIASES: Record<string, PlyScalarType> = {
  char: 'int8', int8: 'int8', uchar: 'uint8', uint8: 'uint8',
  short: 'int16', int16: 'int16', ushort: 'uint16', uint16: 'uint16',
  int: 'int32', int32: 'int32', uint: 'uint32', uint32: 'uint32',
  float: 'float32', float32: 'float32', double: 'float64', float64: 'float64',
};

/** Size in bytes of a PLY scalar type. */
export const PLY_TYPE_SIZE: Record<PlyScalarType, number> = {
  int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, float64: 8,
};

const MAX_HEADER_BYTES = 1 << 16;
const MAX_COUNT = 2 ** 31 - 1;

/** True when the bytes start with the PLY magic line. */
export function hasPlyMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x70 && bytes[1] === 0x6c && bytes[2] === 0x79 && (bytes[3] === 0x0a || bytes[3] === 0x0d);
}

/**
 * Parses the PLY header.
 * @throws FormatError (naming `file` and the header line) when the magic, format, an element or a
 *   property line is invalid, or when "end_header" is missing within the first 64 KiB (truncated header).
 */
export function parsePlyHeader(file: string, bytes: Uint8Array): PlyHeader {
  if (!hasPlyMagic(bytes)) fail(file, 'magic', 'not a PLY file (does not start with "ply")');
  const limit = Math.min(bytes.length, MAX_HEADER_BYTES);
  let end = -1;
  const marker = 'end_header';
  outer: for (let i = 0; i + marker.length <= limit; i++) {
    if (bytes[i] !== 0x65) continue; // 'e'
    for (let j = 1; j < marker.length; j++) if (bytes[i + j] !== marker.charCodeAt(j)) continue outer;
    if (i > 0 && bytes[i - 1] !== 0x0a && bytes[i - 1] !== 0x0d) continue;
    end = i;
    break;
  }
  if (end < 0) fail(file, 'header', 'no "end_header" line (truncated header?)');
  let bodyOffset = end + marker.length;
  while (bodyOffset < bytes.length && (bytes[bodyOffset] === 0x20 || bytes[bodyOffset] === 0x0d)) bodyOffset++;
  if (bodyOffset < bytes.length && bytes[bodyOffset] === 0x0a) bodyOffset++;
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, end));
  const lines = text.split(/\r?\n|\r/).map((l) => l.trim()).filter((l) => l.length > 0);
  let format: PlyHeader['format'] | undefined;
  const elements: PlyElement[] = [];
  const comments: string[] = [];
  for (let ln = 1; ln < lines.length; ln++) {
    const line = lines[ln];
    const parts = line.split(/\s+/);
    const where = `header line ${ln + 1}`;
    switch (parts[0]) {
      case 'format':
        if (parts[1] !== 'ascii' && parts[1] !== 'binary_little_endian' && parts[1] !== 'binary_big_endian') {
          fail(file, where, `unsupported format "${parts[1] ?? ''}"`);
        }
        format = parts[1] as PlyHeader['format'];
        break;
      case 'comment':
      case 'obj_info':
        comments.push(line.slice(parts[0].length).trim());
        break;
      case 'element': {
        const count = Number(parts[2]);
        if (!parts[1] || !Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
          fail(file, `element ${parts[1] ?? '?'}`, `invalid element count "${parts[2] ?? ''}"`);
        }
        elements.push({ name: parts[1], count, properties: [] });
        break;
      }
      case 'property': {
        const el = elements[elements.length - 1];
        if (!el) fail(file, where, 'property before any element');
        if (parts[1] === 'list') {
          const ct = TYPE_ALIASES[parts[2]];
          const it = TYPE_ALIASES[parts[3]];
          if (!ct || !it || !parts[4]) fail(file, where, `invalid list property "${line}"`);
          el.properties.push({ name: parts[4], type: it, listCountType: ct });
        } else {
          const t = TYPE_ALIASES[parts[1]];
          if (!t || !parts[2]) fail(file, where, `invalid property "${line}"`);
          if (el.properties.some((p) => p.name === parts[2])) fail(file, `property ${parts[2]}`, `duplicate in element ${el.name}`);
          el.properties.push({ name: parts[2], type: t });
        }
        break;
      }
      default:
        fail(file, where, `unknown keyword "${parts[0]}"`);
    }
  }
  if (!format) fail(file, 'header', 'missing "format" line');
  return { format, elements, comments, bodyOffset };
}

function readScalar(dv: DataView, off: number, t: PlyScalarType, le: boolean): number {
  switch (t) {
    case 'int8': return dv.getInt8(off);
    case 'uint8': return dv.getUint8(off);
    case 'int16': return dv.getInt16(off, le);
    case 'uint16': return dv.getUint16(off, le);
    case 'int32': return dv.getInt32(off, le);
    case 'uint32': return dv.getUint32(off, le);
    case 'float32': return dv.getFloat32(off, le);
    case 'float64': return dv.getFloat64(off, le);
  }
}

function newColumn(t: PlyScalarType, n: number): PlyColumn {
  switch (t) {
    case 'int8': return new Int8Array(n);
    case 'uint8': return new Uint8Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint16': return new Uint16Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
  }
}

/**
 * Reads every element's scalar properties into columns (list properties are skipped over).
 * @param wanted when given, only these elements are kept (all are still walked over).
 * @throws FormatError when the body is shorter than the header promises (truncated body), or an
 *   ASCII value is missing or not a number; names the element, row and property.
 */
export function readPlyBody(file: string, bytes: Uint8Array, header: PlyHeader, wanted?: string[]): PlyData {
  const out: PlyData = new Map();
  if (header.format === 'ascii') return readAscii(file, bytes, header, wanted);
  const le = header.format === 'binary_little_endian';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = header.bodyOffset;
  for (const el of header.elements) {
    const keep = !wanted || wanted.includes(el.name);
    const hasList = el.properties.some((p) => p.listCountType);
    const remaining = bytes.length - off;
    if (!hasList) {
      const stride = el.properties.reduce((s, p) => s + PLY_TYPE_SIZE[p.type], 0);
      if (el.count * stride > remaining) {
        fail(file, `element ${el.name}`, `truncated body: ${el.count} rows of ${stride} bytes need ${el.count * stride} bytes, ${remaining} left`);
      }
      if (keep) {
        const cols = new Map<string, PlyColumn>();
        let poff = 0;
        for (const p of el.properties) {
          const col = newColumn(p.type, el.count);
          const sz = PLY_TYPE_SIZE[p.type];
          let o = off + poff;
          if (p.type === 'float32') {
            const c = col as Float32Array;
            for (let i = 0; i < el.count; i++, o += stride) c[i] = dv.getFloat32(o, le);
          } else if (p.type === 'uint32') {
            const c = col as Uint32Array;
            for (let i = 0; i < el.count; i++, o += stride) c[i] = dv.getUint32(o, le);
          } else {
            for (let i = 0; i < el.count; i++, o += stride) col[i] = readScalar(dv, o, p.type, le);
          }
          cols.set(p.name, col);
          poff += sz;
        }
        out.set(el.name, cols);
      }
      off += el.count * stride;
      continue;
    }
    // Variable-size rows (faces): walk row by row, bounds-checked. Each row needs >= 1 byte.
    if (el.count > remaining) fail(file, `element ${el.name}`, `truncated body: ${el.count} rows, ${remaining} bytes left`);
    const cols = new Map<string, PlyColumn>();
    for (const p of el.properties) if (!p.listCountType && keep) cols.set(p.name, newColumn(p.type, el.count));
    for (let i = 0; i < el.count; i++) {
      for (const p of el.properties) {
        if (p.listCountType) {
          const csz = PLY_TYPE_SIZE[p.listCountType];
          if (off + csz > bytes.length) fail(file, `element ${el.name}`, `truncated body at row ${i}, property ${p.name}`);
          const n = readScalar(dv, off, p.listCountType, le);
          off += csz;
          const skip = n * PLY_TYPE_SIZE[p.type];
          if (!(n >= 0) || off + skip > bytes.length) fail(file, `element ${el.name}`, `truncated body at row ${i}, property ${p.name}`);
          off += skip;
        } else {
          const sz = PLY_TYPE_SIZE[p.type];
          if (off + sz > bytes.length) fail(file, `element ${el.name}`, `truncated body at row ${i}, property ${p.name}`);
          const col = cols.get(p.name);
          if (col) col[i] = readScalar(dv, off, p.type, le);
          off += sz;
        }
      }
    }
    if (keep) out.set(el.name, cols);
  }
  return out;
}

function readAscii(file: string, bytes: Uint8Array, header: PlyHeader, wanted?: string[]): PlyData {
  const out: PlyData = new Map();
  const text = new TextDecoder('latin1').decode(bytes.subarray(header.bodyOffset));
  // Tokens are read lazily so a huge count on a short file fails fast.
  const re = /\S+/g;
  const next = (el: string, row: number, prop: string): number => {
    const m = re.exec(text);
    if (!m) fail(file, `element ${el}`, `truncated body: row ${row} has no value for ${prop}`);
    const v = Number(m[0]);
    if (Number.isNaN(v) && m[0].toLowerCase() !== 'nan') fail(file, `element ${el}`, `row ${row}, property ${prop}: "${m[0]}" is not a number`);
    return v;
  };
  for (const el of header.elements) {
    const keep = !wanted || wanted.includes(el.name);
    if (el.count * el.properties.length > text.length) {
      fail(file, `element ${el.name}`, `truncated body: ${el.count} rows cannot fit in ${text.length} characters`);
    }
    const cols = new Map<string, PlyColumn>();
    for (const p of el.properties) if (!p.listCountType && keep) cols.set(p.name, newColumn(p.type, el.count));
    for (let i = 0; i < el.count; i++) {
      for (const p of el.properties) {
        if (p.listCountType) {
          const n = next(el.name, i, p.name);
          if (!(n >= 0 && n < text.length)) fail(file, `element ${el.name}`, `row ${i}: invalid list length ${n}`);
          for (let k = 0; k < n; k++) next(el.name, i, p.name);
        } else {
          const v = next(el.name, i, p.name);
          const col = cols.get(p.name);
          if (col) col[i] = v;
        }
      }
    }
    if (keep) out.set(el.name, cols);
  }
  return out;
}

/** Header + body in one call. */
export function readPly(file: string, bytes: Uint8Array, wanted?: string[]): { header: PlyHeader; data: PlyData } {
  const header = parsePlyHeader(file, bytes);
  return { header, data: readPlyBody(file, bytes, header, wanted) };
}

/** Returns the named column or throws "missing required property". */
export function requireColumn(file: string, data: PlyData, element: string, prop: string): PlyColumn {
  const el = data.get(element);
  if (!el) fail(file, `element ${element}`, 'missing required element');
  const col = el.get(prop);
  if (!col) fail(file, `property ${prop}`, `missing required property in element ${element}`);
  return col;
}
