/**
 * The composition root: config -> adapters -> core dependencies. The only module that imports adapters.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createFfmpegDecoder } from "./adapters/audio/ffmpeg.js";
import { createMemoryCache } from "./adapters/cache/memory.js";
import { createRedisCache, newRedis, type RedisCache } from "./adapters/cache/redis.js";
import { createSqliteCache } from "./adapters/cache/sqlite.js";
import type { DiscogsRequestEvent } from "./adapters/discogs/client.js";
import { buildIndex } from "./adapters/discogs/index/build.js";
import { INDEX_SCHEMA_VERSION } from "./adapters/discogs/index/schema.js";
import { type IndexInfo, openIndexSource } from "./adapters/discogs/index/source.js";
import {
  asBatch,
  createWindowLimiter,
  type RateLimiter,
  withPriority,
} from "./adapters/discogs/rate-limit.js";
import {
  type BudgetMode,
  createSharedLimiter,
  type SharedRateLimiter,
} from "./adapters/discogs/shared-limiter.js";
import { createDiscogsSource } from "./adapters/discogs/source.js";
import { createGeminiClient } from "./adapters/llm/gemini.js";
import { createOpenAiClient } from "./adapters/llm/openai.js";
import { createMetrics, type Metrics } from "./adapters/metrics/prometheus.js";
import { createBullJobQueue, type JobWorker, startBullWorker } from "./adapters/queue/bullmq.js";
import { createMusicMetadataReader } from "./adapters/tags/music-metadata.js";
import { createTaglibWriter } from "./adapters/tags/taglib.js";
import { type AppConfig, loadConfig, secretsOf } from "./config.js";
import { type AudioAnalysis, createAudioAnalysis } from "./core/audio/analyze.js";
import { ConfigError, describeError } from "./core/errors.js";
import { extractTrack } from "./core/extract.js";
import { clusterItems } from "./core/match/cluster.js";
import { type BatchOptions, resolveBatch, resolveOnRelease } from "./core/pipeline/batch.js";
import { createBreaker } from "./core/pipeline/breaker.js";
import type { PipelineDeps, PipelineObserver, PipelineSettings } from "./core/pipeline/deps.js";
import { createDiscogsStage } from "./core/pipeline/discogs.js";
import {
  completeDescriptions,
  createLlmOnlyStage,
  LLM_DISCOGS_HOOKS,
  selectAlbum,
  splitWithLlm,
} from "./core/pipeline/llm.js";
import { createResolver, type Resolver } from "./core/pipeline/resolver.js";
import { SIMPLE_STAGE } from "./core/pipeline/stages.js";
import { DEFAULT_POLICY } from "./core/policy.js";
import type {
  Cache,
  ImageSource,
  JobItem,
  JobQueue,
  LlmClient,
  MetadataSource,
  TagReader,
  TagWriter,
} from "./core/ports.js";
import type { TrackMetadata } from "./core/schema.js";
import { type CoverStore, createCoverStore } from "./core/tagging/cover.js";
import type { Mode, TrackInput } from "./core/types.js";
import { VERSION } from "./version.js";

/** What the shells (HTTP, CLI) get. */
export interface Container {
  config: AppConfig;
  tagReader: TagReader;
  /** Writes managed tags into files (`discmeta tag --write`). */
  tagWriter: TagWriter;
  /** BPM and key measured from a file's audio (ffmpeg decodes it). */
  audio: AudioAnalysis;
  /** Release covers, fetched once per release through the API source and cached. */
  covers: CoverStore;
  resolve: Resolver;
  metrics: Metrics;
  /** A batch in, answers in item order; folders and album tags are matched as albums (album mode). */
  resolveBatch(inputs: readonly TrackInput[], options?: BatchOptions): Promise<TrackMetadata[]>;
  /** Files placed on a release the user chose (a review choice): one release fetch, no search. */
  resolveOnRelease(
    inputs: readonly TrackInput[],
    releaseId: number,
    options?: { mode?: Mode },
  ): Promise<(TrackMetadata | { error: string })[]>;
  /** Bulk jobs, when Redis is configured (else null: see config.jobs.disabledReason). */
  jobs: JobQueue | null;
  /** Starts a worker that answers jobs with this container's pipeline. */
  startWorker(options?: { onError?: (err: unknown) => void }): JobWorker;
  /** The Discogs API budget now, for progress lines: wait, allowance per minute, requests sent. */
  budgetStatus(): {
    budgetWaitMs: number;
    budgetPerMinute: number | null;
    requests: number;
    /** Of `requests`, database searches (a rerun over tagged files should send none). */
    searches: number;
  };
  /** Where the container's own log lines go (the budget's mode changes); default nowhere. */
  setLogger(log: ContainerEvents["log"]): void;
  /** True when every configured backing service answers (readiness). */
  ready(): Promise<{ ok: boolean; checks: Record<string, string> }>;
  /** Releases connections and timers. */
  dispose(): Promise<void>;
}

