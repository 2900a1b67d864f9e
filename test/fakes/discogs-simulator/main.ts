/**
 * `npm run discogs:sim`: serves the Discogs simulator on PORT (default 4000) until stopped.
 * Options by environment: SIM_FIXTURES (comma-separated JSON files), SIM_LATENCY_MS, SIM_JITTER_MS,
 * SIM_ERROR_RATE, SIM_RATE_LIMIT (per minute, authenticated).
 */
import { startDiscogsSimulator } from "./index.js";

const env = process.env;
const sim = await startDiscogsSimulator({
  port: Number(env.PORT ?? 4000),
  fixtures: (env.SIM_FIXTURES ?? "").split(",").filter(Boolean),
  faults: {
    latencyMs: Number(env.SIM_LATENCY_MS ?? 0),
    jitterMs: Number(env.SIM_JITTER_MS ?? 0),
    errorRate: Number(env.SIM_ERROR_RATE ?? 0),
  },
  rateLimit: { authenticated: Number(env.SIM_RATE_LIMIT ?? 60) },
});
process.stdout.write(
  `Discogs simulator on ${sim.url}: ${sim.store.releases.size} releases, ${sim.store.masters.size} masters.\n` +
    `Try: DISCOGS_API_URL=${sim.url} DISCOGS_USER_TOKEN=any node bin/discmeta.js enrich <file>\n`,
);
const stop = () => void sim.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
