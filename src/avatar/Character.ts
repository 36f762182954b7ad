import { Vector3 } from 'three';

/**
 * How the Retargeter drives a character joint (the mapping table):
 * - 'root': the pelvis, from the human pelvis (position scaled by leg length ratio, human rotation)
 * - 'torso': rigid with the human torso rotation (spine, chest, shoulders)
 * - 'pelvis': rigid with the pelvis rotation (hip joints)
 * - 'head': neck/head chain aimed at the normalized head target
 * - 'armIk': elbow and wrist from two-bone IK to the normalized hand target
 * - 'legIk': knee and ankle from two-bone IK to the scaled foot target
 * - 'plant': the foot contact joint of a digitigrade leg, placed at the foot target; the IK chain ends at its parent (the hock)
 * - 'foot': toe, rigid with the foot yaw
 * - 'spring': unmapped bones (tails): damped springs toward the rest pose carried by the parent
 */
export type Drive = 'root' | 'torso' | 'pelvis' | 'head' | 'armIk' | 'legIk' | 'plant' | 'foot' | 'spring';

/** One joint of a procedural capsule character. */
export interface CharacterJoint {
  name: string;
  /** Parent joint name, null for the root (pelvis). */
  parent: string | null;
  /** Rest position in the character frame: metres, Y up, facing -Z, +X to the character's right, feet on y = 0. */
  rest: [number, number, number];
  /** Radius of the capsule from this joint to its first child (a sphere for leaves), metres. */
  radius: number;
  drive: Drive;
  /** kg per m^3 for this bone's capsule, overriding the character's density. */
  density?: number;
}

/**
 * A character: joints (parents before children) with semantic names shared by all morphologies:
 * pelvis, chest, head, l/rShoulder, l/rElbow, l/rWrist, l/rHip, l/rKnee, l/rAnkle, l/rToe; optional
 * spine*, neck, headTop, l/rHock, tail*. Density is used for masses in PhysicsTracker.
 */
export interface CharacterDef {
  name: string;
  joints: CharacterJoint[];
  /** kg per m^3 of capsule volume. */
  density: number;
  colour: string;
}

/** Joint index by name. @throws Error naming the character when the joint is missing. */
export function jointIndex(def: CharacterDef, name: string): number {
  const i = def.joints.findIndex((j) => j.name === name);
  if (i < 0) throw new Error(`character '${def.name}' has no joint '${name}'`);
  return i;
}

/** Parent indices, -1 for the root. */
export function parentIndices(def: CharacterDef): number[] {
  return def.joints.map((j) => (j.parent === null ? -1 : jointIndex(def, j.parent)));
}

/** First child of each joint (the capsule end), -1 for leaves. */
export function firstChildren(def: CharacterDef): number[] {
  const p = parentIndices(def);
  return def.joints.map((_, i) => p.indexOf(i));
}

/** Rest position as a Vector3. */
export function restOf(def: CharacterDef, name: string): Vector3 {
  return new Vector3(...def.joints[jointIndex(def, name)].rest);
}

/** Distance between two joints in the rest pose, metres. */
export function restDistance(def: CharacterDef, a: string, b: string): number {
  return restOf(def, a).distanceTo(restOf(def, b));
}

/** Upper-arm + forearm length (shoulder->elbow->wrist), metres. */
export function armLength(def: CharacterDef, side: 'l' | 'r' = 'l'): number {
  return restDistance(def, `${side}Shoulder`, `${side}Elbow`) + restDistance(def, `${side}Elbow`, `${side}Wrist`);
}

/** Hip height above the floor in the rest pose, metres (the leg scale of the Retargeter). */
export function legLength(def: CharacterDef): number {
  return restOf(def, 'lHip').y;
}