/** What the container reports by itself. */
export interface ContainerEvents {
  log(level: "info" | "warn", msg: string): void;
}

/** Options for tests and tools: injected side effects. */
export interface ContainerOptions {
  observer?: PipelineObserver;
  /** Overrides of the adapters the config would build. */
  source?: MetadataSource | null;
  /** What an overriding `source` is. Default "api". */
  sourceKind?: "api" | "index";
  llm?: LlmClient | null;
  cache?: Cache | null;
}

/** Maps validated config to the pipeline's settings. */
export function pipelineSettings(config: AppConfig): PipelineSettings {
  return {
    mode: config.mode,
    discogsDisabled: config.discogs.disabledReason,
    llmDisabled: config.llm.disabledReason,
    useLlmFallback: config.llm.fallbackEnabled,
    useLlmSelection: config.discogs.useLlmSelection,
    maxResults: config.discogs.maxResults,
    minConfidence: config.discogs.minConfidence,
    timeoutMs: config.timeoutMs,
    cacheTtlSeconds: config.cache.ttlSeconds,
    discogsRolloutPercent: config.discogs.rolloutPercent,
    policy: { ...DEFAULT_POLICY, weights: config.discogs.weights },
  };
}

/** Builds every adapter the config asks for and wires them into the core. */
export function createContainer(config: AppConfig, options: ContainerOptions = {}): Container {
  const metrics = createMetrics({ version: VERSION });
  // Log lines of the container's own (the budget's mode); the shell sets where they go.
  const events: ContainerEvents = { log: () => undefined };
  const catalog = makeCatalog(config, options, metrics.discogsRequest, events);
  const budgetMode = (): BudgetMode | null =>
    catalog.limiter && "mode" in catalog.limiter ? (catalog.limiter as SharedRateLimiter).mode() : null;
  const source = catalog.source;
  if (catalog.api) {
    const api = catalog.api;
    metrics.setDiscogsCounters(() => api.client.counters());
  }
  const cache = options.cache !== undefined ? options.cache : makeCache(config);
  const observer = options.observer ? combineObservers(metrics.observer, options.observer) : metrics.observer;
  const deps: PipelineDeps = {
    settings: pipelineSettings(config),
    source,
    sourceKind: catalog.kind,
    fallbackSource: catalog.fallback,
    bodyCache: cache && catalog.api ? { cache, ttlSeconds: BODY_TTL_SECONDS } : null,
    budget: catalog.limiter,
    breaker: catalog.api ? createBreaker() : null,
    redact: makeRedactor(secretsOf(config)),
    llm: options.llm !== undefined ? options.llm : makeLlm(config),
    cache,
    stages: [createDiscogsStage(LLM_DISCOGS_HOOKS), createLlmOnlyStage(), SIMPLE_STAGE],
    refine: [splitWithLlm],
    complete: completeDescriptions,
    albumSelect: selectAlbum,
    observer,
  };
  metrics.setDiscogsState(() => ({
    budgetWaitMs: catalog.limiter?.waitMs(1) ?? 0,
    circuit: deps.breaker?.state() ?? "closed",
    budgetLocal: budgetMode() === "local",
  }));
  const resolver = createResolver(deps);
  // Each lookup gets the next turn: when the budget is short, the requests of the track that came
  // first are served first, so a burst completes tracks in arrival order. Every answer is observed
  // once, where the pipeline finishes it (pipeline/answer.ts).
  const resolve: Resolver = (input, o) => withPriority(() => resolver(input, o));
  // Batch work (the CLI, jobs) leaves a shared budget's interactive share to the HTTP requests.
  const batch = (inputs: readonly TrackInput[], o: BatchOptions = {}) =>
    asBatch(() => withPriority(() => resolveBatch(inputs, deps, resolve, o)));
  const jobs = config.jobs.disabledReason
    ? null
    : createBullJobQueue({
        redisUrl: config.cache.redisUrl!,
        resultTtlSeconds: config.jobs.resultTtlSeconds,
        // Each chunk is a likely album (answered in one lookup) or a single track.
        plan: (items) => planChunks(items),
      });
  return {
    config,
    tagReader: createMusicMetadataReader(),
    tagWriter: createTaglibWriter(),
    audio: createAudioAnalysis(createFfmpegDecoder({ binary: config.audio.ffmpegPath }), {
      bpmRange: config.audio.bpmRange,
      keyProfile: config.audio.keyProfile,
    }),
    covers: createCoverStore(catalog.api ?? imagesOf(source), cache),
    resolve,
    resolveBatch: batch,
    resolveOnRelease: (inputs, releaseId, o = {}) =>
      withPriority(() => resolveOnRelease(inputs, releaseId, deps, o)),
    jobs,
    startWorker(o = {}) {
      if (!config.cache.redisUrl) throw new ConfigError(`config: ${config.jobs.disabledReason}`);
      return startBullWorker({
        redisUrl: config.cache.redisUrl,
        resultTtlSeconds: config.jobs.resultTtlSeconds,
        lockMs: config.jobs.lockMs,
        concurrency: config.jobs.concurrency,
        onError: o.onError,
        handle: async (chunk, answer) => {
          const inputs = chunk.items.map((i) => i.input);
          const pending: Promise<void>[] = [];
          try {
            await batch(inputs, {
              mode: chunk.mode ?? undefined,
              onAnswer: (n, result) => pending.push(answer(chunk.items[n]!.index, result)),
            });
          } catch (err) {
            for (const item of chunk.items) pending.push(answer(item.index, { error: describeError(err) }));
          }
          await Promise.all(pending);
        },
      });
    },
    metrics,
    budgetStatus() {
      if (!catalog.api) return { budgetWaitMs: 0, budgetPerMinute: null, requests: 0, searches: 0 };
      const b = catalog.api.client.budget();
      const searches = Object.entries(catalog.api.client.counters())
        .filter(([k]) => k.startsWith("search "))
        .reduce((n, [, v]) => n + v, 0);
      return {
        budgetWaitMs: b.waitMs,
        budgetPerMinute: Math.round((b.limit * 60_000) / config.discogs.rateLimitWindowMs),
        requests: catalog.api.client.requestCount(),
        searches,
      };
    },
    setLogger(log) {
      events.log = log;
    },
    async ready() {
      const checks: Record<string, string> = { config: "ok", catalog: catalogueOf(config) };
      // An open circuit is reported, not a failed readiness: the service still answers (degraded).
      if (deps.breaker)
        checks.discogs = deps.breaker.state() === "closed" ? "ok" : `circuit ${deps.breaker.state()}`;
      if (cache && "ping" in cache)
        checks.redis = (await (cache as RedisCache).ping()) ? "ok" : "unreachable";
      // The shared budget falling back to a local share is reported, not a failed readiness.
      const mode = budgetMode();
      if (mode)
        checks.budget =
          mode === "shared"
            ? "ok"
            : `local share (${Math.round(config.discogs.budgetFallbackShare * 100)}%): Redis unreachable`;
      return {
        ok: Object.entries(checks).every(
          ([k, v]) => v === "ok" || k === "discogs" || k === "catalog" || k === "budget",
        ),
        checks,
      };
    },
    dispose: async () => {
      catalog.index?.dispose();
      await catalog.limiter?.dispose?.();
      await jobs?.dispose();
      await deps.cache?.dispose();
    },
  };
}

