/**
 * Bulk work under Discogs' real budget (60 requests per moving 60 s window), against the simulator:
 *
 * 1. A 300-track batch through the CLI (`enrich --singles`, the costlier mode): Discogs matches against
 *    the same batch with no limit, 429s, throughput as a share of the budget's ceiling, and a rerun's
 *    requests (the persistent cache).
 * 2. Three processes on one Redis, driven at once: two service replicas (`src/main.ts`) taking HTTP
 *    requests and one worker (`discmeta worker`) answering a job: 429s and combined throughput.
 *
 *   npm run bench -- budget            about 15 minutes (the budget is the point)
 *   BENCH_BUDGET_TRACKS=60 ...          a shorter first part
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runCli } from "../src/cli/program.js";
import { startDiscogsSimulator } from "../test/fakes/discogs-simulator/index.js";
import type { Json } from "../test/fakes/discogs-simulator/store.js";
import { startOwnRedis } from "../test/redis-server.js";

const ROOT = resolve(import.meta.dirname, "..");
const DUMP = resolve(ROOT, "data/discogs-dump-sample");
const TRACKS = Number(process.env.BENCH_BUDGET_TRACKS ?? 300);
const WINDOW_S = 60;
const LIMIT = 60;

function trackNames(releases: Map<number, Json>, n: number): string[] {
  const out: string[] = [];
  for (const r of releases.values()) {
    const artist = ((r.artists as Json[]) ?? [])[0]?.name as string | undefined;
    if (!artist || /various/i.test(artist)) continue;
    for (const t of (r.tracklist as Json[]) ?? []) {
      const title = t.title as string | undefined;
      if (!title || t.sub_tracks || /[/\\:*?"<>|]/.test(title + artist)) continue;
      out.push(`${artist.replace(/ \(\d+\)$/, "")} - ${title}`);
      break;
    }
    if (out.length >= n) break;
  }
  return out;
}

async function cli(args: string[], env: Record<string, string>) {
  const out: string[] = [];
  const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => true }, env };
  const code = await runCli(args, io);
  return {
    code,
    lines: out
      .join("")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { source: string }),
  };
}

async function partOne(dir: string): Promise<string> {
  const sim = await startDiscogsSimulator({
    dumpDir: DUMP,
    rateLimit: { authenticated: LIMIT, windowMs: WINDOW_S * 1000 },
  });
  const free = await startDiscogsSimulator({ dumpDir: DUMP, rateLimit: { authenticated: 1e9 } });
  const names = trackNames(sim.store.releases, TRACKS);
  const folder = join(dir, "batch");
  mkdirSync(folder, { recursive: true });
  for (const n of names)
    copyFileSync(join(ROOT, "test/fixtures/audio/Mateo & Matos - Groove 4 U.mp3"), join(folder, `${n}.mp3`));
  const base = { DISCOGS_USER_TOKEN: "bench-budget", METADATA_MODE: "fast" };
  const ref = await cli(["enrich", "--singles", "-q", folder], {
    ...base,
    DISCOGS_API_URL: free.url,
    DISCOGS_RATE_LIMIT: "10000",
    DISCMETA_CACHE_DIR: join(dir, "ref"),
  });
  const refMatches = ref.lines.filter((l) => l.source === "discogs").length;
  const t0 = Date.now();
  const run = await cli(["enrich", "--singles", "-q", folder], {
    ...base,
    DISCOGS_API_URL: sim.url,
    DISCMETA_CACHE_DIR: join(dir, "cache"),
  });
  const secs = (Date.now() - t0) / 1000;
  const stats = sim.stats();
  const matches = run.lines.filter((l) => l.source === "discogs").length;
  // The ceiling from a cold start: a moving window lets LIMIT through per window begun.
  const ceiling = LIMIT * Math.ceil(secs / WINDOW_S);
  const steady = steadyShare(stats.okTimes, secs);
  sim.resetStats();
  await cli(["enrich", "--singles", "-q", folder], {
    ...base,
    DISCOGS_API_URL: sim.url,
    DISCMETA_CACHE_DIR: join(dir, "cache"),
  });
  const rerun = sim.stats().requests;
  await sim.close();
  await free.close();
  return [
    "### A batch through the CLI at the real budget (60 per moving minute)",
    "",
    "| tracks | Discogs matches, no limit | Discogs matches, at 60/min | 429s | requests | time | share of the ceiling (all windows begun) | steady rate after the first window | rerun requests |",
    "|---|---|---|---|---|---|---|---|---|",
    `| ${names.length} | ${refMatches} | ${matches} | ${stats.rateLimited} | ${stats.requests} | ${(secs / 60).toFixed(1)} min | ${((stats.requests / ceiling) * 100).toFixed(1)}% | ${(steady * 100).toFixed(1)}% of 60/min | ${rerun} |`,
    "",
  ].join("\n");
}

/**
 * The steady rate as a share of the budget: the requests answered after the first window (whose burst
 * any client gets at once), per minute, against LIMIT per minute.
 */
