/**
 * The offline index at scale: the bundled sample repeated (with fresh ids, and a word of each copy's own
 * in its names and titles) to a dump of at least a million releases, built with `buildIndex`. Names
 * then follow a long tail (each copy's own word) plus common ones (the plain words every copy shares:
 * one per copy, "Various" by thousands). Prints build speed against the parse floor measured in the
 * same run, peak RSS (both threads, the kernel's figure), size, search p50/p99 for rare names, common
 * names and the 20 most common artists, a subset build, and a projection for the full monthly dump
 * (19.4 M releases).
 *
 *   npm run bench -- index              1,000,000 releases (about 12 minutes on 2 cores)
 *   BENCH_INDEX_RELEASES=100000 npm run bench -- index   a quicker run
 *   BENCH_INDEX_SUBSET=0                skips the subset build
 *   --search-only                       searches an index built before
 */
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { createGunzip, createGzip } from "node:zlib";
import Database from "better-sqlite3";
import { importDump } from "../src/adapters/discogs/dump/index.js";
import { type BuildSummary, buildIndex } from "../src/adapters/discogs/index/build.js";
import { createCodec, trainDictionary } from "../src/adapters/discogs/index/codec.js";
import { tokens } from "../src/adapters/discogs/index/fields.js";
import { type PreparedRelease, prepareRelease } from "../src/adapters/discogs/index/prepare.js";
import { openIndexSource } from "../src/adapters/discogs/index/source.js";

const ROOT = resolve(import.meta.dirname, "..");
const SAMPLE = resolve(ROOT, "data/discogs-dump-sample/releases.xml.gz");
const OUT = resolve(ROOT, "bench/out");
const TARGET = Number(process.env.BENCH_INDEX_RELEASES ?? 1_000_000);
/** Ids of copy k are the sample's plus k * OFFSET, so every copy is a distinct release and master. */
const OFFSET = 100_000_000;

async function readText(path: string): Promise<string> {
  const chunks: Buffer[] = [];
  await pipeline(createReadStream(path), createGunzip(), async (source) => {
    for await (const c of source) chunks.push(c as Buffer);
  });
  return Buffer.concat(chunks).toString("utf8");
}

/** Writes the sample repeated (copies `from` to `copies - 1`), each copy with ids shifted, as one gzipped dump. */
async function makeDump(path: string, copies: number, from = 0): Promise<void> {
  const text = await readText(SAMPLE);
  const body = text.slice(text.indexOf("<release "), text.lastIndexOf("</releases>"));
  const gzip = createGzip({ level: 1 });
  const file = createWriteStream(path);
  const done = pipeline(gzip, file);
  gzip.write("<releases>\n");
  for (let k = from; k < copies; k++) {
    // Copies past the first get a word of their own in artist names and titles, as distinct records
    // have distinct names (a pure repeat would make every search match every copy).
    const tag = k === 0 ? "" : ` Q${k.toString(36)}`;
    const shifted = body
      .replace(/<release id="(\d+)"/g, (_m, id: string) => `<release id="${Number(id) + k * OFFSET}"`)
      .replace(/<name>([^<]*)<\/name>/g, (_m, n: string) => `<name>${n}${tag}</name>`)
      .replace(/<title>([^<]*)<\/title>/g, (_m, t: string) => `<title>${t}${tag}</title>`)
      .replace(
        /(<master_id[^>]*>)(\d+)</g,
        (_m, tag: string, id: string) => `${tag}${Number(id) + k * OFFSET}<`,
      );
    if (!gzip.write(shifted)) await new Promise((r) => gzip.once("drain", r));
  }
  gzip.end("</releases>\n");
  await done;
}

/**
 * What a record of this dump takes when the dictionary has not seen it. The dump repeats the sample,
 * and the build's dictionary (the last 256 KB of its first 300 records) holds a third of the sample's
 * records, so a third of every copy compresses against itself: the index comes out smaller than a real
 * dump's would. Two-fold over one copy (with its own words): each half is compressed with a dictionary
 * trained, as the build trains it, on the other half's first 300 records. The table's corrected
 * bytes/release puts this mean in place of what the records actually take.
 */
async function heldOutRecordBytes(): Promise<number> {
  const path = resolve(OUT, "held-out-copy.xml.gz");
  await makeDump(path, 2, 1);
  const rows: PreparedRelease[] = [];
  for await (const rec of importDump(path)) {
    const row = rec.kind === "releases" ? prepareRelease(rec.data, rec.isMainRelease) : null;
    if (row) rows.push(row);
  }
  await rm(path, { force: true });
  const half = Math.floor(rows.length / 2);
  const folds = [rows.slice(0, half), rows.slice(half)];
  let bytes = 0;
  folds.forEach((fold, i) => {
    const other = folds[1 - i]!;
    const codec = createCodec(trainDictionary(other.slice(0, 300).map((r) => JSON.parse(r.packed))));
    for (const r of fold) {
      const stored = codec.encodeRecord(r.packed, r.headEnd);
      bytes += stored.body.length + (stored.tail?.length ?? 0);
    }
  });
  return bytes / rows.length;
}