function mirror(joints: CharacterJoint[]): CharacterJoint[] {
  const out: CharacterJoint[] = [];
  for (const j of joints) {
    out.push(j);
    if (j.name.startsWith('l') && j.name[1] === j.name[1].toUpperCase()) {
      out.push({ ...j, name: 'r' + j.name.slice(1), parent: j.parent && j.parent.startsWith('l') && j.parent[1] === j.parent[1].toUpperCase() ? 'r' + j.parent.slice(1) : j.parent, rest: [-j.rest[0], j.rest[1], j.rest[2]] });
    }
  }
  // keep parents before children: stable sort by depth
  const depth = (n: string | null): number => (n === null ? 0 : 1 + depth(out.find((k) => k.name === n)!.parent));
  return out.map((j, i) => ({ j, i, d: depth(j.name) })).sort((a, b) => a.d - b.d || a.i - b.i).map((x) => x.j);
}

/** Segment lengths of a human, metres (from anthropometry or measured on a subject's skeleton). */
export interface HumanMeasurements {
  /** Floor to ankle joint. */
  ankleHeight: number;
  /** Knee to ankle, hip to knee. */
  shin: number;
  thigh: number;
  /** Half the distance between the hip joints. */
  hipHalfWidth: number;
  /** Pelvis (root) above the hip joints. */
  pelvisAboveHip: number;
  /** Pelvis to the head joint (top of the neck), straight. */
  pelvisToHead: number;
  /** Head joint above the shoulder joints; half the distance between the shoulder joints. */
  shoulderBelowHead: number;
  shoulderHalfWidth: number;
  upperArm: number;
  forearm: number;
  /** Ankle to toe (ball of the foot). */
  foot: number;
}

/**
 * Anthropometric segment lengths for height h metres: fractions of height from Drillis & Contini via
 * Winter, "Biomechanics and Motor Control of Human Movement" (Fig. 4.1): shoulder 0.818, hip 0.530
 * (joint centre ~0.50), knee 0.285, ankle 0.039, upper arm 0.186, forearm 0.146, foot 0.152
 * (ankle to ball ~0.1); head joint (top of the neck) at 0.90.
 */
export function anthropometric(h: number): HumanMeasurements {
  return {
    ankleHeight: 0.039 * h,
    shin: 0.246 * h,
    thigh: 0.215 * h,
    hipHalfWidth: 0.05 * h,
    pelvisAboveHip: 0.03 * h,
    pelvisToHead: 0.37 * h,
    shoulderBelowHead: 0.082 * h,
    shoulderHalfWidth: 0.105 * h,
    upperArm: 0.186 * h,
    forearm: 0.146 * h,
    foot: 0.1 * h,
  };
}

/**
 * Human from segment lengths (default: anthropometric for 1.75 m). Rest pose: standing, arms hanging,
 * facing -Z; spine and chest on the pelvis->neck line at 30% and 63%, the neck base at 81% of
 * pelvis->head (Winter's proportions).
 */
