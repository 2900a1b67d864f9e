/**
 * A burst at the real budget (#24 item 2): 150 requests at once on a fresh 60-per-minute Discogs budget
 * (the simulator's real moving window), through the container as the HTTP API runs it (deadline 8 s,
 * no cache). Counts Discogs answers in the burst, then retries every refused request at the time it
 * was told, and counts how many succeed then.
 *
 *   npx tsx bench/burst.ts            about 10 minutes (the retries wait for their times)
 */
import { loadConfig } from "../src/config.js";
import { createContainer } from "../src/container.js";
import type { TrackMetadata } from "../src/core/schema.js";
import { startDiscogsSimulator } from "../test/fakes/discogs-simulator/index.js";
import type { Json } from "../test/fakes/discogs-simulator/store.js";

const BURST = Number(process.env.BENCH_BURST ?? 150);
const sim = await startDiscogsSimulator({ rateLimit: { authenticated: 60, windowMs: 60_000 } });
const names: string[] = [];
for (const r of sim.store.releases.values()) {
  const artist = ((r.artists as Json[]) ?? [])[0]?.name as string | undefined;
  const title = ((r.tracklist as Json[]) ?? []).find((t) => t.title && !t.sub_tracks)?.title as
    | string
    | undefined;
  if (artist && title && !/various/i.test(artist) && !/[/\\:*?"<>|]/.test(artist + title))
    names.push(`${artist.replace(/ \(\d+\)$/, "")} - ${title}.mp3`);
  if (names.length >= BURST) break;
}
const container = createContainer(
  loadConfig({
    DISCOGS_API_URL: sim.url,
    DISCOGS_USER_TOKEN: "burst-bench",
    METADATA_MODE: "fast",
    METADATA_CACHE_ENABLED: "false",
    METADATA_TIMEOUT_MS: "8000",
    LOG_LEVEL: "silent",
  }),
);
const t0 = Date.now();
try {
  const first = await Promise.all(names.map((filename) => container.resolve({ filename })));
  const matched = first.filter((a) => a.source === "discogs").length;
  const settled = first.filter((a) => a.degraded === null).length;
  const refused = first.flatMap((a, i) => (a.degraded?.reason === "budget" ? [i] : []));
  const told = (Date.now() - t0) / 1000;
  const slowest = refused.length
    ? Math.max(...refused.map((i) => first[i]!.degraded!.retryAfterSeconds ?? 0))
    : 0;
  console.log(
    `burst of ${BURST} at once, 60/min: ${matched} answered by Discogs, ${settled} settled, ${refused.length} refused with a retry time (latest ${slowest} s), all told within ${told.toFixed(1)} s`,
  );
  const retried: TrackMetadata[] = await Promise.all(
    refused.map(async (i) => {
      await new Promise((r) => setTimeout(r, (first[i]!.degraded!.retryAfterSeconds ?? 0) * 1000));
      return container.resolve({ filename: names[i]! });
    }),
  );
  const ok = retried.filter((a) => a.degraded === null).length;
  const byDiscogs = retried.filter((a) => a.source === "discogs").length;
  console.log(
    `retried at their times: ${ok} of ${refused.length} settled (${byDiscogs} answered by Discogs); 429s ${sim.stats().rateLimited}; ${((Date.now() - t0) / 60000).toFixed(1)} min in all`,
  );
} finally {
  await container.dispose();
  await sim.close();
}
