/**
 * What a folder's answers vouch for. A playlist of one album's videos holds files no row fits (a live
 * take, an interview, a trailer, a full-album upload), and a folder of downloads holds names too mangled
 * to search. When the files of a folder that were answered agree on one record, its other files, which
 * nothing answered, are answered on that album: the record's album facts (album, year, label, catalogue
 * number, genres, styles, release and master) beside the file's own artist and title, no track and no
 * position, with a warning that says so.
 *
 * Only a file whose name points at the record is answered: it holds, word for word, the album's title,
 * its artist, an agreeing file's artist or a title of its tracklist ("T.Rex Buick Mackane Live Studio
 * 1973" in a folder of T. Rex's "The Slider"). A file that names none of these (a stray download beside
 * an album) is left as it was.
 *
 * How sure: Laplace's rule of succession over the folder's answered files (a of m agree: (a + 1) /
 * (m + 2)), never surer than the answers it leans on; and at least `min` agreeing files that make up
 * `share` of the folder, so two files that happen to share a record in a folder of unrelated tracks
 * vouch for nothing. An answer already given is never replaced, and nothing here is cached: it holds
 * only beside its folder.
 */
import type { ClusterItem } from "../match/cluster.js";
import { normalizeKey } from "../normalize.js";
import type { Policy } from "../policy.js";
import type { StageRecord, TrackMetadata } from "../schema.js";
import { recordOf, round3 } from "../score/index.js";
import type { Mode } from "../types.js";
import { warning } from "../warnings.js";
import { finishAnswer } from "./answer.js";
import type { PipelineDeps } from "./deps.js";

/** A Discogs answer: it names a release. */
export type OnRecord = TrackMetadata & { discogs: NonNullable<TrackMetadata["discogs"]> };

/** An answer that may vouch for its folder: a settled, confident Discogs match on a track. */
function vouches(r: TrackMetadata | undefined, minConfidence: number): r is OnRecord {
  return Boolean(
    r && r.source === "discogs" && r.discogs && r.match && !r.degraded && r.confidence >= minConfidence,
  );
}

/** Whether a folder of this many files may vouch for one: it holds the agreeing files and that one. */
export function folderMayVouch(files: number, policy: Policy): boolean {
  return files > policy.album.folderAnswers.min;
}

/** A file a folder may answer for: nothing in the catalogue answered it, and it is no degraded answer. */
export function mayBeVouchedFor(r: TrackMetadata): boolean {
  return r.source !== "discogs" && !r.degraded;
}

/** The record of one folder's agreeing answers, and how sure a file of that folder is to be on it. */
interface Verdict {
  /** The answer whose release the others are placed on: the release most agreeing files named. */
  on: OnRecord;
  /** What a file's name must hold to be on it, as keys: titles and names of the record. */
  names: string[];
  /** The record's artist and the agreeing files' artists, as the answers give them. */
  artists: string[];
  agree: number;
  answered: number;
  files: number;
  confidence: number;
}

/** The verdict of one folder's answers, or null when they vouch for nothing. */
export function folderVerdict(
  answers: readonly (TrackMetadata | undefined)[],
  deps: Pick<PipelineDeps, "settings">,
): Verdict | null {
  const { minConfidence, policy } = deps.settings;
  const answered = answers.filter((r) => vouches(r, minConfidence));
  const top = largestGroup(answered, (r) => recordOf(r.discogs.releaseId, r.discogs.masterId));
  const { min, share } = policy.album.folderAnswers;
  if (!top || top.length < min || top.length < answers.length * share) return null;
  // The release most of them named (a master's main release and a reissue may both be answered).
  const named = largestGroup(top, (r) => r.discogs.releaseId)!;
  const on = named.reduce((a, b) => (b.confidence > a.confidence ? b : a));
  const mean = top.reduce((s, r) => s + r.confidence, 0) / top.length;
  const confidence = round3(Math.min((top.length + 1) / (answered.length + 2), mean));
  if (confidence < minConfidence) return null;
  const keys = recordNames([
    on.album,
    on.release?.albumArtist,
    ...top.map((r) => r.artist),
    ...rowTitles(on),
  ]);
  const artists = [on.release?.albumArtist, ...top.map((r) => r.artist)].filter(
    (a): a is string => Boolean(a) && !isVariousName(a!),
  );
  return {
    on,
    names: keys,
    artists: [...new Set(artists)],
    agree: top.length,
    answered: answered.length,
    files: answers.length,
    confidence,
  };
}

