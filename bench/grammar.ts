/**
 * How well the filename grammar splits the real YouTube titles of the dump sample: the share whose
 * artist matches the release's (or the track's) artist and whose title matches a track on the release.
 *
 *   npx tsx bench/grammar.ts
 */
import { resolve } from "node:path";
import { toRelease } from "../src/adapters/discogs/convert.js";
import { importDump } from "../src/adapters/discogs/dump/index.js";
import { RawRelease } from "../src/adapters/discogs/types.js";
import { parseFilename } from "../src/core/filename.js";
import { rowTitleSimilarity } from "../src/core/score/index.js";
import { artistSimilarity } from "../src/core/similarity.js";

const ROOT = resolve(import.meta.dirname, "..");
const DUMP = resolve(
  process.env.DISCOGS_DUMP_DIR ?? resolve(ROOT, "data/discogs-dump-sample"),
  "releases.xml.gz",
);

let total = 0;
let split = 0;
let correct = 0;
let swapped = 0;
const t0 = performance.now();
for await (const rec of importDump(DUMP)) {
  if (rec.kind !== "releases") continue;
  const release = toRelease(RawRelease.parse(rec.data));
  for (const v of (rec.data.videos as { title: string }[] | undefined) ?? []) {
    total++;
    const p = parseFilename(`${v.title.replace(/\//g, "⧸")} [xxxxxxxxxxx].opus`);
    if (!p.artist || !p.title) continue;
    split++;
    const ok = (artist: string, title: string) =>
      release.tracklist.some((row) => {
        const credits = row.artists.length > 0 ? row.artists : release.artists;
        // Above 0.85: a row title that merely opens the split title (0.85, "Title + video junk") is
        // a match for scoring, not a clean split.
        return artistSimilarity(artist, credits) >= 0.85 && rowTitleSimilarity(title, row) > 0.85;
      });
    if (ok(p.artist, p.title)) correct++;
    else if (ok(p.title, p.artist)) swapped++;
  }
}
const ms = performance.now() - t0;
const pct = (n: number) => `${((n / total) * 100).toFixed(1)}%`;
process.stdout.write(
  `YouTube titles: ${total}\n` +
    `split into artist + title: ${split} (${pct(split)})\n` +
    `artist and title both match the release: ${correct} (${pct(correct)})\n` +
    `match once swapped (Title - Artist): ${swapped} (${pct(swapped)})\n` +
    `time: ${ms.toFixed(0)} ms (including the dump import)\n`,
);
