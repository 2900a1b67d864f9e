/**
 * A batch in, answers in item order. Album mode inside: items are clustered into likely albums, each
 * album is matched with one lookup and its files assigned to rows together; every file the album does
 * not place confidently, and every single, goes through the ordinary single-track pipeline. A weak album
 * guess therefore never answers for a file: it falls back to matching that file alone.
 */
import { type Cluster, type ClusterItem, clusterItems, trackQueryOf } from "../album/cluster.js";
import { type AlbumScored, albumCandidate, matchAlbum, recommendAlbum, scoreAlbum } from "../album/match.js";
import { describeError, NotFoundError } from "../errors.js";
import { extractTrack } from "../extract.js";
import { candidateOf, MAX_CANDIDATES, mapRelease, matchInfo } from "../map-release.js";
import type { Policy } from "../policy.js";
import type { MetadataSource } from "../ports.js";
import { type Candidate, type TrackMetadata, TrackMetadataSchema } from "../schema.js";
import { confidenceOf, recommend, scoreCandidate } from "../score.js";
import type { Mode, TrackInput } from "../types.js";
import { type Warning, warning } from "../warnings.js";
import { cacheKey, usableCached } from "./cache-policy.js";
import { type CatalogCounters, catalogOf, requestCatalogs } from "./catalog-source.js";
import { type PipelineDeps, scrub } from "./resolve.js";
import type { Resolver } from "./resolver.js";
import { blankMetadata } from "./simple.js";
import type { StageContext } from "./stages.js";

/** Options of a batch. */
export interface BatchOptions {
  mode?: Mode;
  /** Match folders and shared album tags as albums. Default true. */
  albums?: boolean;
  /** Items resolved at once outside albums. Default 4. */
  concurrency?: number;
  signal?: AbortSignal;
  /** Called as each item is answered (progress). */
  onAnswer?: (index: number, result: TrackMetadata) => void;
}

/** Files placed with a track distance above this are matched alone instead. */
const PLACEMENT_ACCEPT = 0.3;
/** Album verdicts that may answer for their files. */
const ACCEPTED = new Set(["strong", "medium"]);

async function pool<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Splits a count over n items: the remainder goes to the first ones, so the sum is exact. */
function share(total: number, n: number, i: number): number {
  return Math.floor(total / n) + (i < total % n ? 1 : 0);
}

/**
 * Matches one cluster as an album; returns the answers for the files it placed confidently. Faults
 * are not answers: the files then go through the single-track pipeline, which reports them.
 */
async function answerAlbum(
  cluster: Cluster,
  deps: PipelineDeps,
  mode: Mode,
  signal: AbortSignal | undefined,
): Promise<Map<number, TrackMetadata>> {
  const answers = new Map<number, TrackMetadata>();
  const counters: CatalogCounters = { discogsRequests: 0, indexLookups: 0 };
  const catalogs = requestCatalogs(deps, counters);
  const t0 = (deps.now ?? Date.now)();
  for (const source of catalogs) {
    let outcome: Awaited<ReturnType<typeof matchAlbum>>;
    try {
      // With an LLM to choose between close rivals (balanced, accurate), the runner-up is fetched too.
      const compare =
        mode !== "fast" && Boolean(deps.albumSelect && deps.llm) && deps.settings.useLlmSelection;
      outcome = await matchAlbum(cluster, source, {
        weights: deps.settings.weights,
        signal,
        compare,
        policy: deps.settings.policy,
      });
    } catch (err) {
      deps.observer?.log?.("warn", "album lookup failed", {
        cluster: cluster.id,
        reason: describeError(err),
      });
      return answers;
    }
    const llm = await chooseWithLlm(cluster, outcome, deps, mode, signal);
    const best = llm.best;
    if (!best || !ACCEPTED.has(outcome.recommendation) || outcome.strategy === "none") continue;
    const known = best.release.masterId ? outcome.masterYears.get(best.release.masterId) : undefined;
    const masterYear = known ?? (await masterYearOf(best.release.masterId, source, signal));
    const policy = deps.settings.policy;
    const albumConfidence = confidenceOf(best.distance, outcome.margin, policy);
    const placed = best.placements.filter((p) => p.cost <= PLACEMENT_ACCEPT);
    const ms = Math.max(0, (deps.now ?? Date.now)() - t0);
    placed.forEach((p, i) => {
      const q = trackQueryOf(p.item);
      const scored = scoreCandidate(
        albumCandidate(best.release, masterYear),
        q,
        deps.settings.weights,
        p.row,
      );
      const confidence = Math.min(confidenceOf(scored.distance, outcome.margin, policy), albumConfidence);
      if (confidence < deps.settings.minConfidence) return;
      const result = mapRelease(blankMetadata(q, mode), q, scored, masterYear);
      result.confidence = confidence;
      result.match = matchInfo(scored, recommend(scored, policy), outcome.margin, llm.selectedBy);
      result.albumMatch = {
        clusterId: cluster.id,
        releaseId: best.release.id,
        recommendation: outcome.recommendation,
        distance: Math.round(best.distance * 1000) / 1000,
        margin: outcome.margin === null ? null : Math.round(outcome.margin * 1000) / 1000,
        position: p.row.position || null,
        items: cluster.items.length,
        strategy: outcome.strategy === "none" ? "album-search" : outcome.strategy,
      };
      if (outcome.recommendation !== "strong") {
        result.candidates = albumCandidates(outcome.ranked, p.item.index, cluster.items.length, policy);
        result.warnings.push(
          warning("weak-match", "album", `album match is ${outcome.recommendation}, not strong`),
        );
      }
      // The album's LLM warnings (a failed or refused choice), once, on its first file.
      if (i === 0) result.warnings.push(...llm.warnings);
      result.diagnostics = {
        ...result.diagnostics,
        stages: [{ stage: "album", outcome: "hit", code: null, reason: null, ms }],
        // The album's lookups, shared out over the files it answered.
        discogsRequests: share(counters.discogsRequests, placed.length, i),
        indexLookups: share(counters.indexLookups, placed.length, i),
        catalog: catalogOf(counters),
        // The album's LLM call, counted once, on its first file.
        llmCalls: i === 0 ? llm.calls : 0,
        llmTasks: i === 0 && llm.calls > 0 ? ["select-album"] : [],
      };
      if (deps.redact) scrub(result, deps.redact);
      answers.set(p.item.index, TrackMetadataSchema.parse(result));
    });
    if (answers.size > 0) return answers;
  }
  return answers;
}

