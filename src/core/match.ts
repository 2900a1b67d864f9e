/**
 * Stage 2 matching: a deterministic query ladder, cheap ranking on search rows, tracklist verification of
 * the top few, and the master's year for the original release. Pure over the MetadataSource port.
 */
import type { SearchHit, SearchParams } from "./catalog.js";
import { NotFoundError } from "./errors.js";
import {
  foldAscii,
  normalizeKey,
  normalizeTitle,
  splitArtists,
  stripDiscogsSuffix,
  stripLeadingThe,
} from "./normalize.js";
import type { MetadataSource } from "./ports.js";
import {
  type Candidate,
  confidenceOf,
  marginOf,
  type Recommendation,
  rankScored,
  recommend,
  type Scored,
  type ScoreWeights,
  scoreCandidate,
} from "./score.js";
import type { TrackQuery } from "./types.js";

/** One rung of the ladder. */
export interface Strategy {
  name: string;
  params: SearchParams;
}

/** Results per search page: one request either way, and masters with many versions need room. */
const PER_PAGE = 50;

/**
 * The query ladder, in order: exact identifiers, artist + track, q, artist + release title, then
 * variants (main artist, ASCII-folded, without "The", swapped). Queries never carry the mix: Discogs
 * spells mixes inconsistently, so the mix is judged in scoring instead, where "Original Mix" = none.
 */
export function buildQueries(q: TrackQuery): Strategy[] {
  const out: Strategy[] = [];
  const { artist, title, hints } = q;
  if (hints.catno) out.push({ name: "catno", params: { catno: hints.catno, per_page: PER_PAGE } });
  if (hints.barcode) out.push({ name: "barcode", params: { barcode: hints.barcode, per_page: PER_PAGE } });
  if (!artist || !title) return out;
  // A title with a dash of its own is seldom a track title: search its first part ("Ida Jane - May 25,
  // 1956"), then the whole name, then the last two parts as artist and title; rescoring weighs them all.
  const readings = dashReadings(q);
  const first = readings.find((r) => r.artist === artist);
  out.push({ name: "artist+track", params: { artist, track: first?.title ?? title, per_page: PER_PAGE } });
  out.push({ name: "q", params: { q: `${artist} ${title}`, per_page: PER_PAGE } });
  const later = readings[0];
  if (later && later !== first)
    out.push({
      name: "reading+track",
      params: { artist: later.artist, track: later.title, per_page: PER_PAGE },
    });
  out.push({ name: "artist+release_title", params: { artist, release_title: title, per_page: PER_PAGE } });
  // A spelling variant ("Every Kinda People") fails Discogs' all-words match: try the title's most
  // distinctive word alone; tracklist verification then judges the whole title.
  const keyword = distinctiveWord(title);
  if (keyword && keyword.toLowerCase() !== title.toLowerCase()) {
    out.push({ name: "artist+track-keyword", params: { artist, track: keyword, per_page: PER_PAGE } });
  }
  const names = splitArtists(artist);
  if (names.length > 1)
    out.push({ name: "main-artist+track", params: { artist: names[0]!, track: title, per_page: PER_PAGE } });
  const fa = foldAscii(artist);
  const ft = foldAscii(title);
  if (fa !== artist || ft !== title)
    out.push({ name: "ascii+track", params: { artist: fa, track: ft, per_page: PER_PAGE } });
  const noThe = stripLeadingThe(artist);
  if (noThe !== artist)
    out.push({ name: "no-the+track", params: { artist: noThe, track: title, per_page: PER_PAGE } });
  if (q.orderUncertain)
    out.push({ name: "swapped+track", params: { artist: title, track: artist, per_page: PER_PAGE } });
  return out;
}

/**
 * Other readings of a filename split at its first dash when the title holds more dashes ("Hotel Costes 2
 * - Lovetronic - You Are Love", "Running Wild - Under Jolly Roger - 1987"): neighbouring parts as artist
 * and title, later pairs first, since a channel or compilation name opens a video title more often than
 * an album or label closes it. At most two; never for tags, whose fields are already split.
 */
export function dashReadings(q: TrackQuery): { artist: string; title: string }[] {
  if (q.source === "tags" || !q.artist || !q.title || !q.title.includes(" - ")) return [];
  const parts = [q.artist, ...q.title.split(" - ")].map((p) => p.trim()).filter(Boolean);
  if (parts.length < 3 || parts.length > 4) return [];
  const pairs = parts.slice(0, -1).map((artist, i) => ({ artist, title: parts[i + 1]! }));
  // The last pair and the first: a channel before the artist, or an album, date or label after the title.
  return pairs.length === 2 ? pairs.reverse() : [pairs.at(-1)!, pairs[0]!];
}

/**
 * Reads an unsplit name ("Larry Heard Missing You") as artist and title, given an artist the catalogue
 * knows: the artist's words must open or close the name, and some words must be left for the title.
 * Word by word on normalised keys, so case, accents and punctuation do not matter.
 */
export function splitByArtist(text: string, artist: string): { artist: string; title: string } | null {
  const words = text.split(/\s+/).filter((w) => normalizeKey(w) !== "");
  const keys = words.map((w) => normalizeKey(w));
  const name = normalizeKey(stripDiscogsSuffix(artist)).split(" ").filter(Boolean);
  if (name.length === 0 || name.join("").length < 3 || name.length >= keys.length) return null;
  const at = (start: number) => name.every((w, i) => keys[start + i] === w);
  const clean = stripDiscogsSuffix(artist);
  if (at(0)) return { artist: clean, title: normalizeTitle(words.slice(name.length).join(" ")) };
  if (at(keys.length - name.length))
    return { artist: clean, title: normalizeTitle(words.slice(0, keys.length - name.length).join(" ")) };
  return null;
}

