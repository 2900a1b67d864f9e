/**
 * Folders read as a whole (a YouTube playlist, a folder of downloads): what one file's name cannot say,
 * the folder's names say together. A name shared by every file is the artist, whichever side of the
 * dash it sits on; bare titles (no file names an artist) are searched as tracks and intersected, so the
 * release most of them land on is the album; mixes of one title point to one single.
 *
 * A folder-level reading only proposes: the album scorer judges it on every file, and a file it does not
 * place is matched alone, as if the folder had said nothing.
 */
import type { Release, SearchHit } from "../catalog.js";
import { nullIfNotFound } from "../errors.js";
import { groupByFolder } from "../folder.js";
import { normalizeKey, normalizeName, normalizeTitle } from "../normalize.js";
import type { MetadataSource } from "../ports.js";
import { baseTitle } from "../release.js";
import { recordOf } from "../score/index.js";
import { versionsToFetch } from "./album.js";
import type { Cluster, ClusterItem } from "./cluster.js";
import { firstBatch } from "./search.js";

/** Files of a folder that must share a name for it to be read as the artist. */
const SHARED_SHARE = 0.6;
/** Files of a folder that must close with the same bracket for it to be read as their album. */
const BRACKET_SHARE = 0.3;
/** Distinct titles searched for a bare-title folder, at most. */
const TITLE_SEARCHES = 4;
/** Releases fetched for a bare-title folder, at most. */
const TITLE_RELEASES = 2;

/**
 * Folder-level readings, per folder of three or more files: in "Title - Artist" names the same name
 * closes most files while the opening names differ, so that name is the artist and those files are read
 * the other way round; unsplit names that open alike share their artist (sharedPrefix); a bracket that
 * closes most titles names their album (sharedBracket). Files whose tags name the artist are never
 * touched.
 */
export function readFolders(items: ClusterItem[]): ClusterItem[] {
  const byFolder = groupByFolder(items);
  const read = new Map<number, ClusterItem>();
  for (const group of byFolder.values()) {
    const named = group.filter((i) => i.query.source === "filename" && i.query.artist && i.query.title);
    if (named.length < 3) continue;
    const [shared, n] = mostShared(named, (i) => i.query.title);
    const [, artistTop] = mostShared(named, (i) => i.query.artist);
    if (n < 3 || n < named.length * SHARED_SHARE || artistTop >= n) continue;
    for (const i of named) if (normalizeKey(i.query.title ?? "") === shared) read.set(i.index, swap(i));
  }
  for (const group of byFolder.values()) {
    // Unsplit names have no artist, so no file is both swapped and read by its opening.
    for (const item of sharedPrefix(group)) read.set(item.index, item);
    for (const item of sharedBracket(group.map((i) => read.get(i.index) ?? i))) read.set(item.index, item);
  }
  return items.map((item) => read.get(item.index) ?? item);
}

/** The name most files give (compared by key), and how many give it; ["", 0] when none names one. */
function mostShared(
  items: readonly ClusterItem[],
  pick: (i: ClusterItem) => string | null,
): [string, number] {
  const counts = new Map<string, number>();
  for (const i of items) {
    const k = normalizeKey(pick(i) ?? "");
    if (k) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
}

/** A bracket closing a title: "Lay Some Happiness On Me (Country, My Way)". */
const TRAILING_BRACKET = /\s*[([]([^()[\]]+)[)\]]$/;
/** What a playlist repeats after every title that is no album: a remaster, a video, a quality. */
const NOT_AN_ALBUM =
  /\b(?:remaster(?:ed)?|official|video|audio|lyrics?|hq|hd|live|full album|mono|stereo)\b/i;

/**
 * A bracket that closes most titles of a folder (three or more) names their album ("Nancy Sinatra -
 * Highway Song (Country, My Way)"): it leaves the titles and becomes their album hint.
 */
function sharedBracket(group: readonly ClusterItem[]): ClusterItem[] {
  const closing = group.map((i) =>
    i.query.source !== "tags" && i.query.title ? TRAILING_BRACKET.exec(i.query.title) : null,
  );
  const counts = new Map<string, number>();
  for (const m of closing) if (m) counts.set(normalizeKey(m[1]!), (counts.get(normalizeKey(m[1]!)) ?? 0) + 1);
  const [shared, n] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
  // A bracket repeated word for word is strong evidence: a third of the folder is enough.
  if (!shared || n < 3 || n < group.length * BRACKET_SHARE) return [];
  return group.flatMap((item, i) => {
    const m = closing[i];
    if (!m || normalizeKey(m[1]!) !== shared) return [];
    const title = item.query.title!.slice(0, m.index).trim();
    if (!title) return [];
    const album = NOT_AN_ALBUM.test(m[1]!) ? {} : { album: m[1]!.trim() };
    return [{ ...item, query: { ...item.query, title, hints: { ...item.query.hints, ...album } } }];
  });
}

/** Words a folder's shared opening may have, at most (an artist's name, not a sentence). */
const PREFIX_WORDS = 4;

/**
 * Unsplit names that open with the same words ("RUNNING WILD Tear Down The Walls", "RUNNING WILD
 * Chains And Leather"): in three or more files of a folder, those words are the artist and the rest the
 * title; words that close every one of them ("Loudeast Records 005") are dropped from the titles.
 */
function sharedPrefix(group: readonly ClusterItem[]): ClusterItem[] {
  const unsplit = group.filter((i) => !i.query.artist && i.query.title && i.query.source !== "tags");
  if (unsplit.length < 3 || unsplit.length < group.length * SHARED_SHARE) return [];
  const words = unsplit.map((i) => i.query.title!.split(/\s+/));
  const keys = words.map((w) => w.map((x) => normalizeKey(x)));
  const common = (pick: (k: string[], n: number) => string | undefined) => {
    let n = 0;
    while (n < PREFIX_WORDS && keys.every((k) => pick(k, n) && pick(k, n) === pick(keys[0]!, n))) n++;
    return n;
  };
  const head = common((k, n) => k[n]);
  if (head === 0) return [];
  const tail = common((k, n) => (k.length - 1 - n > head ? k[k.length - 1 - n] : undefined));
  return unsplit.flatMap((item, i) => {
    const title = words[i]!.slice(head, words[i]!.length - tail).join(" ");
    if (!title) return [];
    return [
      {
        ...item,
        query: {
          ...item.query,
          artist: normalizeName(words[i]!.slice(0, head).join(" ")),
          title: normalizeTitle(title),
          orderUncertain: true,
          source: "filename" as const,
          pattern: "folder-prefix",
        },
      },
    ];
  });
}

/** A playlist's leading number ("3 Night Train"): the file's place in the folder, not the title's. */
const LEADING_NUMBER = /^(\d{1,3})[.)]?\s+(?=\S)/;