/** What the index's records take, in all. */
function storedRecordBytes(indexPath: string): number {
  const db = new Database(indexPath, { readonly: true });
  try {
    const row = db
      .prepare("SELECT sum(length(body)) + coalesce(sum(length(tail)), 0) AS n FROM bodies")
      .get() as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

/** Realistic searches: artist + track and q of sample tracks, spread over the copies. */
async function searchLatency(indexPath: string, copies: number, shared: boolean) {
  const text = await readText(SAMPLE);
  const pairs = [
    ...text.matchAll(
      /<artists><artist><id>\d+<\/id><name>([^<]+)<\/name>[\s\S]*?<tracklist><track><position>[^<]*<\/position><title>([^<]+)<\/title>/g,
    ),
  ]
    .map((m) => ({ artist: m[1]!.replace(/ \(\d+\)$/, ""), track: m[2]! }))
    .filter((p) => tokens(p.artist).length > 0 && tokens(p.track).length > 0);
  const index = openIndexSource(indexPath);
  const times: number[] = [];
  let hits = 0;
  try {
    for (let i = 0; i < 2000; i++) {
      const p = pairs[i % pairs.length]!;
      // One record's names carry its copy's word; the first copy's plain names are in every copy.
      const k = shared ? 0 : 1 + Math.floor(Math.random() * (copies - 1));
      const tag = k === 0 ? "" : ` Q${k.toString(36)}`;
      const artist = `${p.artist}${tag}`;
      const track = `${p.track}${tag}`;
      const params =
        i % 2 === 0 ? { artist, track, per_page: 50 } : { q: `${artist} ${track}`, per_page: 50 };
      const t0 = performance.now();
      const found = await index.search(params);
      times.push(performance.now() - t0);
      if (found.length > 0) hits++;
    }
  } finally {
    index.dispose();
  }
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), hitRate: hits / times.length };
}

/**
 * The 20 most common artist names of the dump: the sample's most frequent release artists, plain, so
 * each is shared by every copy ("Various" by thousands of releases). Searched by artist alone.
 */
async function topNames(indexPath: string, copies: number) {
  const text = await readText(SAMPLE);
  const counts = new Map<string, number>();
  for (const m of text.matchAll(
    /<release [^>]*>[\s\S]*?<artists><artist><id>\d+<\/id><name>([^<]+)<\/name>/g,
  )) {
    const name = m[1]!.replace(/ \(\d+\)$/, "");
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 20);
  const index = openIndexSource(indexPath);
  const times: number[] = [];
  try {
    for (let round = 0; round < 20; round++)
      for (const [name] of top) {
        const t0 = performance.now();
        await index.search({ artist: name, per_page: 50 });
        times.push(performance.now() - t0);
      }
  } finally {
    index.dispose();
  }
  return {
    p50: quantile(times, 0.5),
    p99: quantile(times, 0.99),
    names: top.map(([n, c]) => `${n} (${(c * copies).toLocaleString("en")})`),
  };
}

/**
 * The machine's own speed, to tell a slower hour from a slower build: the floor's first releases, timed
 * while the floor runs (before the build) and again at once after it, in the same process. This
 * machine's speed swings by a quarter within an hour; the two rates say whether it moved mid-build.
 */
const PROBE_RELEASES = 200_000;

/**
 * The floor no build can beat: gunzip, XML parsing and the record conversion alone, of the first
 * `limit` releases (all by default); `probeSecs` is the time its first PROBE_RELEASES took (all of it
 * for a smaller dump).
 */
async function parseFloor(dump: string, limit = Number.POSITIVE_INFINITY) {
  const t0 = performance.now();
  let parsed = 0;
  let probeSecs = 0;
  for await (const _ of importDump(dump)) {
    if (++parsed === PROBE_RELEASES) probeSecs = (performance.now() - t0) / 1000;
    if (parsed >= limit) break;
  }
  const secs = (performance.now() - t0) / 1000;
  return { parsed, secs, probeSecs: probeSecs || secs };
}

