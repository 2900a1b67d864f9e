/**
 * Stage 2's search loop: runs the query ladder, ranks search rows cheaply, verifies the top few on
 * their tracklists, and fetches the master's year for the original release; then chooses among the
 * readings of the input. Pure over the MetadataSource port, so it runs against any source, in-process
 * fakes included.
 */
import type { SearchHit } from "../catalog.js";
import { NotFoundError } from "../errors.js";
import { DEFAULT_POLICY, type Policy } from "../policy.js";
import type { CandidateBatch, MetadataSource, TrackSearch } from "../ports.js";
import {
  type Candidate,
  calibratedConfidence,
  type Recommendation,
  rankScored,
  recommend,
  type Scored,
  scoreCandidate,
  trackMargin,
} from "../score/index.js";
import type { TrackQuery } from "../types.js";
import { otherReadings } from "./readings.js";
import { firstBatch, trackSearchOf } from "./search.js";

/** Options of one match. */
export interface MatchOptions {
  /** Keep at most this many candidates after cheap ranking (DISCOGS_MAX_RESULTS). */
  maxResults: number;
  /** Hard cap on Discogs requests for this track. */
  maxRequests: number;
  signal?: AbortSignal | undefined;
  /** Search hits already in hand (the unsplit-name search): verified before the ladder runs. */
  seed?: { hits: SearchHit[]; strategy: string } | undefined;
  /** Extra searches to try when the ladder finds nothing strong (the LLM's queries), one lookup each. */
  moreQueries?: (() => Promise<TrackSearch[]>) | undefined;
  /** Thresholds and the confidence curve; default DEFAULT_POLICY. */
  policy?: Policy | undefined;
}

/** What matching found. */
export interface MatchOutcome {
  /** Ranked candidates, verified ones scored on their tracklist. */
  ranked: Scored[];
  best: Scored | null;
  recommendation: Recommendation;
  margin: number | null;
  confidence: number;
  /** Discogs requests made. */
  requests: number;
  /** The strategies that ran, in order. */
  strategies: string[];
  /** True when the answer reads the input's artist and title the other way round. */
  swapped: boolean;
}

/** Mutable state of one match. */
interface MatchState {
  candidates: Map<number, Candidate>;
  masterYears: Map<number, number>;
  requests: number;
  strategies: string[];
}

function addHits(state: MatchState, hits: SearchHit[], strategy: string): void {
  for (const h of hits) {
    if (h.kind === "master") {
      if (h.year) state.masterYears.set(h.id, h.year);
      continue;
    }
    const existing = state.candidates.get(h.id);
    if (existing) {
      if (!existing.strategies.includes(strategy)) existing.strategies.push(strategy);
      continue;
    }
    state.candidates.set(h.id, {
      releaseId: h.id,
      masterId: h.masterId,
      hit: h,
      release: null,
      masterYear: null,
      strategies: [strategy],
    });
  }
}

/** The original year of each master: the master row's year, else the earliest version we have seen. */
function fillMasterYears(state: MatchState): void {
  const earliest = new Map<number, number>();
  for (const c of state.candidates.values()) {
    const y = c.release?.year ?? c.hit?.year;
    if (c.masterId && y) earliest.set(c.masterId, Math.min(earliest.get(c.masterId) ?? y, y));
  }
  for (const c of state.candidates.values()) {
    if (c.masterId) c.masterYear = state.masterYears.get(c.masterId) ?? earliest.get(c.masterId) ?? null;
  }
}

/** Scores and orders every candidate under a reading of the input. */
function scoreAll(state: MatchState, q: TrackQuery, opts: MatchOptions): Scored[] {
  fillMasterYears(state);
  return rankScored(
    [...state.candidates.values()].map((c) =>
      scoreCandidate(c, q, (opts.policy ?? DEFAULT_POLICY).weights.track),
    ),
  );
}

/** Ranks the candidates under a reading without dropping any: for the other readings of a name. */
function rankOnly(state: MatchState, q: TrackQuery, opts: MatchOptions): Scored[] {
  return scoreAll(state, q, opts).slice(0, opts.maxResults);
}

function rank(state: MatchState, q: TrackQuery, opts: MatchOptions): Scored[] {
  const ranked = scoreAll(state, q, opts);
  // Respect DISCOGS_MAX_RESULTS: drop the tail so it is never fetched.
  for (const s of ranked.slice(opts.maxResults))
    if (!s.candidate.release) state.candidates.delete(s.candidate.releaseId);
  return ranked.slice(0, opts.maxResults);
}

