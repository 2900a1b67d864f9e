/**
 * Release-level penalties, the same for a track candidate and an album candidate: year, country, label
 * and catalogue number against the input's hints, the release's kind (compilation, unofficial, DJ mix,
 * promo) and its originality (the master's year, not a reissue, repress or remaster).
 */
import type { Release, SearchHit } from "../catalog.js";
import { normalizeKey } from "../normalize.js";
import { isVarious, textSimilarity } from "../similarity.js";
import type { TrackHints } from "../types.js";
import { clamp01, type Penalties } from "./distance.js";

/** A candidate release: what search said of it, and the full release once fetched. */
export interface Candidate {
  releaseId: number;
  masterId: number | null;
  hit: SearchHit | null;
  release: Release | null;
  /** The master's year (the original year), when known. */
  masterYear: number | null;
  /** The strategies that found it, in order. */
  strategies: string[];
}

/** The names of the release-level penalties. */
export type ReleasePenaltyName = "year" | "country" | "label" | "catno" | "kind" | "original";

/** The candidate of a release in hand (fetched for an album, or chosen by a user). */
export function releaseCandidate(release: Release, masterYear: number | null, strategy: string): Candidate {
  return {
    releaseId: release.id,
    masterId: release.masterId,
    hit: null,
    release,
    masterYear,
    strategies: [strategy],
  };
}

/** Format words of a candidate, full release first, else the search row's. */
function formatWords(c: Candidate): string[] {
  if (c.release) return c.release.formats.flatMap((f) => [f.name, ...f.descriptions, f.text ?? ""]);
  return c.hit?.formats ?? [];
}

/** Compilations, unofficial releases, promos and DJ mixes, unless the input's album names this release. */
function kindPenalty(c: Candidate, hints: TrackHints): number {
  const title = c.release?.title ?? c.hit?.title ?? "";
  if (hints.album && textSimilarity(hints.album, title) >= 0.8) return 0;
  const words = new Set(formatWords(c).map((w) => w.toLowerCase()));
  const various = c.release ? isVarious(c.release.artists) : /^various$/i.test(c.hit?.artist ?? "");
  let p = 0;
  if (words.has("compilation") || various) p = 1;
  if (words.has("unofficial release")) p = 1;
  if (words.has("mixed")) p = Math.max(p, 0.7);
  if (words.has("promo")) p = Math.max(p, 0.5);
  if (c.release?.status && c.release.status !== "Accepted") p = Math.max(p, 0.5);
  return p;
}

/** Prefer the original: the master's year, and not a reissue, repress or remaster. */
function originalPenalty(c: Candidate): number {
  const year = c.release?.year ?? c.hit?.year ?? null;
  const words = new Set(formatWords(c).map((w) => w.toLowerCase()));
  let p = 0;
  if (words.has("reissue") || words.has("repress") || words.has("remastered")) p = 0.8;
  if (c.masterId === null) return p;
  if (c.masterYear === null || year === null) return Math.max(p, 0.3);
  const late = year - c.masterYear;
  return Math.max(p, late <= 0 ? 0 : late === 1 ? 0.5 : 1);
}

function yearPenalty(c: Candidate, want: number): number {
  const year = c.release?.year ?? c.hit?.year ?? null;
  if (year === null) return 0.5;
  if (year === want) return 0;
  if (c.masterYear === want) return 0.1;
  return Math.abs(year - want) <= 1 ? 0.3 : 1;
}

function countryPenalty(have: string | null, want: string): number {
  if (!have) return 0.5;
  const h = normalizeKey(have);
  const w = normalizeKey(want);
  if (h === w) return 0;
  return h.split(" ").includes(w) ? 0.3 : 1;
}

const compact = (s: string) => normalizeKey(s).replace(/ /g, "");

/**
 * Release-level penalties: year, country, label and catalogue number against the hints, release kind
 * and originality (an original beats a reissue or a compilation). Tracks and albums share them.
 */
export function releasePenalties(c: Candidate, hints: TrackHints): Penalties<ReleasePenaltyName> {
  const p: Penalties<ReleasePenaltyName> = {};
  if (hints.year) p.year = yearPenalty(c, hints.year);
  if (hints.country) p.country = countryPenalty(c.release?.country ?? c.hit?.country ?? null, hints.country);
  const labels = c.release?.labels.map((l) => l.name) ?? c.hit?.labels ?? [];
  if (hints.label) p.label = clamp01(1 - Math.max(0, ...labels.map((l) => textSimilarity(hints.label!, l))));
  if (hints.catno) {
    const catnos = c.release?.labels.map((l) => l.catno ?? "") ?? [c.hit?.catno ?? ""];
    p.catno = catnos.some((x) => x && compact(x) === compact(hints.catno!)) ? 0 : 1;
  }
  p.kind = kindPenalty(c, hints);
  p.original = originalPenalty(c);
  return p;
}
