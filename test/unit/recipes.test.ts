import { describe, expect, it } from 'vitest';
import { applyOverrides, getRecipe, RECIPES } from '../../src/train/recipes';
import { dropoutRateAt, recipeForViews } from '../../src/train/recipes/Recipe';

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
  it('steps per view: N views x iterationsPerView, once; an explicit iterations turns it off', () => {
    const perView = applyOverrides(getRecipe('vanilla'), ['iterationsPerView=700']);
    const r8 = recipeForViews(perView, 8);
    expect([r8.iterations, r8.iterationsPerView]).toEqual([5600, 0]);
    expect(recipeForViews(r8, 3)).toBe(r8); // already resolved: unchanged
    expect(recipeForViews(perView, 3).iterations).toBe(2100);
    expect(perView.iterations).toBe(3000); // the input is not edited
    const off = getRecipe('vanilla');
    expect(recipeForViews(off, 8)).toBe(off);
    // --iters / --set iterations=N win over the recipe's per-view count (and one set before them)
    for (const o of [['iterationsPerView=700', 'iterations=250'], ['iterations=250']]) {
      const r = recipeForViews(applyOverrides(perView, o), 8);
      expect(r.iterations).toBe(250);
    }
    expect(() => applyOverrides(off, ['iterations=0'])).toThrow(/iterations=0": must be in \[1, 10000000\]/);
    expect(() => applyOverrides(off, ['iterations=2.5'])).toThrow(/must be an integer/);
    expect(() => applyOverrides(off, ['iterationsPerView=-1'])).toThrow(/must be in \[0, 1000000\]/);
  });
});
