/**
 * Interactive latency with the shared Discogs budget, Redis up and then killed (#24 item 1): p50 and
 * p99 of sequential requests against the Discogs simulator, with the cache off so every request sends
 * Discogs requests through the budget.
 *
 *   npx tsx bench/redis-outage.ts
 */
import { loadConfig } from "../src/config.js";
import { createContainer } from "../src/container.js";
import { startDiscogsSimulator } from "../test/fakes/discogs-simulator/index.js";
import { startOwnRedis } from "../test/redis-server.js";

const sim = await startDiscogsSimulator({ rateLimit: { authenticated: 100_000 } });
const redis = await startOwnRedis();
const names = [...sim.store.releases.values()]
  .map((r) => {
    const a = (r.artists as { name: string }[] | undefined)?.[0]?.name;
    const t = (r.tracklist as { title: string }[] | undefined)?.[0]?.title;
    return a && t ? `${a} - ${t}.mp3` : null;
  })
  .filter((n): n is string => n !== null);
const container = createContainer(
  loadConfig({
    REDIS_URL: redis.url,
    DISCOGS_SHARED_BUDGET: "true",
    DISCOGS_USER_TOKEN: "outage-bench",
    DISCOGS_API_URL: sim.url,
    DISCOGS_RATE_LIMIT: "10000",
    METADATA_CACHE_ENABLED: "false",
    METADATA_MODE: "fast",
    LOG_LEVEL: "silent",
  }),
);
const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;
async function run(label: string, from: number, n: number) {
  const ms: number[] = [];
  let degraded = 0;
  for (const name of names.slice(from, from + n)) {
    const t = performance.now();
    const r = await container.resolve({ filename: name });
    ms.push(performance.now() - t);
    if (r.degraded) degraded++;
  }
  console.log(
    `${label}: ${n} requests, p50 ${pct(ms, 0.5).toFixed(0)} ms, p99 ${pct(ms, 0.99).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms, degraded ${degraded}`,
  );
}
try {
  await run("Redis up", 0, 100);
  await redis.stop();
  await run("Redis killed", 100, 100);
  console.log(`/ready budget: ${(await container.ready()).checks.budget}`);
} finally {
  await container.dispose();
  await sim.close();
}
