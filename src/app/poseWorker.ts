/**
 * Web Worker that estimates the poses of decoded photos (src/poses/estimatePoses: OpenCV.js AKAZE
 * features, matching, our structure from motion) off the page's thread, so the studio stays
 * responsive and its progress bar moves. OpenCV.js (~10 MB) is imported here on first use only.
 * Protocol: photoPoses.ts posts one PoseJob; the worker answers with 'progress' messages, then one
 * 'done' (cameras as plain numbers, images transferred back) or one 'error' (the message names the photo).
 */
import { estimatePoses } from '../poses/estimatePoses';
import { loadOpenCv } from '../poses/opencv';
import type { PoseJob, PoseWorkerReply, PlainPoses } from './photoPoses';

const ctx = self as unknown as {
  onmessage: ((e: MessageEvent<PoseJob>) => void) | null;
  postMessage(msg: PoseWorkerReply, transfer?: Transferable[]): void;
};

ctx.onmessage = (e) => {
  void run(e.data);
};

async function run(job: PoseJob): Promise<void> {
  const post = (msg: PoseWorkerReply, transfer?: Transferable[]) => ctx.postMessage(msg, transfer);
  try {
    post({ type: 'progress', stage: 'opencv', fraction: 0 });
    await loadOpenCv();
    post({ type: 'progress', stage: 'opencv', fraction: 1 });
    let last = 0;
    const est = await estimatePoses(job.photos, {
      ...job.opts,
      onProgress: (stage, fraction) => {
        // At most ~20 messages a second, but every stage's start and end.
        const now = performance.now();
        if (fraction > 0 && fraction < 1 && now - last < 50) return;
        last = now;
        post({ type: 'progress', stage, fraction });
      },
    });
    const result: PlainPoses = {
      cameras: est.cameras.map((c) => (c ? { R: [...c.R], t: [...c.t], fx: c.fx, fy: c.fy, cx: c.cx, cy: c.cy, width: c.width, height: c.height, name: c.name } : null)),
      points: est.points,
      failures: est.failures,
      report: est.report,
      intrinsics: est.intrinsics,
      images: est.images,
      names: est.names,
      stats: est.stats,
    };
    const buffers = new Set<ArrayBuffer>(est.images.map((im) => im.rgba.buffer as ArrayBuffer));
    post({ type: 'done', result }, [...buffers]);
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
}