/**
 * The Discogs budget: a moving window in this process, shared through Redis with every process on the
 * same token when Redis is configured. The budget's Redis key is a hash of the token, never the token.
 */
function makeLimiter(config: AppConfig, events: ContainerEvents): RateLimiter {
  const d = config.discogs;
  const shared = d.sharedBudget && Boolean(config.cache.redisUrl);
  const local = createWindowLimiter({
    limit: d.rateLimit,
    windowMs: d.rateLimitWindowMs,
    ceiling: d.rateLimitCeiling,
    // In front of the shared budget, Redis counts every process: the headers would count them twice.
    countOthers: !shared,
  });
  if (!shared || !config.cache.redisUrl) return local;
  const key = createHash("sha256")
    .update(d.token ?? "anonymous")
    .digest("hex")
    .slice(0, 16);
  return createSharedLimiter({
    // No offline queue: while Redis is down a command fails at once, and the limiter uses its share.
    redis: newRedis(config.cache.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false }),
    ownsClient: true,
    key,
    limit: d.rateLimit,
    windowMs: d.rateLimitWindowMs,
    local,
    fallbackShare: d.budgetFallbackShare,
    interactiveShare: d.interactiveShare,
    onModeChange: (mode, reason) =>
      mode === "local"
        ? events.log(
            "warn",
            `shared Discogs budget unreachable (${reason}): using this process's share, ${Math.round(d.budgetFallbackShare * 100)}% of the budget, until Redis is back`,
          )
        : events.log("info", "shared Discogs budget reachable again: back on the shared budget"),
  });
}

