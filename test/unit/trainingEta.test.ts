import { describe, expect, it } from 'vitest';
import { formatDuration, trainingEtaSeconds } from '../../src/app/trainingEta';

describe('training time left', () => {
  it('uses the recent pace', () => {
    // 100 steps per second at first, then 10: the estimate follows the last `window` points.
    const h = [
      { step: 0, time: 0 },
      { step: 100, time: 1000 },
      { step: 110, time: 2000 },
      { step: 120, time: 3000 },
    ];
    expect(trainingEtaSeconds(h, 220, 2)).toBeCloseTo(10, 9);
    expect(trainingEtaSeconds(h, 220, 10)).toBeCloseTo((100 * 3000) / 120 / 1000, 9);
  });

  it('is 0 when done and null while the pace is unknown', () => {
    expect(trainingEtaSeconds([], 100)).toBeNull();
    expect(trainingEtaSeconds([{ step: 5, time: 10 }], 100)).toBeNull();
    expect(trainingEtaSeconds([{ step: 5, time: 10 }, { step: 5, time: 20 }], 100)).toBeNull();
    expect(trainingEtaSeconds([{ step: 0, time: 0 }, { step: 100, time: 50 }], 100)).toBe(0);
  });

  it('formats m:ss and h:mm:ss, rounding up', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(59.2)).toBe('1:00');
    expect(formatDuration(61)).toBe('1:01');
    expect(formatDuration(3600 + 62)).toBe('1:01:02');
  });
});
