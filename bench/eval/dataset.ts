/**
 * Builds the labelled evaluation set from the shared dump sample:
 * - youtube: every <video><title> as a yt-dlp filename, expected to match its release;
 * - tagged: real tracks with tags (artist, title, sometimes album and year, duration);
 * - messy: the same tracks as filenames in varied real-world styles.
 * Deterministic: the same dump gives the same cases.
 */
import { importDump } from "../../src/adapters/discogs/dump/index.js";
import type { RawTags } from "../../src/core/types.js";

/** One labelled case. */
export interface EvalCase {
  family: "youtube" | "tagged" | "messy";
  filename: string;
  tags?: RawTags;
  expected: { releaseId: number; masterId: number | null };
}

export type Credit = { name: string; anv?: string; join?: string };
export type Track = {
  position?: string;
  title?: string;
  duration?: string;
  type_?: string;
  artists?: Credit[];
  sub_tracks?: Track[];
};

const strip = (s: string) => s.replace(/\s*\(\d+\)$/, "");

/** Joins credits the way taggers write them: "A & B", "A feat. B". */
export function creditString(credits: Credit[]): string {
  return credits
    .map(
      (c, i) =>
        `${strip(c.name)}${i < credits.length - 1 ? (c.join && c.join !== "," ? ` ${c.join} ` : ", ") : ""}`,
    )
    .join("")
    .replace(/\s+/g, " ")
    .trim();
}

/** The playable rows of a tracklist: sub-tracks instead of their index, no headings. */
export function playable(list: Track[]): Track[] {
  return list.flatMap((t) =>
    t.sub_tracks?.length ? playable(t.sub_tracks) : t.type_ === "track" && t.title ? [t] : [],
  );
}

function durationOf(d: string | undefined): number | undefined {
  const m = /^(?:(\d+):)?(\d+):(\d\d)$/.exec(d ?? "");
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

const MESSY_STYLES = 8;

/** Renders a track as a filename in one of several real-world styles. */
export function messyName(
  style: number,
  artist: string,
  title: string,
  r: { year?: number; label?: string; catno?: string },
  i: number,
): string {
  const mixMatch = /^(.*?)\s*\(([^)]*(?:mix|edit|dub|remix|version)[^)]*)\)\s*$/i.exec(title);
  const bare = mixMatch ? mixMatch[1]! : title;
  const mix = mixMatch?.[2];
  switch (style % MESSY_STYLES) {
    case 0:
      return `${artist} - ${title}.mp3`.toLowerCase();
    case 1:
      return `${String((i % 12) + 1).padStart(2, "0")} - ${artist} - ${title}.flac`;
    case 2:
      return mix ? `${artist} - ${title}.mp3` : `${artist} - ${title} (Original Mix).mp3`;
    case 3:
      return r.label && r.catno
        ? `${artist} - ${title} [${r.label} ${r.catno}].mp3`.toUpperCase()
        : `${artist} - ${title}.mp3`.toUpperCase();
    case 4: {
      // Scene names drop apostrophes and join words with underscores.
      const u = (s: string) =>
        s
          .toLowerCase()
          .replace(/['’]/g, "")
          .replace(/[^\p{L}\p{N}]+/gu, "_")
          .replace(/^_|_$/g, "");
      return `${u(artist)}_-_${u(bare)}${mix ? `-(${u(mix)})` : ""}-web-${r.year || 2004}-grp.mp3`;
    }
    case 5:
      return `${title} - ${artist}.mp3`;
    case 6:
      return `${artist} – ${title} (Official Video) [${"abcdefghijk".slice(0, 11)}].opus`;
    default:
      return /-/.test(artist) ? `${artist} - ${title}.m4a` : `${artist}-${bare}.m4a`;
  }
}

/** The parts of an imported release body the evaluation sets read. */
export interface DumpRelease {
  id: number;
  master_id?: number;
  title: string;
  year?: number;
  artists?: Credit[];
  labels?: { name: string; catno: string }[];
  tracklist?: Track[];
  videos?: { uri: string; title: string }[];
}

/** Reads the dump and builds the three families. */
export async function buildEvalSet(dumpPath: string): Promise<EvalCase[]> {
  const out: EvalCase[] = [];
  let n = 0;
  for await (const rec of importDump(dumpPath)) {
    if (rec.kind !== "releases") continue;
    const r = rec.data as unknown as DumpRelease;
    const expected = { releaseId: r.id, masterId: r.master_id ?? null };
    for (const v of r.videos ?? []) {
      const id = /[?&]v=([\w-]{11})/.exec(v.uri)?.[1] ?? "xxxxxxxxxxx";
      // yt-dlp replaces "/" in titles with "⧸" (U+29F8), as names cannot hold a slash.
      out.push({ family: "youtube", filename: `${v.title.replace(/\//g, "⧸")} [${id}].opus`, expected });
    }
    const tracks = playable(r.tracklist ?? []);
    const picks =
      tracks.length >= 3 ? [tracks[0]!, tracks[Math.floor(tracks.length / 2)]!] : tracks.slice(0, 1);
    for (const t of picks) {
      const credits = t.artists?.length ? t.artists : (r.artists ?? []);
      const artist = creditString(credits);
      if (!artist || /^various$/i.test(artist)) continue;
      const title = t.title!;
      const dur = durationOf(t.duration);
      const tags: RawTags = { artist, title };
      if (n % 2 === 0) tags.album = r.title;
      if (n % 3 === 0 && r.year) tags.year = r.year;
      if (dur) tags.duration = dur + ((n % 3) - 1);
      out.push({
        family: "tagged",
        filename: `${String(n % 20).padStart(2, "0")} Track.mp3`,
        tags,
        expected,
      });
      const label = r.labels?.[0];
      out.push({
        family: "messy",
        // Taggers write "_" where a title has "/", which no filename may hold.
        filename: messyName(
          n,
          artist,
          title,
          { year: r.year, label: label ? strip(label.name) : undefined, catno: label?.catno },
          n,
        ).replace(/\//g, "_"),
        expected,
      });
      n++;
    }
  }
  return out;
}
