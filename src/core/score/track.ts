/**
 * Track scoring: the track-level penalties of a candidate's tracklist row (artist, title, mix,
 * duration), with the release-level ones (release.ts), summed by the one distance (distance.ts).
 */
import type { ArtistCredit, Release, ReleaseTrack } from "../catalog.js";
import { MAKER_SHARE, type TrackWeights } from "../policy.js";
import { baseTitle } from "../release.js";
import { artistSimilarity, comparable, textSimilarity } from "../similarity.js";
import type { TrackQuery } from "../types.js";
import { clamp01 as clamp, type Penalties, weightedDistance } from "./distance.js";
import { type Candidate, releasePenalties } from "./release.js";

/** A track penalty's name: the track-level ones and the release-level ones. */
export type PenaltyName = keyof TrackWeights;

/** A scored candidate. */
export interface Scored {
  candidate: Candidate;
  distance: number;
  penalties: Penalties<PenaltyName>;
  /** The tracklist row that best matches the query, when the release was fetched. */
  row: ReleaseTrack | null;
}

/** How well a query title matches a row title, ignoring the row's mix and other brackets. */
export function rowTitleSimilarity(title: string, row: ReleaseTrack): number {
  const rowTitle = row.parsed.title;
  const full = Math.max(textSimilarity(title, rowTitle), textSimilarity(title, row.title));
  // A bracketed subtitle on one side only ("Rosalita (Come Out Tonight)") costs a little, not a lot.
  const base = textSimilarity(baseTitle(title), row.parsed.base) * 0.95;
  // A file named after one part of a track of parts (a suite's movement) is that track.
  const part = Math.max(0, ...row.parts.map((p) => textSimilarity(title, p)));
  return Math.max(full, base, part, prefixSimilarity(title, rowTitle));
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
    s += (1 - mixPenalty(query.mix, row.parsed.mix)) * 0.02;
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

/**
 * The duration penalty's bands: a difference up to `upTo` seconds costs `penalty` (explain.ts reads them
 * back into words, "duration off by 11–20 s").
 */
export const DURATION_BANDS: readonly { upTo: number; penalty: number }[] = [
  { upTo: 3, penalty: 0 },
  { upTo: 10, penalty: 0.25 },
  { upTo: 20, penalty: 0.5 },
  { upTo: 40, penalty: 0.8 },
  { upTo: Number.POSITIVE_INFINITY, penalty: 1 },
];

/** The roles of the music's makers (writers, composers, producers) among a release's credits. */
const MAKER_ROLE = /\b(?:written|writer|compos|music by|songwriter|lyrics|words by|producer|produced)\b/i;

/**
 * How well a name matches a release's (or a row's) artists, or failing them one of its makers' credits,
 * which count for MAKER_SHARE of a match: a real name behind an alias, a composer before an orchestra.
 */
export function creditedSimilarity(
  name: string,
  artists: readonly ArtistCredit[],
  extraArtists: readonly ArtistCredit[],
): number {
  const made = extraArtists
    .filter((c) => MAKER_ROLE.test(c.role))
    .map((m) => artistSimilarity(name, [m]) * MAKER_SHARE);
  return Math.max(artistSimilarity(name, artists), ...made);
}

function durationPenalty(a: number, b: number): number {
  const d = Math.abs(a - b);
  return DURATION_BANDS.find((band) => d <= band.upTo)!.penalty;
}

/**
 * Track-level penalties of one tracklist row (or of the search row when the release was not fetched):
 * artist, title, mix and duration. Album mode uses them as the cost of assigning a file to a row.
 */
export function trackPenalties(
  c: Candidate,
  q: TrackQuery,
  row: ReleaseTrack | null,
): Penalties<PenaltyName> {
  const p: Penalties<PenaltyName> = {};
  if (q.artist) {
    const credits = row && row.artists.length > 0 ? row.artists : (c.release?.artists ?? []);
    if (c.release) {
      // A name the release credits for writing or producing the music (a real name behind an alias, a
      // composer before an orchestra) counts for part of a match: the artist named wins when present.
      const crew = [...(row?.extraArtists ?? []), ...c.release.extraArtists];
      p.artist = clamp((1 - creditedSimilarity(q.artist, credits, crew)) * 1.2);
    } else if (c.hit && /^various$/i.test(c.hit.artist)) p.artist = 0.5;
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
  if (row) p.mix = mixPenalty(q.mix, row.parsed.mix);
  else if (q.mix) p.mix = 0.3;
  if (row?.durationSec && q.hints.durationSec)
    p.duration = durationPenalty(row.durationSec, q.hints.durationSec);
  return p;
}

/** Computes every applicable penalty of a candidate for a query (on `row`, else its best row). */
export function penaltiesOf(
  c: Candidate,
  q: TrackQuery,
  forcedRow?: ReleaseTrack | null,
): { penalties: Penalties<PenaltyName>; row: ReleaseTrack | null } {
  const row = forcedRow !== undefined ? forcedRow : c.release ? bestRow(c.release, q) : null;
  const penalties = {
    ...trackPenalties(c, q, row),
    ...releasePenalties(c, q.hints),
    unverified: row ? 0 : 1,
  };
  return { penalties, row };
}

/** Scores a candidate: the weighted mean of its applicable penalties. */
export function scoreCandidate(
  c: Candidate,
  q: TrackQuery,
  weights: TrackWeights,
  row?: ReleaseTrack | null,
): Scored {
  const scored = penaltiesOf(c, q, row);
  const distance = weightedDistance(scored.penalties, weights, { empty: 1 });
  return { candidate: c, distance, ...scored };
}
