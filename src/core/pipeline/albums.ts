/**
 * Album answers: a cluster matched as an album (match/album.ts) and its placed files answered through
 * the one answer path, each with a track-level verdict; the evidence of a cluster that names no album
 * (its files' own single-track matches, or bare titles intersected); the LLM's one choice between close
 * albums; and files placed on a release the user chose.
 */
import type { Release } from "../catalog.js";
import { describeError, NotFoundError, nullIfNotFound } from "../errors.js";
import { extractTrack } from "../extract.js";
import { candidateOf, MAX_CANDIDATES } from "../map-release.js";
import { type AlbumOutcome, masterYearOf, matchAlbum, scoreClusterOn } from "../match/album.js";
import { type Cluster, type ClusterItem, trackQueryOf } from "../match/cluster.js";
import { findAcrossTitles, folderQuery, sharedArtist } from "../match/playlist.js";
import type { Policy } from "../policy.js";
import type { MetadataSource } from "../ports.js";
import type { Candidate, StageRecord, TrackMetadata } from "../schema.js";
import {
  type AlbumScored,
  confidenceOf,
  placedReading,
  recommendAlbum,
  recordOf,
  round3,
  scoreCandidate,
} from "../score/index.js";
import type { Mode, TrackInput } from "../types.js";
import { type Warning, warning } from "../warnings.js";
import { finishAnswer, matchedAnswer, trackVerdict } from "./answer.js";
import { cacheKey } from "./cache-policy.js";
import { type CatalogCounters, catalogOf, requestCatalogs } from "./catalog-source.js";
import type { PipelineDeps } from "./deps.js";
import {
  albumOnlyAnswer,
  isVariousName,
  nameOf,
  namesRecord,
  type OnRecord,
  recordNames,
} from "./folder-answers.js";
import type { Resolver } from "./resolver.js";
import { simpleExtraction } from "./simple.js";
import type { StageContext } from "./stages.js";

/** Album verdicts that may answer for their files. */
const ACCEPTED = new Set(["strong", "medium"]);
/** Files of a cluster that names no album matched alone at once, for the album's evidence. */
const VOTE_WAVE = 4;

/** Splits a count over n items: the remainder goes to the first ones, so the sum is exact. */
function share(total: number, n: number, i: number): number {
  return Math.floor(total / n) + (i < total % n ? 1 : 0);
}

/** What placing an album's files needs to know of the album. */
interface Placing {
  cluster: Cluster;
  outcome: AlbumOutcome;
  best: AlbumScored<ClusterItem>;
  selectedBy: "scorer" | "llm" | "user";
  counters: CatalogCounters;
  llm: { calls: number; warnings: Warning[] };
  stage: "album" | "chosen-release";
  ms: number;
  mode: Mode;
}

/**
 * The placements that answer for their files: on a release the user chose, every file its rows fit; on
 * an album of our choosing, only the sure ones.
 */
function answering(best: AlbumScored<ClusterItem>, policy: Policy, chosen: boolean) {
  return chosen ? best.placements : best.placements.filter((x) => x.cost <= policy.album.placementAccept);
}

/**
 * The answers of the files an album placed, each through the one answer path: the placement scored as
 * a track candidate on its row, with a track-level verdict no surer than the album's (below the minimum
 * confidence, no answer; a user's choice answers whatever the confidence).
 */
