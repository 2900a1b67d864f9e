/**
 * Album clustering, before any lookup (as Picard clusters files): items are grouped by their folder,
 * then split by album tag, and a folder named "Artist - Album (Year)" lends its artist, album and year
 * to files that lack them. What does not form a group of two or more stays a single track.
 */
import { isJunkTitle } from "../extract.js";
import { folderOf, parseFolderName } from "../folder.js";
import { cleanText, normalizeKey } from "../normalize.js";
import type { AlbumFacts } from "../score/index.js";
import type { TrackHints, TrackInput, TrackQuery } from "../types.js";

/** One item of a batch, with Stage 1's reading of it. */
export interface ClusterItem {
  /** Its place in the batch. */
  index: number;
  input: TrackInput;
  query: TrackQuery & { pattern: string };
}

/**
 * The query an item is placed and scored with: an artist the file only borrowed from its folder is the
 * album artist (a DJ mix's compiler), not the track's, so the album-level artist penalty judges it and
 * the track's own credits answer.
 */
export function trackQueryOf(item: ClusterItem): TrackQuery & { pattern: string } {
  const q =
    item.query.pattern === "folder+filename" || item.query.pattern === "album+filename"
      ? { ...item.query, artist: null }
      : item.query;
  // A title tag too plain to search for ("Untitled", "13", "1984") still names its row on its album,
  // better than whatever the file name says ("01 Track.mp3").
  const plain = cleanText(item.input.tags?.title ?? "");
  return plain && isJunkTitle(plain) ? { ...q, title: plain } : q;
}

/** A likely album: the items, and what they agree on. */
export interface Cluster extends AlbumFacts {
  id: string;
  items: ClusterItem[];
  /** The album artist, when tags, the folder or the items agree on one. */
  artist: string | null;
  /** The album title, from tags or the folder name. */
  album: string | null;
  year: number | null;
  /** Where the album facts came from. */
  evidence: "tags" | "folder" | "items";
  /** Hints the files agree on (the year), for the release-level penalties. */
  hints: TrackHints;
}

/** The most common value and its share, ignoring empty ones. */
function mode<T>(
  values: readonly (T | null | undefined)[],
  key: (v: T) => string,
): { value: T | null; share: number } {
  const counts = new Map<string, { v: T; n: number }>();
  for (const v of values) {
    if (v === null || v === undefined) continue;
    const k = key(v);
    if (!k) continue;
    const e = counts.get(k) ?? { v, n: 0 };
    e.n++;
    counts.set(k, e);
  }
  let best: { v: T; n: number } | null = null;
  for (const e of counts.values()) if (!best || e.n > best.n) best = e;
  return { value: best?.v ?? null, share: best ? best.n / Math.max(1, values.length) : 0 };
}

const key = (s: string) => normalizeKey(s);

/** Album facts a group agrees on: tags first, then the folder name, then the items' own artist. */
function factsOf(items: ClusterItem[], folder: string | null): Omit<Cluster, "id" | "items" | "hints"> {
  const albumTag = mode(
    items.map((i) => i.input.tags?.album ?? null),
    key,
  );
  const artistTag = mode(
    items.map((i) => i.input.tags?.albumArtist ?? null),
    key,
  );
  const itemArtist = mode(
    items.map((i) => i.query.artist),
    key,
  );
  const yearTag = mode(
    items.map((i) => i.query.hints.year ?? null),
    String,
  );
  const fromFolder = folder
    ? parseFolderName(folder.split("/").at(-1)!)
    : { artist: null, album: null, year: null };
  if (albumTag.value && albumTag.share >= 0.5) {
    return {
      album: albumTag.value,
      artist: artistTag.value ?? (itemArtist.share >= 0.6 ? itemArtist.value : null) ?? fromFolder.artist,
      year: yearTag.share >= 0.5 ? yearTag.value : fromFolder.year,
      evidence: "tags",
    };
  }
  if (fromFolder.album) {
    return {
      album: fromFolder.album,
      artist: fromFolder.artist ?? (itemArtist.share >= 0.6 ? itemArtist.value : null),
      year: fromFolder.year ?? (yearTag.share >= 0.5 ? yearTag.value : null),
      evidence: "folder",
    };
  }
  // The album the files' names carry ("Title, from Album", "Artist | Album - Title").
  const named = mode(
    items.map((i) => i.query.hints.album ?? null),
    key,
  );
  return {
    album: named.share >= 0.5 ? named.value : null,
    artist: itemArtist.share >= 0.6 ? itemArtist.value : null,
    year: yearTag.share >= 0.5 ? yearTag.value : null,
    evidence: "items",
  };
}

