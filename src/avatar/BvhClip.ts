import { Quaternion, Vector3 } from 'three';
import { TextFormatError } from './TextFormatError';
import { BVHLoader } from 'three/examples/jsm/loaders/BVHLoader.js';

/** A malformed BVH file; the message names the file, the line and the field. */
export class BvhFormatError extends TextFormatError {
  override name = 'BvhFormatError';
}

const CHANNEL_NAMES = new Set(['Xposition', 'Yposition', 'Zposition', 'Xrotation', 'Yrotation', 'Zrotation']);

/** How BVH units were turned into metres. */
export interface BvhUnits {
  /** Metres per file unit. */
  metresPerUnit: number;
  /** 'cmu' (1/0.45 inch, the CMU ASF length unit), 'bandai' (cm), 'option' or 'detected:<unit>'. */
  source: string;
}

/**
 * A BVH clip after forward kinematics: world joint positions and rotations per frame, in metres,
 * in the file's own axes (both CMU and Bandai are Y up).
 */
export interface BvhClip {
  file: string;
  /** Joint names (End Sites excluded), parents before children. */
  joints: string[];
  /** parents[j] = index of the parent joint, -1 for the root. */
  parents: number[];
  frameCount: number;
  /** Seconds per frame. */
  frameTime: number;
  units: BvhUnits;
  /** True when position channels of non-root joints hold the full local translation (Bandai). */
  absolutePositionChannels: boolean;
  /** frameCount * joints * 3 world positions, metres. */
  positions: Float32Array;
  /** frameCount * joints * 4 world rotations (x, y, z, w). */
  rotations: Float32Array;
}

interface HeaderJoint {
  name: string;
  channels: string[];
  parent: number;
  line: number;
}

interface Validated {
  joints: HeaderJoint[];
  channelCount: number;
  frameCount: number;
  frameTime: number;
  firstFrame: number[];
}

/**
 * Checks a BVH text strictly before three's BVHLoader sees it (the loader crashes with a TypeError
 * on truncated files, reads NaN silently and misaligns channels on wrong counts).
 * Format: Biovision BVH (HIERARCHY with ROOT/JOINT/End Site, OFFSET x y z, CHANNELS n names...;
 * MOTION, "Frames: N", "Frame Time: t", then N lines of sum(n) numbers).
 * @throws BvhFormatError naming file, 1-based line and field.
 */
