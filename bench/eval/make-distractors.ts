/**
 * Writes test/fixtures/discogs/distractors.json: extra versions that make the simulator return what real
 * Discogs returns — reissues under the same master (later, often more popular), "Various" compilations
 * holding the same tracks, and same-titled tracks by other artists. Deterministic: run it again, same file.
 *
 *   npx tsx bench/eval/make-distractors.ts
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { importDump } from "../../src/adapters/discogs/dump/index.js";

type Json = Record<string, unknown>;
type Track = {
  position?: string;
  title?: string;
  duration?: string;
  type_?: string;
  artists?: unknown[];
  sub_tracks?: Track[];
};

const ROOT = resolve(import.meta.dirname, "../..");
const DUMP = resolve(
  process.env.DISCOGS_DUMP_DIR ?? resolve(ROOT, "data/discogs-dump-sample"),
  "releases.xml.gz",
);
const OUT = resolve(ROOT, "test/fixtures/discogs/distractors.json");

function playable(list: Track[]): Track[] {
  return list.flatMap((t) =>
    t.sub_tracks?.length ? playable(t.sub_tracks) : t.type_ === "track" && t.title ? [t] : [],
  );
}

const out: Json[] = [];
let nextId = 950_000_000;
let compilation: { tracks: Track[]; year: number } = { tracks: [], year: 0 };
const flushCompilation = () => {
  if (compilation.tracks.length === 0) return;
  const id = nextId++;
  out.push({
    id,
    status: "Accepted",
    title: `Club Classics Vol. ${id % 100}`,
    year: compilation.year + 6,
    released: `${compilation.year + 6}`,
    country: "Europe",
    artists: [{ name: "Various", anv: "", join: "", role: "", tracks: "", id: 194 }],
    labels: [{ name: "Compilation Factory", catno: `CF${id % 1000}`, id: 900001 }],
    formats: [{ name: "CD", qty: "2", descriptions: ["Compilation"] }],
    genres: ["Electronic"],
    styles: [],
    tracklist: compilation.tracks.map((t, i) => ({ ...t, position: `${i + 1}` })),
    community: { have: 900, want: 40 },
  });
  compilation = { tracks: [], year: 0 };
};

let n = 0;
for await (const rec of importDump(DUMP)) {
  if (rec.kind !== "releases") continue;
  const r = rec.data as Json & {
    id: number;
    master_id?: number;
    year?: number;
    artists?: unknown[];
    tracklist?: Track[];
    labels?: { name: string; catno: string }[];
  };
  const tracks = playable(r.tracklist ?? []);
  if (tracks.length === 0) continue;
  n++;
  // Reissue: same master, a later year, more copies in collections than the original.
  if (r.master_id && n % 3 === 0) {
    const year = (r.year || 1990) + 12 + (n % 10);
    const { notes, identifiers, companies, extraartists, videos, images, ...core } = r;
    out.push({
      ...core,
      tracklist: tracks.map((t) => ({
        position: t.position,
        type_: "track",
        title: t.title,
        duration: t.duration ?? "",
        ...(t.artists ? { artists: t.artists } : {}),
      })),
      id: nextId++,
      year,
      released: `${year}`,
      country: n % 2 ? "Europe" : "US",
      labels: [{ name: "Reissue Records", catno: `RR${n}`, id: 900002 }],
      // A reissue keeps what the record is (album, compilation) and adds Reissue and Remastered.
      formats: [
        {
          name: "Vinyl",
          qty: "1",
          descriptions: [
            ...new Set([
              ...((r.formats as { descriptions?: string[] }[] | undefined)?.[0]?.descriptions ?? []),
              "Reissue",
              "Remastered",
            ]),
          ],
        },
      ],
      community: { have: 2000 + n, want: 300 },
      _main_release: false,
    });
  }
  // Compilation: "Various", with track-level artists, five tracks from different records.
  if (n % 4 === 0) {
    const t = tracks[0]!;
    compilation.tracks.push({
      type_: "track",
      title: t.title,
      duration: t.duration ?? "",
      artists: t.artists?.length ? t.artists : r.artists,
    });
    compilation.year = Math.max(compilation.year, r.year || 2000);
    if (compilation.tracks.length === 5) flushCompilation();
  }
  // Same-titled track by another artist.
  if (n % 7 === 0) {
    const t = tracks[0]!;
    const id = nextId++;
    out.push({
      id,
      status: "Accepted",
      title: t.title,
      year: (r.year || 2000) - 3,
      released: `${(r.year || 2000) - 3}`,
      country: "UK",
      artists: [
        { name: `Namesake ${id % 1000}`, anv: "", join: "", role: "", tracks: "", id: 800000 + (id % 1000) },
      ],
      labels: [{ name: "Soundalike", catno: `SA${id % 1000}`, id: 900003 }],
      formats: [{ name: "Vinyl", qty: "1", descriptions: ['12"', "Single"] }],
      genres: ["Electronic"],
      styles: [],
      tracklist: [{ position: "A", type_: "track", title: t.title, duration: t.duration ?? "" }],
      community: { have: 50, want: 5 },
    });
  }
}
flushCompilation();
await writeFile(OUT, `${JSON.stringify(out)}\n`);
process.stdout.write(`wrote ${out.length} distractor releases to ${OUT}\n`);