/**
 * Files that lack an artist ("01 - Title.flac" in "Artist - Album (Year)/") take the album's; the album
 * and year become hints for scoring.
 */
function lendFacts(cluster: Cluster): void {
  for (const item of cluster.items) {
    const q = item.query;
    if (!q.artist && cluster.artist && q.title) {
      item.query = {
        ...q,
        artist: cluster.artist,
        orderUncertain: false,
        hints: { ...q.hints },
        pattern: "album+filename",
      };
    }
    if (cluster.album && !item.query.hints.album)
      item.query = { ...item.query, hints: { ...item.query.hints, album: cluster.album } };
    if (cluster.year && !item.query.hints.year)
      item.query = { ...item.query, hints: { ...item.query.hints, year: cluster.year } };
  }
}

/** Groups a batch into likely albums; items left alone are returned as singles. */
export function clusterItems(items: readonly ClusterItem[]): { clusters: Cluster[]; singles: ClusterItem[] } {
  const byFolder = new Map<string, ClusterItem[]>();
  const loose: ClusterItem[] = [];
  for (const item of items) {
    const folder = folderOf(item.input.path);
    const album = item.input.tags?.album;
    const k =
      folder !== null
        ? `folder:${folder}`
        : album
          ? `album:${key(item.input.tags?.albumArtist ?? "")}|${key(album)}`
          : null;
    if (k === null) loose.push(item);
    else byFolder.set(k, [...(byFolder.get(k) ?? []), item]);
  }
  // Loose items (no folder, no album tag) that share an artist may still be one album's tracks.
  const byArtist = new Map<string, ClusterItem[]>();
  const singles: ClusterItem[] = [];
  for (const item of loose) {
    const a = item.query.artist ? key(item.query.artist) : "";
    if (a) byArtist.set(a, [...(byArtist.get(a) ?? []), item]);
    else singles.push(item);
  }
  for (const [a, list] of byArtist) {
    if (list.length >= 3) byFolder.set(`artist:${a}`, list);
    else singles.push(...list);
  }
  const clusters: Cluster[] = [];
  for (const [k, group] of byFolder) {
    // A folder whose files carry two or more albums' tags is split by album.
    const albums = new Map<string, ClusterItem[]>();
    for (const item of group) {
      const album = item.input.tags?.album ? key(item.input.tags.album) : "";
      albums.set(album, [...(albums.get(album) ?? []), item]);
    }
    const tagged = [...albums.entries()].filter(([a, l]) => a !== "" && l.length >= 2);
    const parts = tagged.length >= 2 ? [...albums.values()] : [group];
    for (const part of parts) {
      if (part.length < 2) {
        singles.push(...part);
        continue;
      }
      const folder = k.startsWith("folder:") ? k.slice(7) : null;
      const facts = factsOf(part, folder);
      const hints = facts.year ? { year: facts.year } : {};
      const cluster: Cluster = { id: `c${clusters.length + 1}`, items: part, ...facts, hints };
      lendFacts(cluster);
      clusters.push(cluster);
    }
  }
  singles.sort((a, b) => a.index - b.index);
  return { clusters, singles };
}
