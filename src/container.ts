/**
 * The composition root: config -> adapters -> core dependencies. The only module that imports adapters.
 */
import { join } from "node:path";
import { createMemoryCache } from "./adapters/cache/memory.js";
import { createRedisCache, type RedisCache } from "./adapters/cache/redis.js";
import { createSqliteCache } from "./adapters/cache/sqlite.js";
import { openIndexSource } from "./adapters/discogs/index/source.js";
import { createDiscogsSource } from "./adapters/discogs/source.js";
import { createGeminiClient } from "./adapters/llm/gemini.js";
import { createOpenAiClient } from "./adapters/llm/openai.js";
import { createMetrics, type Metrics } from "./adapters/metrics/prometheus.js";
import { createMusicMetadataReader } from "./adapters/tags/music-metadata.js";
import type { AppConfig } from "./config.js";
import { createDiscogsStage } from "./core/pipeline/discogs.js";
import { createLlmOnlyStage, LLM_DISCOGS_HOOKS, splitWithLlm } from "./core/pipeline/llm.js";
import {
  createResolver,
  type PipelineDeps,
  type PipelineObserver,
  type PipelineSettings,
  type Resolver,
  SIMPLE_STAGE,
} from "./core/pipeline/resolve.js";
import type { Cache, LlmClient, MetadataSource, TagReader } from "./core/ports.js";

/** What the shells (HTTP, CLI) get. */
export interface Container {
  config: AppConfig;
  tagReader: TagReader;
  resolve: Resolver;
  deps: PipelineDeps;
  metrics: Metrics;
  /** True when every configured backing service answers (readiness). */
  ready(): Promise<{ ok: boolean; checks: Record<string, string> }>;
  /** Releases connections and timers. */
  dispose(): Promise<void>;
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
    weights: config.discogs.weights,
    timeoutMs: config.timeoutMs,
    cacheTtlSeconds: config.cache.ttlSeconds,
    discogsRolloutPercent: config.discogs.rolloutPercent,
  };
}

/** Builds every adapter the config asks for and wires them into the core. */
export function createContainer(config: AppConfig, options: ContainerOptions = {}): Container {
  const metrics = createMetrics();
  const catalog = makeCatalog(config, options);
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
    llm: options.llm !== undefined ? options.llm : makeLlm(config),
    cache,
    stages: [createDiscogsStage(LLM_DISCOGS_HOOKS), createLlmOnlyStage(), SIMPLE_STAGE],
    refine: [splitWithLlm],
    observer,
  };
  return {
    config,
    tagReader: createMusicMetadataReader(),
    resolve: createResolver(deps),
    deps,
    metrics,
    async ready() {
      const checks: Record<string, string> = { config: "ok" };
      if (cache && "ping" in cache)
        checks.redis = (await (cache as RedisCache).ping()) ? "ok" : "unreachable";
      return { ok: Object.values(checks).every((v) => v === "ok"), checks };
    },
    dispose: async () => {
      catalog.index?.dispose();
      await deps.cache?.dispose();
    },
  };
}

/** Release and master bodies change rarely: kept a week. */
const BODY_TTL_SECONDS = 7 * 24 * 3600;

/** The catalogue the config asks for: the API, an offline index, or the index with the API behind it. */
function makeCatalog(config: AppConfig, options: ContainerOptions) {
  const none = { source: null, kind: "api" as const, fallback: null, api: null, index: null };
  if (options.source !== undefined)
    return { ...none, source: options.source, kind: options.sourceKind ?? ("api" as const) };
  const d = config.discogs;
  if (!d.source) return none;
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
        });
  if (d.source === "api") return { ...none, source: api, api };
  const index = openIndexSource(d.indexPath!);
  return { source: index, kind: "index" as const, fallback: api, api, index };
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
  return {
    stage: (rec, mode) => {
      for (const o of list) o.stage?.(rec, mode);
    },
    cache: (outcome) => {
      for (const o of list) o.cache?.(outcome);
    },
    fallback: (reason) => {
      for (const o of list) o.fallback?.(reason);
    },
    llm: (task, outcome) => {
      for (const o of list) o.llm?.(task, outcome);
    },
    log: (level, msg, data) => {
      for (const o of list) o.log?.(level, msg, data);
    },
  };
}
