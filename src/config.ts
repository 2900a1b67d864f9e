/**
 * Configuration: reads the environment once, validates it with zod, and fails fast with a message that
 * names the bad variable and the values it allows. Secrets are redacted whenever config is printed.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { DEFAULT_KEY_PROFILE } from "./core/audio/features.js";
import { KEY_PROFILE_NAMES, type KeyProfileName } from "./core/audio/profiles.js";
import { ConfigError } from "./core/errors.js";
import {
  ALBUM_WEIGHTS,
  type AlbumWeights,
  DEFAULT_POLICY,
  TRACK_WEIGHTS,
  type TrackWeights,
} from "./core/policy.js";
import { MODES } from "./core/types.js";
import { VERSION } from "./version.js";

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

/** A boolean variable: true/false/1/0/yes/no (and on/off), any case. */
const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return fallback;
      const s = v.trim().toLowerCase();
      if (TRUE.has(s)) return true;
      if (FALSE.has(s)) return false;
      ctx.addIssue({ code: "custom", message: "must be one of true, false, 1, 0, yes, no" });
      return z.NEVER;
    });

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const num = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return fallback;
      const n = Number(v);
      if (!Number.isFinite(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `must be a number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const text = () =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const url = (fallback?: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = v === undefined || v.trim() === "" ? fallback : v.trim();
      if (s === undefined) return undefined;
      try {
        const u = new URL(s);
        if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("protocol");
        return s.replace(/\/+$/, "");
      } catch {
        ctx.addIssue({ code: "custom", message: "must be an http:// or https:// URL" });
        return z.NEVER;
      }
    });

const upperEnum = <T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return fallback;
      const s = v.trim().toUpperCase();
      const hit = values.find((x) => x.toUpperCase() === s);
      if (!hit) {
        ctx.addIssue({ code: "custom", message: `must be one of ${values.join(", ")}` });
        return z.NEVER;
      }
      return hit as T[number];
    });

/** The environment variables we read, with their defaults. */
const EnvSchema = z.object({
  METADATA_PROVIDER: upperEnum(["GEMINI", "OPENAI"] as const, "GEMINI"),
  METADATA_MODE: upperEnum(MODES, "balanced"),
  METADATA_USE_DISCOGS: bool(true),
  METADATA_USE_LLM_FALLBACK: bool(true),
  METADATA_CACHE_ENABLED: bool(true),
  METADATA_TIMEOUT_MS: int(8000, 0, 600_000),
  METADATA_DISCOGS_ROLLOUT_PERCENT: int(100, 0, 100),
  DISCOGS_USER_TOKEN: text(),
  DISCOGS_USE_LLM_SELECTION: bool(true),
  DISCOGS_MAX_RESULTS: int(10, 1, 100),
  DISCOGS_MIN_CONFIDENCE: num(0.7, 0, 1),
  DISCOGS_API_URL: url("https://api.discogs.com"),
  DISCOGS_USER_AGENT: text(),
  DISCOGS_REQUEST_TIMEOUT_MS: int(10_000, 100, 120_000),
  DISCOGS_SCORE_WEIGHTS: text(),
  DISCOGS_ALBUM_WEIGHTS: text(),
  DISCOGS_INDEX_PATH: text(),
  DISCOGS_DUMP_URL: url("https://discogs-data-dumps.s3.us-west-2.amazonaws.com"),
  DISCOGS_RATE_LIMIT: int(0, 0, 10_000),
  DISCOGS_RATE_LIMIT_WINDOW_MS: int(60_000, 1000, 3_600_000),
  DISCOGS_SHARED_BUDGET: bool(true),
  /** The share of the budget a process keeps while the shared budget's Redis is unreachable (1/N). */
  DISCOGS_BUDGET_FALLBACK_SHARE: num(0.5, 0.01, 1),
  /** The share of a shared budget that batch work (jobs, CLI runs) leaves to interactive requests. */
  DISCOGS_INTERACTIVE_SHARE: num(0.2, 0, 0.9),
  JOBS_RESULT_TTL_HOURS: num(24, 0.01, 24 * 30),
  JOBS_LOCK_MS: int(30_000, 500, 600_000),
  JOBS_CONCURRENCY: int(2, 1, 64),
  DISCMETA_CACHE_DIR: text(),
  XDG_CACHE_HOME: text(),
  HOME: text(),
  METADATA_CACHE_DRIVER: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = (v ?? "").trim().toLowerCase();
      if (s === "") return undefined;
      if (s === "memory" || s === "redis" || s === "sqlite") return s;
      ctx.addIssue({ code: "custom", message: "must be one of memory, redis, sqlite" });
      return z.NEVER;
    }),
  GEMINI_API_KEY: text(),
  GEMINI_MODEL: text(),
  GEMINI_BASE_URL: url(),
  OPENAI_API_KEY: text(),
  OPENAI_MODEL: text(),
  OPENAI_BASE_URL: url(),
  LLM_TIMEOUT_MS: int(20_000, 100, 600_000),
  REDIS_URL: text(),
  REDIS_HOST: text(),
  REDIS_PORT: int(6379, 1, 65_535),
  REDIS_CACHE_TTL_HOURS: num(24, 0, 24 * 365),
  PORT: int(3000, 0, 65_535),
  HOST: text(),
  LOG_LEVEL: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = (v ?? "").trim().toLowerCase() || "info";
      const levels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
      if (!levels.includes(s)) {
        ctx.addIssue({ code: "custom", message: `must be one of ${levels.join(", ")}` });
        return z.NEVER;
      }
      return s as "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
    }),
  API_KEYS: text(),
  HTTP_RATE_LIMIT_PER_MINUTE: int(600, 0, 1_000_000),
  HTTP_MAX_UPLOAD_MB: num(50, 0.001, 2048),
  /** The ffmpeg program audio analysis decodes with (default: ffmpeg on the PATH). */
  FFMPEG_PATH: z.string().min(1).optional(),
  /** The range a measured tempo is moved into by octaves when the style does not say: "70-180". */
  AUDIO_BPM_RANGE: z
    .string()
    .regex(/^\d{2,3}-\d{2,3}$/, 'must be two BPM values such as "70-180"')
    .refine((v) => {
      const [lo, hi] = v.split("-").map(Number) as [number, number];
      return lo >= 30 && hi <= 300 && hi >= lo * 2;
    }, "must span at least an octave, within 30-300")
    .optional(),
  /** The key profile the key detector correlates with: edma (default), krumhansl or temperley. */
  AUDIO_KEY_PROFILE: z.enum(KEY_PROFILE_NAMES as [KeyProfileName, ...KeyProfileName[]]).optional(),
});

/** The validated configuration. */
export interface AppConfig {
  provider: "GEMINI" | "OPENAI";
  mode: (typeof MODES)[number];
  timeoutMs: number;
  discogs: {
    enabled: boolean;
    /** Why Stage 2 is off, when it is. */
    disabledReason: string | null;
    token: string | undefined;
    apiUrl: string;
    userAgent: string;
    useLlmSelection: boolean;
    maxResults: number;
    minConfidence: number;
    requestTimeoutMs: number;
    rolloutPercent: number;
    /** Penalty weights: tracks (DISCOGS_SCORE_WEIGHTS) and albums (DISCOGS_ALBUM_WEIGHTS). */
    weights: { track: TrackWeights; album: AlbumWeights };
    /** An offline index built by `discmeta index build` (DISCOGS_INDEX_PATH). */
    indexPath: string | undefined;
    /** Where `index update` finds the monthly dumps (DISCOGS_DUMP_URL): Discogs' data site, or a mirror. */
    dumpUrl: string;
    /** The catalogue: the API, the index, or the index with the API behind it; null when off. */
    source: "api" | "index" | "index+api" | null;
    /** Requests per window: Discogs allows 60 with a token, 25 without. */
    rateLimit: number;
    /** The limit the user set (DISCOGS_RATE_LIMIT), which the server's headers never raise; null: none. */
    rateLimitCeiling: number | null;
    /** The moving window, ms: 60 000 on Discogs; shorter only for tests against the simulator. */
    rateLimitWindowMs: number;
    /** Share one budget through Redis with every process using the same token (when Redis is set). */
    sharedBudget: boolean;
    /** The share of the budget kept while Redis is unreachable (DISCOGS_BUDGET_FALLBACK_SHARE). */
    budgetFallbackShare: number;
    /** The share of a shared budget batch work leaves to interactive requests (DISCOGS_INTERACTIVE_SHARE). */
    interactiveShare: number;
  };
  llm: {
    /** True when the chosen provider has a key (or a base URL, for OpenAI-compatible servers). */
    available: boolean;
    disabledReason: string | null;
    fallbackEnabled: boolean;
    timeoutMs: number;
    gemini: { apiKey: string | undefined; model: string; baseUrl: string | undefined };
    openai: { apiKey: string | undefined; model: string; baseUrl: string | undefined };
  };
  cache: {
    enabled: boolean;
    /** memory (the service's default), redis (when configured), or sqlite (persistent, the CLI's). */
    driver: "memory" | "redis" | "sqlite";
    redisUrl: string | undefined;
    ttlSeconds: number;
    /** The user's cache folder: the SQLite cache and the sample index live here. */
    dir: string;
  };
  jobs: {
    /** Jobs need Redis; null when it is not configured, with the reason. */
    disabledReason: string | null;
    resultTtlSeconds: number;
    /** How long a worker holds a chunk before another may take it (a killed worker's chunk). */
    lockMs: number;
    /** Chunks a worker runs at once. */
    concurrency: number;
  };
  http: {
    port: number;
    host: string;
    apiKeys: string[];
    rateLimitPerMinute: number;
    maxUploadBytes: number;
  };
  /** BPM and key from the audio. */
  audio: {
    ffmpegPath: string;
    bpmRange: readonly [number, number];
    keyProfile: KeyProfileName;
  };
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Warnings to log once at start-up: stages the settings leave unusable. */
  startupWarnings: string[];
}

/** Parses a JSON weight table over `defaults`' names (each 0..100); a name it lacks keeps its default. */
function parseWeights<T extends Record<string, number>>(
  raw: string | undefined,
  variable: string,
  defaults: T,
): T {
  if (!raw) return { ...defaults };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`config: ${variable} must be a JSON object such as {"artist": 3}`);
  }
  const keys = Object.keys(defaults);
  const schema = z.strictObject(
    Object.fromEntries(keys.map((k) => [k, z.number().min(0).max(100).optional()])),
  );
  const result = schema.safeParse(parsed);
  if (!result.success) {
    throw new ConfigError(`config: ${variable} must map these names to numbers 0..100: ${keys.join(", ")}`);
  }
  return { ...defaults, ...(result.data as Partial<T>) };
}

/**
 * Validates an environment and builds the configuration. Throws ConfigError naming every bad variable.
 * Stages the settings leave unusable are disabled with a start-up warning, not an error.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`);
    throw new ConfigError(`config: invalid environment: ${lines.join("; ")}`);
  }
  const e = parsed.data;
  const warnings: string[] = [];

  let discogsReason: string | null = null;
  if (!e.METADATA_USE_DISCOGS) discogsReason = "METADATA_USE_DISCOGS is false";
  else if (!e.DISCOGS_USER_TOKEN && !e.DISCOGS_INDEX_PATH)
    discogsReason =
      "DISCOGS_USER_TOKEN is not set (Discogs search needs a token) and no offline index (DISCOGS_INDEX_PATH)";
  if (discogsReason && e.METADATA_USE_DISCOGS) warnings.push(`Discogs stage disabled: ${discogsReason}`);

  const provider = e.METADATA_PROVIDER;
  const key = provider === "GEMINI" ? e.GEMINI_API_KEY : e.OPENAI_API_KEY;
  // An OpenAI-compatible local server (Ollama, vLLM) needs a base URL but no key.
  const llmAvailable = Boolean(key) || (provider === "OPENAI" && Boolean(e.OPENAI_BASE_URL));
  const llmReason = llmAvailable ? null : `${provider}_API_KEY is not set`;
  if (llmReason && (e.METADATA_USE_LLM_FALLBACK || e.METADATA_MODE !== "fast")) {
    warnings.push(`LLM disabled: ${llmReason}; running without LLM help`);
  }

  const redisUrl = e.REDIS_URL ?? (e.REDIS_HOST ? `redis://${e.REDIS_HOST}:${e.REDIS_PORT}` : undefined);
  const driver = e.METADATA_CACHE_DRIVER ?? (redisUrl ? "redis" : "memory");
  if (driver === "redis" && !redisUrl)
    throw new ConfigError(
      "config: invalid environment: METADATA_CACHE_DRIVER=redis needs REDIS_URL or REDIS_HOST",
    );
  const source =
    discogsReason !== null
      ? null
      : e.DISCOGS_INDEX_PATH
        ? e.DISCOGS_USER_TOKEN
          ? "index+api"
          : "index"
        : "api";
  return {
    provider,
    mode: e.METADATA_MODE.toLowerCase() as AppConfig["mode"],
    timeoutMs: e.METADATA_TIMEOUT_MS,
    discogs: {
      enabled: discogsReason === null,
      disabledReason: discogsReason,
      token: e.DISCOGS_USER_TOKEN,
      apiUrl: e.DISCOGS_API_URL ?? "https://api.discogs.com",
      userAgent: e.DISCOGS_USER_AGENT ?? `discmeta/${VERSION} +https://github.com/discmeta/discmeta`,
      useLlmSelection: e.DISCOGS_USE_LLM_SELECTION,
      maxResults: e.DISCOGS_MAX_RESULTS,
      minConfidence: e.DISCOGS_MIN_CONFIDENCE,
      requestTimeoutMs: e.DISCOGS_REQUEST_TIMEOUT_MS,
      rolloutPercent: e.METADATA_DISCOGS_ROLLOUT_PERCENT,
      weights: {
        track: parseWeights(e.DISCOGS_SCORE_WEIGHTS, "DISCOGS_SCORE_WEIGHTS", TRACK_WEIGHTS),
        album: parseWeights(e.DISCOGS_ALBUM_WEIGHTS, "DISCOGS_ALBUM_WEIGHTS", ALBUM_WEIGHTS),
      },
      indexPath: e.DISCOGS_INDEX_PATH,
      dumpUrl: (e.DISCOGS_DUMP_URL ?? "https://discogs-data-dumps.s3.us-west-2.amazonaws.com").replace(
        /\/+$/,
        "",
      ),
      source,
      rateLimit: e.DISCOGS_RATE_LIMIT || (e.DISCOGS_USER_TOKEN ? 60 : 25),
      rateLimitCeiling: e.DISCOGS_RATE_LIMIT || null,
      rateLimitWindowMs: e.DISCOGS_RATE_LIMIT_WINDOW_MS,
      sharedBudget: e.DISCOGS_SHARED_BUDGET && Boolean(redisUrl),
      budgetFallbackShare: e.DISCOGS_BUDGET_FALLBACK_SHARE,
      interactiveShare: e.DISCOGS_INTERACTIVE_SHARE,
    },
    llm: {
      available: llmAvailable,
      disabledReason: llmReason,
      fallbackEnabled: e.METADATA_USE_LLM_FALLBACK,
      timeoutMs: e.LLM_TIMEOUT_MS,
      gemini: {
        apiKey: e.GEMINI_API_KEY,
        model: e.GEMINI_MODEL ?? "gemini-2.5-flash",
        baseUrl: e.GEMINI_BASE_URL,
      },
      openai: {
        apiKey: e.OPENAI_API_KEY,
        model: e.OPENAI_MODEL ?? "gpt-4.1-mini",
        baseUrl: e.OPENAI_BASE_URL,
      },
    },
    cache: {
      enabled: e.METADATA_CACHE_ENABLED,
      driver,
      redisUrl,
      ttlSeconds: Math.round(e.REDIS_CACHE_TTL_HOURS * 3600),
      dir: cacheDirOf(e),
    },
    jobs: {
      disabledReason: redisUrl
        ? null
        : "jobs need Redis: set REDIS_URL (or REDIS_HOST) and run `discmeta worker`",
      resultTtlSeconds: Math.round(e.JOBS_RESULT_TTL_HOURS * 3600),
      lockMs: e.JOBS_LOCK_MS,
      concurrency: e.JOBS_CONCURRENCY,
    },
    http: {
      port: e.PORT,
      host: e.HOST ?? "0.0.0.0",
      apiKeys: (e.API_KEYS ?? "")
        .split(",")
        .map((k) => k.trim())
        .filter(Boolean),
      rateLimitPerMinute: e.HTTP_RATE_LIMIT_PER_MINUTE,
      maxUploadBytes: Math.round(e.HTTP_MAX_UPLOAD_MB * 1024 * 1024),
    },
    audio: {
      ffmpegPath: e.FFMPEG_PATH ?? "ffmpeg",
      bpmRange: e.AUDIO_BPM_RANGE
        ? (e.AUDIO_BPM_RANGE.split("-").map(Number) as [number, number])
        : DEFAULT_POLICY.audio.bpmRange,
      keyProfile: e.AUDIO_KEY_PROFILE ?? DEFAULT_KEY_PROFILE,
    },
    logLevel: e.LOG_LEVEL,
    startupWarnings: warnings,
  };
}