/** An album's release candidates as an answer offers them, with where this file was placed on each. */
function albumCandidates(
  ranked: readonly AlbumScored[],
  itemIndex: number,
  items: number,
  policy: Policy,
): Candidate[] {
  return ranked.slice(0, MAX_CANDIDATES).map((a) => {
    const placed = a.placements.find((p) => p.item.index === itemIndex);
    return candidateOf(a.release, placed?.row, a.distance, recommendAlbum(a, items, policy), a.penalties);
  });
}

/** Album candidates closer than this let the LLM choose (balanced and accurate modes). */
const CLOSE_ALBUMS = 0.05;

/**
 * Balanced and accurate modes: when the two best releases are close (an original and its reissue), the
 * LLM chooses once for the whole album, among the candidates shown; its pick must be one of them.
 */
async function chooseWithLlm(
  cluster: Cluster,
  outcome: Awaited<ReturnType<typeof matchAlbum>>,
  deps: PipelineDeps,
  mode: Mode,
  signal: AbortSignal | undefined,
): Promise<{ best: AlbumScored | null; selectedBy: "scorer" | "llm"; calls: number; warnings: Warning[] }> {
  const keep = { best: outcome.best, selectedBy: "scorer" as const, calls: 0, warnings: [] as Warning[] };
  const close = outcome.margin !== null && outcome.margin < CLOSE_ALBUMS && outcome.ranked.length > 1;
  if (!close || mode === "fast" || !deps.albumSelect || !deps.settings.useLlmSelection) return keep;
  const first = cluster.items[0]!;
  const ctx: StageContext = {
    input: first.input,
    query: first.query,
    mode,
    deps,
    signal: signal ?? new AbortController().signal,
    deadlineAt: null,
    warnings: [],
    counters: { discogsRequests: 0, indexLookups: 0, llmCalls: 0, llmTasks: [] },
  };
  const index = await deps.albumSelect(ctx, cluster, outcome.ranked.slice(0, 5));
  const chosen = index !== null ? outcome.ranked[index] : undefined;
  if (!chosen) return { ...keep, calls: ctx.counters.llmCalls, warnings: ctx.warnings };
  return {
    best: chosen,
    selectedBy: index === 0 ? "scorer" : "llm",
    calls: ctx.counters.llmCalls,
    warnings: ctx.warnings,
  };
}

/**
 * Answers files on the release a user chose (a review choice): the release is fetched (one request, or
 * none from the body cache) and the files are placed on its tracklist by the same assignment album mode
 * uses; no search. A file no row fits gets an error instead of an answer. Throws NotFoundError for an
 * unknown release and the source's error on a fault.
 */
