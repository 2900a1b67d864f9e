import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createContainer } from "../../src/container.js";
import { TrackMetadataSchema } from "../../src/core/schema.js";
import { buildServer, requestIdOf } from "../../src/http/server.js";
import { type DiscogsSimulator, startDiscogsSimulator } from "../fakes/discogs-simulator/index.js";
import { DUMP_DIR, FIXTURES, warningText } from "../helpers.js";

const ROUTE = "/api/v1/audio/metadata/ai";
let sim: DiscogsSimulator;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  sim = await startDiscogsSimulator({
    dumpDir: DUMP_DIR,
    fixtures: [join(FIXTURES, "discogs/t-fire.json")],
    rateLimit: { authenticated: 10_000 },
  });
});
afterAll(async () => {
  for (const a of apps) await a.close();
  await sim.close();
});
beforeEach(() => sim.setFaults({}));

async function server(env: Record<string, string> = {}) {
  const config = loadConfig({
    DISCOGS_API_URL: sim.url,
    DISCOGS_USER_TOKEN: "tok-secret-1",
    METADATA_MODE: "fast",
    ...env,
  });
  const container = createContainer(config);
  const app = await buildServer(container);
  apps.push(app);
  app.addHook("onClose", () => container.dispose());
  return app;
}
const post = (app: FastifyInstance, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: "POST",
    url: ROUTE,
    payload: payload as string,
    headers: { "content-type": "application/json", ...headers },
  });