/** The largest group of items by key (the first to form, on a tie), or undefined for no items. */
function largestGroup<T>(items: readonly T[], key: (item: T) => number): T[] | undefined {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  let largest: T[] | undefined;
  for (const group of groups.values()) if (!largest || group.length > largest.length) largest = group;
  return largest;
}

/** A compilation's artist ("Various", "Various Artists"): no one's name to give a file. */
export const isVariousName = (name: string): boolean => /^various\b/i.test(name);

/** Characters a title or name must have to tie a file to a record (not "Fax", not "Up"). */
const MIN_NAME = 4;
/** A tracklist position opening a short tracklist entry ("A1", "2", "1-3", "CD2-4", "B"). */
const POSITION = /^(?:[A-Za-z]{0,3}\d+(?:[-.]\d+)?[a-z]?|[A-Z])\s+/;

/** The titles of a record's tracklist, from the answer's short form ("A1 Title"). */
function rowTitles(on: TrackMetadata): string[] {
  return (on.release?.tracklist ?? []).map((entry) => entry.replace(POSITION, ""));
}

/**
 * An unsplit name that opens with one of the record's artists ("T.Rex Buick Mackane Live Studio 1973"):
 * that artist, and the rest as the title.
 */
export function openingArtist(
  title: string | null,
  artists: readonly string[],
): { artist: string; title: string } | null {
  const words = (title ?? "").split(/\s+/).filter(Boolean);
  for (const artist of artists) {
    const key = normalizeKey(artist);
    for (let n = 1; n < words.length; n++) {
      const head = normalizeKey(words.slice(0, n).join(" "));
      if (head.length > key.length) break;
      if (head === key) return { artist, title: words.slice(n).join(" ") };
    }
  }
  return null;
}

/** A record's titles and names as a file's name must hold them: keys, long enough to mean something. */
export function recordNames(names: readonly (string | null | undefined)[]): string[] {
  return [...new Set(names.map((n) => normalizeKey(n ?? "")))].filter((k) => k.length >= MIN_NAME);
}

/** Whether a file's name holds one of the record's names, word for word. */
export function namesRecord(text: string, names: readonly string[]): boolean {
  const padded = ` ${normalizeKey(text)} `;
  return names.some((k) => padded.includes(` ${k} `));
}

/** What an answer on an album without a track needs besides the file's own answer. */
export interface AlbumOnly {
  /** An answer on the record (any of its rows): its album facts are taken, its track facts are not. */
  on: OnRecord;
  confidence: number;
  albumMatch: NonNullable<TrackMetadata["albumMatch"]>;
  /** Names an unsplit file name may open with (the record's artists). */
  artists: readonly string[];
  /** Why the file is on the album: the stage record's reason and the warning's end. */
  why: string;
}

/**
 * A file's answer on an album none of whose tracks it matched: the album's facts beside its own artist
 * and title, no position, no track-level verdict, and a warning that says so. Its folder's vouching and
 * a release chosen in review both answer so.
 */
