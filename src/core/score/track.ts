/**
 * Scoring: weighted, named penalties -> a distance and a recommendation, as beets' autotag/distance.py,
 * with a margin to the runner-up as Picard does. Every penalty is in [0, 1]; the distance is their
 * weighted mean over the penalties that apply, so it is in [0, 1] too.
 */
import type { ParsedRowTitle, Release, ReleaseTrack, SearchHit } from "./catalog.js";
import { parseTitleText } from "./filename.js";
import { normalizeKey } from "./normalize.js";
import { DEFAULT_POLICY, type Policy } from "./policy.js";
import { artistSimilarity, comparable, isVarious, textSimilarity } from "./similarity.js";
import type { TrackQuery } from "./types.js";

/** The weight of each named penalty. Overridable with DISCOGS_SCORE_WEIGHTS. */
export const DEFAULT_SCORE_WEIGHTS = {
  artist: 3,
  title: 3,
  mix: 1.5,
  duration: 1,
  year: 0.5,
  country: 0.3,
  label: 0.5,
  catno: 1,
  kind: 1,
  original: 0.8,
  unverified: 1,
} as const satisfies Record<string, number>;

/** Weights by penalty name. */
export type ScoreWeights = { [K in keyof typeof DEFAULT_SCORE_WEIGHTS]: number };
/** A penalty's name. */
export type PenaltyName = keyof ScoreWeights;

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

/** A scored candidate. */
export interface Scored {
  candidate: Candidate;
  distance: number;
  penalties: Partial<Record<PenaltyName, number>>;
  /** The tracklist row that best matches the query, when the release was fetched. */
  row: ReleaseTrack | null;
}

/** Recommendation levels, best first. */
export type Recommendation = "strong" | "medium" | "low" | "none";

const clamp = (x: number) => Math.min(1, Math.max(0, x));

/** Parses a row title once: its title without the mix, the mix, and the title without brackets. */
export function parseRowTitle(title: string): ParsedRowTitle {
  const parsed = parseTitleText(title);
  return { title: parsed.title ?? title, mix: parsed.mix, base: baseTitle(title) };
}

/** Mix of a tracklist row: "Got 2 Get (Vocal Mix)" -> "Vocal Mix"; "Original Mix" -> null. */
export function rowMix(row: ReleaseTrack): ParsedRowTitle {
  // Rows from an adapter come parsed; a row built by hand is parsed here, once.
  row.parsed ??= parseRowTitle(row.title);
  return row.parsed;
}

/** A title without any bracketed part: "Rosalita (Come Out Tonight)" -> "Rosalita". */
export function baseTitle(title: string): string {
  return (
    title
      .replace(/\s*[([{][^)\]}]*[)\]}]/g, " ")
      .replace(/\s+/g, " ")
      .trim() || title
  );
}

/** How well a query title matches a row title, ignoring the row's mix and other brackets. */
export function rowTitleSimilarity(title: string, row: ReleaseTrack): number {
  const rowTitle = rowMix(row).title;
  const full = Math.max(textSimilarity(title, rowTitle), textSimilarity(title, row.title));
  // A bracketed subtitle on one side only ("Rosalita (Come Out Tonight)") costs a little, not a lot.
  const base = textSimilarity(baseTitle(title), rowMix(row).base) * 0.95;
  return Math.max(full, base, prefixSimilarity(title, rowTitle));
}

/**
 * A row title that opens the query title word for word, the rest being words a video title adds
 * ("Sugar Sugar 1969 Bubblegum Version", "Pay No Mind HD Classic"): similar, never the same. The row
 * title needs two words or eight letters, so "Love" never explains "Love Makes You Feel".
 */
function prefixSimilarity(title: string, rowTitle: string): number {
  const q = comparable(title).split(" ");
  const r = comparable(rowTitle).split(" ");
  if (r.length >= q.length || (r.length < 2 && (r[0]?.length ?? 0) < 8) || q.length - r.length > 6) return 0;
  return r.every((w, i) => q[i] === w) ? 0.85 : 0;
}

/** The best-matching playable row for a query title. */
export function bestRow(
  release: Release,
  query: Pick<TrackQuery, "title" | "mix" | "hints">,
): ReleaseTrack | null {
  let best: ReleaseTrack | null = null;
  let bestScore = -1;
  for (const row of release.tracklist) {
    let s = rowTitleSimilarity(query.title ?? "", row);
    // Among equal titles, prefer the row with the closest mix, then the same duration.
    s += (1 - mixPenalty(query.mix, rowMix(row).mix)) * 0.02;
    const d = query.hints.durationSec;
    if (d && row.durationSec) s += Math.abs(d - row.durationSec) <= 5 ? 0.01 : 0;
    if (s > bestScore) {
      bestScore = s;
      best = row;
    }
  }
  return best;
}