/** The file read the other way round: the closing name is the artist, the opening one the title. */
function swap(item: ClusterItem): ClusterItem {
  const q = item.query;
  const opening = q.artist ?? "";
  const n = LEADING_NUMBER.exec(opening);
  const hints = n && !q.hints.trackNumber ? { ...q.hints, trackNumber: Number(n[1]) } : q.hints;
  return {
    ...item,
    query: {
      ...q,
      artist: q.title,
      title: n ? opening.slice(n[0].length) : opening,
      hints,
      orderUncertain: false,
      pattern: "folder-swapped",
    },
  };
}

/**
 * The releases a cluster's bare titles land on: each distinct title (its mix aside) is searched as a
 * track, and the records found for two or more titles win, most titles first. A folder of one title's
 * mixes searches once and offers that search's records: the album scorer then places the mixes.
 */
export async function findAcrossTitles(
  cluster: Cluster,
  source: MetadataSource,
  signal?: AbortSignal,
  items: readonly ClusterItem[] = cluster.items.filter((i) => !i.query.artist),
): Promise<Release[]> {
  const titles = new Map<string, string>();
  for (const item of items) {
    const t = item.query.title ? baseTitle(item.query.title) : "";
    if (t && !titles.has(normalizeKey(t))) titles.set(normalizeKey(t), t);
  }
  if (titles.size === 0 || cluster.items.length < 2) return [];
  const seen = new Map<number, { titles: Set<string>; hits: SearchHit[] }>();
  let searched = 0;
  for (const [key, title] of titles) {
    if (searched >= TITLE_SEARCHES) break;
    searched++;
    const hits = (await firstBatch(source.findTrackCandidates({ artist: null, title }, signal)))?.hits ?? [];
    for (const h of hits) {
      if (h.kind !== "release") continue;
      const k = recordOf(h.id, h.masterId);
      const entry = seen.get(k) ?? { titles: new Set<string>(), hits: [] };
      entry.titles.add(key);
      entry.hits.push(h);
      seen.set(k, entry);
    }
    const agreed = [...seen.values()].some((e) => e.titles.size >= 2);
    if (agreed && searched >= 2) break;
  }
  const need = titles.size === 1 ? 1 : 2;
  const records = [...seen.values()]
    .filter((e) => e.titles.size >= need)
    .sort((a, b) => b.titles.size - a.titles.size);
  const hits = records.slice(0, TITLE_RELEASES).flatMap((e) => e.hits);
  const out: Release[] = [];
  for (const id of versionsToFetch(hits, new Map(), cluster.hints, TITLE_RELEASES)) {
    const release = await nullIfNotFound(() => source.getRelease(id, signal));
    if (release) out.push(release);
  }
  return out;
}

/**
 * The artist most of a folder's named files share (SHARED_SHARE of them, three or more), or null: a
 * playlist of one artist. When none of its files matches alone, that name may be one the catalogue
 * credits otherwise (a real name for an alias, a writer for a band), and its titles are the evidence.
 */
export function sharedArtist(named: readonly ClusterItem[]): string | null {
  const [key, n] = mostShared(named, (i) => i.query.artist);
  return n >= 3 && n >= named.length * SHARED_SHARE ? key : null;
}

/**
 * The folder's reading of a file, when it read the file otherwise than the file alone ("Title - Artist"
 * read the other way round, an opening shared by the folder's names read as the artist); the
 * single-track pipeline still weighs the file's own reading beside it (the other readings of a name).
 */
export function folderQuery(item: ClusterItem): { query?: ClusterItem["query"] } {
  return item.query.pattern === "folder-swapped" || item.query.pattern === "folder-prefix"
    ? { query: item.query }
    : {};
}
