import type { Recipe } from './Recipe';
import { sparse } from './sparse';
import { vanilla } from './vanilla';

export type { Recipe } from './Recipe';
export { applyOverrides, recipeForViews } from './Recipe';

/** The named recipes. */
export const RECIPES: Record<string, Recipe> = { vanilla, sparse };

/** Looks up a recipe by name. @throws Error listing the known names. */
export function getRecipe(name: string): Recipe {
  const r = RECIPES[name];
  if (!r) throw new Error(`unknown recipe "${name}" (known: ${Object.keys(RECIPES).join(', ')})`);
  return structuredClone(r);
}
