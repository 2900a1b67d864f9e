/**
 * Discogs client figures against the simulator:
 * 1. overhead per request with zero latency, against plain fetch of the same URLs;
 * 2. 200 requests at the real limit of 60 per window, the window shortened from 60 s to 2 s,
 *    with the 429 count and the ratio to the theoretical minimum.
 *
 *   npx tsx bench/client.ts
 */
import { createDiscogsClient } from "../src/adapters/discogs/client.js";
import { createWindowLimiter } from "../src/adapters/discogs/rate-limit.js";
import { startDiscogsSimulator } from "../test/fakes/discogs-simulator/index.js";

const sim = await startDiscogsSimulator({ rateLimit: { authenticated: 1e9 } });
const ids = [...sim.store.releases.keys()];
const N = 2000;
try {
  const headers = { "User-Agent": "bench/1", Authorization: "Discogs token=bench" };
  for (let i = 0; i < 200; i++)
    await (await fetch(`${sim.url}/releases/${ids[i % ids.length]}`, { headers })).json();
  let t0 = performance.now();
  for (let i = 0; i < N; i++)
    await (await fetch(`${sim.url}/releases/${ids[i % ids.length]}`, { headers })).json();
  const raw = (performance.now() - t0) / N;
  const client = createDiscogsClient({
    baseUrl: sim.url,
    token: "bench",
    userAgent: "bench/1",
    limiter: createWindowLimiter({ limit: 1e9 }),
  });
  for (let i = 0; i < 200; i++) await client.getRelease(ids[i % ids.length]!);
  t0 = performance.now();
  for (let i = 0; i < N; i++) await client.getRelease(ids[i % ids.length]!);
  const ours = (performance.now() - t0) / N;
  process.stdout.write(
    `client overhead: ${((ours - raw) * 1000).toFixed(0)} µs per request (client ${(ours * 1000).toFixed(0)} µs, plain fetch ${(raw * 1000).toFixed(0)} µs, ${N} sequential GET /releases/{id}, zero latency)\n`,
  );
} finally {
  await sim.close();
}

const windowMs = 2000;
const limited = await startDiscogsSimulator({ rateLimit: { authenticated: 60, windowMs } });
try {
  const client = createDiscogsClient({
    baseUrl: limited.url,
    token: "bench",
    userAgent: "bench/1",
    limiter: createWindowLimiter({ limit: 60, windowMs }),
  });
  const t0 = performance.now();
  await Promise.all(ids.slice(0, 200).map((id) => client.getRelease(id)));
  const s = (performance.now() - t0) / 1000;
  // A moving window admits 60 at once, then 60 more each window: 200 need 3 full windows.
  const minimum = (Math.ceil(200 / 60) - 1) * (windowMs / 1000);
  process.stdout.write(
    `pacing: 200 requests at 60 per ${windowMs / 1000} s window in ${s.toFixed(2)} s; theoretical minimum ${minimum.toFixed(2)} s; ratio ${(s / minimum).toFixed(3)}; 429s: ${limited.stats().rateLimited}\n`,
  );
} finally {
  await limited.close();
}
