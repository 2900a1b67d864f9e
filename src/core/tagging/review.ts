/**
 * Review of uncertain matches: the items a tag run would not write on its own (one per album, or per
 * file matched alone), with the candidates to choose from, and the file a user edits off a terminal and
 * hands back to `discmeta tag --apply`.
 */
import { z } from "zod";
import { type Candidate, CandidateSchema, type TrackMetadata } from "../schema.js";

/** What the user chose: a Discogs release id (a candidate's or any other), or to skip. */
export const ChoiceSchema = z
  .union([
    z.literal("skip"),
    z
      .number()
      .int()
      .positive()
      .max(2 ** 31),
  ])
  .nullable();
export type Choice = z.infer<typeof ChoiceSchema>;

/** One item to review: a file, or an album's files, that share one choice. */
export const ReviewItemSchema = z.object({
  id: z.string().min(1),
  /** Absolute paths of the files the choice applies to. */
  files: z.array(z.string().min(1)).min(1),
  /** What the files say now (tags or name), to recognise them by. */
  current: z.object({
    artist: z.string().nullable(),
    title: z.string().nullable(),
    album: z.string().nullable(),
  }),
  /** Why the item was not written. */
  reason: z.string(),
  candidates: z.array(CandidateSchema),
  /** Set by the user: a release id, "skip", or null (undecided, left alone). */
  choice: ChoiceSchema,
});
export type ReviewItem = z.infer<typeof ReviewItemSchema>;

/** The review file. */
export const ReviewFileSchema = z.object({
  version: z.literal(1),
  help: z.string(),
  created: z.string(),
  /**
   * The folders (and files) the runs that made this file were given, symlinks resolved: `--apply` writes
   * no file outside them, whatever the items say.
   */
  roots: z.array(z.string().min(1)).default([]),
  items: z.array(ReviewItemSchema),
});
export type ReviewFile = z.infer<typeof ReviewFileSchema>;

export const REVIEW_HELP =
  'For each item set "choice" to a candidate\'s releaseId (or any Discogs release id), or to "skip"; ' +
  "leave null to decide later. Then run: discmeta tag --apply <this file>";

/** One answered file that goes to review. */
export interface ReviewEntry {
  path: string;
  answer: TrackMetadata;
  reason: string;
}

/**
 * Groups files to review into items: files an album pass placed together share one item (one choice
 * for the album); any other file is its own. Candidates are the album's release candidates when the
 * files are an album's, else the file's own.
 */
export function reviewItems(entries: readonly ReviewEntry[]): ReviewItem[] {
  const groups = new Map<string, ReviewEntry[]>();
  for (const e of entries) {
    const album = e.answer.albumMatch;
    const key = album && album.items > 1 ? `album:${album.clusterId}` : `file:${e.path}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups.entries()].map(([id, group]) => {
    const first = group[0]!;
    return {
      id,
      files: group.map((e) => e.path),
      current: {
        artist: first.answer.artist,
        title: group.length > 1 ? null : first.answer.title,
        album: first.answer.album,
      },
      reason: first.reason,
      candidates: mergeCandidates(group.map((e) => e.answer)),
      choice: null,
    };
  });
}

/**
 * The candidates of a group, nearest first, one per release: the answer's own release (when it has one)
 * and every listed candidate, with each release's best distance over the files.
 */
function mergeCandidates(answers: readonly TrackMetadata[]): Candidate[] {
  const best = new Map<number, Candidate>();
  for (const a of answers) {
    // A file answered on its folder's album without a track offers that album, judged as the album was.
    const verdict = a.match ?? (a.albumMatch && { ...a.albumMatch, penalties: {} });
    const own: Candidate[] =
      a.discogs && verdict
        ? [
            {
              releaseId: a.discogs.releaseId,
              masterId: a.discogs.masterId,
              artist: a.release?.albumArtist ?? a.artist ?? "",
              album: a.album ?? "",
              year: a.year,
              country: a.country,
              format: a.release?.format ?? null,
              label: a.label,
              catno: a.catalogNumber,
              position: a.trackPosition,
              track: a.release?.trackTitle ?? (a.match ? a.title : null),
              distance: verdict.distance,
              recommendation: verdict.recommendation,
              penalties: verdict.penalties,
            },
          ]
        : [];
    for (const c of [...own, ...a.candidates]) {
      const prev = best.get(c.releaseId);
      if (!prev || c.distance < prev.distance) best.set(c.releaseId, c);
    }
  }
  return [...best.values()].sort((x, y) => x.distance - y.distance).slice(0, 5);
}

/**
 * A new run's review items merged into the file's: nothing undecided is lost. A fresh item keeps the
 * choice the user already wrote for the same files; an item of the file this run did not see (another
 * part of the library) stays as it is; an item whose files this run settled (written, or nothing to
 * change) leaves.
 */
export function mergeReview(
  existing: readonly ReviewItem[],
  fresh: readonly ReviewItem[],
  settled: ReadonlySet<string>,
): ReviewItem[] {
  const key = (files: readonly string[]) => [...files].sort().join("\n");
  const before = new Map(existing.map((i) => [key(i.files), i]));
  const seen = new Set(fresh.flatMap((i) => i.files));
  const merged = fresh.map((i) => {
    const old = before.get(key(i.files));
    return old && old.choice !== null ? { ...i, choice: old.choice } : i;
  });
  const kept = existing.filter(
    (i) => !i.files.some((f) => seen.has(f)) && !i.files.every((f) => settled.has(f)),
  );
  return [...merged, ...kept];
}

/** Reads a review file's text; throws with a message naming what is wrong. */
export function parseReviewFile(text: string): ReviewFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`review file is not JSON: ${(err as Error).message}`);
  }
  const parsed = ReviewFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`review file: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return parsed.data;
}