/** Posts a multipart body: optional text fields, then the file in the field `file`. */
function postFile(app: FastifyInstance, file: Buffer, name: string, fields: Record<string, string> = {}) {
  const boundary = "----discmeta";
  const payload = Buffer.concat([
    ...Object.entries(fields).map(([k, v]) =>
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`),
    ),
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: audio/mpeg\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return app.inject({
    method: "POST",
    url: ROUTE,
    payload,
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
  });
}

describe("POST /api/v1/audio/metadata/ai", () => {
  it("200: success path, validated against the output schema", async () => {
    const app = await server();
    const res = await post(app, {
      filename: "T-Fire - Say A Prayer.flac",
      id3_tags: { artist: "T-Fire", title: "Say A Prayer" },
    });
    expect(res.statusCode).toBe(200);
    const body = TrackMetadataSchema.parse(res.json());
    expect(body).toMatchObject({
      source: "discogs",
      year: 1979,
      country: "Nigeria",
      cached: false,
      discogs: { releaseId: 990000001 },
    });
    expect(body.match?.recommendation).toBe("strong");
  });

  it("200: a cache hit says cached: true and makes no Discogs request", async () => {
    const app = await server();
    await post(app, { filename: "T-Fire - Say A Prayer.flac" });
    sim.resetStats();
    const res = await post(app, { filename: "t-fire – say a prayer .mp3" });
    expect(res.json()).toMatchObject({ cached: true, source: "discogs" });
    expect(sim.stats().requests).toBe(0);
  });

  it("200: no results, low confidence and API errors fall back to simple extraction", async () => {
    const app = await server({ DISCOGS_MIN_CONFIDENCE: "0.9", METADATA_TIMEOUT_MS: "2500" });
    const none = (await post(app, { filename: "Nobody Known - Nothing Like It.mp3" })).json();
    expect(none).toMatchObject({ source: "simple", artist: "Nobody Known" });
    const low = (
      await post(app, {
        filename: "T-Fire - Say A Prayer (Dub Mix).mp3",
        id3_tags: { year: 1999, duration: 120 },
      })
    ).json();
    expect(low.diagnostics.stages[0].reason).toMatch(/low confidence/);
    sim.setFaults({ errorRate: 1 });
    const err = await post(app, { filename: "Kevin Yost - If She Only Knew.mp3" });
    expect(err.statusCode).toBe(200);
    expect(err.json().diagnostics.stages[0]).toMatchObject({ stage: "discogs", outcome: "error" });
    expect(err.body).not.toContain("tok-secret-1");
  });

  it("200: all services unavailable still answers with simple extraction", async () => {
    const app = await server({
      DISCOGS_API_URL: "http://127.0.0.1:9",
      METADATA_TIMEOUT_MS: "1500",
      REDIS_URL: "redis://127.0.0.1:9",
    });
    const res = await post(app, { filename: "T-Fire - Say A Prayer [Nigeria] Soul (1979).opus" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ source: "simple", artist: "T-Fire", year: 1979, country: "Nigeria" });
    expect(warningText(res.json())).toMatch(/cache unavailable/);
    expect(res.json().warnings[0]).toMatchObject({ code: "cache-unavailable", stage: "cache" });
  });

  it("200: multipart upload reads the tags server-side", async () => {
    const app = await server({ METADATA_USE_DISCOGS: "false" });
    const file = await readFile(join(FIXTURES, "audio/id3v23.mp3"));
    const res = await postFile(app, file, "upload.mp3", { mode: "fast" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ artist: "Rick Astley", title: "Never Gonna Give You Up", year: 1987 });
  });

  it.each([
    [{}, "filename"],
    [{ filename: "" }, "filename"],
    [{ filename: "x".repeat(1025) }, "filename"],
    [{ filename: 42 }, "filename"],
    [{ filename: "a - b", mode: "turbo" }, "mode"],
    [{ filename: "a - b", id3_tags: { artist: ["x"] } }, "id3_tags.artist"],
    [[1, 2], "body"],
  ])("400 names the field for %j", async (payload, field) => {
    const res = await post(await server(), JSON.stringify(payload));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: "Bad Request", field });
    expect(res.json().message).toMatch(new RegExp(`^${field.replace(".", "\\.")}: `));
  });

  it("400 for broken JSON, 413 for a large body, 415 for a wrong content type, 404 elsewhere", async () => {
    const app = await server();
    expect((await post(app, '{"filename": ')).statusCode).toBe(400);
    expect((await post(app, JSON.stringify({ filename: "x".repeat(2 * 1024 * 1024) }))).statusCode).toBe(413);
    const wrong = await post(app, "filename=x", { "content-type": "application/x-www-form-urlencoded" });
    expect(wrong.statusCode).toBe(415);
    const text = await post(app, "x", { "content-type": "text/plain" });
    expect(text.statusCode).toBe(415);
    expect((await app.inject({ method: "GET", url: "/nope" })).statusCode).toBe(404);
  });

  it("401 without a valid API key when API_KEYS is set; Bearer and x-api-key both work", async () => {
    const app = await server({ API_KEYS: "k-one,k-two", METADATA_USE_DISCOGS: "false" });
    expect((await post(app, { filename: "a - b.mp3" })).statusCode).toBe(401);
    expect((await post(app, { filename: "a - b.mp3" }, { authorization: "Bearer wrong" })).statusCode).toBe(
      401,
    );
    expect((await post(app, { filename: "a - b.mp3" }, { authorization: "Bearer k-one" })).statusCode).toBe(
      200,
    );
    expect((await post(app, { filename: "a - b.mp3" }, { "x-api-key": "k-two" })).statusCode).toBe(200);
  });

  it("429 past the per-client rate limit", async () => {
    const app = await server({ HTTP_RATE_LIMIT_PER_MINUTE: "3", METADATA_USE_DISCOGS: "false" });
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await post(app, { filename: `a - b${i}.mp3` })).statusCode);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
  });

  it("413 for an upload over the size limit", async () => {
    const app = await server({ HTTP_MAX_UPLOAD_MB: "0.01" });
    const res = await postFile(app, Buffer.alloc(50_000, 1), "big.mp3");
    expect(res.statusCode).toBe(413);
  });

  it("413 at once on a Content-Length over the limit, before the body is read", async () => {
    const app = await server({ HTTP_MAX_UPLOAD_MB: "0.01" });
    const res = await postFile(app, Buffer.alloc(500_000, 1), "big.mp3");
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toMatch(/over the limit of 10486 \(HTTP_MAX_UPLOAD_MB\)/);
  });

  it("200 for a corrupt upload: the name is used, with a warning, as the README says", async () => {
    const app = await server({ METADATA_USE_DISCOGS: "false" });
    const res = await postFile(
      app,
      Buffer.from("ID3\x04\x00\x00\x00\x00\x00\x7fnot audio"),
      "Mateo & Matos - Groove 4 U.mp3",
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ artist: "Mateo & Matos", title: "Groove 4 U" });
    expect(res.json().warnings[0]).toMatchObject({ code: "unreadable-tags", stage: "input" });
    expect(res.json().warnings[0].message).toMatch(/^unreadable tags/);
  });
});

describe("feature flags and modes (plan task 4.4)", () => {
  it.each(["fast", "balanced", "accurate"])("mode %s answers and reports itself", async (mode) => {
    const res = await post(await server(), { filename: "T-Fire - Say A Prayer.flac", mode });
    expect(res.json().diagnostics.mode).toBe(mode);
    expect(res.json().source).toBe("discogs");
  });

  it("METADATA_USE_DISCOGS=false skips Stage 2", async () => {
    const res = (
      await post(await server({ METADATA_USE_DISCOGS: "false" }), { filename: "T-Fire - Say A Prayer.flac" })
    ).json();
    expect(res.source).toBe("simple");
    expect(res.diagnostics.stages[0]).toMatchObject({
      stage: "discogs",
      outcome: "skipped",
      reason: "METADATA_USE_DISCOGS is false",
    });
  });

  it("METADATA_CACHE_ENABLED=false never answers from cache", async () => {
    const app = await server({ METADATA_CACHE_ENABLED: "false" });
    await post(app, { filename: "T-Fire - Say A Prayer.flac" });
    expect((await post(app, { filename: "T-Fire - Say A Prayer.flac" })).json().cached).toBe(false);
  });

  it("coalesces a burst of 50 identical requests into one Discogs lookup", async () => {
    sim.setFaults({ latencyMs: 30 });
    const app = await server();
    sim.resetStats();
    const all = await Promise.all(
      Array.from({ length: 50 }, () => post(app, { filename: "T-Fire - Say A Prayer.flac" })),
    );
    expect(all.every((r) => r.statusCode === 200 && r.json().source === "discogs")).toBe(true);
    expect(sim.stats().byEndpoint["search 200"]).toBe(1);
  });
});

describe("operational routes", () => {
  it("health, ready, metrics, openapi and docs", async () => {
    const app = await server();
    await post(app, { filename: "T-Fire - Say A Prayer.flac" });
    expect((await app.inject({ url: "/health" })).json()).toEqual({ status: "ok" });
    expect((await app.inject({ url: "/ready" })).json()).toMatchObject({
      status: "ready",
      checks: { config: "ok" },
    });
    const metrics = (await app.inject({ url: "/metrics" })).body;
    for (const name of [
      "discmeta_stage_duration_seconds",
      "discmeta_cache_total",
      "discmeta_discogs_requests_total",
      "discmeta_http_request_duration_seconds",
    ]) {
      expect(metrics).toContain(name);
    }
    expect(metrics).toMatch(/discmeta_discogs_requests_total\{endpoint="search",status="200"\} [1-9]/);
    // The process's own, the build, Discogs latency, budget wait and remaining budget, and the answer.
    expect(metrics).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(metrics).toMatch(/discmeta_build_info\{version="\d+\.\d+\.\d+",node="v\d+[^"]*"\} 1/);
    expect(metrics).toMatch(
      /discmeta_discogs_request_duration_seconds_count\{endpoint="search",status="200"\} [1-9]/,
    );
    expect(metrics).toMatch(/discmeta_discogs_rate_limit_wait_seconds_count [1-9]/);
    expect(metrics).toMatch(/discmeta_discogs_rate_limit_remaining \d+/);
    expect(metrics).toMatch(
      /discmeta_results_total\{source="discogs",recommendation="strong",cached="false"\} 1/,
    );
    const spec = (await app.inject({ url: "/openapi.json" })).json();
    expect(spec.paths[ROUTE].post.requestBody.content["application/json"].schema.required).toContain(
      "filename",
    );
    expect((await app.inject({ url: "/docs/" })).statusCode).toBe(200);
  });

  it("ready is 503 when a configured Redis is down", async () => {
    const app = await server({ REDIS_URL: "redis://127.0.0.1:9" });
    const res = await app.inject({ url: "/ready" });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.redis).toBe("unreachable");
  });

  it("keeps a client's X-Request-Id as a bounded token, never 8 KB of it in the log", async () => {
    const lines: string[] = [];
    const config = loadConfig({ METADATA_USE_DISCOGS: "false", METADATA_CACHE_ENABLED: "false" });
    const container = createContainer(config);
    const logged = await buildServer(container, {
      logger: { level: "info", stream: { write: (l: string) => lines.push(l) } },
    });
    try {
      const huge = `abc-123${"x".repeat(8 * 1024)}`;
      const res = await logged.inject({ method: "GET", url: "/health", headers: { "x-request-id": huge } });
      expect(res.statusCode).toBe(200);
      await logged.inject({ method: "GET", url: "/nope", headers: { "x-request-id": "trace-42" } });
      const ids = lines.map((l) => JSON.parse(l).reqId as string | undefined).filter(Boolean);
      expect(ids).toContain("trace-42");
      expect(Math.max(...ids.map((id) => id!.length))).toBeLessThanOrEqual(64);
      expect(lines.join("")).not.toContain("x".repeat(100));
    } finally {
      await logged.close();
      await container.dispose();
    }
    expect(requestIdOf("a b<script>")).toBe("abscript");
    expect(requestIdOf(undefined)).toMatch(/^req-/);
  });

  it("serves over a real socket", async () => {
    const app = await server({ METADATA_USE_DISCOGS: "false" });
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    const res = await fetch(`${address}${ROUTE}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ filename: "A - B.mp3" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ artist: "A", title: "B" });
  });
});