function steadyShare(okTimes: readonly number[], secs: number): number {
  const t0 = okTimes[0] ?? 0;
  const after = okTimes.filter((t) => t - t0 >= WINDOW_S * 1000).length;
  const minutes = (secs - WINDOW_S) / 60;
  return minutes > 0 ? after / minutes / LIMIT : 0;
}

function start(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: "ignore",
  });
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

async function partTwo(dir: string): Promise<string> {
  const SECONDS = Number(process.env.BENCH_BUDGET_SECONDS ?? 180);
  const sim = await startDiscogsSimulator({
    dumpDir: DUMP,
    rateLimit: { authenticated: LIMIT, windowMs: WINDOW_S * 1000 },
  });
  const redis = await startOwnRedis();
  const names = trackNames(sim.store.releases, 800);
  const env = {
    REDIS_URL: redis.url,
    DISCOGS_API_URL: sim.url,
    DISCOGS_USER_TOKEN: "bench-shared",
    METADATA_MODE: "fast",
    METADATA_CACHE_ENABLED: "false",
    METADATA_TIMEOUT_MS: "0",
    HTTP_RATE_LIMIT_PER_MINUTE: "0",
    LOG_LEVEL: "silent",
    DISCMETA_CACHE_DIR: dir,
  };
  const ports = [4311, 4312];
  const kids = [
    ...ports.map((p) => start(["src/main.ts"], { ...env, PORT: String(p), HOST: "127.0.0.1" })),
    start(["src/cli/main.ts", "worker", "-q"], env),
  ];
  try {
    for (const p of ports) await waitHttp(`http://127.0.0.1:${p}/health`);
    // The worker gets a job of its own; each replica gets a steady stream of requests.
    const job = await fetch(`http://127.0.0.1:${ports[0]}/api/v1/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        items: names.slice(0, 300).map((n) => ({ filename: `${n}.mp3` })),
        mode: "fast",
      }),
    });
    if (job.status !== 202) throw new Error(`job refused: ${job.status}`);
    sim.resetStats();
    const t0 = Date.now();
    let answered = 0;
    let next = 300;
    const drive = async (port: number) => {
      while (Date.now() - t0 < SECONDS * 1000) {
        const n = names[next++ % names.length]!;
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/audio/metadata/ai`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ filename: `${n}.mp3`, mode: "fast" }),
        });
        if (res.ok) answered++;
      }
    };
    await Promise.all(ports.flatMap((p) => [drive(p), drive(p)]));
    const secs = (Date.now() - t0) / 1000;
    const stats = sim.stats();
    const ceiling = LIMIT * Math.ceil(secs / WINDOW_S);
    const steady = steadyShare(stats.okTimes, secs);
    const { id } = (await job.json()) as { id: string };
    const status = (await (await fetch(`http://127.0.0.1:${ports[0]}/api/v1/jobs/${id}`)).json()) as {
      done: number;
    };
    return [
      "### Three processes on one Redis and one token (two replicas, one worker)",
      "",
      "| time | requests to Discogs | 429s | share of the ceiling (all windows begun) | steady rate after the first window | HTTP answers | job items answered |",
      "|---|---|---|---|---|---|---|",
      `| ${(secs / 60).toFixed(1)} min | ${stats.requests} | ${stats.rateLimited} | ${((stats.requests / ceiling) * 100).toFixed(1)}% | ${(steady * 100).toFixed(1)}% of 60/min | ${answered} | ${status.done} |`,
      "",
    ].join("\n");
  } finally {
    for (const k of kids) k.kill("SIGTERM");
    await sim.close();
    await redis.stop();
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "discmeta-bench-budget-"));
  try {
    const parts = process.argv.includes("--shared-only") ? [] : [await partOne(dir)];
    if (!process.argv.includes("--cli-only")) parts.push(await partTwo(dir));
    process.stdout.write(`${parts.join("\n")}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