/**
 * Removes every configured secret from a text, whole or as an upstream's masked echo of it (the key's
 * last characters after asterisks or an ellipsis), and anything shaped like an API key.
 */
export function makeRedactor(secrets: readonly string[]): (text: string) => string {
  const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const whole = secrets.filter((s) => s.length >= 4).map(quote);
  const tails = secrets.filter((s) => s.length >= 12).map((s) => quote(s.slice(-4)));
  const patterns = [
    ...(whole.length > 0 ? [new RegExp(whole.join("|"), "g")] : []),
    ...(tails.length > 0 ? [new RegExp(`[*.…x]{2,}(?:${tails.join("|")})`, "g")] : []),
    /\b(?:sk-[A-Za-z0-9_*.-]{8,}|AIza[0-9A-Za-z_-]{20,})/g,
  ];
  return (text) => patterns.reduce((t, re) => t.replace(re, "[redacted]"), text);
}

/** Splits a job into chunks: each likely album together, every other item alone. */
function planChunks(items: readonly JobItem[]): number[][] {
  const { clusters, singles } = clusterItems(
    items.map((it, index) => {
      const input = { filename: it.filename, tags: it.tags, path: it.path };
      return { index, input, query: extractTrack(input) };
    }),
  );
  return [...clusters.map((c) => c.items.map((i) => i.index)), ...singles.map((s) => [s.index])];
}

/** Release and master bodies change rarely: kept a week. */
const BODY_TTL_SECONDS = 7 * 24 * 3600;

/** The catalogue the config asks for: the API, an offline index, or the index with the API behind it. */
function makeCatalog(
  config: AppConfig,
  options: ContainerOptions,
  onRequest: (event: DiscogsRequestEvent) => void,
  events: ContainerEvents,
) {
  const none = { source: null, kind: "api" as const, fallback: null, api: null, index: null, limiter: null };
  if (options.source !== undefined)
    return { ...none, source: options.source, kind: options.sourceKind ?? ("api" as const) };
  const d = config.discogs;
  if (!d.source) return none;
  const limiter = d.source === "index" ? null : makeLimiter(config, events);
  const api =
    d.source === "index"
      ? null
      : createDiscogsSource({
          baseUrl: d.apiUrl,
          token: d.token,
          userAgent: d.userAgent,
          requestTimeoutMs: d.requestTimeoutMs,
          // Retries end before the request's own deadline, so a failing Discogs is an error, not a timeout.
          deadlineMs: config.timeoutMs > 0 ? Math.max(1000, config.timeoutMs - 500) : 0,
          ...(limiter ? { limiter } : {}),
          onRequest,
        });
  if (d.source === "api") return { ...none, source: api, api, limiter };
  const index = openIndexSource(d.indexPath!);
  return { source: index, kind: "index" as const, fallback: api, api, index, limiter };
}

function makeLlm(config: AppConfig): LlmClient | null {
  if (!config.llm.available) return null;
  const { gemini, openai, timeoutMs } = config.llm;
  if (config.provider === "GEMINI") {
    return createGeminiClient({
      apiKey: gemini.apiKey!,
      model: gemini.model,
      baseUrl: gemini.baseUrl,
      timeoutMs,
    });
  }
  return createOpenAiClient({
    apiKey: openai.apiKey,
    model: openai.model,
    baseUrl: openai.baseUrl,
    timeoutMs,
  });
}

function makeCache(config: AppConfig): Cache | null {
  if (!config.cache.enabled) return null;
  if (config.cache.driver === "redis" && config.cache.redisUrl)
    return createRedisCache({ url: config.cache.redisUrl });
  if (config.cache.driver === "sqlite")
    return createSqliteCache({ path: join(config.cache.dir, "cache.sqlite") });
  return createMemoryCache();
}

/** Calls every observer's hook in turn. */
function combineObservers(...list: PipelineObserver[]): PipelineObserver {
  type Hook = (...args: never[]) => void;
  const each =
    <K extends keyof PipelineObserver>(key: K) =>
    (...args: Parameters<NonNullable<PipelineObserver[K]>>) => {
      for (const o of list) (o[key] as ((...a: typeof args) => void) | undefined)?.(...args);
    };
  const hooks: Record<keyof PipelineObserver, Hook> = {
    stage: each("stage"),
    cache: each("cache"),
    fallback: each("fallback"),
    llm: each("llm"),
    result: each("result"),
    log: each("log"),
  };
  return hooks as PipelineObserver;
}