describe("the warm path (#24 item 11)", () => {
  it("serves a repeated request's cached answer from its bytes, without resolving it again", async () => {
    const config = loadConfig({
      DISCOGS_API_URL: sim.url,
      DISCOGS_USER_TOKEN: "tok-warm",
      METADATA_MODE: "fast",
    });
    const container = createContainer(config);
    const app = await buildServer(container);
    apps.push(app);
    app.addHook("onClose", () => container.dispose());
    let resolved = 0;
    const resolve = container.resolve;
    container.resolve = (input, options) => {
      resolved++;
      return resolve(input, options);
    };
    const body = { filename: "The Persuader - Östermalm.mp3", mode: "fast" };
    const first = await post(app, body);
    const second = await post(app, body);
    const third = await post(app, body);
    expect(first.json().cached).toBe(false);
    expect(second.json().cached).toBe(true);
    // The third is the second's bytes, and never reached the resolver.
    expect(third.body).toBe(second.body);
    expect(third.headers["content-type"]).toMatch(/^application\/json/);
    expect(TrackMetadataSchema.parse(third.json()).cached).toBe(true);
    expect(resolved).toBe(2);
    // Another request (other tags) is its own.
    const other = await post(app, { ...body, id3_tags: { year: 1999 } });
    expect(other.statusCode).toBe(200);
    expect(resolved).toBe(3);
  });
});

