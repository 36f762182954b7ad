import { Quaternion, Vector3 } from 'three';
import type { PoseSource, ThreePointFrame, TrackedPose } from './types';

// Minimal WebXR typings (TypeScript's DOM lib does not ship them); WebXR Device API, W3C.
interface XRRigidTransformLike {
  position: { x: number; y: number; z: number };
  orientation: { x: number; y: number; z: number; w: number };
}
interface XRPoseLike {
  transform: XRRigidTransformLike;
}
interface XRInputSourceLike {
  handedness: 'left' | 'right' | 'none';
  gripSpace?: unknown;
  targetRaySpace: unknown;
}
/** The part of an XRFrame we read. */
export interface XRFrameLike {
  getViewerPose(space: unknown): XRPoseLike | null | undefined;
  getPose(space: unknown, base: unknown): XRPoseLike | null | undefined;
  session: { inputSources: Iterable<XRInputSourceLike> };
}
interface XRSessionLike {
  requestReferenceSpace(type: string): Promise<unknown>;
  requestAnimationFrame(cb: (t: number, frame: XRFrameLike) => void): number;
  end(): Promise<void>;
  addEventListener(type: 'end', cb: () => void): void;
}
interface XRSystemLike {
  isSessionSupported(mode: string): Promise<boolean>;
  requestSession(mode: string, init?: { requiredFeatures?: string[]; optionalFeatures?: string[] }): Promise<XRSessionLike>;
}

/** The browser's WebXR system, or null (no navigator.xr: no headset runtime). */
function xr(): XRSystemLike | null {
  const nav = (globalThis as { navigator?: { xr?: XRSystemLike } }).navigator;
  return nav?.xr ?? null;
}

/** True when an immersive VR session can be requested (a headset is present). */
export async function webXrAvailable(): Promise<boolean> {
  const x = xr();
  if (!x) return false;
  try {
    return await x.isSessionSupported('immersive-vr');
  } catch {
    return false;
  }
}

const toPose = (t: XRRigidTransformLike): TrackedPose => ({
  position: new Vector3(t.position.x, t.position.y, t.position.z),
  quaternion: new Quaternion(t.orientation.x, t.orientation.y, t.orientation.z, t.orientation.w),
});

/**
 * Live three-point stream from a WebXR headset: viewer pose (eyes) and the grip poses of the left
 * and right controllers in the 'local-floor' reference space, which is already our world frame
 * (right-handed, Y up, -Z forward, metres, floor at y = 0). A controller that loses tracking keeps
 * its last pose. Live: frameCount is Infinity and frame(i) returns the latest sample.
 * @throws Error from start() when WebXR or immersive-vr is unavailable.
 */
export class WebXrSource implements PoseSource {
  readonly name = 'webxr';
  readonly rateHz = 72;
  readonly frameCount = Infinity;
  readonly headPoint = 'eyes' as const;
  private latest: ThreePointFrame | null = null;
  private session: XRSessionLike | null = null;
  private t0 = -1;

  /** Requests an immersive-vr session and starts sampling; onFrame is called for every XR frame. */
  async start(onFrame?: (f: ThreePointFrame) => void): Promise<void> {
    const x = xr();
    if (!x) throw new Error('WebXR: navigator.xr is not available in this browser');
    if (!(await x.isSessionSupported('immersive-vr'))) throw new Error('WebXR: immersive-vr is not supported (no headset?)');
    const session = await x.requestSession('immersive-vr', { requiredFeatures: ['local-floor'] });
    this.session = session;
    const space = await session.requestReferenceSpace('local-floor');
    session.addEventListener('end', () => (this.session = null));
    const loop = (t: number, frame: XRFrameLike): void => {
      if (!this.session) return;
      session.requestAnimationFrame(loop);
      const s = this.sample(t, frame, space);
      if (s && onFrame) onFrame(s);
    };
    session.requestAnimationFrame(loop);
  }

  /** Converts one XR frame (exposed for tests and custom loops). t in milliseconds. */
  sample(tMs: number, frame: XRFrameLike, space: unknown): ThreePointFrame | null {
    const viewer = frame.getViewerPose(space);
    if (!viewer) return this.latest;
    if (this.t0 < 0) this.t0 = tMs;
    const head = toPose(viewer.transform);
    let left = this.latest?.left ?? { position: head.position.clone().add(new Vector3(-0.2, -0.7, 0)), quaternion: new Quaternion() };
    let right = this.latest?.right ?? { position: head.position.clone().add(new Vector3(0.2, -0.7, 0)), quaternion: new Quaternion() };
    for (const src of frame.session.inputSources) {
      const p = frame.getPose(src.gripSpace ?? src.targetRaySpace, space);
      if (!p) continue;
      if (src.handedness === 'left') left = toPose(p.transform);
      if (src.handedness === 'right') right = toPose(p.transform);
    }
    this.latest = { time: (tMs - this.t0) / 1000, head, left, right };
    return this.latest;
  }

  /** The latest sample (any i). @throws Error before the first sample. */
  frame(_i: number): ThreePointFrame {
    if (!this.latest) throw new Error('WebXR: no pose received yet');
    return this.latest;
  }

  /** Ends the session. */
  async stop(): Promise<void> {
    await this.session?.end();
    this.session = null;
  }
}