/** The bundled CC0 dump sample (data/discogs-dump-sample), found from this module up to the package root. */
export function bundledSampleDir(): string | null {
  let dir = import.meta.dirname;
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "data", "discogs-dump-sample");
    if (existsSync(join(candidate, "releases.xml.gz"))) return candidate;
    dir = dirname(dir);
  }
  return null;
}

/** Where `index build` and `index update` put an index unless told otherwise: in the cache folder. */
export function defaultIndexPath(cacheDir: string): string {
  return join(cacheDir, "discogs-index.sqlite");
}

/** The sample index's file name; the version changes whenever the index layout does. */
export const SAMPLE_INDEX_FILE = `sample-index-v${INDEX_SCHEMA_VERSION}.sqlite`;

/**
 * The embedded default: an index of the bundled 810-release sample in the cache folder, built on first
 * use (under a second). Returns its path, and whether it was just built.
 */
export async function ensureSampleIndex(cacheDir: string): Promise<{ path: string; built: boolean } | null> {
  const path = join(cacheDir, SAMPLE_INDEX_FILE);
  if (existsSync(path)) return { path, built: false };
  const sample = bundledSampleDir();
  if (!sample) return null;
  mkdirSync(cacheDir, { recursive: true });
  // A private file first: two processes starting at once each build their own, and one rename wins.
  const own = `${path}.${process.pid}.tmp`;
  await buildIndex({
    releases: join(sample, "releases.xml.gz"),
    masters: join(sample, "masters.xml.gz"),
    out: own,
    rebuild: true,
    dumpDate: "2020-08-06",
  });
  renameSync(own, path);
  return { path, built: true };
}

/**
 * The configuration with the embedded default catalogue, as the CLI and the service both start: with
 * Discogs wanted but neither a token nor an index, the bundled sample's index (built on first use in
 * the cache folder) answers. `env` is the environment `config` was loaded from.
 */
export async function withDefaultCatalogue(
  env: Record<string, string | undefined>,
  config: AppConfig,
): Promise<{ config: AppConfig; sample: boolean }> {
  const wantsDiscogs = env.METADATA_USE_DISCOGS?.toLowerCase() !== "false";
  if (!wantsDiscogs || config.discogs.indexPath) return { config, sample: false };
  // An index built or updated at the default place (`index build`, `index update`) is used unasked.
  const built = defaultIndexPath(config.cache.dir);
  if (existsSync(built)) return { config: loadConfig({ ...env, DISCOGS_INDEX_PATH: built }), sample: false };
  if (config.discogs.token) return { config, sample: false };
  const sample = await ensureSampleIndex(config.cache.dir);
  if (!sample) return { config, sample: false };
  return { config: loadConfig({ ...env, DISCOGS_INDEX_PATH: sample.path }), sample: true };
}

/** Which catalogue answers, in words for logs and /ready. */
export function catalogueOf(config: AppConfig): string {
  if (config.discogs.disabledReason) return `none (${config.discogs.disabledReason})`;
  const index = config.discogs.indexPath;
  if (index && basename(index) === SAMPLE_INDEX_FILE) return "the bundled 810-release sample index";
  if (index) return config.discogs.token ? `offline index ${index}, then the API` : `offline index ${index}`;
  return "the Discogs API";
}

/** Reads an index's facts for `discmeta index info`. */
export function readIndexInfo(path: string): IndexInfo {
  const index = openIndexSource(path);
  try {
    return index.info();
  } finally {
    index.dispose();
  }
}

export { type BuildProgress, type BuildSummary, buildIndex } from "./adapters/discogs/index/build.js";
export type { IndexInfo } from "./adapters/discogs/index/source.js";

/** The image capability of a source, when it has one (the API has; the offline index has none). */
function imagesOf(source: MetadataSource | null | undefined): ImageSource | null {
  const get = source?.getImage;
  return get ? { getImage: get.bind(source) } : null;
}

export type { IndexSubset } from "./adapters/discogs/index/subset.js";

/** A tag reader for the CLI's own reading (`index build --artists-from`): the one the pipeline uses. */
export function createTagReader(): TagReader {
  return createMusicMetadataReader();
}
export {
  type UpdateEvent,
  type UpdateResult,
  updateIndex,
} from "./adapters/discogs/index/update.js";
