/**
 * The composition root: config -> adapters -> core dependencies. The only module that imports adapters.
 */
import { createMemoryCache } from "./adapters/cache/memory.js";
import { createRedisCache, type RedisCache } from "./adapters/cache/redis.js";
import { createDiscogsSource, type DiscogsSource } from "./adapters/discogs/source.js";
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
  const source: MetadataSource | null =
    options.source !== undefined
      ? options.source
      : config.discogs.enabled
        ? createDiscogsSource({
            baseUrl: config.discogs.apiUrl,
            token: config.discogs.token,
            userAgent: config.discogs.userAgent,
            requestTimeoutMs: config.discogs.requestTimeoutMs,
            // Retries end before the request's own deadline, so a failing Discogs is an error, not a timeout.
            deadlineMs: config.timeoutMs > 0 ? Math.max(1000, config.timeoutMs - 500) : 30_000,
          })
        : null;
  if (source && "client" in source)
    metrics.setDiscogsCounters(() => (source as DiscogsSource).client.counters());
  const cache = options.cache !== undefined ? options.cache : makeCache(config);
  const observer = options.observer ? combineObservers(metrics.observer, options.observer) : metrics.observer;
  const deps: PipelineDeps = {
    settings: pipelineSettings(config),
    source,
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
      await deps.cache?.dispose();
    },
  };
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
