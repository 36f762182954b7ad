import type { Quaternion, Vector3 } from 'three';

/**
 * One tracked 6-DoF pose in the avatar world frame: right-handed, Y up, metres, floor at y = 0,
 * the user facing -Z at calibration (the WebXR / three.js convention).
 */
export interface TrackedPose {
  /** Position in metres. */
  position: Vector3;
  /** Orientation (x, y, z, w); for the head, local -Z is the view direction and +Y is up. */
  quaternion: Quaternion;
}

/** The three sparse inputs of one instant (head, left and right controller / wrist). */
export interface ThreePointFrame {
  /** Seconds since the start of the stream. */
  time: number;
  head: TrackedPose;
  left: TrackedPose;
  right: TrackedPose;
}

/** What the tracked head point is: the eyes of a headset, or a mocap head joint (top of the neck). */
export type HeadPointKind = 'eyes' | 'headJoint';

/**
 * A stream of three-point frames at a fixed rate. Implemented by BvhSource, QuestCsvSource and
 * (live, unbounded) WebXrSource.
 */
export interface PoseSource {
  /** Human-readable name (file name or 'webxr'). */
  readonly name: string;
  /** Nominal frame rate in Hz. */
  readonly rateHz: number;
  /** Number of frames, or Infinity for live sources. */
  readonly frameCount: number;
  /** What the head point measures (decides the head-to-neck offset of the BodyEstimator). */
  readonly headPoint: HeadPointKind;
  /** Frame i in [0, frameCount); throws RangeError outside. */
  frame(i: number): ThreePointFrame;
}

/**
 * A kinematic or simulated pose of a CharacterDef: joint world positions (metres, same order as
 * def.joints) plus the frames the Retargeter and PhysicsTracker need.
 */
export interface SkeletonPose {
  positions: Vector3[];
  /** Facing (rotation about +Y; identity = facing -Z). */
  yaw: Quaternion;
  /** Torso rotation from the rest pose (lean + yaw). */
  torso: Quaternion;
  /** Head orientation (identity = upright, facing -Z). */
  head: Quaternion;
  /** Per foot [left, right]: true while planted. */
  contacts: [boolean, boolean];
  /** Per foot yaw [left, right]. */
  footYaw: [Quaternion, Quaternion];
}