export function validateBvh(text: string, file: string): Validated {
  const lines = text.split(/\r\n|\r|\n/);
  let i = 0;
  const next = (field: string): { toks: string[]; line: number } => {
    while (i < lines.length && lines[i].trim() === '') i++;
    if (i >= lines.length) throw new BvhFormatError(file, lines.length, field, 'file is truncated (unexpected end of file)');
    const toks = lines[i].trim().split(/\s+/);
    i++;
    return { toks, line: i };
  };
  const num = (s: string | undefined, line: number, field: string): number => {
    const v = s === undefined ? NaN : Number(s);
    if (!Number.isFinite(v)) throw new BvhFormatError(file, line, field, `expected a finite number, got '${s ?? ''}'`);
    return v;
  };
  const first = next('HIERARCHY');
  if (first.toks[0] !== 'HIERARCHY') throw new BvhFormatError(file, first.line, 'HIERARCHY', `expected 'HIERARCHY', got '${first.toks[0]}'`);
  const joints: HeaderJoint[] = [];
  let channelCount = 0;
  const readNode = (head: { toks: string[]; line: number }, parent: number): void => {
    const kind = head.toks[0].toUpperCase();
    const isEnd = kind === 'END';
    if (!isEnd && kind !== 'ROOT' && kind !== 'JOINT') throw new BvhFormatError(file, head.line, 'JOINT', `expected ROOT, JOINT or End Site, got '${head.toks[0]}'`);
    if (!isEnd && !head.toks[1]) throw new BvhFormatError(file, head.line, 'JOINT', 'joint has no name');
    const brace = next('{');
    if (brace.toks[0] !== '{') throw new BvhFormatError(file, brace.line, '{', `expected '{', got '${brace.toks[0]}'`);
    const off = next('OFFSET');
    if (off.toks[0] !== 'OFFSET' || off.toks.length !== 4) throw new BvhFormatError(file, off.line, 'OFFSET', 'expected OFFSET with 3 numbers');
    for (let k = 1; k < 4; k++) num(off.toks[k], off.line, 'OFFSET');
    let self = parent;
    if (!isEnd) {
      const ch = next('CHANNELS');
      if (ch.toks[0] !== 'CHANNELS') throw new BvhFormatError(file, ch.line, 'CHANNELS', `expected CHANNELS, got '${ch.toks[0]}'`);
      const n = num(ch.toks[1], ch.line, 'CHANNELS');
      const names = ch.toks.slice(2);
      if (!Number.isInteger(n) || n < 0 || n !== names.length) {
        throw new BvhFormatError(file, ch.line, 'CHANNELS', `declares ${ch.toks[1]} channels but lists ${names.length}`);
      }
      for (const c of names) if (!CHANNEL_NAMES.has(c)) throw new BvhFormatError(file, ch.line, 'CHANNELS', `unknown channel '${c}'`);
      joints.push({ name: head.toks[1], channels: names, parent, line: head.line });
      channelCount += n;
      self = joints.length - 1;
    }
    for (;;) {
      const l = next('}');
      if (l.toks[0] === '}') return;
      if (isEnd) throw new BvhFormatError(file, l.line, '}', `End Site takes no children, got '${l.toks[0]}'`);
      readNode(l, self);
    }
  };
  readNode(next('ROOT'), -1);
  if (joints.length === 0) throw new BvhFormatError(file, first.line, 'ROOT', 'no joints');
  const motion = next('MOTION');
  if (motion.toks[0] !== 'MOTION') throw new BvhFormatError(file, motion.line, 'MOTION', `expected 'MOTION', got '${motion.toks[0]}'`);
  const fr = next('Frames');
  if (fr.toks[0] !== 'Frames:') throw new BvhFormatError(file, fr.line, 'Frames', `expected 'Frames: N', got '${fr.toks.join(' ')}'`);
  const frameCount = num(fr.toks[1], fr.line, 'Frames');
  if (!Number.isInteger(frameCount) || frameCount < 1) throw new BvhFormatError(file, fr.line, 'Frames', `expected a positive integer, got '${fr.toks[1]}'`);
  const ft = next('Frame Time');
  if (ft.toks[0] !== 'Frame' || ft.toks[1] !== 'Time:') throw new BvhFormatError(file, ft.line, 'Frame Time', `expected 'Frame Time: t', got '${ft.toks.join(' ')}'`);
  const frameTime = num(ft.toks[2], ft.line, 'Frame Time');
  // Motion capture runs at 1 Hz to 10 kHz; outside that the field is wrong (a frame count, milliseconds).
  if (!(frameTime >= 1e-4 && frameTime <= 1)) throw new BvhFormatError(file, ft.line, 'Frame Time', `must be seconds per frame in [0.0001, 1] (1 Hz to 10 kHz), got ${frameTime}`);
  let firstFrame: number[] = [];
  for (let f = 0; f < frameCount; f++) {
    while (i < lines.length && lines[i].trim() === '') i++;
    if (i >= lines.length) {
      throw new BvhFormatError(file, lines.length, 'MOTION', `file is truncated: 'Frames: ${frameCount}' but only ${f} frame lines`);
    }
    const toks = lines[i].trim().split(/\s+/);
    i++;
    if (toks.length !== channelCount) {
      throw new BvhFormatError(file, i, `frame ${f}`, `has ${toks.length} values but the hierarchy declares ${channelCount} channels`);
    }
    for (let k = 0; k < toks.length; k++) {
      const v = Number(toks[k]);
      if (!Number.isFinite(v)) {
        const { joint, channel } = channelOwner(joints, k);
        throw new BvhFormatError(file, i, `frame ${f} ${joint}.${channel}`, `not a finite number: '${toks[k]}'`);
      }
      if (f === 0) firstFrame.push(v);
    }
  }
  if (frameCount === 0) firstFrame = [];
  return { joints, channelCount, frameCount, frameTime, firstFrame };
}