/** The distinct artist/title readings of an unsplit name that the search hits' artists support, best first. */
export function unsplitReadings(text: string, hits: SearchHit[]): { artist: string; title: string }[] {
  const out = new Map<string, { artist: string; title: string }>();
  for (const h of hits) {
    if (h.kind !== "release") continue;
    for (const name of new Set([h.artist, ...splitArtists(h.artist)])) {
      const reading = name && !/^various$/i.test(name) ? splitByArtist(text, name) : null;
      if (reading) out.set(normalizeKey(`${reading.artist}|${reading.title}`), reading);
    }
  }
  return [...out.values()];
}

const STOPWORDS = new Set([
  "the",
  "and",
  "with",
  "from",
  "your",
  "that",
  "this",
  "what",
  "when",
  "for",
  "you",
  "are",
  "feat",
]);

/** The longest word of a title that is not a stop word, or null for one-word titles. */
export function distinctiveWord(title: string): string | null {
  const words = title
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length >= 3 && !STOPWORDS.has(w.toLowerCase()));
  if (words.length < 2) return null;
  return words.reduce((a, b) => (b.length > a.length ? b : a));
}

/** Options of one match. */
export interface MatchOptions {
  weights: ScoreWeights;
  /** Keep at most this many candidates after cheap ranking (DISCOGS_MAX_RESULTS). */
  maxResults: number;
  /** Hard cap on Discogs requests for this track. */
  maxRequests: number;
  signal?: AbortSignal | undefined;
  /** Search hits already in hand (the unsplit-name search): verified before the ladder runs. */
  seed?: { hits: SearchHit[]; strategy: string } | undefined;
  /** Extra strategies to try when the ladder finds nothing strong (the LLM's queries). */
  moreQueries?: (() => Promise<Strategy[]>) | undefined;
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
  return rankScored([...state.candidates.values()].map((c) => scoreCandidate(c, q, opts.weights)));
}

/** Ranks the candidates under a reading without dropping any: for the other readings of a name. */
function rankOnly(state: MatchState, q: TrackQuery, opts: MatchOptions): Scored[] {
  return scoreAll(state, q, opts).slice(0, opts.maxResults);
}

/** A reading of the input other than the one given, named for the strategies list. */
interface Reading {
  name: string;
  query: TrackQuery;
}

/**
 * The other readings of a filename: artist and title swapped ("Title - Artist"), and the other pairs
 * of a name with more dashes. Tags are split already and have none.
 */
function otherReadings(q: TrackQuery): Reading[] {
  if (q.source === "tags" || !q.artist || !q.title) return [];
  const plain = { ...q, orderUncertain: false };
  return [
    { name: "swapped-rescore", query: { ...plain, artist: q.title, title: q.artist } },
    ...dashReadings(q).map((r) => ({ name: "reading-rescore", query: { ...plain, ...r } })),
  ];
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
    if (best?.row && recommend(best) === "strong" && !betterVersionPending(best, ranked)) break;
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

const isStrong = (ranked: Scored[]) => ranked[0]?.row != null && recommend(ranked[0]) === "strong";

async function runStrategies(
  strategies: Strategy[],
  state: MatchState,
  q: TrackQuery,
  source: MetadataSource,
  opts: MatchOptions,
) {
  // A strong answer under another reading ends the ladder too: "Title - Artist" needs no more searches
  // once the order-free q= search has found the release.
  const others = otherReadings(q);
  const done = (ranked: Scored[]) =>
    isStrong(ranked) ||
    settled(ranked, state) ||
    others.some((r) => {
      const alt = rankOnly(state, r.query, opts);
      return isStrong(alt) || settled(alt, state);
    });
  let ranked = rank(state, q, opts);
  if (done(ranked)) return ranked;
  for (const s of strategies) {
    if (state.requests >= opts.maxRequests) break;
    state.requests++;
    state.strategies.push(s.name);
    addHits(state, await source.search(s.params, opts.signal), s.name);
    ranked = await verifyTop(state, q, source, opts, 2);
    if (done(ranked)) break;
  }
  return ranked;
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
  const margin = marginOf(ranked);
  return {
    ranked,
    best,
    recommendation: recommend(best),
    margin,
    confidence: confidenceOf(best.distance, margin),
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
    : await runStrategies(buildQueries(q), state, q, source, opts);
  if (!isStrong(ranked) && opts.moreQueries && state.requests < opts.maxRequests) {
    await runStrategies(await opts.moreQueries(), state, q, source, opts);
  }
  // The reading to answer with: the input as given unless another reading (swapped, or the other pairs
  // of a name with more dashes) scores clearly better. Rescoring only, no requests.
  const others = otherReadings(q);
  const choose = (): { verified: Scored[]; reading: string | null } => {
    let verified = rank(state, q, opts).filter((s) => s.row !== null);
    let reading: string | null = null;
    if (isStrong(verified)) return { verified, reading };
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
  const margin = marginOf(verified);
  const recommendation = recommend(best ?? undefined);
  return {
    ranked: verified,
    best,
    recommendation,
    margin,
    confidence: best ? confidenceOf(best.distance, margin) : 0,
    requests: state.requests,
    strategies: chosen.reading ? [...state.strategies, chosen.reading] : state.strategies,
    swapped: chosen.reading === "swapped-rescore",
  };
}
