/**
 * The catalogues a request sees: the configured source, or an offline index with the API behind it for
 * what the index lacks (a release newer than the dump). Every call is counted by where it went, so the
 * answer says which catalogue answered and how many API requests it cost.
 */
import type { Cache, CandidateBatch, MetadataSource } from "../ports.js";

/** Where a catalogue call went. */
export type CatalogKind = "api" | "index";

/** Per-request counters the catalogue bumps. */
export interface CatalogCounters {
  /** Discogs API requests (each costs budget). */
  discogsRequests: number;
  /** Offline index lookups (free). */
  indexLookups: number;
}

/** The configured catalogue (named as in PipelineDeps): a primary source, and the API behind an index. */
export interface CatalogSources {
  source?: MetadataSource | null | undefined;
  /** What `source` is. Default "api". */
  sourceKind?: CatalogKind | undefined;
  /** Consulted when the primary (an index) has no confident match. */
  fallbackSource?: MetadataSource | null | undefined;
  /**
   * Keeps API release and master bodies by id (they rarely change): every track of an album then shares
   * one release fetch, across runs too. Index lookups are not cached; they are free.
   */
  bodyCache?: { cache: Cache; ttlSeconds: number } | null | undefined;
}

/** Cache key of a release or master body. */
export function bodyKey(kind: "release" | "master", id: number): string {
  return `discogs:${kind}:${id}`;
}

/**
 * The catalogues one request tries, in order, each counting its calls: the configured source, then (for
 * an index with a token) the API, which the Discogs stage asks only when the index gave no confident
 * match, so a track the index knows costs no API request.
 */
export function requestCatalogs(sources: CatalogSources, counters: CatalogCounters): MetadataSource[] {
  const { source, fallbackSource, bodyCache } = sources;
  const kind = sources.sourceKind ?? "api";
  const bump = (k: CatalogKind) => () => {
    if (k === "api") counters.discogsRequests++;
    else counters.indexLookups++;
  };
  if (!source) return [];
  const primary = counting(source, bump(kind));
  const out = [kind === "api" ? withBodyCache(primary, bodyCache) : primary];
  if (fallbackSource) out.push(withBodyCache(counting(fallbackSource, bump("api")), bodyCache));
  return out;
}

/** Bumps a counter on every call that reaches the source, and on every batch of candidates pulled. */
function counting(source: MetadataSource, bump: () => void): MetadataSource {
  const wrap =
    <A extends unknown[], T>(fn: (...args: A) => Promise<T>) =>
    (...args: A): Promise<T> => {
      bump();
      return fn(...args);
    };
  const batches = <Q>(find: (q: Q, signal?: AbortSignal) => AsyncIterable<CandidateBatch>) =>
    async function* (q: Q, signal?: AbortSignal): AsyncGenerator<CandidateBatch> {
      for await (const batch of find(q, signal)) {
        bump();
        yield batch;
      }
    };
  const out: MetadataSource = {
    findTrackCandidates: batches(source.findTrackCandidates.bind(source)),
    findAlbumCandidates: batches(source.findAlbumCandidates.bind(source)),
    getRelease: wrap(source.getRelease.bind(source)),
    getMaster: wrap(source.getMaster.bind(source)),
  };
  if (source.findByVideoId) out.findByVideoId = wrap(source.findByVideoId.bind(source));
  if (source.getImage) out.getImage = wrap(source.getImage.bind(source));
  if (source.subset) Object.assign(out, { subset: source.subset });
  return out;
}

/** Serves release and master bodies from the cache, storing what the source returns. */
function withBodyCache(source: MetadataSource, bodyCache: CatalogSources["bodyCache"]): MetadataSource {
  if (!bodyCache) return source;
  const { cache, ttlSeconds } = bodyCache;
  const cached =
    <T>(kind: "release" | "master", fetch: (id: number, s?: AbortSignal) => Promise<T>) =>
    async (id: number, signal?: AbortSignal): Promise<T> => {
      const key = bodyKey(kind, id);
      // A cache fault only costs the saving: the source still answers.
      const hit = await cache.get<T>(key).catch(() => undefined);
      if (hit !== undefined) return hit;
      const value = await fetch(id, signal);
      await cache.set(key, value, ttlSeconds).catch(() => undefined);
      return value;
    };
  return {
    ...source,
    getRelease: cached("release", source.getRelease.bind(source)),
    getMaster: cached("master", source.getMaster.bind(source)),
  };
}

/** Which catalogue answered a request, from its counters: null when none was asked. */
export function catalogOf(counters: CatalogCounters): CatalogKind | "index+api" | null {
  if (counters.indexLookups > 0 && counters.discogsRequests > 0) return "index+api";
  if (counters.indexLookups > 0) return "index";
  return counters.discogsRequests > 0 ? "api" : null;
}
