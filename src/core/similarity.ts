/**
 * String similarity for matching: token and character-bigram Dice over normalised keys, plus
 * order-insensitive artist sets ("A & B" = "B, A"), ANV, "The" and "(2)" aware.
 */
import type { ArtistCredit } from "./catalog.js";
import { foldAscii, normalizeKey, splitArtists, stripDiscogsSuffix, stripLeadingThe } from "./normalize.js";

function bigrams(s: string): Map<string, number> {
  const out = new Map<string, number>();
  const t = ` ${s} `;
  for (let i = 0; i < t.length - 1; i++) {
    const g = t.slice(i, i + 2);
    out.set(g, (out.get(g) ?? 0) + 1);
  }
  return out;
}

function dice(a: Map<string, number>, b: Map<string, number>, sizeA: number, sizeB: number): number {
  if (sizeA + sizeB === 0) return 0;
  let common = 0;
  for (const [g, n] of a) common += Math.min(n, b.get(g) ?? 0);
  return (2 * common) / (sizeA + sizeB);
}

/** Folds a text to its comparison form: key, without a leading "The" and a "(2)" suffix. */
export function comparable(text: string): string {
  return stripLeadingThe(normalizeKey(stripDiscogsSuffix(foldAscii(text))));
}

/**
 * Similarity of two texts in [0, 1]: 1 for the same key; else the best of token Dice and
 * character-bigram Dice (which forgives typos and spacing: "Groove4U" ~ "Groove 4 U").
 */
export function textSimilarity(a: string, b: string): number {
  const x = comparable(a);
  const y = comparable(b);
  if (!x || !y) return 0;
  if (x === y) return 1;
  if (x.replace(/ /g, "") === y.replace(/ /g, "")) return 0.97;
  const tx = x.split(" ");
  const ty = y.split(" ");
  const setY = new Set(ty);
  const shared = tx.filter((t) => setY.has(t)).length;
  const tokenDice = (2 * shared) / (tx.length + ty.length);
  const bx = bigrams(x);
  const by = bigrams(y);
  const charDice = dice(bx, by, x.length + 1, y.length + 1);
  return Math.max(tokenDice, charDice);
}

/** The names a credit may be written as: canonical name and ANV. */
function creditNames(c: ArtistCredit): string[] {
  return c.anv ? [c.name, c.anv] : [c.name];
}

/** Joins credits as Discogs prints them: "A & B", "A Feat. B". */
export function joinCredits(credits: readonly ArtistCredit[], useAnv = false): string {
  return credits
    .map((c, i) => {
      const name = stripDiscogsSuffix(useAnv && c.anv ? c.anv : c.name);
      if (i === credits.length - 1) return name;
      const join = c.join.trim();
      return !join || join === "," ? `${name}, ` : `${name} ${join} `;
    })
    .join("")
    .trim();
}

/** Is this credit list Discogs' "Various" placeholder? */
export function isVarious(credits: readonly ArtistCredit[]): boolean {
  return credits.length === 1 && /^various$/i.test(stripDiscogsSuffix(credits[0]!.name));
}

/**
 * How well a query artist matches credits, in [0, 1]. Compares the whole string both ways, then the
 * sets of individual names order-insensitively: the share of query names found among the credits,
 * weighed with the share of credits the query names (so "A" against "A & B" is good, not perfect).
 */
export function artistSimilarity(query: string, credits: readonly ArtistCredit[]): number {
  if (!query.trim() || credits.length === 0) return 0;
  const whole = Math.max(
    textSimilarity(query, joinCredits(credits)),
    textSimilarity(query, joinCredits(credits, true)),
  );
  if (whole === 1) return 1;
  const wanted = splitArtists(query);
  const names = credits.map(creditNames);
  const found = wanted.map((w) => Math.max(0, ...names.flat().map((n) => textSimilarity(w, n))));
  const covered = names.map((ns) =>
    Math.max(0, ...ns.flatMap((n) => wanted.map((w) => textSimilarity(w, n)))),
  );
  const recall = found.reduce((s, x) => s + x, 0) / found.length;
  const precision = covered.reduce((s, x) => s + x, 0) / covered.length;
  // Missing a credited artist costs less than naming one who is not there.
  const sets = 0.7 * recall + 0.3 * precision;
  return Math.max(whole, sets);
}
