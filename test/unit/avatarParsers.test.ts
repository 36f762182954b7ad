import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BvhFormatError, bvhJointPosition, parseBvh } from '../../src/avatar/BvhClip';
import { QuestCsvError, QuestCsvSource } from '../../src/avatar/QuestCsvSource';

// A two-joint chain: root translates, child rotates 90 deg about Z (so its end moves along -X... checked below).
const GOOD = `HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Spine
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 10 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.5
0 100 0 0 0 0 0 0 0
5 100 0 90 0 0 0 0 0
`;

describe('BVH parsing', () => {
  it('parses a valid file through BVHLoader and runs forward kinematics', () => {
    const clip = parseBvh(GOOD, 'good.bvh', { metresPerUnit: 0.01 });
    expect(clip.joints).toEqual(['Hips', 'Spine']);
    expect(clip.frameCount).toBe(2);
    expect(clip.frameTime).toBe(0.5);
    // frame 0: Spine at (0, 1.1, 0) m; frame 1: root at (0.05, 1, 0), rotated 90 deg about Z -> Spine offset (0,10,0) -> (-10,0,0)
    expect(bvhJointPosition(clip, 0, 1).toArray().map((v) => +v.toFixed(6))).toEqual([0, 1.1, 0]);
    const p = bvhJointPosition(clip, 1, 1);
    expect(p.x).toBeCloseTo(-0.05, 6);
    expect(p.y).toBeCloseTo(1.0, 6);
  });

  const bad: [string, string, RegExp][] = [
    ['truncated motion', GOOD.split('\n').slice(0, -2).join('\n'), /truncated.bvh:\d+: MOTION: file is truncated: 'Frames: 2' but only 1 frame lines/],
    ['truncated hierarchy', GOOD.slice(0, GOOD.indexOf('End Site')), /truncated.bvh:\d+: .*truncated \(unexpected end of file\)/],
    ['wrong channel count in a frame', GOOD.replace('5 100 0 90 0 0 0 0 0', '5 100 0 90 0 0 0 0'), /bad.bvh:20: frame 1: has 8 values but the hierarchy declares 9 channels/],
    ['CHANNELS count disagrees with names', GOOD.replace('CHANNELS 3 Zrotation', 'CHANNELS 4 Zrotation'), /bad.bvh:9: CHANNELS: declares 4 channels but lists 3/],
    ['NaN value', GOOD.replace('5 100 0 90', '5 100 0 NaN'), /bad.bvh:20: frame 1 Hips.Zrotation: not a finite number: 'NaN'/],
    ['garbage value', GOOD.replace('0 100 0 0 0 0 0 0 0', '0 100 0 0 0 0 0 abc 0'), /bad.bvh:19: frame 0 Spine.Xrotation: not a finite number: 'abc'/],
    ['NaN offset', GOOD.replace('OFFSET 0 10 0', 'OFFSET 0 nan 0'), /bad.bvh:8: OFFSET: expected a finite number, got 'nan'/],
    ['bad frame count', GOOD.replace('Frames: 2', 'Frames: two'), /bad.bvh:17: Frames: expected a finite number/],
    ['a frame time in milliseconds', GOOD.replace('Frame Time: 0.5', 'Frame Time: 33.3'), /bad.bvh:18: Frame Time: must be seconds per frame in \[0.0001, 1\] \(1 Hz to 10 kHz\), got 33.3/],
    ['a zero frame time', GOOD.replace('Frame Time: 0.5', 'Frame Time: 0'), /bad.bvh:18: Frame Time: must be seconds per frame/],
    ['not a BVH', 'hello', /bad.bvh:1: HIERARCHY: expected 'HIERARCHY', got 'hello'/],
  ];
  for (const [what, text, msg] of bad) {
    it(`gives a clear error for ${what}`, () => {
      const file = what.startsWith('truncated') ? 'truncated.bvh' : 'bad.bvh';
      let err: unknown;
      try {
        parseBvh(text, file);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BvhFormatError);
      expect((err as Error).message).toMatch(msg);
    });
  }

  const data = resolve(__dirname, '../../../shared/data/motion/bvh');
  it.skipIf(!existsSync(data))('loads the real CMU and Bandai clips in metres (skips without ../shared/data)', () => {
    const cmu = parseBvh(readFileSync(`${data}/cmu/131_01.bvh`, 'utf8'), `${data}/cmu/131_01.bvh`);
    const ban = parseBvh(readFileSync(`${data}/bandai/dataset-1_walk_normal_001.bvh`, 'utf8'), `${data}/bandai/dataset-1_walk_normal_001.bvh`);
    expect(cmu.units.source).toBe('cmu');
    expect(ban.units.source).toBe('bandai');
    expect(ban.absolutePositionChannels).toBe(true);
    for (const [clip, head, foot] of [[cmu, 'Head', 'LeftAnkle'], [ban, 'Head', 'Foot_L']] as const) {
      const h = bvhJointPosition(clip, 0, clip.joints.indexOf(head)).y - bvhJointPosition(clip, 0, clip.joints.indexOf(foot)).y;
      expect(h).toBeGreaterThan(1.0); // head above ankle by a human's 1.0-1.5 m
      expect(h).toBeLessThan(1.6);
    }
  });
});