describe("malformed multipart bodies (hardening)", () => {
  const valid = (boundary: string) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="filename"\r\n\r\nT-Fire - Say A Prayer.mp3\r\n--${boundary}--\r\n`,
    );
  const cases: [string, string, Buffer][] = [
    ["garbage with a boundary", "multipart/form-data; boundary=xyz", Buffer.from("garbage")],
    ["no boundary at all", "multipart/form-data", valid("abc")],
    ["a boundary that does not match the body", "multipart/form-data; boundary=other", valid("abc")],
    [
      "a valid body cut short",
      "multipart/form-data; boundary=abc",
      valid("abc").subarray(0, valid("abc").length - 30),
    ],
  ];
  it.each(cases)("400, never 5xx: %s", async (_name, type, payload) => {
    const app = await server();
    const res = await app.inject({ method: "POST", url: ROUTE, payload, headers: { "content-type": type } });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.json().message).not.toMatch(/\bat \w+ \(/);
  });

  it("bytes after the closing boundary are an epilogue: 200 or 400, never 5xx", async () => {
    const app = await server();
    const payload = Buffer.concat([valid("abc"), Buffer.from("random trailing bytes \x00\x01\x02")]);
    const res = await app.inject({
      method: "POST",
      url: ROUTE,
      payload,
      headers: { "content-type": "multipart/form-data; boundary=abc" },
    });
    expect([200, 400]).toContain(res.statusCode);
  });
});

describe("Discogs down (circuit breaker)", () => {
  it("after a run of faults, requests skip Discogs at once, say why, and /ready and /metrics show it", async () => {
    const app = await server({
      DISCOGS_API_URL: "http://127.0.0.1:9",
      METADATA_TIMEOUT_MS: "3000",
      METADATA_CACHE_ENABLED: "false",
    });
    for (let i = 0; i < 5; i++) {
      const r = (await post(app, { filename: `Artist ${i} - Title.mp3` })).json();
      expect(r.diagnostics.stages[0]).toMatchObject({ stage: "discogs", outcome: "error" });
    }
    const t0 = Date.now();
    const skipped = (await post(app, { filename: "Another Artist - Another Title.mp3" })).json();
    expect(Date.now() - t0).toBeLessThan(500);
    expect(skipped.diagnostics.stages[0]).toMatchObject({
      stage: "discogs",
      outcome: "skipped",
      code: "circuit-open",
    });
    expect(skipped.warnings[0]).toMatchObject({ code: "stage-skipped", stage: "discogs" });
    expect(warningText(skipped)).toMatch(/Discogs unavailable: circuit open/);
    expect(skipped.degraded).toMatchObject({ reason: "upstream" });
    expect(skipped.degraded.retryAfterSeconds).toBeGreaterThan(0);
    const ready = (await app.inject({ method: "GET", url: "/ready" })).json();
    expect(ready.checks.discogs).toBe("circuit open");
    const metrics = (await app.inject({ method: "GET", url: "/metrics" })).body;
    expect(metrics).toMatch(/discmeta_discogs_circuit_open 1/);
    // Fallbacks and warnings are counted by bounded codes, never by free text.
    expect(metrics).toMatch(/discmeta_fallbacks_total\{stage="discogs",reason="upstream-error"\} 5/);
    expect(metrics).toMatch(/discmeta_warnings_total\{code="stage-failed"\} 5$/m);
    expect(metrics).toMatch(/discmeta_degraded_total\{reason="upstream"\} 6/);
    const labels = [...metrics.matchAll(/^discmeta_(?:fallbacks|warnings)_total\{([^}]*)\}/gm)].map(
      (m) => m[1],
    );
    expect(labels.every((l) => /^[a-z=",-]+$/.test(l!))).toBe(true);
  });
});

describe("circuit breaker", () => {
  it("opens after the threshold, lets one probe through after the cool-down, and closes on success", async () => {
    const { createBreaker } = await import("../../src/core/pipeline/breaker.js");
    let now = 0;
    const b = createBreaker({ threshold: 3, coolDownMs: 1000, now: () => now });
    for (let i = 0; i < 3; i++) b.failure();
    expect(b.state()).toBe("open");
    expect(b.refusal()).toMatch(/next try in 1 s/);
    now = 1000;
    expect(b.state()).toBe("half-open");
    expect(b.refusal()).toBeNull(); // the probe
    expect(b.refusal()).not.toBeNull(); // only one
    b.failure();
    expect(b.state()).toBe("open");
    now = 2000;
    expect(b.refusal()).toBeNull();
    // A probe cut short by our own deadline gives no verdict: the next request may probe instead.
    b.abandon();
    expect(b.refusal()).toBeNull();
    b.success();
    expect(b.state()).toBe("closed");
  });
});

describe("API keys guard the docs and the metrics too", () => {
  it("401 without a key, 200 with one", async () => {
    const app = await server({ API_KEYS: "k1", METADATA_USE_DISCOGS: "false" });
    for (const url of ["/metrics", "/openapi.json", "/docs/json"]) {
      expect((await app.inject({ method: "GET", url })).statusCode).toBe(401);
      expect((await app.inject({ method: "GET", url, headers: { "x-api-key": "k1" } })).statusCode).toBe(200);
    }
    expect((await app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
  });

  it("made-up keys share the address's bucket, and failed guesses are throttled", async () => {
    const open = await server({ HTTP_RATE_LIMIT_PER_MINUTE: "5", METADATA_USE_DISCOGS: "false" });
    const codes = [];
    for (let i = 0; i < 8; i++)
      codes.push((await post(open, { filename: "a - b.mp3" }, { "x-api-key": `made-up-${i}` })).statusCode);
    expect(codes.filter((c) => c === 429).length).toBe(3);
    const keyed = await server({
      API_KEYS: "k1",
      HTTP_RATE_LIMIT_PER_MINUTE: "5",
      METADATA_USE_DISCOGS: "false",
    });
    const guesses = [];
    for (let i = 0; i < 8; i++)
      guesses.push((await post(keyed, { filename: "a - b.mp3" }, { "x-api-key": `guess-${i}` })).statusCode);
    expect(guesses.slice(0, 5).every((c) => c === 401)).toBe(true);
    expect(guesses.slice(5).every((c) => c === 429)).toBe(true);
  });
});

describe("logs", () => {
  it("probes log at debug: /health and /ready leave no info lines, the API does", async () => {
    const lines: string[] = [];
    const stream = { write: (s: string) => lines.push(s) };
    const container = createContainer(loadConfig({ METADATA_USE_DISCOGS: "false" }));
    const app = await buildServer(container, { logger: { level: "info", stream } });
    await app.inject({ method: "GET", url: "/health" });
    await app.inject({ method: "GET", url: "/ready" });
    expect(lines).toEqual([]);
    await app.inject({ method: "POST", url: ROUTE, payload: { filename: "a - b.mp3" } });
    expect(lines.length).toBeGreaterThan(0);
    await app.close();
    await container.dispose();
  });
});
