import { describe, expect, it } from 'vitest';
import { applyOverrides, getRecipe, RECIPES } from '../../src/train/recipes';
import { dropoutRateAt } from '../../src/train/recipes/Recipe';

describe('recipes', () => {
  it('overrides numbers and choices by dotted path without touching the named recipe', () => {
    const r = applyOverrides(getRecipe('sparse'), ['loss.s3im=0.25', 'randomBackground=on', 'strategy.kind=mcmc', 'iterations=10']);
    expect(r.loss.s3im).toBe(0.25);
    expect(r.randomBackground).toBe('on');
    expect(r.strategy.kind).toBe('mcmc');
    expect(r.iterations).toBe(10);
    expect(RECIPES.sparse.loss.s3im).not.toBe(0.25);
  });

  it('rejects unknown keys, bad numbers and unknown choices, naming them', () => {
    const r = getRecipe('vanilla');
    expect(() => applyOverrides(r, ['loss.nope=1'])).toThrow(/loss\.nope/);
    expect(() => applyOverrides(r, ['loss.s3im=abc'])).toThrow(/"abc" is not a finite number/);
    expect(() => applyOverrides(r, ['mvsCensus='])).toThrow(/"" is not a finite number/);
    expect(() => applyOverrides(r, ['strategy.kind=nope'])).toThrow(/unknown value "nope" \(default \| mcmc \| none\)/);
    expect(() => applyOverrides(r, ['init=grid'])).toThrow(/random \| perPixel \| fused/);
    expect(() => applyOverrides(r, ['randomBackground=true'])).toThrow(/unknown value "true" \(auto \| on \| off\)/);
    // Ranges are checked when the override is read, before any work.
    expect(() => applyOverrides(r, ['opacityDecay=0'])).toThrow(/opacityDecay=0": must be in \(0, 1\]/);
    expect(() => applyOverrides(r, ['opacityDecay=1.5'])).toThrow(/must be in \(0, 1\]/);
    expect(applyOverrides(r, ['opacityDecay=1']).opacityDecay).toBe(1);
    expect(() => applyOverrides(r, ['dropout=1'])).toThrow(/dropout=1": must be in \[0, 1\)/);
    expect(applyOverrides(r, ['dropout=0']).dropout).toBe(0);
    expect(() => applyOverrides(r, ['lr'])).toThrow(/key=value/);
    expect(() => getRecipe('nope')).toThrow(/vanilla, sparse/);
  });
  it('dropout schedule: constant keeps the rate; ramp rises linearly from 0 to the rate at the last step', () => {
    const constant = applyOverrides(getRecipe('sparse'), ['dropout=0.2', 'iterations=1000']);
    expect([0, 500, 999].map((t) => dropoutRateAt(constant, t))).toEqual([0.2, 0.2, 0.2]);
    const ramp = applyOverrides(constant, ['dropoutSchedule=ramp']);
    expect(dropoutRateAt(ramp, 0)).toBe(0);
    expect(dropoutRateAt(ramp, 250)).toBeCloseTo(0.05, 12);
    expect(dropoutRateAt(ramp, 1000)).toBeCloseTo(0.2, 12);
    expect(dropoutRateAt(ramp, 5000)).toBeCloseTo(0.2, 12);
    expect(() => applyOverrides(ramp, ['dropoutSchedule=linear'])).toThrow(/unknown value "linear" \(constant \| ramp\)/);
  });
});