export async function resolveOnRelease(
  inputs: readonly TrackInput[],
  releaseId: number,
  deps: PipelineDeps,
  options: { mode?: Mode; signal?: AbortSignal } = {},
): Promise<(TrackMetadata | { error: string })[]> {
  const mode = options.mode ?? deps.settings.mode;
  const counters: CatalogCounters = { discogsRequests: 0, indexLookups: 0 };
  const source = requestCatalogs(deps, counters).at(-1);
  if (!source) throw new NotFoundError("no Discogs source configured");
  const release = await source.getRelease(releaseId, options.signal);
  const masterYear = await masterYearOf(release.masterId, source, options.signal);
  const items: ClusterItem[] = inputs.map((input, index) => ({ index, input, query: extractTrack(input) }));
  const cluster: Cluster = {
    id: `release-${releaseId}`,
    items,
    artist: null,
    album: null,
    year: null,
    evidence: "items",
  };
  const album = scoreAlbum(cluster, release, deps.settings.weights);
  const out: (TrackMetadata | { error: string })[] = inputs.map(() => ({
    error: `no track of release ${releaseId} fits this file`,
  }));
  album.placements.forEach((p, i) => {
    const q = trackQueryOf(p.item);
    const scored = scoreCandidate(albumCandidate(release, masterYear), q, deps.settings.weights, p.row);
    const result = mapRelease(blankMetadata(q, mode), q, scored, masterYear);
    result.confidence = confidenceOf(scored.distance, null, deps.settings.policy);
    result.match = matchInfo(scored, recommend(scored, deps.settings.policy), null, "user");
    result.diagnostics = {
      ...result.diagnostics,
      stages: [{ stage: "chosen-release", outcome: "hit", code: null, reason: null, ms: 0 }],
      discogsRequests: share(counters.discogsRequests, album.placements.length, i),
      indexLookups: share(counters.indexLookups, album.placements.length, i),
      catalog: catalogOf(counters),
    };
    out[p.item.index] = TrackMetadataSchema.parse(result);
  });
  return out;
}

async function masterYearOf(
  masterId: number | null,
  source: MetadataSource,
  signal: AbortSignal | undefined,
): Promise<number | null> {
  if (!masterId) return null;
  try {
    return (await source.getMaster(masterId, signal)).year;
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

/**
 * Reads an item's settled Discogs answer from the cache (a rerun costs nothing), with the single-track
 * pipeline's rule for modes; undefined when there is none.
 */
async function cachedAnswer(
  deps: PipelineDeps,
  item: ClusterItem,
  mode: Mode,
): Promise<TrackMetadata | undefined> {
  if (!deps.cache) return undefined;
  try {
    const hit = usableCached(await deps.cache.get<TrackMetadata>(cacheKey(item.query)), mode);
    return hit?.source === "discogs" ? { ...hit, cached: true } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resolves a batch. Album answers are cached under each file's usual key; everything else goes through
 * `resolveOne` (the single-track pipeline, with its own cache, deadline and stages).
 */
export async function resolveBatch(
  inputs: readonly TrackInput[],
  deps: PipelineDeps,
  resolveOne: Resolver,
  options: BatchOptions = {},
): Promise<TrackMetadata[]> {
  const mode = options.mode ?? deps.settings.mode;
  const results: (TrackMetadata | undefined)[] = new Array(inputs.length);
  const answer = (index: number, result: TrackMetadata) => {
    results[index] = result;
    options.onAnswer?.(index, result);
  };
  const items: ClusterItem[] = inputs.map((input, index) => ({ index, input, query: extractTrack(input) }));
  const albumsOn = options.albums !== false && !deps.settings.discogsDisabled && deps.source;
  const open: ClusterItem[] = [];
  for (const item of albumsOn ? items : []) {
    const hit = await cachedAnswer(deps, item, mode);
    if (hit) answer(item.index, hit);
    else open.push(item);
  }
  if (albumsOn) {
    const { clusters } = clusterItems(open);
    for (const cluster of clusters) {
      const answers = await answerAlbum(cluster, deps, mode, options.signal);
      for (const [index, result] of answers) {
        answer(index, result);
        const item = cluster.items.find((i) => i.index === index)!;
        try {
          await deps.cache?.set(cacheKey(item.query), result, deps.settings.cacheTtlSeconds);
        } catch {
          // A cache fault costs only the saving; the answer stands.
        }
      }
    }
  }
  const rest = items.filter((i) => results[i.index] === undefined);
  await pool(rest, options.concurrency ?? 4, async (item) => {
    answer(item.index, await resolveOne({ ...item.input, mode }, { signal: options.signal }));
  });
  return results as TrackMetadata[];
}
