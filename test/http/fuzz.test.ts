import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createContainer } from "../../src/container.js";
import { buildServer } from "../../src/http/server.js";
import { seededRandom } from "../fakes/discogs-simulator/index.js";

const ROUTE = "/api/v1/audio/metadata/ai";
let app: FastifyInstance;
beforeAll(async () => {
  const container = createContainer(
    loadConfig({ METADATA_USE_DISCOGS: "false", HTTP_RATE_LIMIT_PER_MINUTE: "0" }),
  );
  app = await buildServer(container);
});
afterAll(() => app.close());

/** Hostile values: control characters, huge strings, path traversal, wrong types, odd Unicode. */
function hostile(rand: () => number): unknown {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const str = () => {
    const kind = Math.floor(rand() * 7);
    if (kind === 0)
      return Array.from({ length: 1 + Math.floor(rand() * 40) }, () =>
        String.fromCharCode(Math.floor(rand() * 32)),
      ).join("");
    if (kind === 1) return `${"../".repeat(20)}etc/passwd`;
    if (kind === 2) return "\ud800\udfff\ud800 lone surrogates \u202e\u200b";
    if (kind === 3) return "a".repeat(Math.floor(rand() * 3000));
    if (kind === 4) return "Artist - Title (feat. ((((( [[[[ {{{{";
    if (kind === 5) return "C:\\Windows\\system32\\..\\..\\x.mp3";
    return String.fromCodePoint(...Array.from({ length: 20 }, () => Math.floor(rand() * 0x2ffff)));
  };
  const value = (): unknown =>
    pick([str(), Math.floor(rand() * 1e9), -1, 1e308, null, true, [], {}, [str()], { a: str() }]);
  const shape = Math.floor(rand() * 6);
  if (shape === 0)
    return {
      filename: value(),
      id3_tags: { artist: value(), title: value(), year: value(), duration: value() },
      mode: value(),
    };
  if (shape === 1) return { filename: str(), id3_tags: value() };
  if (shape === 2) return value();
  if (shape === 3) return { filename: str(), mode: pick(["fast", "balanced", "accurate", str()]) };
  if (shape === 4)
    return { filename: str(), id3_tags: { artist: str(), title: str(), album: str(), track: str() } };
  let deep: unknown = { filename: "x" };
  for (let i = 0; i < 200; i++) deep = { nested: deep };
  return deep;
}

describe("fuzzing the endpoint (seeded, bounded)", () => {
  it("answers only 2xx or 4xx to 300 hostile bodies and stays up", async () => {
    const rand = seededRandom(20261124);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const body = hostile(rand);
      const res = await app.inject({
        method: "POST",
        url: ROUTE,
        payload: JSON.stringify(body) ?? "null",
        headers: { "content-type": "application/json" },
      });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      expect(res.statusCode, JSON.stringify(body).slice(0, 200)).toBeLessThan(500);
      expect(res.body).not.toMatch(/\n\s+at \S+ \(/);
    }
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect((await app.inject({ url: "/health" })).statusCode).toBe(200);
  });

  it("handles 10 MB strings, raw invalid UTF-8, numbers for strings and deep JSON", async () => {
    const huge = await app.inject({
      method: "POST",
      url: ROUTE,
      payload: `{"filename":"${"x".repeat(10 * 1024 * 1024)}"}`,
      headers: { "content-type": "application/json" },
    });
    expect(huge.statusCode).toBe(413);
    const invalid = Buffer.concat([
      Buffer.from('{"filename":"'),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
      Buffer.from(' - x.mp3"}'),
    ]);
    const bad = await app.inject({
      method: "POST",
      url: ROUTE,
      payload: invalid,
      headers: { "content-type": "application/json" },
    });
    expect([200, 400]).toContain(bad.statusCode);
    const num = await app.inject({
      method: "POST",
      url: ROUTE,
      payload: '{"filename":123,"id3_tags":{"artist":5}}',
      headers: { "content-type": "application/json" },
    });
    expect(num.statusCode).toBe(400);
    const deep = await app.inject({
      method: "POST",
      url: ROUTE,
      payload: `${"[".repeat(5000)}${"]".repeat(5000)}`,
      headers: { "content-type": "application/json" },
    });
    expect(deep.statusCode).toBe(400);
  });

  it("treats a path in filename as a name only", async () => {
    const res = await app.inject({
      method: "POST",
      url: ROUTE,
      payload: { filename: "../../../../etc/passwd" },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().title).toBe("Passwd");
  });
});

/** Inputs that once answered 500 (issue: hardening), kept as a corpus: none may answer 5xx again. */
describe("fuzz corpus: malformed multipart", async () => {
  const { readFileSync } = await import("node:fs");
  const corpus = JSON.parse(
    readFileSync(new URL("../fixtures/fuzz/multipart.json", import.meta.url), "utf8"),
  ) as { name: string; contentType: string; bodyBase64: string }[];
  it.each(corpus.map((c) => [c.name, c] as const))("%s: never 5xx", async (_name, c) => {
    const res = await app.inject({
      method: "POST",
      url: ROUTE,
      payload: Buffer.from(c.bodyBase64, "base64"),
      headers: { "content-type": c.contentType },
    });
    expect(res.statusCode).toBeLessThan(500);
    expect(res.body).not.toMatch(/\bat \w+ \(/);
  });

  it("random bytes as multipart bodies: never 5xx", async () => {
    const rand = seededRandom(7);
    for (let i = 0; i < 60; i++) {
      const body = Buffer.from(
        Array.from({ length: Math.floor(rand() * 400) }, () => Math.floor(rand() * 256)),
      );
      const res = await app.inject({
        method: "POST",
        url: ROUTE,
        payload: Buffer.concat([Buffer.from("--abc\r\n"), body]),
        headers: { "content-type": "multipart/form-data; boundary=abc" },
      });
      expect(res.statusCode).toBeLessThan(500);
    }
  });
});
