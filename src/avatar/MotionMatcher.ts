import { type Quaternion, Vector3 } from 'three';
import { FEATURE_DIM, ThreePointHistory, headingToWorld } from './MotionFeatures';
import { type MotionLibrary, OUTPUT_DIM, OUTPUT_JOINTS, type OutputJoint } from './MotionLibrary';

/** Output joints whose height scales with the head-height ratio of user and match (all but ankles and toes). */
const SCALED_WITH_HEAD = OUTPUT_JOINTS.flatMap((n, k) => (n.endsWith('Ankle') || n.endsWith('Toe') ? [] : [k]));

/** The body a MotionMatcher predicts for one instant (world frame, metres). */
export interface MatchedBody {
  /** World positions of the OUTPUT_JOINTS (pelvis, hips, knees, ankles, toes, shoulders, elbows). */
  joints: Record<OutputJoint, Vector3>;
  /** Blended foot contact labels [left, right] in [0, 1]. */
  contacts: [number, number];
  /** Matching distance of the nearest library row (standardized feature units). */
  distance: number;
}

export interface MotionMatcherOptions {
  /** Neighbours blended per query (default 10). */
  k?: number;
  /** Low-pass time constant of the predicted joints, seconds (default 0.03). */
  smoothTau?: number;
  /**
   * Temporal coherence in [0, 1) (default 0.2): the previous frame's neighbours, advanced along
   * their takes by the elapsed time, compete with the nearest rows at their distance times
   * (1 - coherence), so a match keeps playing its take unless another row is clearly closer (the
   * continuation bias of motion matching); 0 = plain nearest neighbours every frame.
   */
  coherence?: number;
}

/**
 * Live motion matching from three points: keeps a ThreePointHistory, queries a MotionLibrary each
 * frame with the past-window features and turns the blended output row (heading frame, heights
 * above the floor, in units of the user height) into world joint positions, low-passed with time
 * constant smoothTau; the neighbours are biased toward continuing the previous frame's (coherence). The heights of the joints above the ankles are scaled by the ratio of the
 * user's head height to the matched rows' (clamped to [0.5, 2]), so that a crouch deeper (or a
 * stance taller) than the library's keeps the pelvis under the head and the feet on the floor. Per frame: one k-d tree search plus O(OUTPUT_DIM * k) blending.
 * Units: metres, seconds, radians.
 */
export class MotionMatcher {
  private readonly history = new ThreePointHistory();
  private readonly feat = new Float32Array(FEATURE_DIM);
  private readonly row = new Float32Array(OUTPUT_DIM);
  private readonly o: Required<MotionMatcherOptions>;
  private readonly smoothed: Vector3[] = OUTPUT_JOINTS.map(() => new Vector3());
  private contacts: [number, number] = [1, 1];
  private lastT = 0;
  private started = false;
  /** The previous frame's neighbours (library rows) and how far past each the take has played (s), for coherence. */
  private carryRow: number[] = [];
  private carryPos: number[] = [];

  constructor(
    readonly library: MotionLibrary,
    options: MotionMatcherOptions = {},
  ) {
    this.o = { k: 10, smoothTau: 0.03, coherence: 0.2, ...options };
  }

  /** Forgets the history and the filter state. */
  reset(): void {
    this.history.clear();
    this.started = false;
    this.carryRow = [];
    this.carryPos = [];
  }

  /**
   * The previous neighbours advanced by dt seconds along their takes (library rows; -1 where a
   * take ended), rounded to the nearest row; updates carryRow/carryPos (row + seconds past it).
   */
  private advanceCarry(dt: number): number[] {
    const lib = this.library;
    return this.carryRow.map((r, n) => {
      let row = r;
      let pos = this.carryPos[n] + Math.max(0, dt);
      while (row >= 0 && pos >= lib.rowSeconds[row]) {
        pos -= lib.rowSeconds[row];
        row = lib.next[row];
      }
      this.carryRow[n] = row;
      this.carryPos[n] = pos;
      return row >= 0 && pos >= 0.5 * lib.rowSeconds[row] ? lib.next[row] : row;
    });
  }

  /**
   * One frame: time t (s, increasing), head joint and hand positions (m, world), head orientation,
   * user height h (m). Returns fresh vectors.
   * @throws RangeError for non-finite input or time going backwards.
   */
  update(t: number, head: Vector3, left: Vector3, right: Vector3, headQ: Quaternion, h: number): MatchedBody {
    this.history.push(t, head, left, right, headQ);
    this.history.features(h, headQ, this.feat);
    const coherent = this.o.coherence > 0;
    const carried = coherent && this.started ? this.advanceCarry(t - this.lastT) : [];
    const m = this.library.query(this.feat, this.o.k, this.row, carried.length ? { rows: carried, bonus: this.o.coherence } : undefined);
    if (coherent) {
      // the chosen rows for the next frame; a carried row keeps its fractional position
      const rows: number[] = [];
      const pos: number[] = [];
      for (const r of m.rows) {
        const j = carried.indexOf(r);
        rows.push(j >= 0 ? this.carryRow[j] : r);
        pos.push(j >= 0 ? this.carryPos[j] : 0);
      }
      this.carryRow = rows;
      this.carryPos = pos;
    }
    // the matched rows' head may be higher or lower than the user's (a crouch deeper than any in
    // the library): heights above the ankles scale by the head-height ratio, feet stay on the floor
    const ratio = Math.min(2, Math.max(0.5, this.feat[0] / Math.max(0.2, m.headHeight)));
    for (const k of SCALED_WITH_HEAD) this.row[3 * k + 1] *= ratio;
    const psi = this.history.yaw;
    const dt = this.started ? Math.max(0, t - this.lastT) : 0;
    const a = this.started ? 1 - Math.exp(-dt / Math.max(1e-6, this.o.smoothTau)) : 1;
    this.lastT = t;
    const v = new Vector3();
    const joints = {} as Record<OutputJoint, Vector3>;
    OUTPUT_JOINTS.forEach((n, k) => {
      v.set(this.row[3 * k], 0, this.row[3 * k + 2]);
      headingToWorld(v, psi, h, v);
      v.x += head.x;
      v.z += head.z;
      v.y = this.row[3 * k + 1] * h;
      this.smoothed[k].lerp(v, a);
      joints[n] = this.smoothed[k].clone();
    });
    const c = OUTPUT_JOINTS.length * 3;
    this.contacts = [this.contacts[0] + (this.row[c] - this.contacts[0]) * (this.started ? a : 1), this.contacts[1] + (this.row[c + 1] - this.contacts[1]) * (this.started ? a : 1)];
    this.started = true;
    return { joints, contacts: [this.contacts[0], this.contacts[1]], distance: m.distances[0] ?? 0 };
  }
}
