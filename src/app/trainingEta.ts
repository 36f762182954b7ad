/**
 * Time left in a training run, from the recent pace of its progress points.
 */

/** A progress point: steps done and milliseconds since the run started. */
export interface PacePoint {
  step: number;
  time: number;
}

/**
 * Seconds left to reach `iterations`, at the pace of the last `window` points (steps per ms between
 * the oldest and newest of them; the recent pace, because densification slows later steps).
 * @param history progress points in order (step and time increasing)
 * @param iterations target step count
 * @returns seconds left (0 when done), or null while the pace is unknown (fewer than 2 points or no time passed)
 */
export function trainingEtaSeconds(history: readonly PacePoint[], iterations: number, window = 10): number | null {
  const last = history[history.length - 1];
  if (!last) return null;
  if (last.step >= iterations) return 0;
  const first = history[Math.max(0, history.length - 1 - window)];
  const steps = last.step - first.step;
  const ms = last.time - first.time;
  if (!(steps > 0 && ms > 0)) return null;
  return ((iterations - last.step) * ms) / steps / 1000;
}

/** "m:ss" (or "h:mm:ss" from an hour) of a non-negative number of seconds, rounded up. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