export async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const copies = Math.ceil(TARGET / 810);
  const dump = resolve(OUT, `releases-distinct-${copies * 810}.xml.gz`);
  if (!existsSync(dump)) {
    const t0 = performance.now();
    await makeDump(dump, copies);
    process.stdout.write(
      `made ${dump} (${(statSync(dump).size / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`,
    );
  }
  const out = resolve(OUT, `index-distinct-${copies * 810}.sqlite`);
  if (process.argv.includes("--search-only") && existsSync(out)) {
    const { lat, worst, top } = await searches(out, copies);
    for (const [what, l] of [
      ["one record's names", lat],
      ["names shared by every copy", worst],
    ] as const)
      process.stdout.write(
        `search (${what}) on ${out}: p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, found ${(l.hitRate * 100).toFixed(0)}%\n`,
      );
    process.stdout.write(
      `search (the 20 most common artists, artist alone): p50 ${top.p50.toFixed(2)} ms, p99 ${top.p99.toFixed(2)} ms; ${top.names.join(", ")}\n`,
    );
    return;
  }
  const floor = await parseFloor(dump);
  const { parsed, secs: floorSecs } = floor;
  await rm(out, { force: true });
  await rm(`${out}.partial`, { force: true });
  // The build runs in a process of its own, as `discmeta index build` does: after the floor in the
  // same process, the same build of 2 M releases ran at 5,205-5,504 a second (362 µs of CPU a release)
  // against 6,761 in a fresh one (279 µs), its rate falling as it went.
  const { summary, secs, importSecs, cpuSecs, maxRss, peak } = await inChild<ChildBuild>([
    "--child-build",
    dump,
    out,
  ]);
  const probe = Math.min(PROBE_RELEASES, parsed);
  const probeAfter = (await parseFloor(dump, probe)).secs;
  const perRelease = summary.bytes / summary.releases;
  const heldOut = await heldOutRecordBytes();
  const stored = storedRecordBytes(out);
  const corrected = (summary.bytes - stored + heldOut * summary.releases) / summary.releases;
  // Searched in a fresh process too, as a service opens the index.
  const { lat, worst, top } = await inChild<ChildSearch>(["--child-search", out, String(copies)]);
  const FULL = 19_400_000;
  // A subset for a small disk, from the same dump: one genre (BENCH_INDEX_SUBSET=0 skips it).
  const subsetOut = resolve(OUT, `index-subset-${copies * 810}.sqlite`);
  const s0 = performance.now();
  const sub =
    process.env.BENCH_INDEX_SUBSET === "0"
      ? null
      : await buildIndex({
          releases: dump,
          out: subsetOut,
          rebuild: true,
          subset: { genres: ["Electronic"] },
        });
  const subSecs = (performance.now() - s0) / 1000;
  await rm(subsetOut, { force: true });
  process.stdout.write(
    [
      "### Offline index build and search",
      "",
      "| releases | build time | releases/s | × parse floor | peak RSS | index size | bytes/release (corrected) | search p50 / p99, rare | common (names shared by every copy) | the 20 most common artists |",
      "|---|---|---|---|---|---|---|---|---|---|",
      `| ${summary.releases.toLocaleString("en")} | ${secs.toFixed(0)} s | ${Math.round(summary.releases / secs).toLocaleString("en")} | ${(secs / floorSecs).toFixed(2)} | ${(maxRss / 2 ** 20).toFixed(0)} MiB | ${(summary.bytes / 2 ** 30).toFixed(2)} GiB | ${perRelease.toFixed(0)} (${corrected.toFixed(0)}) | ${lat.p50.toFixed(2)} / ${lat.p99.toFixed(2)} ms | ${worst.p50.toFixed(2)} / ${worst.p99.toFixed(2)} ms | ${top.p50.toFixed(2)} / ${top.p99.toFixed(2)} ms |`,
      "",
      `Projection for the full monthly dump (${FULL.toLocaleString("en")} releases, linear): ` +
        `${(FULL / (summary.releases / secs) / 3600).toFixed(1)} h to build, ` +
        `${((corrected * FULL) / 2 ** 30).toFixed(1)} GiB on disk (corrected bytes). Searches that found something: ${(lat.hitRate * 100).toFixed(0)}%.`,
      "",
      `Records as stored: ${(stored / summary.releases).toFixed(1)} bytes each; ${heldOut.toFixed(1)} when the dictionary has not seen them ` +
        `(two-fold over one copy); corrected bytes/release ${corrected.toFixed(1)} against ${perRelease.toFixed(1)} as built.`,
      `The 20 most common artists (records): ${top.names.join(", ")}.`,
      `Peak RSS of the build's process: ${(maxRss / 2 ** 20).toFixed(0)} MiB by getrusage, ${(peak / 2 ** 20).toFixed(0)} MiB by a 200 ms sampler (what sessions before the thirteenth reported).`,
      `Parse floor (gunzip, XML, record conversion; no SQLite): ${parsed.toLocaleString("en")} releases in ${floorSecs.toFixed(1)} s = ` +
        `${Math.round(parsed / floorSecs).toLocaleString("en")}/s; the build takes ${(secs / floorSecs).toFixed(1)}× the floor.`,
      `The machine's speed before and after the build (the floor's first ${probe.toLocaleString("en")} releases): ` +
        `${Math.round(probe / floor.probeSecs).toLocaleString("en")}/s before, ${Math.round(probe / probeAfter).toLocaleString("en")}/s after ` +
        `(${(100 * (floor.probeSecs / probeAfter - 1)).toFixed(0)}%).`,
      `Import ${importSecs.toFixed(0)} s (${Math.round(summary.recordsRead / importSecs).toLocaleString("en")} records/s), finishing steps ${(secs - importSecs).toFixed(1)} s.`,
      `Build CPU (all threads, user + system): ${cpuSecs.toFixed(0)} s, ${((cpuSecs * 1e6) / summary.releases).toFixed(0)} µs a release, ` +
        `${(cpuSecs / secs).toFixed(2)} cores busy on average.`,
      sub
        ? `Subset --genres Electronic: ${sub.releases.toLocaleString("en")} of ${sub.recordsRead.toLocaleString("en")} releases kept, ` +
          `${(sub.bytes / 2 ** 20).toFixed(0)} MiB (${Math.round(sub.bytes / Math.max(1, sub.releases))} bytes/release) in ${subSecs.toFixed(0)} s.`
        : "Subset not built (BENCH_INDEX_SUBSET=0).",
      "",
    ].join("\n"),
  );
}

