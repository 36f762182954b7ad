import { GROUP_WIDTH, PARAM_GROUPS, type GaussianBuffers, type ParamGroup } from '../splat/GaussianBuffers';
import { readF32, writeBuffer } from '../gpu/buffers';

/**
 * A CPU copy of the live rows of a GaussianBuffers (parameters, gradients or Adam moments), in the
 * same per-group flat layout (see GaussianBuffers). Densification strategies edit these tables.
 */
export interface GaussianTable {
  count: number;
  data: Record<ParamGroup, Float32Array>;
}

/** Reads the first `buffers.count` rows of every group. */
export async function downloadTable(buffers: GaussianBuffers): Promise<GaussianTable> {
  const data = {} as Record<ParamGroup, Float32Array>;
  for (const g of PARAM_GROUPS) {
    data[g] = buffers.count ? await readF32(buffers.device, buffers.buffers[g], buffers.count * GROUP_WIDTH[g]) : new Float32Array(0);
  }
  return { count: buffers.count, data };
}

/** Writes a table into `buffers` (growing them when needed) and sets their count. */
export function uploadTable(buffers: GaussianBuffers, table: GaussianTable): void {
  buffers.ensureCapacity(table.count);
  for (const g of PARAM_GROUPS) {
    if (table.count) writeBuffer(buffers.device, buffers.buffers[g], table.data[g].subarray(0, table.count * GROUP_WIDTH[g]));
  }
  buffers.count = table.count;
}

/** A table of `count` zero rows. */
export function zeroTable(count: number): GaussianTable {
  const data = {} as Record<ParamGroup, Float32Array>;
  for (const g of PARAM_GROUPS) data[g] = new Float32Array(count * GROUP_WIDTH[g]);
  return { count, data };
}

/** Rows `rows` of `table`, in that order (rows may repeat). */
export function gatherRows(table: GaussianTable, rows: ArrayLike<number>): GaussianTable {
  const out = zeroTable(rows.length);
  for (const g of PARAM_GROUPS) {
    const w = GROUP_WIDTH[g];
    const src = table.data[g];
    const dst = out.data[g];
    for (let i = 0; i < rows.length; i++) dst.set(src.subarray(rows[i] * w, rows[i] * w + w), i * w);
  }
  return out;
}

/** Concatenation of tables, rows of `a` first. */
export function concatTables(...tables: GaussianTable[]): GaussianTable {
  const count = tables.reduce((s, t) => s + t.count, 0);
  const out = zeroTable(count);
  for (const g of PARAM_GROUPS) {
    let off = 0;
    for (const t of tables) {
      out.data[g].set(t.data[g].subarray(0, t.count * GROUP_WIDTH[g]), off);
      off += t.count * GROUP_WIDTH[g];
    }
  }
  return out;
}