async function placeFiles(deps: PipelineDeps, p: Placing) {
  const { policy, minConfidence } = deps.settings;
  const answers = new Map<number, TrackMetadata>();
  const chosen = p.stage === "chosen-release";
  const placed = answering(p.best, policy, chosen);
  let i = 0;
  for (const placement of placed) {
    const q = placedReading(trackQueryOf(placement.item), placement.row, p.best.candidate, policy);
    const scored = scoreCandidate(p.best.candidate, q, policy.weights.track, placement.row);
    const own = trackVerdict(scored, p.outcome.margin, policy, p.best.penalties.artist ?? 0);
    const albumConfidence = chosen ? 1 : confidenceOf(p.best.distance, p.outcome.margin, policy);
    const confidence = Math.min(own.confidence, albumConfidence);
    if (!chosen && confidence < minConfidence) continue;
    const result = matchedAnswer(q, p.mode, scored, {
      recommendation: own.recommendation,
      margin: p.outcome.margin,
      confidence,
      selectedBy: p.selectedBy,
    });
    if (!chosen) {
      result.albumMatch = {
        clusterId: p.cluster.id,
        releaseId: p.best.release.id,
        recommendation: p.outcome.recommendation,
        distance: round3(p.best.distance),
        margin: p.outcome.margin === null ? null : round3(p.outcome.margin),
        position: placement.row.position || null,
        items: p.cluster.items.length,
        strategy: p.outcome.strategy === "none" ? "album-search" : p.outcome.strategy,
      };
    }
    if (p.outcome.recommendation !== "strong" && !chosen) {
      result.candidates = albumCandidates(
        p.outcome.ranked,
        placement.item.index,
        p.cluster.items.length,
        deps,
      );
      result.warnings.push(
        warning("weak-match", "album", `album match is ${p.outcome.recommendation}, not strong`),
      );
    }
    // The album's LLM warnings (a failed or refused choice), once, on its first file.
    if (i === 0) result.warnings.push(...p.llm.warnings);
    const records: StageRecord[] = [{ stage: p.stage, outcome: "hit", code: null, reason: null, ms: p.ms }];
    result.diagnostics = {
      ...result.diagnostics,
      stages: records,
      // The album's lookups, shared out over the files it answered.
      discogsRequests: share(p.counters.discogsRequests, placed.length, i),
      indexLookups: share(p.counters.indexLookups, placed.length, i),
      catalog: catalogOf(p.counters),
      // The album's LLM call, counted once, on its first file.
      llmCalls: i === 0 ? p.llm.calls : 0,
      llmTasks: i === 0 && p.llm.calls > 0 ? ["select-album"] : [],
    };
    const key = chosen ? null : cacheKey(placement.item.query);
    answers.set(
      placement.item.index,
      await finishAnswer(deps, result, { records, mode: p.mode, cacheKey: key }),
    );
    i++;
  }
  return answers;
}

/** An album's release candidates as an answer offers them, with where this file was placed on each. */
function albumCandidates(
  ranked: readonly AlbumScored<ClusterItem>[],
  itemIndex: number,
  items: number,
  deps: PipelineDeps,
): Candidate[] {
  return ranked.slice(0, MAX_CANDIDATES).map((a) => {
    const placed = a.placements.find((p) => p.item.index === itemIndex);
    return candidateOf(
      a.release,
      placed?.row,
      a.distance,
      recommendAlbum(a, items, deps.settings.policy),
      a.penalties,
    );
  });
}

/**
 * Balanced and accurate modes: when the two best releases are close (two records that fit alike), the
 * LLM chooses once for the whole album, among the candidates shown; its pick must be one of them.
 */
async function chooseWithLlm(
  cluster: Cluster,
  outcome: AlbumOutcome,
  deps: PipelineDeps,
  mode: Mode,
  signal: AbortSignal | undefined,
): Promise<{
  best: AlbumScored<ClusterItem> | null;
  selectedBy: "scorer" | "llm";
  calls: number;
  warnings: Warning[];
}> {
  const keep = { best: outcome.best, selectedBy: "scorer" as const, calls: 0, warnings: [] as Warning[] };
  const close =
    outcome.margin !== null &&
    outcome.margin < deps.settings.policy.album.llmCloseMargin &&
    outcome.ranked.length > 1;
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
 * The evidence of a cluster that names no album: the releases its files' own matches landed on (a
 * record two of them share), or, when no file names an artist (bare titles, mixes of one title), the
 * releases its titles' searches intersect on. Answers of the files matched alone are final for them.
 */
