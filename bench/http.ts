/**
 * HTTP figures with autocannon on loopback:
 * 1. warm-cache throughput and p99, in-process cache and Redis;
 * 2. cold-path latency per mode, simulator at 150 ms ± 50 ms and the fake LLM at 600 ms, with Discogs
 *    and LLM calls per track.
 *
 *   npx tsx bench/http.ts
 */
import { spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { resolve } from "node:path";
import autocannon from "autocannon";
import { loadConfig } from "../src/config.js";
import { createContainer } from "../src/container.js";
import { buildServer } from "../src/http/server.js";
import { startDiscogsSimulator } from "../test/fakes/discogs-simulator/index.js";
import { startFakeLlm } from "../test/fakes/llm/index.js";
import { testRedis } from "../test/redis-server.js";
import { buildEvalSet } from "./eval/dataset.js";

const ROOT = resolve(import.meta.dirname, "..");
const DUMP = resolve(process.env.DISCOGS_DUMP_DIR ?? resolve(ROOT, "data/discogs-dump-sample"));
const ROUTE = "/api/v1/audio/metadata/ai";
const sim = await startDiscogsSimulator({ dumpDir: DUMP, rateLimit: { authenticated: 1e9 } });
const llm = await startFakeLlm("gemini");
const redis = await testRedis();
const base = {
  DISCOGS_API_URL: sim.url,
  DISCOGS_USER_TOKEN: "bench",
  GEMINI_API_KEY: "bench",
  GEMINI_BASE_URL: llm.baseUrl,
  LOG_LEVEL: "silent",
  HTTP_RATE_LIMIT_PER_MINUTE: "0",
};

/**
 * The warm figures come from the real service (`src/main.ts`) in its own process, as deployed, so that
 * autocannon does not share its event loop.
 */
async function spawnService(env: Record<string, string>) {
  const port = await new Promise<number>((ok) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => ok(port));
    });
  });
  const child = spawn(process.execPath, ["--import", "tsx", resolve(ROOT, "src/main.ts")], {
    cwd: ROOT,
    env: { ...process.env, ...base, ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 200 || child.exitCode !== null) throw new Error("the service did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  const close = async () => {
    const exited = new Promise((ok) => child.once("exit", ok));
    child.kill("SIGTERM");
    await exited;
  };
  return { url, close };
}

async function serve(env: Record<string, string>) {
  const container = createContainer(loadConfig({ ...base, ...env }));
  const app = await buildServer(container);
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  const close = async () => {
    await app.close();
    await container.dispose();
  };
  return { url, close };
}

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;

try {
  const body = JSON.stringify({ filename: "The Persuader - Östermalm.mp3", mode: "fast" });
  for (const [name, env] of [
    ["in-process cache", {}],
    ["Redis cache", { REDIS_URL: redis.url }],
  ] as const) {
    const s = await spawnService(env);
    const opts = {
      url: `${s.url}${ROUTE}`,
      method: "POST" as const,
      headers: { "content-type": "application/json" },
      body,
    };
    await fetch(opts.url, { method: "POST", headers: opts.headers, body });
    await autocannon({ ...opts, connections: 4, duration: 2 }); // JIT warm-up, not reported
    for (const connections of [1, 4, 10]) {
      const r = await autocannon({ ...opts, connections, duration: 5 });
      // The floor, on the same service in the same run: GET /health.
      const h = await autocannon({ url: `${s.url}/health`, connections, duration: 5 });
      process.stdout.write(
        `warm, ${name}, ${connections} connection(s): ${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx}; ` +
          `/health ${Math.round(h.requests.average)} req/s, p99 ${h.latency.p99} ms; ratio ${(r.requests.average / h.requests.average).toFixed(2)}\n`,
      );
    }
    await s.close();
  }

  if (process.argv.includes("--warm-only")) process.exit(0);
  sim.setFaults({ latencyMs: 150, jitterMs: 50 });
  llm.setBehaviour("pick-top", 600);
  const cases = (await buildEvalSet(resolve(DUMP, "releases.xml.gz")))
    .filter((c) => c.family === "tagged")
    .filter((_c, i) => i % 20 === 0)
    .slice(0, 48);
  for (const mode of ["fast", "balanced", "accurate"] as const) {
    const s = await serve({ METADATA_CACHE_ENABLED: "false", METADATA_MODE: mode });
    const times: number[] = [];
    const discogs: number[] = [];
    const calls: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < cases.length) {
          const c = cases[next++]!;
          const t0 = performance.now();
          const res = await fetch(`${s.url}${ROUTE}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ filename: c.filename, id3_tags: c.tags, mode }),
          });
          const j = (await res.json()) as { diagnostics: { discogsRequests: number; llmCalls: number } };
          times.push(performance.now() - t0);
          discogs.push(j.diagnostics.discogsRequests);
          calls.push(j.diagnostics.llmCalls);
        }
      }),
    );
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    process.stdout.write(
      `cold, ${mode}: ${cases.length} tracks, p50 ${pct(times, 0.5).toFixed(0)} ms, p95 ${pct(times, 0.95).toFixed(0)} ms, ` +
        `Discogs requests/track ${avg(discogs).toFixed(2)} (max ${Math.max(...discogs)}), LLM calls/track ${avg(calls).toFixed(2)} (max ${Math.max(...calls)})\n`,
    );
    await s.close();
  }
} finally {
  await Promise.all([sim.close(), llm.close(), redis.stop()]);
}