/** What a build in a child process reports (its own CPU and peak RSS: the build's alone). */
interface ChildBuild {
  summary: BuildSummary;
  secs: number;
  /** Reading and inserting the records; the rest of `secs` is the finishing steps (sorts, FTS5 optimize, VACUUM). */
  importSecs: number;
  cpuSecs: number;
  maxRss: number;
  peak: number;
}

/** What the searches in a child process report. */
interface ChildSearch {
  lat: Awaited<ReturnType<typeof searchLatency>>;
  worst: Awaited<ReturnType<typeof searchLatency>>;
  top: Awaited<ReturnType<typeof topNames>>;
}

/** Runs this script again with `args` (same node flags: tsx's loader); gives its last line of output, parsed. */
async function inChild<T>(args: string[]): Promise<T> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let text = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    text += d;
  });
  const code = await new Promise<number | null>((done) => child.on("close", done));
  if (code !== 0) throw new Error(`bench child ${args[0]} exited with ${code}`);
  return JSON.parse(text.trim().split("\n").at(-1)!) as T;
}

/** The build, in this process: progress on stderr, the figures as JSON on stdout. */
async function childBuild(dump: string, out: string): Promise<void> {
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 200);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let lastLine = 0;
  let lastRecords = 0;
  let finalizeAt = 0;
  const summary = await buildIndex({
    releases: dump,
    out,
    rebuild: true,
    onProgress: (p) => {
      const now = performance.now();
      if (p.phase === "finalize" && finalizeAt === 0) finalizeAt = now;
      if (now - lastLine > 30_000) {
        // The rate since the last line beside the running average: runs of different sizes go through
        // the same first records, so their rates at the same place compare the hours, not the code.
        const since =
          lastLine === 0 ? p.recordsPerSec : ((p.records - lastRecords) * 1000) / (now - lastLine);
        lastLine = now;
        lastRecords = p.records;
        process.stderr.write(
          `  ${p.phase} ${p.records} records, ${Math.round(p.recordsPerSec)}/s (${Math.round(since)}/s since the last line), RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`,
        );
      }
    },
  });
  const secs = (performance.now() - t0) / 1000;
  // CPU of all the build's threads (user + system): the machine's speed swings show here too, but a
  // slower hour with the same CPU a release says the cores were shared, not that the build did more.
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  // The kernel's peak (getrusage) catches what a 200 ms sampler misses (VACUUM, a merge's burst).
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const importSecs = ((finalizeAt || performance.now()) - t0) / 1000;
  const report: ChildBuild = {
    summary,
    secs,
    importSecs,
    cpuSecs: (cpu.user + cpu.system) / 1e6,
    maxRss,
    peak,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** The three search passes: rare names, common names (shared by every copy), the 20 most common. */
async function searches(out: string, copies: number): Promise<ChildSearch> {
  const lat = await searchLatency(out, copies, false);
  const worst = await searchLatency(out, copies, true);
  const top = await topNames(out, copies);
  return { lat, worst, top };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [mode, a, b] = process.argv.slice(2);
  if (mode === "--child-build") await childBuild(a!, b!);
  else if (mode === "--child-search")
    process.stdout.write(`${JSON.stringify(await searches(a!, Number(b)))}\n`);
  else await main();
}
