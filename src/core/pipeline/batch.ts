/**
 * A batch in, answers in item order. Items are read (tags beat names, then the folder's readings),
 * answered from the cache when settled, clustered into likely albums and matched as albums
 * (albums.ts); every file an album does not place confidently, and every single, goes through the
 * single-track pipeline: a weak album guess never answers for a file. Last, a folder whose answers agree
 * on one record answers its files nothing else answered on that album (folder-answers.ts).
 */
import { extractTrack } from "../extract.js";
import { groupByFolder } from "../folder.js";
import { type ClusterItem, clusterItems } from "../match/cluster.js";
import { folderQuery, readFolders } from "../match/playlist.js";
import { pool } from "../pool.js";
import type { TrackMetadata } from "../schema.js";
import type { Mode, TrackInput } from "../types.js";
import { answerAlbum } from "./albums.js";
import { finishAnswer, fromCache } from "./answer.js";
import { cacheKey, usableCached } from "./cache-policy.js";
import type { PipelineDeps } from "./deps.js";
import { answerFromFolders, folderMayVouch, mayBeVouchedFor } from "./folder-answers.js";
import type { Resolver } from "./resolver.js";

export { resolveOnRelease } from "./albums.js";

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
    if (hit?.source !== "discogs") return undefined;
    return finishAnswer(deps, fromCache(hit), { mode, cacheKey: null });
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
  const albumsOn = options.albums !== false && !deps.settings.discogsDisabled && deps.source;
  const items: ClusterItem[] = readFolders(
    inputs.map((input, index) => ({ index, input, query: extractTrack(input) })),
  );
  // A file of a folder that may vouch for it, if nothing answers it, is reported once, last.
  const vouching = albumsOn
    ? [...groupByFolder(items).values()].filter((g) => folderMayVouch(g.length, deps.settings.policy))
    : [];
  const mayWait = new Set(vouching.flatMap((g) => g.map((i) => i.index)));
  const held = new Set<number>();
  const answer = (index: number, result: TrackMetadata) => {
    results[index] = result;
    if (mayWait.has(index) && mayBeVouchedFor(result)) held.add(index);
    else options.onAnswer?.(index, result);
  };
  const open: ClusterItem[] = [];
  for (const item of albumsOn ? items : []) {
    const hit = await cachedAnswer(deps, item, mode);
    if (hit) answer(item.index, hit);
    else open.push(item);
  }
  const clusterOf = new Map<number, string>();
  const matchAll = async () => {
    if (albumsOn) {
      const { clusters } = clusterItems(open);
      for (const cluster of clusters) {
        // A caller that gave up (an interrupted run) gets no more lookups.
        options.signal?.throwIfAborted();
        for (const item of cluster.items) clusterOf.set(item.index, cluster.id);
        const answers = await answerAlbum(cluster, deps, mode, resolveOne, options.signal);
        for (const [index, result] of answers) answer(index, result);
      }
    }
    const rest = items.filter((i) => results[i.index] === undefined);
    await pool(rest.length, options.concurrency ?? 4, async (i) => {
      const item = rest[i]!;
      answer(
        item.index,
        await resolveOne({ ...item.input, mode }, { signal: options.signal, ...folderQuery(item) }),
      );
    });
  };
  try {
    await matchAll();
  } catch (err) {
    // Cut short: what was held is reported as it stands.
    for (const index of held) options.onAnswer?.(index, results[index]!);
    throw err;
  }
  if (held.size > 0) {
    const vouched = await answerFromFolders(vouching, results, deps, mode, clusterOf);
    for (const index of held) {
      const result = vouched.get(index) ?? results[index]!;
      results[index] = result;
      options.onAnswer?.(index, result);
    }
  }
  return results as TrackMetadata[];
}