async function evidenceOf(
  cluster: Cluster,
  source: MetadataSource,
  resolveOne: Resolver,
  mode: Mode,
  signal: AbortSignal | undefined,
  singles: Map<number, TrackMetadata>,
): Promise<Release[]> {
  const named = cluster.items.filter((i) => i.query.artist && i.query.title);
  const bare = cluster.items.filter((i) => !i.query.artist && i.query.title);
  if (named.length === 0) return findAcrossTitles(cluster, source, signal);
  const votes = new Map<number, { id: number; n: number }>();
  const vote = (result: TrackMetadata) => {
    const d = result.source === "discogs" ? result.discogs : null;
    if (!d || result.match?.recommendation === "none") return;
    const key = recordOf(d.releaseId, d.masterId);
    const v = votes.get(key) ?? { id: d.releaseId, n: 0 };
    v.n++;
    votes.set(key, v);
  };
  // Files are matched alone a few at a time until two land on one record (enough to try it: the
  // assignment of every file then judges it). Each answer stands for its file, so sampling more files
  // costs nothing a folder of unrelated tracks would not spend anyway.
  for (let at = 0; at < named.length; at += VOTE_WAVE) {
    const wave = named.slice(at, at + VOTE_WAVE);
    const results = await Promise.all(
      wave.map((item) => resolveOne({ ...item.input, mode }, { signal, ...folderQuery(item) })),
    );
    for (const [i, item] of wave.entries()) {
      singles.set(item.index, results[i]!);
      vote(results[i]!);
    }
    if ([...votes.values()].some((v) => v.n >= 2)) break;
  }
  const best = [...votes.values()].sort((a, b) => b.n - a.n)[0];
  // A folder of mostly bare titles ("Overture", "Summertime", one "The Wake: Porgy's Prayer") is read
  // by its titles as well: what its few named files matched alone is one candidate among those.
  const byTitles = bare.length >= 2 && bare.length >= named.length;
  if (!best) {
    if (byTitles) return findAcrossTitles(cluster, source, signal);
    // No named file matched alone, and most name one artist: a playlist of one artist the catalogue
    // credits otherwise ("David Moufang" for Solitaire). Its titles, searched alone, are the evidence.
    // A folder of unrelated names shares no artist, and costs nothing more.
    return sharedArtist(named) !== null ? findAcrossTitles(cluster, source, signal, cluster.items) : [];
  }
  // One vote among several files that each went their own way is no album: nothing more is spent.
  const voted = !(best.n < 2 && named.length > 1 && votes.size > 1);
  const release = voted ? await nullIfNotFound(() => source.getRelease(best.id, signal)) : null;
  const titled = byTitles ? await findAcrossTitles(cluster, source, signal) : [];
  return [...(release ? [release] : []), ...titled.filter((r) => r.id !== release?.id)];
}

/**
 * Matches one cluster as an album on each catalogue in turn. Returns the answers of the files it placed,
 * and the single-track answers of the files matched alone for its evidence that it did not place.
 */
export async function answerAlbum(
  cluster: Cluster,
  deps: PipelineDeps,
  mode: Mode,
  resolveOne: Resolver,
  signal: AbortSignal | undefined,
): Promise<Map<number, TrackMetadata>> {
  const counters: CatalogCounters = { discogsRequests: 0, indexLookups: 0 };
  const singles = new Map<number, TrackMetadata>();
  const t0 = (deps.now ?? Date.now)();
  for (const source of requestCatalogs(deps, counters)) {
    let outcome: AlbumOutcome;
    try {
      const evidence =
        cluster.album || cluster.items.some((i) => i.query.hints.discogsReleaseId)
          ? []
          : await evidenceOf(cluster, source, resolveOne, mode, signal, singles);
      // With an LLM to choose between close rivals (balanced, accurate), the runner-up is fetched too.
      const compare =
        mode !== "fast" && Boolean(deps.albumSelect && deps.llm) && deps.settings.useLlmSelection;
      outcome = await matchAlbum(cluster, source, {
        signal,
        compare,
        policy: deps.settings.policy,
        evidence,
      });
    } catch (err) {
      deps.observer?.log?.("warn", "album lookup failed", {
        cluster: cluster.id,
        reason: describeError(err),
      });
      return singles;
    }
    const llm = await chooseWithLlm(cluster, outcome, deps, mode, signal);
    if (!llm.best || !ACCEPTED.has(outcome.recommendation) || outcome.strategy === "none") continue;
    // What the files matched alone for the evidence spent is the album's cost too.
    const spent = { ...counters };
    const placed = new Set(answering(llm.best, deps.settings.policy, false).map((x) => x.item.index));
    for (const [index, r] of singles) {
      if (!placed.has(index)) continue;
      spent.discogsRequests += r.diagnostics.discogsRequests;
      spent.indexLookups += r.diagnostics.indexLookups;
    }
    const placing: Placing = {
      cluster,
      outcome,
      best: llm.best,
      selectedBy: llm.selectedBy,
      counters: spent,
      llm,
      stage: "album",
      ms: Math.max(0, (deps.now ?? Date.now)() - t0),
      mode,
    };
    const answers = await placeFiles(deps, placing);
    if (answers.size === 0) continue;
    for (const [index, result] of singles) if (!answers.has(index)) answers.set(index, result);
    return answers;
  }
  return singles;
}

