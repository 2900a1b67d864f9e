/**
 * Concurrency over the pipeline: a resolver coalesces identical lookups in flight into one
 * (single-flight) and keeps Stage 1's result for repeated inputs.
 */
import { extractTrack } from "../extract.js";
import type { TrackMetadata } from "../schema.js";
import type { TrackInput, TrackQuery } from "../types.js";
import { cacheKey } from "./cache-policy.js";
import type { PipelineDeps } from "./deps.js";
import { resolveMetadata } from "./resolve.js";

/** A resolve function that coalesces identical requests in flight into one (single-flight). */
export type Resolver = (
  input: TrackInput,
  options?: { signal?: AbortSignal; query?: TrackQuery & { pattern: string } },
) => Promise<TrackMetadata>;

/**
 * Creates a resolver over fixed dependencies. A burst of identical inputs (same cache key, mode and hints)
 * makes one lookup; every caller gets its own copy of the answer.
 */
export function createResolver(deps: PipelineDeps): Resolver {
  const inflight = new Map<string, { promise: Promise<TrackMetadata>; callers: number }>();
  const stage1 = createStage1Memo(STAGE1_MEMO_SIZE);
  return async (input, options = {}) => {
    const { query, identity } = options.query
      ? { query: options.query, identity: identityOf(options.query) }
      : stage1(input);
    const mode = input.mode ?? deps.settings.mode;
    const key = `${identity}|${mode}`;
    let entry = inflight.get(key);
    if (entry) entry.callers++;
    else {
      // The shared lookup must not die with the first caller's signal: it runs under the deadline only.
      const promise = resolveMetadata(input, deps, { query }).finally(() => inflight.delete(key));
      entry = { promise, callers: 1 };
      inflight.set(key, entry);
    }
    const result = options.signal ? await raceAbort(entry.promise, options.signal) : await entry.promise;
    // Once settled no one else can join, so a sole caller may keep the object; shared ones get copies.
    return entry.callers === 1 ? result : structuredClone(result);
  };
}

/** What makes two Stage 1 results the same lookup: the cache key and the hints. */
function identityOf(query: TrackQuery): string {
  return `${cacheKey(query)}|${JSON.stringify(query.hints)}`;
}

/** Inputs whose Stage 1 result is kept: repeated inputs (the warm path) skip the grammar. */
const STAGE1_MEMO_SIZE = 2000;

/**
 * Stage 1 is pure, so its result for an input (filename and tags) can be kept: a small LRU of frozen
 * results, with each one's identity (cache key and hints) for coalescing.
 */
function createStage1Memo(size: number) {
  const memo = new Map<string, { query: TrackQuery & { pattern: string }; identity: string }>();
  return (input: TrackInput) => {
    const id = JSON.stringify([input.filename, input.tags ?? null, input.path ?? null]);
    let hit = memo.get(id);
    if (hit) memo.delete(id);
    else {
      const query = extractTrack(input);
      Object.freeze(query.hints);
      Object.freeze(query.featuring);
      hit = { query: Object.freeze(query), identity: identityOf(query) };
      if (memo.size >= size) memo.delete(memo.keys().next().value as string);
    }
    memo.set(id, hit);
    return hit;
  };
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
