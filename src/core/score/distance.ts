/**
 * The one distance of the matcher, as beets' `Distance`: named penalties, each in [0, 1], weighted from
 * one table and added up to their weighted mean over the penalties that apply. Tracks, releases, albums
 * and placements all use it; only the names and the weight tables differ.
 */

/** Penalties by name: a penalty that does not apply is absent (it neither helps nor hurts). */
export type Penalties<K extends string = string> = Partial<Record<K, number>>;

/** Clamps a penalty into [0, 1]. */
export const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

/**
 * The weighted mean of the penalties that apply (and that `keep` keeps), in [0, 1]; `empty` when none
 * applies. A name without a weight weighs nothing.
 */
export function weightedDistance<K extends string>(
  penalties: Penalties<K>,
  weights: Readonly<Record<K, number>>,
  options: { keep?: (name: K) => boolean; empty?: number } = {},
): number {
  let sum = 0;
  let total = 0;
  for (const [name, value] of Object.entries(penalties) as [K, number][]) {
    if (options.keep && !options.keep(name)) continue;
    const w = weights[name] ?? 0;
    sum += w * value;
    total += w;
  }
  return total > 0 ? sum / total : (options.empty ?? 0);
}

/** A figure as answers show it: rounded to three decimals. */
export const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Penalties as answers show them: rounded to three decimals. */
export function roundPenalties(penalties: Readonly<Penalties>): Record<string, number> {
  return Object.fromEntries(Object.entries(penalties).map(([k, v]) => [k, round3(Number(v))]));
}