/**
 * Answers files on the release a user chose (a review choice): the release is fetched (one request, or
 * none from the body cache) and the files are placed on its tracklist by the same assignment album mode
 * uses; no search. A file no row fits whose name names the release (its title, artist or a row title,
 * as a folder's vouching asks) gets the album's facts and no track (albumOnlyAnswer); any other file
 * no row fits gets an error instead of an answer (a mistyped id is refused). Throws NotFoundError for an
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
  const year = await masterYearOf(release.masterId, new Map(), source, options.signal);
  const items: ClusterItem[] = inputs.map((input, index) => ({ index, input, query: extractTrack(input) }));
  const cluster: Cluster = {
    id: `release-${releaseId}`,
    items,
    artist: null,
    album: null,
    year: null,
    evidence: "items",
    hints: {},
  };
  const best = scoreClusterOn(cluster, release, year.year, deps.settings.policy);
  const outcome: AlbumOutcome = {
    best,
    ranked: [best],
    recommendation: "strong",
    margin: null,
    requests: 0,
    strategy: "release-id",
  };
  const answers = await placeFiles(deps, {
    cluster,
    outcome,
    best,
    selectedBy: "user",
    counters,
    llm: { calls: 0, warnings: [] },
    stage: "chosen-release",
    ms: 0,
    mode,
  });
  const artists = albumArtists(release);
  const names = recordNames([release.title, ...artists, ...release.tracklist.map((r) => r.title)]);
  return Promise.all(
    items.map(
      (item) =>
        answers.get(item.index) ??
        onChosenRelease(item, { release, best, artists, names, files: inputs.length, counters }, deps, mode),
    ),
  );
}

/**
 * A file no row of the release a user chose fits: when its name names the release (as a folder's
 * vouching asks), its album facts and no track; else an error, so that a mistyped id is refused.
 */
async function onChosenRelease(
  item: ClusterItem,
  chosen: {
    release: Release;
    best: AlbumScored<ClusterItem>;
    artists: string[];
    names: string[];
    files: number;
    counters: CatalogCounters;
  },
  deps: PipelineDeps,
  mode: Mode,
): Promise<TrackMetadata | { error: string }> {
  const { release, best } = chosen;
  const first = release.tracklist[0];
  if (!first || !namesRecord(nameOf(item), chosen.names))
    return { error: `no track of release ${release.id} fits this file, and its name names nothing of it` };
  const q = trackQueryOf(item);
  const scored = scoreCandidate(best.candidate, q, deps.settings.policy.weights.track, first);
  const on = matchedAnswer(q, mode, scored, {
    recommendation: "strong",
    margin: null,
    confidence: 1,
    selectedBy: "user",
  }) as OnRecord;
  const result = albumOnlyAnswer(simpleExtraction(q, mode), {
    on,
    confidence: 1,
    artists: chosen.artists,
    why: `the user chose release ${release.id} for it`,
    albumMatch: {
      clusterId: `release-${release.id}`,
      releaseId: release.id,
      recommendation: "strong",
      distance: 0,
      margin: null,
      position: null,
      items: chosen.files,
      strategy: "release-id",
    },
  });
  result.diagnostics = { ...result.diagnostics, catalog: catalogOf(chosen.counters) };
  return finishAnswer(deps, result, { records: result.diagnostics.stages, mode, cacheKey: null });
}

/** The names a release credits as its artists (none for a compilation's "Various"). */
function albumArtists(release: Release): string[] {
  return release.artists.map((a) => a.name).filter((n) => !isVariousName(n));
}
