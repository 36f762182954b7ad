import { Quaternion, Vector3 } from 'three';
import type { PoseSource, ThreePointFrame } from './types';

/**
 * A procedural three-point stream for the demo page when no file or headset is at hand: a 1.75 m
 * user walks a 2 m-radius circle at 0.8 m/s for half of a 16 s cycle, then stands and waves
 * (head bob 2 cm at the step frequency, arms swinging in counter-phase). Units: metres, seconds;
 * world frame as in types.ts (Y up, floor y = 0). No ground truth (use BvhSource for metrics).
 */
export class SyntheticSource implements PoseSource {
  readonly name = 'synthetic walk and wave';
  readonly headPoint = 'eyes' as const;
  readonly frameCount: number;

  constructor(
    readonly rateHz = 60,
    readonly seconds = 16,
  ) {
    this.frameCount = Math.round(seconds * rateHz);
  }

  /** Frame i. @throws RangeError outside [0, frameCount). */
  frame(i: number): ThreePointFrame {
    if (!(i >= 0 && i < this.frameCount)) throw new RangeError(`${this.name}: frame ${i} outside [0, ${this.frameCount})`);
    const t = i / this.rateHz;
    const walking = t < this.seconds / 2;
    const R = 2;
    const ang = (0.8 / R) * Math.min(t, this.seconds / 2);
    const centre = new Vector3(R * Math.cos(ang), 0, R * Math.sin(ang));
    // tangent direction of travel (counter-clockwise seen from above) -> facing
    const fwd = new Vector3(-Math.sin(ang), 0, Math.cos(ang));
    const yaw = new Quaternion().setFromUnitVectors(new Vector3(0, 0, -1), fwd);
    const stepHz = 1.8;
    const bob = walking ? 0.02 * Math.cos(4 * Math.PI * stepHz * 0.5 * t) : 0;
    const head = centre.clone().setY(1.64 + bob);
    const right = new Vector3(1, 0, 0).applyQuaternion(yaw);
    const swing = walking ? 0.25 * Math.sin(2 * Math.PI * (stepHz / 2) * t) : 0;
    const hand = (side: number, sw: number): Vector3 =>
      head.clone().addScaledVector(right, side * 0.22).add(new Vector3(0, -0.78, 0)).addScaledVector(fwd, sw);
    const left = hand(-1, swing);
    const rightHand = walking ? hand(1, -swing) : head.clone().addScaledVector(right, 0.35 + 0.12 * Math.sin(2 * Math.PI * 1.5 * t)).add(new Vector3(0, 0.15, 0)).addScaledVector(fwd, 0.1);
    return {
      time: t,
      head: { position: head, quaternion: yaw.clone() },
      left: { position: left, quaternion: yaw.clone() },
      right: { position: rightHand, quaternion: yaw.clone() },
    };
  }
}