function channelOwner(joints: HeaderJoint[], k: number): { joint: string; channel: string } {
  for (const j of joints) {
    if (k < j.channels.length) return { joint: j.name, channel: j.channels[k] };
    k -= j.channels.length;
  }
  return { joint: '?', channel: '?' };
}

/** Metres per unit for the datasets we know (README of ../shared/data/motion). */
function declaredUnits(file: string, joints: HeaderJoint[]): BvhUnits | null {
  const names = new Set(joints.map((j) => j.name));
  // CMU ASF/AMC converted to BVH: length unit = 1/0.45 inch (":units length 0.45" in the ASF).
  if (/[\\/]cmu[\\/]/i.test(file) || (names.has('LHipJoint') && names.has('lowerback'))) {
    return { metresPerUnit: 0.0254 / 0.45, source: 'cmu' };
  }
  // Bandai Namco Research Motion Dataset: centimetres.
  if (/bandai/i.test(file) || names.has('joint_Root')) return { metresPerUnit: 0.01, source: 'bandai' };
  return null;
}

export interface BvhLoadOptions {
  /** Override metres per unit; otherwise declared per dataset, else detected from body height. */
  metresPerUnit?: number;
}

/**
 * Parses a BVH text with three's BVHLoader (after validateBvh) and runs forward kinematics.
 * Units: declared for CMU (0.0254/0.45 m) and Bandai (0.01 m); otherwise detected by choosing the
 * unit among m, cm, inch, CMU that makes the frame-0 body height closest to 1.7 m.
 * Position channels: when >= 80% of non-root joints' frame-0 position channels equal their OFFSET
 * (Bandai), they are taken as the whole local translation; otherwise they add to OFFSET.
 * @throws BvhFormatError for malformed text.
 */