/** Fetches full releases for the best unverified candidates until one is strong or the budget ends. */
async function verifyTop(
  state: MatchState,
  q: TrackQuery,
  source: MetadataSource,
  opts: MatchOptions,
  perRound: number,
) {
  let ranked = rank(state, q, opts);
  for (let i = 0; i < perRound; i++) {
    const best = ranked[0];
    if (best?.row && recommend(best, opts.policy) === "strong" && !betterVersionPending(best, ranked)) break;
    const next = ranked.find((s) => !s.candidate.release);
    if (!next || state.requests >= opts.maxRequests) break;
    state.requests++;
    try {
      next.candidate.release = await source.getRelease(next.candidate.releaseId, opts.signal);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      state.candidates.delete(next.candidate.releaseId);
    }
    ranked = rank(state, q, opts);
  }
  return ranked;
}

/** True when an unfetched version of the best record looks more original than the best. */
function betterVersionPending(best: Scored, ranked: Scored[]): boolean {
  if (!best.candidate.masterId) return false;
  return ranked.some(
    (s) =>
      !s.candidate.release &&
      s.candidate.masterId === best.candidate.masterId &&
      (s.penalties.original ?? 0) + (s.penalties.kind ?? 0) <
        (best.penalties.original ?? 0) + (best.penalties.kind ?? 0),
  );
}

/**
 * True when more searches would only find the same record again: the best candidate holds the track
 * under exactly the artist and title asked for (it is short of strong for its mix, kind or year, which
 * variants of the same query cannot change), no more original version of it waits unfetched, and the
 * artist+track and q= searches have both run.
 */
function settled(ranked: Scored[], state: MatchState): boolean {
  const best = ranked[0];
  if (!best?.row || (best.penalties.artist ?? 1) > 0.05 || (best.penalties.title ?? 1) > 0.05) return false;
  if (betterVersionPending(best, ranked)) return false;
  return state.strategies.includes("artist+track") && state.strategies.includes("q");
}

const isStrong = (ranked: Scored[], policy: Policy | undefined) =>
  ranked[0]?.row != null && recommend(ranked[0], policy) === "strong";

/**
 * Pulls candidate batches, one lookup each, verifying the best after each, until an answer is strong or
 * settled or the request budget is spent; a pull that is not made costs nothing.
 */
async function runSearches(
  batches: AsyncIterable<CandidateBatch>,
  state: MatchState,
  q: TrackQuery,
  source: MetadataSource,
  opts: MatchOptions,
) {
  // A strong answer under another reading ends the ladder too: "Title - Artist" needs no more searches
  // once the order-free q= search has found the release.
  const others = otherReadings(q);
  const done = (ranked: Scored[]) =>
    isStrong(ranked, opts.policy) ||
    settled(ranked, state) ||
    others.some((r) => {
      const alt = rankOnly(state, r.query, opts);
      return isStrong(alt, opts.policy) || settled(alt, state);
    });
  let ranked = rank(state, q, opts);
  if (done(ranked) || state.requests >= opts.maxRequests) return ranked;
  for await (const batch of batches) {
    state.requests++;
    state.strategies.push(batch.strategy);
    addHits(state, batch.hits, batch.strategy);
    ranked = await verifyTop(state, q, source, opts, 2);
    if (done(ranked) || state.requests >= opts.maxRequests) break;
  }
  return ranked;
}

/** The first batch of each extra search, as one stream of batches. */
async function* eachFirst(
  searches: readonly TrackSearch[],
  source: MetadataSource,
  signal: AbortSignal | undefined,
): AsyncGenerator<CandidateBatch> {
  for (const [i, s] of searches.entries()) {
    const batch = await firstBatch(source.findTrackCandidates(s, signal));
    if (batch) yield { ...batch, strategy: `llm-query-${i + 1}` };
  }
}

