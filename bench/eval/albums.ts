/**
 * Album mode against single-track matching, on album folders built from the dump sample (fast mode, the
 * simulator with distractors, no limit): the same files, matched as a batch with albums on and off.
 *
 * Families (each folder holds one release's tracks unless said otherwise):
 * - tagged whole: every track, tagged artist / title / album;
 * - tagged partial: three tracks of a longer release, tagged the same way;
 * - messy: untagged "Artist - Album (Year)/NN - Title.mp3";
 * - youtube: a "Playlist N" folder of the release's YouTube titles (yt-dlp names), nothing else;
 * - youtube + strays: each playlist with the first two videos of the next one's release added (each
 *   judged on its own release): what a folder-level answer does to files that are not the album's;
 * - mixed (control): folders of 20 tracks from 20 different releases, "Artist - Title.mp3".
 *
 *   npm run eval:albums                 all families
 *   npm run eval:albums -- --limit 50   the first 50 folders of each family
 */
import { mkdir, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { importDump } from "../../src/adapters/discogs/dump/index.js";
import { extractTrack } from "../../src/core/extract.js";
import { readFolders } from "../../src/core/match/playlist.js";
import { baseTitle } from "../../src/core/release.js";
import type { TrackMetadata } from "../../src/core/schema.js";
import type { RawTags, TrackInput } from "../../src/core/types.js";
import { startDiscogsSimulator } from "../../test/fakes/discogs-simulator/index.js";
import { creditString, type DumpRelease, playable, type Track } from "./dataset.js";
import { evalContainer } from "./run.js";

const ROOT = resolve(import.meta.dirname, "../..");
const DUMP_DIR = resolve(ROOT, "data/discogs-dump-sample");
const FIXTURES = [
  resolve(ROOT, "test/fixtures/discogs/distractors.json"),
  resolve(ROOT, "test/fixtures/discogs/t-fire.json"),
];

type Family = "tagged whole" | "tagged partial" | "messy" | "youtube" | "youtube + strays" | "mixed";
interface Case {
  input: TrackInput;
  expected: { releaseId: number; masterId: number | null };
}
interface Folder {
  family: Family;
  cases: Case[];
  /** Held out: never looked at while tuning (a fifth of the releases, by id). */
  heldOut: boolean;
}

/** A fifth of the releases, by a stable hash of the id, is held out; the rest is the dev half. */
export const isHeldOut = (releaseId: number) => (Math.imul(releaseId, 2654435761) >>> 0) % 5 === 0;

const safe = (s: string) => s.replace(/[/\\]/g, "_");
const nn = (i: number) => String(i + 1).padStart(2, "0");

/** Builds the folders of every family from the dump, deterministically. */
export async function buildFolders(): Promise<Folder[]> {
  const folders: Folder[] = [];
  const mixedPool: Case[] = [];
  let n = 0;
  for await (const rec of importDump(resolve(DUMP_DIR, "releases.xml.gz"))) {
    if (rec.kind !== "releases") continue;
    const r = rec.data as unknown as DumpRelease;
    const expected = { releaseId: r.id, masterId: r.master_id ?? null };
    const heldOut = isHeldOut(r.id);
    const artist = creditString(r.artists ?? []);
    const tracks = playable(r.tracklist ?? []);
    if (!artist || /^various$/i.test(artist) || tracks.length < 3) continue;
    const tag = (t: Track): RawTags => ({
      artist: t.artists?.length ? creditString(t.artists) : artist,
      title: t.title!,
      album: r.title,
      ...(n % 2 === 0 && r.year ? { year: r.year } : {}),
    });
    folders.push({
      heldOut,
      family: "tagged whole",
      cases: tracks.map((t, i) => ({
        input: { filename: `${nn(i)} Track.mp3`, tags: tag(t), path: `Music ${n}/${nn(i)} Track.mp3` },
        expected,
      })),
    });
    if (tracks.length >= 6) {
      const pick = [tracks[1]!, tracks[Math.floor(tracks.length / 2)]!, tracks.at(-1)!];
      folders.push({
        heldOut,
        family: "tagged partial",
        cases: pick.map((t, i) => ({
          input: { filename: `${nn(i)} Track.mp3`, tags: tag(t), path: `Partial ${n}/${nn(i)} Track.mp3` },
          expected,
        })),
      });
    }
    const folder = safe(`${artist} - ${r.title}${r.year ? ` (${r.year})` : ""}`);
    folders.push({
      heldOut,
      family: "messy",
      cases: tracks.map((t, i) => {
        const filename = `${nn(i)} - ${safe(t.title!)}.mp3`;
        return { input: { filename, path: `${folder}/${filename}` }, expected };
      }),
    });
    const videos = r.videos ?? [];
    if (videos.length >= 3) {
      folders.push({
        heldOut,
        family: "youtube",
        cases: videos.map((v) => {
          const id = /[?&]v=([\w-]{11})/.exec(v.uri)?.[1] ?? "xxxxxxxxxxx";
          const filename = `${v.title.replace(/\//g, "⧸")} [${id}].opus`;
          return { input: { filename, path: `Playlist ${n}/${filename}` }, expected };
        }),
      });
    }
    const t = tracks[n % tracks.length]!;
    mixedPool.push({ input: { filename: `${safe(tag(t).artist!)} - ${safe(t.title!)}.mp3` }, expected });
    n++;
  }
  const playlists = folders.filter((f) => f.family === "youtube");
  for (const [i, f] of playlists.entries()) {
    const next = playlists[(i + 1) % playlists.length]!;
    const dir = f.cases[0]!.input.path!.split("/")[0]!;
    const strays = next.cases.slice(0, 2).map((c) => ({
      ...c,
      input: { ...c.input, path: `${dir}/${c.input.filename}` },
    }));
    folders.push({ heldOut: f.heldOut, family: "youtube + strays", cases: [...f.cases, ...strays] });
  }
  for (let i = 0; i + 20 <= mixedPool.length; i += 20) {
    folders.push({
      heldOut: i / 20 >= Math.floor(mixedPool.length / 20) * 0.8,
      family: "mixed",
      cases: mixedPool
        .slice(i, i + 20)
        .map((c) => ({ ...c, input: { ...c.input, path: `Mixed ${i / 20}/${c.input.filename}` } })),
    });
  }
  return folders;
}

interface Judged {
  master: boolean;
  exact: boolean;
  confidentWrong: boolean;
  confident: boolean;
  requests: number;
}

function judge(c: Case, r: TrackMetadata): Judged {
  const answered = r.source === "discogs" && r.confidence >= 0.7;
  const exact = answered && r.discogs?.releaseId === c.expected.releaseId;
  const master =
    exact || (answered && c.expected.masterId !== null && r.discogs?.masterId === c.expected.masterId);
  return {
    master,
    exact,
    confident: answered,
    confidentWrong: answered && !master,
    requests: r.diagnostics.discogsRequests,
  };
}

const pct = (xs: Judged[], k: keyof Judged) =>
  `${((xs.filter((x) => x[k]).length / Math.max(1, xs.length)) * 100).toFixed(2)}%`;
const wrongAmongConfident = (xs: Judged[]) => {
  const conf = xs.filter((x) => x.confident);
  return `${((conf.filter((x) => x.confidentWrong).length / Math.max(1, conf.length)) * 100).toFixed(2)}%`;
};
const req = (xs: Judged[]) => (xs.reduce((s, x) => s + x.requests, 0) / Math.max(1, xs.length)).toFixed(2);

/** One table row: a family's half, albums against singles on the same files. */
function row(name: string, folders: number, s: { albums: Judged[]; singles: Judged[] }, byAlbum: number) {
  const share = ((byAlbum / Math.max(1, s.albums.length)) * 100).toFixed(0);
  return `| ${name} | ${folders} | ${s.albums.length} | ${pct(s.albums, "master")} | ${pct(s.singles, "master")} | ${pct(s.albums, "exact")} | ${pct(s.singles, "exact")} | ${wrongAmongConfident(s.albums)} | ${wrongAmongConfident(s.singles)} | ${req(s.albums)} | ${req(s.singles)} | ${share}% |`;
}

/** The class of a playlist folder, by what its names show once read per file and per folder. */
function playlistClass(inputs: readonly TrackInput[]): string {
  const items = readFolders(inputs.map((input, index) => ({ index, input, query: extractTrack(input) })));
  const share = (p: (q: (typeof items)[number]["query"]) => boolean) =>
    items.filter((i) => p(i.query)).length / Math.max(1, items.length);
  if (share((q) => q.pattern === "folder-swapped") >= 0.5) return "title - artist names";
  if (share((q) => q.pattern === "folder-prefix") >= 0.5) return "a shared opening (unsplit names)";
  if (share((q) => Boolean(q.hints.album)) >= 0.5) return "names that carry the album";
  const bases = new Set(items.map((i) => (i.query.title ? baseTitle(i.query.title).toLowerCase() : "")));
  if (bases.size === 1 && items.length >= 2) return "mixes of one title";
  if (share((q) => !q.artist) >= 0.5) return "bare titles (most name no artist)";
  return "artist - title names";
}

async function main() {
  const { values } = parseArgs({ options: { limit: { type: "string" } } });
  const limit = values.limit ? Number(values.limit) : Number.POSITIVE_INFINITY;
  const all = await buildFolders();
  const families: Family[] = [
    "tagged whole",
    "tagged partial",
    "messy",
    "youtube",
    "youtube + strays",
    "mixed",
  ];
  const folders = families.flatMap((f) => all.filter((x) => x.family === f).slice(0, limit));
  const sim = await startDiscogsSimulator({
    dumpDir: DUMP_DIR,
    fixtures: FIXTURES,
    rateLimit: { authenticated: 1e9 },
  });
  const container = evalContainer(sim, {});
  const rows: string[] = [];
  const classes = new Map<string, { folders: number; albums: Judged[]; singles: Judged[] }>();
  // The strays added to playlists: how many, and how many a folder answered on its album (all wrong).
  const strays = { files: 0, onFolderAlbum: 0 };
  try {
    const misses: unknown[] = [];
    for (const family of families) {
      for (const half of ["dev", "held-out"] as const) {
        const list = folders.filter((f) => f.family === family && f.heldOut === (half === "held-out"));
        const stats = { albums: [] as Judged[], singles: [] as Judged[] };
        let albumAnswers = 0;
        for (const folder of list) {
          const inputs = folder.cases.map((c) => c.input);
          const [albums, singles] = [
            await container.resolveBatch(inputs, { albums: true, concurrency: 8 }),
            await container.resolveBatch(inputs, { albums: false, concurrency: 8 }),
          ];
          const name = family === "youtube" ? playlistClass(inputs) : null;
          const cls = name ? (classes.get(name) ?? { folders: 0, albums: [], singles: [] }) : null;
          if (name && cls) {
            cls.folders++;
            classes.set(name, cls);
          }
          folder.cases.forEach((c, i) => {
            const a = judge(c, albums[i]!);
            stats.albums.push(a);
            stats.singles.push(judge(c, singles[i]!));
            cls?.albums.push(a);
            cls?.singles.push(judge(c, singles[i]!));
            if (albums[i]!.albumMatch) albumAnswers++;
            if (family === "youtube + strays" && i >= folder.cases.length - 2) {
              strays.files++;
              if (albums[i]!.albumMatch && !a.master) strays.onFolderAlbum++;
            }
            if (!a.exact && half === "dev" && family !== "youtube + strays")
              misses.push({
                family,
                path: c.input.path,
                tags: c.input.tags,
                expected: c.expected,
                got: albums[i]!.discogs?.releaseId ?? null,
                single: singles[i]!.discogs?.releaseId ?? null,
                confidence: albums[i]!.confidence,
                album: albums[i]!.albumMatch,
              });
          });
        }
        rows.push(row(`${family}, ${half}`, list.length, stats, albumAnswers));
      }
      process.stderr.write(`${family}: done\n`);
    }
    await mkdir(resolve(ROOT, "bench/out"), { recursive: true });
    await writeFile(resolve(ROOT, "bench/out/albums-misses.json"), JSON.stringify(misses, null, 1));
  } finally {
    await container.dispose();
    await sim.close();
  }
  process.stdout.write(
    `### Album mode vs single tracks (fast mode, simulator with distractors, ${new Date().toISOString().slice(0, 10)})\n\n` +
      "| family | folders | files | master level, albums | master level, singles | exact, albums | exact, singles | wrong among confident, albums | wrong among confident, singles | requests/track, albums | requests/track, singles | answered by an album |\n" +
      "|---|---|---|---|---|---|---|---|---|---|---|---|\n" +
      `${rows.join("\n")}\n\n` +
      `Strays added to playlists (both halves): ${strays.files}, of which answered on their folder's album: ${strays.onFolderAlbum}.\n\n` +
      "YouTube playlists by class (both halves):\n\n" +
      "| class | folders | files | master level, albums | master level, singles | wrong among confident, albums | requests/track, albums |\n" +
      "|---|---|---|---|---|---|---|\n" +
      [...classes.entries()]
        .sort((a, b) => b[1].albums.length - a[1].albums.length)
        .map(
          ([name, c]) =>
            `| ${name} | ${c.folders} | ${c.albums.length} | ${pct(c.albums, "master")} | ${pct(c.singles, "master")} | ${wrongAmongConfident(c.albums)} | ${req(c.albums)} |`,
        )
        .join("\n") +
      "\n",
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