export function albumOnlyAnswer(own: TrackMetadata, a: AlbumOnly): TrackMetadata {
  const { on } = a;
  const albumArtist = on.release?.albumArtist ?? null;
  const opening = own.artist ? null : openingArtist(own.title, a.artists);
  const artist =
    own.artist ?? opening?.artist ?? (albumArtist && !isVariousName(albumArtist) ? albumArtist : null);
  const title = opening?.title ?? own.title;
  const record: StageRecord = { stage: "album", outcome: "hit", code: null, reason: a.why, ms: 0 };
  return {
    ...own,
    artist,
    title,
    album: on.album,
    year: on.year,
    originalYear: on.originalYear,
    country: on.country,
    label: on.label,
    catalogNumber: on.catalogNumber,
    trackPosition: null,
    genre: [...on.genre],
    style: [...on.style],
    guessed: [],
    source: "discogs",
    confidence: a.confidence,
    discogs: { ...on.discogs },
    // No track of the record matched this file: no row, so no track-level verdict.
    match: null,
    release: on.release && {
      ...on.release,
      trackTitle: null,
      trackNumber: null,
      // Its disc is not known, so neither is the count of its disc's tracks.
      trackTotal: null,
      discNumber: null,
      discTitle: null,
      credits: on.release.credits.filter((c) => c.scope === "release"),
    },
    candidates: [],
    albumMatch: { ...a.albumMatch, position: null },
    warnings: [
      ...own.warnings.filter((w) => !(w.code === "no-artist" && artist)),
      warning("album-only", "album", `no track of "${on.album}" matched this file: ${a.why}`),
    ],
    diagnostics: { ...own.diagnostics, stages: [...own.diagnostics.stages, record] },
  };
}

/** A file's answer on the album its folder vouches for. */
function onAlbum(own: TrackMetadata, v: Verdict, clusterId: string | null): TrackMetadata {
  const { on } = v;
  return albumOnlyAnswer(own, {
    on,
    confidence: v.confidence,
    artists: v.artists,
    why: `${v.agree} of the ${v.answered} answered files of its folder are on this record`,
    albumMatch: {
      clusterId: on.albumMatch?.clusterId ?? clusterId ?? "folder",
      releaseId: on.discogs.releaseId,
      recommendation: on.albumMatch?.recommendation ?? "medium",
      distance: on.albumMatch?.distance ?? round3(1 - v.agree / v.files),
      margin: on.albumMatch?.margin ?? null,
      position: null,
      items: v.files,
      strategy: "folder-answers",
    },
  });
}

/** What a file calls itself: its tags' artist and title, and its name without the extension. */
export function nameOf(item: ClusterItem): string {
  const tags = item.input.tags;
  return [tags?.artist, tags?.title, item.input.filename.replace(/\.[^./]{1,5}$/, "")].join(" ");
}

/**
 * The answers a batch's folders vouch for, by item index: for each folder that may vouch (the batch's
 * groups, folderMayVouch) whose answers agree, every file nothing answered that names the record, on that
 * album. `clusterOf` names the album cluster a file was matched in, when it was.
 */
export async function answerFromFolders(
  folders: readonly (readonly ClusterItem[])[],
  results: readonly (TrackMetadata | undefined)[],
  deps: PipelineDeps,
  mode: Mode,
  clusterOf: ReadonlyMap<number, string>,
): Promise<Map<number, TrackMetadata>> {
  const answers = new Map<number, TrackMetadata>();
  for (const group of folders) {
    const open = group.filter((i) => {
      const r = results[i.index];
      return r !== undefined && mayBeVouchedFor(r);
    });
    if (open.length === 0) continue;
    const verdict = folderVerdict(
      group.map((i) => results[i.index]),
      deps,
    );
    if (!verdict) continue;
    for (const item of open) {
      if (!namesRecord(nameOf(item), verdict.names)) continue;
      const result = onAlbum(results[item.index]!, verdict, clusterOf.get(item.index) ?? null);
      answers.set(
        item.index,
        await finishAnswer(deps, result, {
          records: result.diagnostics.stages.slice(-1),
          mode,
          cacheKey: null,
        }),
      );
    }
  }
  return answers;
}