export function parseBvh(text: string, file: string, opts: BvhLoadOptions = {}): BvhClip {
  const v = validateBvh(text, file);
  const loader = new BVHLoader();
  const { skeleton, clip } = loader.parse(text);
  const bones = skeleton.bones.filter((b) => b.name !== 'ENDSITE');
  if (bones.length !== v.joints.length) throw new BvhFormatError(file, 1, 'HIERARCHY', 'BVHLoader disagrees with the joint count');
  const offsets = bones.map((b) => b.position.clone());
  // Detect absolute position channels: a non-root joint with position channels equal to its offset.
  let col = 0;
  let withPos = 0;
  let equal = 0;
  v.joints.forEach((j, ji) => {
    if (j.parent >= 0 && j.channels.includes('Xposition')) {
      withPos++;
      const ch = { x: 0, y: 0, z: 0 };
      j.channels.forEach((c, k) => {
        if (c === 'Xposition') ch.x = v.firstFrame[col + k];
        if (c === 'Yposition') ch.y = v.firstFrame[col + k];
        if (c === 'Zposition') ch.z = v.firstFrame[col + k];
      });
      const o = offsets[ji];
      const tol = 1e-3 * Math.max(1, o.length());
      if (Math.abs(ch.x - o.x) < tol && Math.abs(ch.y - o.y) < tol && Math.abs(ch.z - o.z) < tol) equal++;
    }
    col += j.channels.length;
  });
  const absolute = withPos > 0 && equal >= 0.8 * withPos; // the hips under a Bandai joint_Root move
  const hasPos = v.joints.map((j) => j.channels.includes('Xposition'));
  const posTrack = new Map<string, Float32Array>();
  const rotTrack = new Map<string, Float32Array>();
  for (const t of clip.tracks) {
    const [name, prop] = t.name.split('.');
    if (prop === 'position') posTrack.set(name, t.values as Float32Array);
    if (prop === 'quaternion') rotTrack.set(name, t.values as Float32Array);
  }
  const J = bones.length;
  const F = v.frameCount;
  const positions = new Float32Array(F * J * 3);
  const rotations = new Float32Array(F * J * 4);
  const wp = Array.from({ length: J }, () => new Vector3());
  const wq = Array.from({ length: J }, () => new Quaternion());
  const lt = new Vector3();
  const lq = new Quaternion();
  for (let f = 0; f < F; f++) {
    for (let j = 0; j < J; j++) {
      const name = bones[j].name;
      const pt = posTrack.get(name);
      const rt = rotTrack.get(name);
      if (pt && hasPos[j]) {
        lt.set(pt[f * 3], pt[f * 3 + 1], pt[f * 3 + 2]);
        if (absolute) lt.sub(offsets[j]); // channels are the whole local translation
      } else lt.copy(offsets[j]);
      if (rt) lq.set(rt[f * 4], rt[f * 4 + 1], rt[f * 4 + 2], rt[f * 4 + 3]);
      else lq.identity();
      const p = v.joints[j].parent;
      if (p < 0) {
        wp[j].copy(lt);
        wq[j].copy(lq);
      } else {
        wp[j].copy(lt).applyQuaternion(wq[p]).add(wp[p]);
        wq[j].copy(wq[p]).multiply(lq);
      }
      positions.set([wp[j].x, wp[j].y, wp[j].z], (f * J + j) * 3);
      rotations.set([wq[j].x, wq[j].y, wq[j].z, wq[j].w], (f * J + j) * 4);
    }
  }
  let units = opts.metresPerUnit !== undefined ? { metresPerUnit: opts.metresPerUnit, source: 'option' } : declaredUnits(file, v.joints);
  if (!units) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < J; j++) {
      lo = Math.min(lo, positions[j * 3 + 1]);
      hi = Math.max(hi, positions[j * 3 + 1]);
    }
    const cands: [string, number][] = [['m', 1], ['cm', 0.01], ['inch', 0.0254], ['cmu', 0.0254 / 0.45]];
    let best = cands[0];
    for (const c of cands) if (Math.abs(Math.log(((hi - lo) * c[1]) / 1.7)) < Math.abs(Math.log(((hi - lo) * best[1]) / 1.7))) best = c;
    units = { metresPerUnit: best[1], source: `detected:${best[0]}` };
  }
  for (let k = 0; k < positions.length; k++) positions[k] *= units.metresPerUnit;
  return {
    file,
    joints: bones.map((b) => b.name),
    parents: v.joints.map((j) => j.parent),
    frameCount: F,
    frameTime: v.frameTime,
    units,
    absolutePositionChannels: absolute,
    positions,
    rotations,
  };
}

/** Reads and parses a BVH file from disk (Node only). @throws BvhFormatError, or the fs error. */
export async function loadBvhFile(path: string, opts: BvhLoadOptions = {}): Promise<BvhClip> {
  const { readFile } = await import('node:fs/promises');
  return parseBvh(await readFile(path, 'utf8'), path, opts);
}

/** World position of joint j at frame f, metres. */
export function bvhJointPosition(clip: BvhClip, f: number, j: number, out = new Vector3()): Vector3 {
  const k = (f * clip.joints.length + j) * 3;
  return out.set(clip.positions[k], clip.positions[k + 1], clip.positions[k + 2]);
}

/** World rotation of joint j at frame f. */
export function bvhJointRotation(clip: BvhClip, f: number, j: number, out = new Quaternion()): Quaternion {
  const k = (f * clip.joints.length + j) * 4;
  return out.set(clip.rotations[k], clip.rotations[k + 1], clip.rotations[k + 2], clip.rotations[k + 3]);
}