export function makeHuman(m: HumanMeasurements | number = 1.75): CharacterDef {
  const M = typeof m === 'number' ? anthropometric(m) : m;
  const s = M.pelvisToHead / 0.37; // size scale for radii (1 = 1 m tall)
  const rAnkle = Math.min(0.02 * s, 0.8 * M.ankleHeight);
  const yA = M.ankleHeight;
  const yK = yA + M.shin;
  const yH = yK + M.thigh;
  const yP = yH + M.pelvisAboveHip;
  const yHead = yP + M.pelvisToHead;
  const yS = yHead - M.shoulderBelowHead;
  const at = (f: number): number => yP + f * M.pelvisToHead;
  const left: CharacterJoint[] = [
    { name: 'pelvis', parent: null, rest: [0, yP, 0], radius: 0.07 * s, drive: 'root' },
    { name: 'spine', parent: 'pelvis', rest: [0, at(0.3), 0.01 * s], radius: 0.065 * s, drive: 'torso' },
    { name: 'chest', parent: 'spine', rest: [0, at(0.63), 0], radius: 0.07 * s, drive: 'torso' },
    { name: 'neck', parent: 'chest', rest: [0, at(0.81), 0.01 * s], radius: 0.03 * s, drive: 'torso' },
    { name: 'head', parent: 'neck', rest: [0, yHead, 0], radius: 0.055 * s, drive: 'head' },
    { name: 'headTop', parent: 'head', rest: [0, yHead + 0.07 * s, -0.01 * s], radius: 0.01 * s, drive: 'head' },
    { name: 'lShoulder', parent: 'chest', rest: [-M.shoulderHalfWidth, yS, 0.01 * s], radius: 0.028 * s, drive: 'torso' },
    { name: 'lElbow', parent: 'lShoulder', rest: [-M.shoulderHalfWidth - 0.01 * s, yS - M.upperArm, 0.01 * s], radius: 0.022 * s, drive: 'armIk' },
    { name: 'lWrist', parent: 'lElbow', rest: [-M.shoulderHalfWidth - 0.015 * s, yS - M.upperArm - M.forearm, 0.01 * s], radius: 0.025 * s, drive: 'armIk' },
    { name: 'lHip', parent: 'pelvis', rest: [-M.hipHalfWidth, yH, 0], radius: 0.045 * s, drive: 'pelvis' },
    { name: 'lKnee', parent: 'lHip', rest: [-M.hipHalfWidth - 0.005 * s, yK, 0], radius: 0.033 * s, drive: 'legIk' },
    { name: 'lAnkle', parent: 'lKnee', rest: [-M.hipHalfWidth - 0.005 * s, yA, 0.01 * s], radius: rAnkle, drive: 'legIk' },
    // toe at the ankle capsule's radius so the foot capsule's sole touches y = 0
    { name: 'lToe', parent: 'lAnkle', rest: [-M.hipHalfWidth - 0.01 * s, rAnkle, 0.01 * s - Math.sqrt(Math.max(0, M.foot ** 2 - (yA - rAnkle) ** 2))], radius: rAnkle, drive: 'foot' },
  ];
  return { name: 'human', joints: mirror(left), density: 1000, colour: '#d9a066' };
}

/**
 * Dinosaur-like biped (theropod): horizontal body, long heavy tail, short arms, digitigrade legs
 * (thigh, shin, metatarsus; the backward "knee" is the ankle = 'lHock'). About 3.3 m long.
 */
export function makeDino(): CharacterDef {
  const left: CharacterJoint[] = [
    { name: 'pelvis', parent: null, rest: [0, 1.05, 0], radius: 0.16, drive: 'root' },
    { name: 'spine', parent: 'pelvis', rest: [0, 1.12, -0.3], radius: 0.17, drive: 'torso' },
    { name: 'chest', parent: 'spine', rest: [0, 1.18, -0.6], radius: 0.15, drive: 'torso' },
    { name: 'neck', parent: 'chest', rest: [0, 1.4, -0.8], radius: 0.08, drive: 'torso' },
    { name: 'head', parent: 'neck', rest: [0, 1.6, -0.9], radius: 0.11, drive: 'head' },
    { name: 'headTop', parent: 'head', rest: [0, 1.58, -1.25], radius: 0.06, drive: 'head' },
    { name: 'lShoulder', parent: 'chest', rest: [-0.15, 1.12, -0.68], radius: 0.04, drive: 'torso' },
    { name: 'lElbow', parent: 'lShoulder', rest: [-0.17, 0.98, -0.72], radius: 0.03, drive: 'armIk' },
    { name: 'lWrist', parent: 'lElbow', rest: [-0.17, 0.88, -0.8], radius: 0.025, drive: 'armIk' },
    { name: 'lHip', parent: 'pelvis', rest: [-0.17, 1.0, 0], radius: 0.1, drive: 'pelvis' },
    { name: 'lKnee', parent: 'lHip', rest: [-0.19, 0.6, -0.16], radius: 0.07, drive: 'legIk' },
    // foot under the whole-body centre of mass (the tail balances head and chest)
    { name: 'lHock', parent: 'lKnee', rest: [-0.19, 0.24, 0.2], radius: 0.045, drive: 'legIk' },
    { name: 'lAnkle', parent: 'lHock', rest: [-0.19, 0.04, 0.06], radius: 0.04, drive: 'plant' },
    { name: 'lToe', parent: 'lAnkle', rest: [-0.19, 0.04, -0.18], radius: 0.03, drive: 'foot' },
    { name: 'tail0', parent: 'pelvis', rest: [0, 1.05, 0.4], radius: 0.13, drive: 'spring' },
    { name: 'tail1', parent: 'tail0', rest: [0, 1.02, 0.85], radius: 0.1, drive: 'spring' },
    { name: 'tail2', parent: 'tail1', rest: [0, 0.98, 1.3], radius: 0.075, drive: 'spring' },
    { name: 'tail3', parent: 'tail2', rest: [0, 0.93, 1.75], radius: 0.05, drive: 'spring' },
    { name: 'tail4', parent: 'tail3', rest: [0, 0.88, 2.2], radius: 0.03, drive: 'spring' },
  ];
  return { name: 'dino', joints: mirror(left), density: 1000, colour: '#6a9f58' };
}