/** DISCMETA_CACHE_DIR, else $XDG_CACHE_HOME/discmeta, else ~/.cache/discmeta (the XDG default). */
function cacheDirOf(e: { DISCMETA_CACHE_DIR?: string; XDG_CACHE_HOME?: string; HOME?: string }): string {
  if (e.DISCMETA_CACHE_DIR) return e.DISCMETA_CACHE_DIR;
  if (e.XDG_CACHE_HOME) return join(e.XDG_CACHE_HOME, "discmeta");
  return join(e.HOME ?? homedir(), ".cache", "discmeta");
}

/** Reads `.env` from the working directory into process.env when present (existing values win). */
export function loadDotEnv(path = ".env"): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

const REDACTED = "[redacted]";

/** A copy of the configuration that is safe to print or log: secrets replaced, URLs stripped of passwords. */
export function redactConfig(config: AppConfig): unknown {
  const stripUrl = (u: string | undefined) => (u ? u.replace(/\/\/([^@/]*)@/, `//${REDACTED}@`) : u);
  return {
    ...config,
    discogs: { ...config.discogs, token: config.discogs.token ? REDACTED : undefined },
    llm: {
      ...config.llm,
      gemini: { ...config.llm.gemini, apiKey: config.llm.gemini.apiKey ? REDACTED : undefined },
      openai: { ...config.llm.openai, apiKey: config.llm.openai.apiKey ? REDACTED : undefined },
    },
    cache: { ...config.cache, redisUrl: stripUrl(config.cache.redisUrl) },
    http: { ...config.http, apiKeys: config.http.apiKeys.map(() => REDACTED) },
  };
}

/** Every secret value in a configuration, for log redaction. */
export function secretsOf(config: AppConfig): string[] {
  return [
    config.discogs.token,
    config.llm.gemini.apiKey,
    config.llm.openai.apiKey,
    ...config.http.apiKeys,
    /\/\/[^:/]*:([^@/]+)@/.exec(config.cache.redisUrl ?? "")?.[1],
  ].filter((s): s is string => typeof s === "string" && s.length > 0);
}
