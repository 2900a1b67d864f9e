/**
 * The composition root: config -> adapters -> core dependencies. The only module that imports adapters.
 */
import { createDiscogsSource } from "./adapters/discogs/source.js";
import { createMusicMetadataReader } from "./adapters/tags/music-metadata.js";
import type { AppConfig } from "./config.js";
import { createDiscogsStage } from "./core/pipeline/discogs.js";
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
  const source =
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
  const deps: PipelineDeps = {
    settings: pipelineSettings(config),
    source,
    llm: options.llm ?? null,
    cache: options.cache ?? null,
    stages: [createDiscogsStage(), SIMPLE_STAGE],
    ...(options.observer ? { observer: options.observer } : {}),
  };
  return {
    config,
    tagReader: createMusicMetadataReader(),
    resolve: createResolver(deps),
    deps,
    dispose: async () => {
      await deps.cache?.dispose();
    },
  };
}