/** Mouse-like creature, upright, 0.9 m: short legs, big head, long thin tail. */
export function makeMouse(): CharacterDef {
  const left: CharacterJoint[] = [
    { name: 'pelvis', parent: null, rest: [0, 0.3, 0], radius: 0.11, drive: 'root' },
    { name: 'spine', parent: 'pelvis', rest: [0, 0.4, 0], radius: 0.11, drive: 'torso' },
    { name: 'chest', parent: 'spine', rest: [0, 0.48, 0], radius: 0.09, drive: 'torso' },
    { name: 'neck', parent: 'chest', rest: [0, 0.56, 0], radius: 0.06, drive: 'torso' },
    // a big, light (furry) head: water density would make it half the body mass
    { name: 'head', parent: 'neck', rest: [0, 0.62, 0], radius: 0.16, drive: 'head', density: 200 },
    { name: 'headTop', parent: 'head', rest: [0, 0.74, -0.12], radius: 0.12, drive: 'head' },
    { name: 'lShoulder', parent: 'chest', rest: [-0.1, 0.53, 0], radius: 0.03, drive: 'torso' },
    { name: 'lElbow', parent: 'lShoulder', rest: [-0.12, 0.41, 0], radius: 0.025, drive: 'armIk' },
    { name: 'lWrist', parent: 'lElbow', rest: [-0.13, 0.3, 0], radius: 0.025, drive: 'armIk' },
    { name: 'lHip', parent: 'pelvis', rest: [-0.07, 0.24, 0], radius: 0.05, drive: 'pelvis' },
    { name: 'lKnee', parent: 'lHip', rest: [-0.075, 0.13, -0.01], radius: 0.04, drive: 'legIk' },
    { name: 'lAnkle', parent: 'lKnee', rest: [-0.075, 0.035, 0], radius: 0.03, drive: 'legIk' },
    { name: 'lToe', parent: 'lAnkle', rest: [-0.08, 0.03, -0.13], radius: 0.02, drive: 'foot' },
    { name: 'tail0', parent: 'pelvis', rest: [0, 0.22, 0.12], radius: 0.025, drive: 'spring' },
    { name: 'tail1', parent: 'tail0', rest: [0, 0.12, 0.3], radius: 0.02, drive: 'spring' },
    { name: 'tail2', parent: 'tail1', rest: [0, 0.08, 0.5], radius: 0.016, drive: 'spring' },
    { name: 'tail3', parent: 'tail2', rest: [0, 0.1, 0.7], radius: 0.012, drive: 'spring' },
  ];
  return { name: 'mouse', joints: mirror(left), density: 1000, colour: '#9a9aa6' };
}

/** The three demo characters. */
export function makeCharacters(): CharacterDef[] {
  return [makeHuman(), makeDino(), makeMouse()];
}