/** Mix agreement: "Extended" vs "Radio Edit" is a real difference; none = "Original Mix". */
export function mixPenalty(query: string | null, candidate: string | null): number {
  if (!query && !candidate) return 0;
  if (!query || !candidate) return 0.5;
  const sim = textSimilarity(query, candidate);
  if (sim >= 0.85) return 0;
  // "Funkaphonic Vocal" within "Original Funkaphonic Vocal": the same mix, more fully named.
  const a = new Set(comparable(query).split(" "));
  const b = new Set(comparable(candidate).split(" "));
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  if ([...small].every((t) => large.has(t))) return 0.1;
  return sim >= 0.6 ? 0.3 : 1;
}

function durationPenalty(a: number, b: number): number {
  const d = Math.abs(a - b);
  return d <= 3 ? 0 : d <= 10 ? 0.25 : d <= 20 ? 0.5 : d <= 40 ? 0.8 : 1;
}

/** Format words of a candidate, full release first, else the search row's. */
function formatWords(c: Candidate): string[] {
  if (c.release) return c.release.formats.flatMap((f) => [f.name, ...f.descriptions, f.text ?? ""]);
  return c.hit?.formats ?? [];
}

/** Compilations, unofficial releases, promos and DJ mixes, unless the input's album names this release. */
function kindPenalty(c: Candidate, q: Pick<TrackQuery, "hints">): number {
  const title = c.release?.title ?? c.hit?.title ?? "";
  if (q.hints.album && textSimilarity(q.hints.album, title) >= 0.8) return 0;
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
 * Track-level penalties of one tracklist row (or of the search row when the release was not fetched):
 * artist, title, mix and duration. Album mode uses them as the cost of assigning a file to a row.
 */
export function trackPenalties(c: Candidate, q: TrackQuery, row: ReleaseTrack | null): Scored["penalties"] {
  const p: Scored["penalties"] = {};
  if (q.artist) {
    const credits = row && row.artists.length > 0 ? row.artists : (c.release?.artists ?? []);
    if (c.release) p.artist = clamp((1 - artistSimilarity(q.artist, credits)) * 1.2);
    else if (c.hit && /^various$/i.test(c.hit.artist)) p.artist = 0.5;
    else if (c.hit)
      p.artist = clamp(
        (1 - artistSimilarity(q.artist, [{ id: null, name: c.hit.artist, anv: null, join: "", role: "" }])) *
          1.2,
      );
  }
  if (q.title) {
    if (row) p.title = clamp((1 - rowTitleSimilarity(q.title, row)) * 1.5);
    else if (c.hit) p.title = textSimilarity(q.title, c.hit.title) >= 0.9 ? 0.1 : 0.5;
  }
  if (row) p.mix = mixPenalty(q.mix, rowMix(row).mix);
  else if (q.mix) p.mix = 0.3;
  if (row?.durationSec && q.hints.durationSec)
    p.duration = durationPenalty(row.durationSec, q.hints.durationSec);
  return p;
}

/**
 * Release-level penalties: year, country, label and catalogue number against the hints, release kind
 * and originality (an original beats a reissue or a compilation). Shared by both modes.
 */
export function releasePenalties(c: Candidate, q: Pick<TrackQuery, "hints" | "title">): Scored["penalties"] {
  const p: Scored["penalties"] = {};
  if (q.hints.year) p.year = yearPenalty(c, q.hints.year);
  if (q.hints.country)
    p.country = countryPenalty(c.release?.country ?? c.hit?.country ?? null, q.hints.country);
  const labels = c.release?.labels.map((l) => l.name) ?? c.hit?.labels ?? [];
  if (q.hints.label)
    p.label = clamp(1 - Math.max(0, ...labels.map((l) => textSimilarity(q.hints.label!, l))));
  if (q.hints.catno) {
    const catnos = c.release?.labels.map((l) => l.catno ?? "") ?? [c.hit?.catno ?? ""];
    p.catno = catnos.some((x) => x && compact(x) === compact(q.hints.catno!)) ? 0 : 1;
  }
  p.kind = kindPenalty(c, q);
  p.original = originalPenalty(c);
  return p;
}

/** Computes every applicable penalty of a candidate for a query (on `row`, else its best row). */
export function penaltiesOf(
  c: Candidate,
  q: TrackQuery,
  forcedRow?: ReleaseTrack | null,
): { penalties: Scored["penalties"]; row: ReleaseTrack | null } {
  const row = forcedRow !== undefined ? forcedRow : c.release ? bestRow(c.release, q) : null;
  const penalties = { ...trackPenalties(c, q, row), ...releasePenalties(c, q), unverified: row ? 0 : 1 };
  return { penalties, row };
}

/** The weighted mean of penalties. */
export function distanceOf(penalties: Scored["penalties"], weights: ScoreWeights): number {
  let sum = 0;
  let total = 0;
  for (const [name, value] of Object.entries(penalties) as [PenaltyName, number][]) {
    sum += weights[name] * value;
    total += weights[name];
  }
  return total > 0 ? sum / total : 0;
}

/** Scores a candidate: the weighted mean of its applicable penalties. */
export function scoreCandidate(
  c: Candidate,
  q: TrackQuery,
  weights: ScoreWeights,
  row?: ReleaseTrack | null,
): Scored {
  const scored = penaltiesOf(c, q, row);
  const distance = Object.keys(scored.penalties).length > 0 ? distanceOf(scored.penalties, weights) : 1;
  return { candidate: c, distance, ...scored };
}

/** Orders scored candidates: distance, then the earlier release (the original), popularity, lower id. */
export function rankScored(list: Scored[]): Scored[] {
  const have = (s: Scored) => s.candidate.release?.community?.have ?? s.candidate.hit?.community?.have ?? 0;
  const year = (s: Scored) => s.candidate.release?.year ?? s.candidate.hit?.year ?? 9999;
  return [...list].sort(
    (a, b) =>
      a.distance - b.distance ||
      year(a) - year(b) ||
      have(b) - have(a) ||
      a.candidate.releaseId - b.candidate.releaseId,
  );
}

/** The recommendation for a best candidate, from thresholds and sanity checks on artist and title. */
export function recommend(best: Scored | undefined, policy: Policy = DEFAULT_POLICY): Recommendation {
  if (!best) return "none";
  const { distance, penalties } = best;
  const { thresholds: t, identity: cap } = policy;
  const identity = Math.max(penalties.artist ?? 1, penalties.title ?? 1);
  // As beets' max_rec: an artist that plainly differs ("Dance Nation" for "Double Nation") caps the
  // recommendation at low, however close the rest.
  const artistCap = (penalties.artist ?? 0) > cap.artistCap;
  if (!artistCap && distance <= t.strong && best.row && identity <= cap.strong) return "strong";
  if (!artistCap && distance <= t.medium && identity <= cap.medium) return "medium";
  // Low: within the low distance, with both identities plausible, or the artist exact and the title
  // what a video title adds to it (a full-album upload, a live clip): measured right on the dev set.
  if (distance <= t.low && (identity <= cap.low || (penalties.artist ?? 1) <= cap.strong)) return "low";
  return "none";
}

/**
 * The confidence of a best candidate: the distance curve with the margin's discount, and never above
 * `noneMaxConfidence` for a candidate the scorer does not recommend, so that "none" cannot clear a
 * sane DISCOGS_MIN_CONFIDENCE however close its distance.
 */
export function calibratedConfidence(
  best: Scored,
  margin: number | null,
  policy: Policy = DEFAULT_POLICY,
): number {
  const conf = confidenceOf(best.distance, margin, policy);
  return recommend(best, policy) === "none" ? Math.min(conf, policy.noneMaxConfidence) : conf;
}

/** The margin to the best candidate of another master (versions of one record are not rivals). */
export function marginOf(ranked: Scored[]): number | null {
  const best = ranked[0];
  if (!best) return null;
  const group = (s: Scored) => s.candidate.masterId ?? -s.candidate.releaseId;
  const rival = ranked.find((s) => group(s) !== group(best));
  return rival ? rival.distance - best.distance : null;
}

/**
 * Maps a distance to a confidence in [0, 1]: piecewise linear through the policy's curve, measured on
 * the dev evaluation (docs/benchmarks.md, "calibration"). A small margin to a rival record lowers it.
 */
export function confidenceOf(
  distance: number,
  margin: number | null,
  policy: Policy = DEFAULT_POLICY,
): number {
  const points = policy.confidenceCurve;
  let conf = 0;
  for (let i = 1; i < points.length; i++) {
    const [d0, c0] = points[i - 1]!;
    const [d1, c1] = points[i]!;
    if (distance <= d1) {
      conf = c0 + ((distance - d0) / (d1 - d0)) * (c1 - c0);
      break;
    }
  }
  // A rival record scoring the same is a coin toss between two answers, whatever the distance.
  const m = policy.margins;
  if (margin !== null && margin < m.tie) conf *= m.tieFactor;
  else if (margin !== null && margin < m.close) conf *= m.closeFactor;
  return Math.round(clamp(conf) * 1000) / 1000;
}
