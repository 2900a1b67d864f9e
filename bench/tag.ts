/**
 * `discmeta tag` on a library of real audio files (ffmpeg) named after releases of the dump sample,
 * across MP3, FLAC, Ogg Vorbis, Opus and M4A, against the Discogs simulator:
 *
 * 1. Files per second written (`tag --write`) with the matching cached (a dry run primes the cache).
 * 2. A rerun of 100 written files with an empty cache at the real budget (60 per 60 s): Discogs
 *    search requests (target 0), all requests, and the time it takes.
 *
 *   npm run bench -- tag                BENCH_TAG_FILES=500 by default
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../src/cli/program.js";
import type { FileOutcome } from "../src/cli/tag.js";
import { FORMATS, type FormatName, makeAudio } from "../test/audio.js";
import { startDiscogsSimulator } from "../test/fakes/discogs-simulator/index.js";
import type { Json } from "../test/fakes/discogs-simulator/store.js";
import { captureCli } from "../test/helpers.js";

const FILES = Number(process.env.BENCH_TAG_FILES ?? 500);
const RERUN = 100;
const WORK = mkdtempSync(join(tmpdir(), "discmeta-bench-tag-"));
const clean = (s: string) =>
  s
    .replace(/ \(\d+\)$/, "")
    .replace(/[/\\:*?"<>|]/g, " ")
    .trim();

/** A folder per release ("Artist - Title (Year)"), files "NN - Track.ext", formats in turn. */
function makeLibrary(releases: Map<number, Json>, root: string): { files: string[]; albums: string[][] } {
  const formats = Object.keys(FORMATS).filter((f) => f !== "mp3 (ID3v2.3)") as FormatName[];
  const templates = new Map(
    formats.map((f) => [f, makeAudio(WORK, `template-${f.replace(/\W+/g, "-")}`, f)]),
  );
  const files: string[] = [];
  const albums: string[][] = [];
  let k = 0;
  for (const r of releases.values()) {
    const artist = clean(String(((r.artists as Json[]) ?? [])[0]?.name ?? ""));
    const tracks = ((r.tracklist as Json[]) ?? []).filter(
      (t) => t.title && !t.sub_tracks && t.type_ !== "heading",
    );
    if (!artist || /^various$/i.test(artist) || tracks.length < 2 || !r.year) continue;
    const dir = join(root, `${artist} - ${clean(String(r.title))} (${r.year})`);
    mkdirSync(dir, { recursive: true });
    const album: string[] = [];
    for (const [i, t] of tracks.entries()) {
      if (files.length >= FILES) break;
      const format = formats[k++ % formats.length]!;
      const path = join(
        dir,
        `${String(i + 1).padStart(2, "0")} - ${clean(String(t.title))}${FORMATS[format].ext}`,
      );
      copyFileSync(templates.get(format)!, path);
      files.push(path);
      album.push(path);
    }
    albums.push(album);
    if (files.length >= FILES) break;
  }
  return { files, albums };
}

async function tag(args: string[], env: Record<string, string>) {
  const c = captureCli(env);
  const t0 = performance.now();
  const code = await runCli(["tag", "--json", "--mode", "fast", ...args], c.io);
  const seconds = (performance.now() - t0) / 1000;
  const lines = c.lines<FileOutcome>();
  const count = (s: string) => lines.filter((l) => l.status === s).length;
  return { code, seconds, lines, count, err: c.err() };
}

async function main() {
  execFileSync("ffmpeg", ["-version"], { stdio: "ignore" });
  const sim = await startDiscogsSimulator({ rateLimit: { authenticated: 100_000 } });
  const lib = join(WORK, "library");
  const { files, albums } = makeLibrary(sim.store.releases, lib);
  const byFormat = Object.entries(
    files.reduce<Record<string, number>>((m, f) => {
      const ext = f.slice(f.lastIndexOf("."));
      m[ext] = (m[ext] ?? 0) + 1;
      return m;
    }, {}),
  );
  console.log(
    `library: ${files.length} files in ${albums.length} album folders (${byFormat.map(([e, n]) => `${n} ${e}`).join(", ")})`,
  );
  const cache = join(WORK, "cache");
  const env = {
    DISCMETA_CACHE_DIR: cache,
    DISCOGS_USER_TOKEN: "bench-token",
    DISCOGS_API_URL: sim.url,
  };

  // 1. Prime the matching cache (limit off), then time the write with the matching cached.
  const dry = await tag([lib], env);
  console.log(
    `dry run (priming): ${dry.count("would-change")} would change, ${dry.count("review")} for review, ` +
      `${dry.count("failed")} failed, ${sim.stats().requests} requests, ${dry.seconds.toFixed(1)} s`,
  );
  sim.resetStats();
  const write = await tag(["--write", lib], env);
  console.log(
    `write (matching cached): ${write.count("written")} written, ${write.count("review")} for review, ` +
      `${write.count("failed")} failed in ${write.seconds.toFixed(2)} s = ` +
      `${(files.length / write.seconds).toFixed(0)} files/s (${(write.count("written") / write.seconds).toFixed(0)} written/s); ` +
      `${sim.stats().requests} Discogs requests`,
  );
  const memory = process.memoryUsage().rss / 2 ** 20;

  // 2. A rerun of 100 written files, as albums, with an empty cache, at 60 requests per 60 s.
  await sim.close();
  const limited = await startDiscogsSimulator({ rateLimit: { authenticated: 60, windowMs: 60_000 } });
  const rerunDir = join(WORK, "rerun");
  const written = new Set(write.lines.filter((l) => l.status === "written").map((l) => l.file));
  let picked = 0;
  for (const album of albums) {
    const done = album.filter((f) => written.has(f));
    if (done.length === 0 || picked >= RERUN) continue;
    const dir = join(rerunDir, done[0]!.split("/").at(-2)!);
    mkdirSync(dir, { recursive: true });
    for (const f of done.slice(0, RERUN - picked)) copyFileSync(f, join(dir, f.split("/").at(-1)!));
    picked += Math.min(done.length, RERUN - picked);
  }
  const rerun = await tag([rerunDir], {
    ...env,
    DISCOGS_API_URL: limited.url,
    DISCMETA_CACHE_DIR: join(WORK, "cache-empty"),
  });
  const stats = limited.stats();
  const searches = Object.entries(stats.byEndpoint)
    .filter(([k]) => k.startsWith("search "))
    .reduce((n, [, v]) => n + v, 0);
  console.log(
    `rerun of ${picked} written files, empty cache, 60/min: ${rerun.count("unchanged")} unchanged, ` +
      `${rerun.count("would-change")} would change, ${searches} searches, ${stats.requests} requests ` +
      `(${stats.rateLimited} 429s) in ${rerun.seconds.toFixed(1)} s`,
  );
  console.log(`peak RSS ${memory.toFixed(0)} MiB`);
  await limited.close();
  rmSync(WORK, { recursive: true, force: true });
}

await main();