/** Fetches a release named by an identifier (a tag's release id, a video) as a verified candidate. */
async function fetchCandidate(
  id: number,
  strategy: string,
  source: MetadataSource,
  state: MatchState,
  opts: MatchOptions,
): Promise<void> {
  state.requests++;
  try {
    const release = await source.getRelease(id, opts.signal);
    state.candidates.set(release.id, {
      releaseId: release.id,
      masterId: release.masterId,
      hit: null,
      release,
      masterYear: null,
      strategies: [strategy],
    });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

/** Releases a video is attached to that are fetched, at most. */
const VIDEO_RELEASES = 3;

/**
 * A YouTube video id attached to releases (offline index only) is a lookup, not a search: the releases
 * are fetched and the track is found on them by title. Returns the outcome when a release holds the
 * track, or null to go on with the ladder (the fetched releases stay as candidates).
 */
async function videoCandidates(
  q: TrackQuery,
  source: MetadataSource,
  state: MatchState,
  opts: MatchOptions,
): Promise<MatchOutcome | null> {
  const videoId = q.hints.youtubeId;
  if (!videoId || !source.findByVideoId || !q.title) return null;
  const ids = (await source.findByVideoId(videoId, opts.signal)).slice(0, VIDEO_RELEASES);
  for (const id of ids) await fetchCandidate(id, "youtube-id", source, state, opts);
  if (ids.length === 0) return null;
  state.strategies.push("youtube-id");
  const ranked = rank(state, q, opts).filter((s) => s.row !== null);
  const best = ranked[0];
  // The video names the release; the title alone must find the row (a bare title has no artist).
  if (!best || (best.penalties.title ?? 1) > 0.15) return null;
  const margin = trackMargin(ranked);
  return {
    ranked,
    best,
    recommendation: recommend(best, opts.policy),
    margin,
    confidence: calibratedConfidence(best, margin, opts.policy),
    requests: state.requests,
    strategies: state.strategies,
    swapped: false,
  };
}

/**
 * Finds the release that holds a track. Deterministic: the same query and catalogue give the same answer.
 * Throws the source's UpstreamError on faults (the pipeline degrades); returns an outcome with
 * recommendation "none" when nothing fits.
 */
export async function findRelease(
  q: TrackQuery,
  source: MetadataSource,
  opts: MatchOptions,
): Promise<MatchOutcome> {
  const state: MatchState = { candidates: new Map(), masterYears: new Map(), requests: 0, strategies: [] };
  const byVideo = await videoCandidates(q, source, state, opts);
  if (byVideo) return byVideo;
  if (q.hints.discogsReleaseId) {
    state.strategies.push("release-id");
    await fetchCandidate(q.hints.discogsReleaseId, "release-id", source, state, opts);
    // The master's year the same tagger wrote: no master request for a file tagged before.
    if (q.hints.discogsMasterId && q.hints.originalYear)
      state.masterYears.set(q.hints.discogsMasterId, q.hints.originalYear);
  }
  // A release id from the tags is the user's own word: when the track is on it, search no further.
  const byId = rank(state, q, opts)[0];
  const idHolds =
    byId?.row != null && (byId.penalties.title ?? 1) <= 0.15 && (byId.penalties.artist ?? 0) <= 0.15;
  if (opts.seed) {
    addHits(state, opts.seed.hits, opts.seed.strategy);
    await verifyTop(state, q, source, opts, 2);
  }
  const ranked = idHolds
    ? rank(state, q, opts)
    : await runSearches(source.findTrackCandidates(trackSearchOf(q), opts.signal), state, q, source, opts);
  if (!isStrong(ranked, opts.policy) && opts.moreQueries && state.requests < opts.maxRequests) {
    const extra = await opts.moreQueries();
    await runSearches(eachFirst(extra, source, opts.signal), state, q, source, opts);
  }
  // The reading to answer with: the input as given unless another reading (swapped, or the other pairs
  // of a name with more dashes) scores clearly better. Rescoring only, no requests.
  const others = otherReadings(q);
  const choose = (): { verified: Scored[]; reading: string | null } => {
    let verified = rank(state, q, opts).filter((s) => s.row !== null);
    let reading: string | null = null;
    if (isStrong(verified, opts.policy)) return { verified, reading };
    for (const r of others) {
      const alt = rankOnly(state, r.query, opts).filter((s) => s.row !== null);
      if (alt[0] && (!verified[0] || alt[0].distance < verified[0].distance - 0.05)) {
        verified = alt;
        reading = r.name;
      }
    }
    return { verified, reading };
  };
  let chosen = choose();
  const first = chosen.verified[0];
  // The master's own year when no search row told us (one request, only for the chosen release).
  if (
    first?.candidate.masterId &&
    !state.masterYears.has(first.candidate.masterId) &&
    state.requests < opts.maxRequests
  ) {
    state.requests++;
    try {
      const master = await source.getMaster(first.candidate.masterId, opts.signal);
      if (master.year) state.masterYears.set(master.id, master.year);
      chosen = choose();
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  const verified = chosen.verified;
  const best = verified[0] ?? null;
  const margin = trackMargin(verified);
  const recommendation = recommend(best ?? undefined, opts.policy);
  return {
    ranked: verified,
    best,
    recommendation,
    margin,
    confidence: best ? calibratedConfidence(best, margin, opts.policy) : 0,
    requests: state.requests,
    strategies: chosen.reading ? [...state.strategies, chosen.reading] : state.strategies,
    swapped: chosen.reading === "swapped-rescore",
  };
}
