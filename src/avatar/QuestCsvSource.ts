import { Quaternion, Vector3 } from 'three';
import { TextFormatError } from './TextFormatError';
import type { PoseSource, ThreePointFrame, TrackedPose } from './types';

/** A malformed Quest CSV; the message names the file, the line and the field. */
export class QuestCsvError extends TextFormatError {
  override name = 'QuestCsvError';
}

const DEVICES = { head: 'Head', left: 'LeftTouch', right: 'RightTouch' } as const;
const POS = ['PosX', 'PosY', 'PosZ'];
const ORI = ['OrientationW', 'OrientationX', 'OrientationY', 'OrientationZ'];

/** Required columns: time, and per device (Head, LeftTouch, RightTouch) Pos{X,Y,Z}, Orientation{W,X,Y,Z}. */
export const QUEST_REQUIRED_COLUMNS = ['time', ...Object.values(DEVICES).flatMap((d) => [...POS, ...ORI].map((c) => d + c))];

export interface QuestCsvOptions {
  /** User height in metres (default 1.75): puts the floor at first-frame eye height - 0.936 * height. */
  userHeightM?: number;
}

/**
 * Recorded Quest 2 stream (sample_movement_data.csv, SIGNET Lab): columns named
 * {Head,LeftTouch,RightTouch}{PosX,PosY,PosZ,OrientationW,X,Y,Z} and 'time' (s), other columns
 * (buttons, triggers) ignored. Assumed frame: Unity/OVR, left-handed, Y up, +Z forward, metres,
 * origin at eye level; converted to ours (right-handed, -Z forward) by mirroring z:
 * p = (x, y, -z), q = (w, -x, -y, z). The floor is not recorded: it is set from a declared user
 * height (eye height 0.936 h, Drillis & Contini). Frames are used at their recorded times
 * (about 60 Hz); frame(i).time is relative to the first row.
 * @throws QuestCsvError for a missing column, a short row, a non-finite value, a zero quaternion,
 *         or time that does not increase.
 */
export class QuestCsvSource implements PoseSource {
  readonly rateHz: number;
  readonly frameCount: number;
  readonly headPoint = 'eyes' as const;
  /** Per frame: time, then head, left, right as (px, py, pz, qx, qy, qz, qw). */
  private readonly data: Float64Array;

  constructor(
    text: string,
    readonly name: string,
    options: QuestCsvOptions = {},
  ) {
    const lines = text.split(/\r\n|\r|\n/);
    const header = (lines[0] ?? '').split(',').map((s) => s.trim());
    const col = new Map(header.map((h, i) => [h, i]));
    for (const c of QUEST_REQUIRED_COLUMNS) if (!col.has(c)) throw new QuestCsvError(name, 1, c, `missing column (header has: ${header.join(', ')})`);
    const rows: number[][] = [];
    let lastT = -Infinity;
    for (let li = 1; li < lines.length; li++) {
      if (lines[li].trim() === '') continue;
      const cells = lines[li].split(',');
      if (cells.length !== header.length) throw new QuestCsvError(name, li + 1, 'row', `has ${cells.length} fields, header has ${header.length} (truncated or malformed row)`);
      const get = (c: string): number => {
        const s = cells[col.get(c)!].trim();
        const v = s === '' ? NaN : Number(s);
        if (!Number.isFinite(v)) throw new QuestCsvError(name, li + 1, c, `not a finite number: '${s}'`);
        return v;
      };
      const t = get('time');
      if (!(t > lastT)) throw new QuestCsvError(name, li + 1, 'time', `does not increase (${t} after ${lastT})`);
      lastT = t;
      const row = [t];
      for (const d of Object.values(DEVICES)) {
        const [x, y, z] = POS.map((c) => get(d + c));
        const [w, qx, qy, qz] = ORI.map((c) => get(d + c));
        const n = Math.hypot(w, qx, qy, qz);
        if (n < 1e-6) throw new QuestCsvError(name, li + 1, d + 'Orientation', 'zero quaternion');
        row.push(x, y, -z, -qx / n, -qy / n, qz / n, w / n);
      }
      rows.push(row);
    }
    if (rows.length < 2) throw new QuestCsvError(name, lines.length, 'rows', `needs at least 2 data rows, found ${rows.length}`);
    const h = options.userHeightM ?? 1.75;
    const floor = rows[0][2] - 0.936 * h;
    const t0 = rows[0][0];
    this.data = new Float64Array(rows.length * 22);
    rows.forEach((r, i) => {
      r[0] -= t0;
      for (const k of [2, 9, 16]) r[k] -= floor;
      this.data.set(r, i * 22);
    });
    this.frameCount = rows.length;
    this.rateHz = (rows.length - 1) / rows[rows.length - 1][0];
  }

  /** Reads a CSV file from disk (Node only). @throws QuestCsvError, or the fs error. */
  static async load(path: string, options: QuestCsvOptions = {}): Promise<QuestCsvSource> {
    const { readFile } = await import('node:fs/promises');
    return new QuestCsvSource(await readFile(path, 'utf8'), path, options);
  }

  /** Frame i. @throws RangeError outside [0, frameCount). */
  frame(i: number): ThreePointFrame {
    if (!(i >= 0 && i < this.frameCount)) throw new RangeError(`${this.name}: frame ${i} outside [0, ${this.frameCount})`);
    const d = this.data;
    const o = i * 22;
    const pose = (k: number): TrackedPose => ({
      position: new Vector3(d[o + k], d[o + k + 1], d[o + k + 2]),
      quaternion: new Quaternion(d[o + k + 3], d[o + k + 4], d[o + k + 5], d[o + k + 6]),
    });
    return { time: d[o], head: pose(1), left: pose(8), right: pose(15) };
  }
}
