import { describe, expect, it } from "vitest";
import { loadConfig, redactConfig, secretsOf } from "../src/config.js";
import { ConfigError } from "../src/core/errors.js";

describe("config", () => {
  it("has the plan's defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ provider: "GEMINI", mode: "balanced", timeoutMs: 8000 });
    expect(c.discogs).toMatchObject({
      maxResults: 10,
      minConfidence: 0.7,
      apiUrl: "https://api.discogs.com",
      useLlmSelection: true,
    });
    expect(c.cache).toMatchObject({ enabled: true, driver: "memory", ttlSeconds: 24 * 3600 });
    expect(c.http.port).toBe(3000);
  });

  it.each([
    ["yes", true],
    ["NO", false],
    ["1", true],
    ["0", false],
    ["true", true],
    ["False", false],
  ])("reads boolean %s", (value, expected) => {
    expect(loadConfig({ METADATA_USE_LLM_FALLBACK: value }).llm.fallbackEnabled).toBe(expected);
  });

  it.each([
    ["METADATA_MODE", "turbo", /METADATA_MODE must be one of fast, balanced, accurate/],
    ["METADATA_PROVIDER", "claude", /METADATA_PROVIDER must be one of GEMINI, OPENAI/],
    ["METADATA_USE_DISCOGS", "maybe", /METADATA_USE_DISCOGS must be one of true, false/],
    ["DISCOGS_MAX_RESULTS", "0", /DISCOGS_MAX_RESULTS must be a whole number from 1 to 100/],
    ["DISCOGS_MIN_CONFIDENCE", "1.5", /DISCOGS_MIN_CONFIDENCE must be a number from 0 to 1/],
    ["DISCOGS_API_URL", "ftp://x", /DISCOGS_API_URL must be an http/],
    ["REDIS_PORT", "99999", /REDIS_PORT must be a whole number/],
    ["LOG_LEVEL", "loud", /LOG_LEVEL must be one of/],
    ["DISCOGS_SCORE_WEIGHTS", '{"nope": 1}', /DISCOGS_SCORE_WEIGHTS must map/],
  ])("rejects bad %s with a message naming it", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it("disables a stage the settings leave unusable, with one warning", () => {
    const c = loadConfig({ METADATA_USE_DISCOGS: "true" });
    expect(c.discogs.enabled).toBe(false);
    expect(c.startupWarnings.filter((w) => w.includes("Discogs"))).toHaveLength(1);
    const on = loadConfig({ DISCOGS_USER_TOKEN: "t0k3n" });
    expect(on.discogs.enabled).toBe(true);
  });

  it("accepts an OpenAI-compatible server without a key", () => {
    const c = loadConfig({ METADATA_PROVIDER: "openai", OPENAI_BASE_URL: "http://127.0.0.1:11434/v1" });
    expect(c.llm.available).toBe(true);
  });

  it("picks Redis when REDIS_URL or REDIS_HOST is set", () => {
    expect(loadConfig({ REDIS_HOST: "127.0.0.1" }).cache).toMatchObject({
      driver: "redis",
      redisUrl: "redis://127.0.0.1:6379",
    });
    expect(loadConfig({ REDIS_URL: "redis://h:1" }).cache.driver).toBe("redis");
  });

  it("merges score weights", () => {
    expect(loadConfig({ DISCOGS_SCORE_WEIGHTS: '{"artist": 5}' }).discogs.weights.track.artist).toBe(5);
    expect(loadConfig({ DISCOGS_ALBUM_WEIGHTS: '{"original": 2}' }).discogs.weights.album.original).toBe(2);
    expect(() => loadConfig({ DISCOGS_ALBUM_WEIGHTS: '{"nope": 2}' })).toThrow(/DISCOGS_ALBUM_WEIGHTS/);
  });

  it("redacts secrets when printed", () => {
    const c = loadConfig({
      DISCOGS_USER_TOKEN: "discogs-secret",
      GEMINI_API_KEY: "gemini-secret",
      OPENAI_API_KEY: "openai-secret",
      API_KEYS: "k1-secret,k2-secret",
      REDIS_URL: "redis://user:redis-secret@host:6379",
    });
    const printed = JSON.stringify(redactConfig(c));
    for (const s of ["discogs-secret", "gemini-secret", "openai-secret", "k1-secret", "redis-secret"]) {
      expect(printed).not.toContain(s);
    }
    expect(secretsOf(c)).toEqual(expect.arrayContaining(["discogs-secret", "redis-secret", "k2-secret"]));
  });
});