const HEADER = 'TouchButtons,LeftIndexTrigger,RightIndexTrigger,LeftHandTrigger,RightHandTrigger,LeftTouchPosX,LeftTouchPosY,LeftTouchPosZ,LeftTouchOrientationW,LeftTouchOrientationX,LeftTouchOrientationY,LeftTouchOrientationZ,RightTouchPosX,RightTouchPosY,RightTouchPosZ,RightTouchOrientationW,RightTouchOrientationX,RightTouchOrientationY,RightTouchOrientationZ,HeadPosX,HeadPosY,HeadPosZ,HeadOrientationW,HeadOrientationX,HeadOrientationY,HeadOrientationZ,time';
const ROW = (t: number, hz = 0.2): string => `0,0,0,0,0,-0.2,-0.5,0.1,1,0,0,0,0.2,-0.5,0.1,1,0,0,0,0,0,${hz},1,0,0,0,${t}`;

describe('Quest CSV parsing', () => {
  it('parses rows, mirrors z into our right-handed frame and puts the floor from the user height', () => {
    const src = new QuestCsvSource([HEADER, ROW(0.1), ROW(0.2, 0.3), ROW(0.3)].join('\n'), 'ok.csv', { userHeightM: 1.8 });
    expect(src.frameCount).toBe(3);
    expect(src.rateHz).toBeCloseTo(10, 6);
    const f = src.frame(1);
    expect(f.time).toBeCloseTo(0.1, 9);
    expect(f.head.position.z).toBeCloseTo(-0.3, 9);
    expect(f.head.position.y).toBeCloseTo(0.936 * 1.8, 9);
    expect(f.left.position.y).toBeCloseTo(0.936 * 1.8 - 0.5, 9);
  });
  const bad: [string, string, RegExp][] = [
    ['missing column', [HEADER.replace(',HeadPosY', ''), ROW(0.1)].join('\n'), /x.csv:1: HeadPosY: missing column/],
    ['truncated row', [HEADER, ROW(0.1), ROW(0.2).slice(0, 20)].join('\n'), /x.csv:3: row: has \d+ fields, header has 27/],
    ['NaN', [HEADER, ROW(0.1), ROW(0.2).replace('0,0,0.2,1', '0,0,NaN,1')].join('\n'), /x.csv:3: HeadPosZ: not a finite number: 'NaN'/],
    ['empty cell', [HEADER, ROW(0.1).replace(',-0.2,', ',,'), ROW(0.2)].join('\n'), /x.csv:2: LeftTouchPosX: not a finite number: ''/],
    ['time going back', [HEADER, ROW(0.2), ROW(0.1)].join('\n'), /x.csv:3: time: does not increase/],
    ['too few rows', [HEADER, ROW(0.1)].join('\n'), /x.csv:\d+: rows: needs at least 2 data rows/],
  ];
  for (const [what, text, msg] of bad) {
    it(`gives a clear error for ${what}`, () => {
      expect(() => new QuestCsvSource(text, 'x.csv')).toThrow(QuestCsvError);
      expect(() => new QuestCsvSource(text, 'x.csv')).toThrow(msg);
    });
  }
  const csv = resolve(__dirname, '../../../shared/data/motion/quest/sample_movement_data.csv');
  it.skipIf(!existsSync(csv))('loads the real Quest 2 recording (skips without ../shared/data)', async () => {
    const src = await QuestCsvSource.load(csv);
    expect(src.frameCount).toBe(7942);
    expect(src.rateHz).toBeGreaterThan(55);
    expect(src.rateHz).toBeLessThan(65);
  });
});
