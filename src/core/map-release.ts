/**
 * Maps the chosen Discogs release to the output schema: facts only, all from Discogs.
 * Descriptive fields stay empty here; the LLM's describe task may fill them later.
 */
import type { ArtistCredit, Release, ReleaseTrack } from "./catalog.js";
import { dedupe, stripDiscogsSuffix } from "./normalize.js";
import { formatText, releaseDetails } from "./release-details.js";
import type { Candidate, MatchInfo, TrackMetadata } from "./schema.js";
import { type Recommendation, round3, roundPenalties, type Scored } from "./score/index.js";
import { isVarious, joinCredits } from "./similarity.js";
import type { TrackQuery } from "./types.js";

const FEAT_JOIN = /^(?:feat\.?|ft\.?|featuring|with)$/i;
const FEAT_ROLE = /^(?:featuring|feat\.?|vocals? \[featuring\])/i;

/** Splits credits at the first "Feat." join: main artists before it, featured after. */
export function splitFeaturedCredits(credits: readonly ArtistCredit[]): {
  main: ArtistCredit[];
  featuring: string[];
} {
  const i = credits.findIndex((c) => FEAT_JOIN.test(c.join.trim()));
  if (i < 0) return { main: [...credits], featuring: [] };
  const main = credits.slice(0, i + 1).map((c, k) => (k === i ? { ...c, join: "" } : c));
  return { main, featuring: credits.slice(i + 1).map((c) => stripDiscogsSuffix(c.name)) };
}

/** The track's artist: track-level credits (compilations) or the release's. */
function trackCredits(release: Release, row: ReleaseTrack): ArtistCredit[] {
  if (row.artists.length > 0) return row.artists;
  return isVarious(release.artists) ? [] : release.artists;
}

/** The match block of the response. */
export function matchInfo(
  best: Scored,
  recommendation: Recommendation,
  margin: number | null,
  selectedBy: MatchInfo["selectedBy"],
): MatchInfo {
  return {
    distance: round3(best.distance),
    recommendation,
    margin: margin === null ? null : round3(margin),
    penalties: roundPenalties(best.penalties),
    selectedBy,
  };
}

/**
 * Fills a result from a release and its matching row. Title and mix come from the row; the query's mix
 * is kept only when the row names none (Discogs often omits "Original Mix").
 */
export function mapRelease(
  base: TrackMetadata,
  query: TrackQuery,
  chosen: Scored,
  originalYear: number | null,
): TrackMetadata {
  const release = chosen.candidate.release!;
  const row = chosen.row!;
  const { main, featuring } = splitFeaturedCredits(trackCredits(release, row));
  const parsed = row.parsed;
  const creditFeat = row.extraArtists
    .filter((c) => FEAT_ROLE.test(c.role))
    .map((c) => stripDiscogsSuffix(c.name));
  const label = release.labels[0];
  return {
    ...base,
    artist: main.length > 0 ? joinCredits(main) : query.artist,
    title: parsed.title ?? row.title,
    mix: parsed.mix ?? query.mix,
    featuring: dedupe([...featuring, ...creditFeat, ...parsed.featuring]),
    album: release.title,
    year: release.year,
    originalYear: originalYear ?? release.year,
    country: release.country,
    label: label ? stripDiscogsSuffix(label.name) : null,
    catalogNumber: label?.catno && label.catno.toLowerCase() !== "none" ? label.catno : null,
    trackPosition: row.position || null,
    genre: [...release.genres],
    style: [...release.styles],
    source: "discogs",
    discogs: { releaseId: release.id, masterId: release.masterId, url: release.url },
    release: releaseDetails(release, row),
  };
}

/** Candidates shown with an answer, at most. */
export const MAX_CANDIDATES = 5;

/**
 * A release offered instead of the answer: its facts, the row the file sits on (if any), and how near it
 * is. Track candidates and album candidates are both built here.
 */
export function candidateOf(
  release: Release,
  row: ReleaseTrack | null | undefined,
  distance: number,
  recommendation: Recommendation,
  penalties: Readonly<Partial<Record<string, number>>>,
): Candidate {
  return {
    releaseId: release.id,
    masterId: release.masterId,
    artist: joinCredits(release.artists),
    album: release.title,
    year: release.year,
    country: release.country,
    format: formatText(release.formats),
    label: release.labels[0]?.name ?? null,
    catno: release.labels[0]?.catno ?? null,
    position: row?.position || null,
    track: row?.title || null,
    distance: round3(distance),
    recommendation,
    penalties: roundPenalties(penalties),
  };
}

/**
 * The best verified candidates as the answer offers them (nearest first, one per release), each with its
 * own recommendation as if it were chosen.
 */
export function candidatesOf(
  ranked: readonly Scored[],
  recommend: (s: Scored) => Recommendation,
  limit = MAX_CANDIDATES,
): Candidate[] {
  const out: Candidate[] = [];
  for (const s of ranked) {
    const release = s.candidate.release;
    if (!release || out.some((c) => c.releaseId === release.id)) continue;
    out.push(candidateOf(release, s.row, s.distance, recommend(s), s.penalties));
    if (out.length >= limit) break;
  }
  return out;
}
