/**
 * What `discmeta tag` would write to a file: the values an answer gives each managed field, the diff
 * against the file's current tags, and whether the match is sure enough to write without asking.
 * Pure functions; facts come only from a Discogs answer.
 */
import { type KeyNotation, parseKey, tagKey } from "../audio/notation.js";
import type { TrackMetadata } from "../schema.js";
import type { Recommendation } from "../score/index.js";
import {
  DESCRIPTIVE_FIELDS,
  id3v23Joined,
  TAG_FIELD_NAMES,
  type TagField,
  type TagFormat,
  type TagValues,
} from "./fields.js";

/** What a tag run accepts without asking. */
export interface TagPolicy {
  /** The weakest recommendation written without review. Default "medium" (strong and medium). */
  minRecommendation: Exclude<Recommendation, "none">;
  /**
   * Write the LLM's descriptive fields (mood, description, and its bpm and key estimates) too. A BPM or
   * key measured from the audio is a fact and is written without it.
   */
  withDescriptions: boolean;
  /** How a key is written: "Am" (ID3's TKEY form), Camelot "8A", or Open Key "1m". */
  keyNotation?: KeyNotation;
  /**
   * Write an answer the LLM alone proposed (Stage 3, no Discogs match), its guessed fields included
   * (--allow-guesses). Off by default: a guess is never written as a fact.
   */
  allowGuesses?: boolean;
}

export const DEFAULT_TAG_POLICY: TagPolicy = {
  minRecommendation: "medium",
  withDescriptions: false,
  keyNotation: "standard",
};

const RANK: Record<Recommendation, number> = { none: 0, low: 1, medium: 2, strong: 3 };

/** Whether an answer is written as it is, or goes to review (and why). */
export type TagDecision = { action: "write" } | { action: "review"; reason: string };

/**
 * Only a Discogs match at or above the policy's recommendation is written without asking; a fallback
 * answer (no catalogue fact), a cut-short answer, a file answered on its folder's album without a track
 * or a weaker match goes to review.
 */
export function decide(answer: TrackMetadata, policy: TagPolicy): TagDecision {
  if (answer.degraded)
    return {
      action: "review",
      reason: `the answer was cut short (${answer.degraded.reason}); run again later`,
    };
  if (answer.source === "llm" && policy.allowGuesses) return { action: "write" };
  if (answer.source !== "discogs" || !answer.discogs)
    return { action: "review", reason: "no Discogs match: nothing to write but guesses" };
  // A file its folder vouched for (no row of the album fits it) is asked about: its album is known,
  // its track is not.
  if (!answer.match && answer.albumMatch?.strategy === "folder-answers")
    return { action: "review", reason: "no track of the album matched this file: album facts only" };
  // An album verdict stands for its files; a file matched alone has its own: the better one counts.
  const verdicts = [answer.albumMatch?.recommendation, answer.match?.recommendation].filter(
    (r) => r !== undefined,
  );
  const best = verdicts.reduce<Recommendation>((a, b) => (RANK[b] > RANK[a] ? b : a), "none");
  if (RANK[best] < RANK[policy.minRecommendation])
    return { action: "review", reason: `match is ${best}, below ${policy.minRecommendation}` };
  return { action: "write" };
}

const ROLE_REMIXER = /^remix/i;
const ROLE_PRODUCER = /^(?:co-)?produc/i;
const ROLE_WRITER = /^(?:written[- ]by|composed by|music by|lyrics by|songwriter|words by)/i;

/** Names credited with a role (a Discogs role may list several: "Producer, Arranged By"). */
function credited(answer: TrackMetadata, role: RegExp): string[] {
  const names = (answer.release?.credits ?? [])
    .filter((c) =>
      c.role
        .split(",")
        .map((r) => r.replace(/\[.*?\]/g, "").trim())
        .some((r) => role.test(r)),
    )
    .map((c) => c.name);
  return [...new Set(names)];
}

const num = (n: number | null | undefined): string[] | undefined =>
  n !== null && n !== undefined && Number.isFinite(n) ? [String(n)] : undefined;
const text = (s: string | null | undefined): string[] | undefined =>
  s && s.trim() !== "" ? [s.trim()] : undefined;
const list = (xs: readonly string[] | undefined): string[] | undefined => {
  const clean = [...new Set((xs ?? []).map((x) => x.trim()).filter(Boolean))];
  return clean.length > 0 ? clean : undefined;
};

/** The artist as credited: "A feat. B, C". */
function creditedArtist(answer: TrackMetadata): string | null {
  if (!answer.artist) return null;
  return answer.featuring.length > 0
    ? `${answer.artist} feat. ${answer.featuring.join(", ")}`
    : answer.artist;
}

/** The title as it appears on the release (the row's own text, mix included). */
function releaseTitle(answer: TrackMetadata): string | null {
  if (answer.release?.trackTitle) return answer.release.trackTitle;
  if (!answer.title) return null;
  return answer.mix ? `${answer.title} (${answer.mix})` : answer.title;
}

/** A key as the chosen notation writes it; an unreadable key is written as it is. */
function keyText(key: NonNullable<TrackMetadata["audioFeatures"]["key"]>, notation: KeyNotation): string {
  const k = parseKey(key.value);
  return k ? tagKey(k, notation) : key.value;
}

/** The tag fields an answer's `guessed` names cover. */
const GUESS_FIELDS: Partial<Record<TagField, TrackMetadata["guessed"][number]>> = {
  album: "album",
  year: "year",
  country: "country",
  label: "label",
  genre: "genre",
  style: "style",
};

/** A BPM or key measured from the audio: a fact, not a description. */
function measured(answer: TrackMetadata, field: TagField): boolean {
  const f = answer.audioFeatures;
  return (field === "bpm" && f.bpm?.source === "audio") || (field === "key" && f.key?.source === "audio");
}

/** The values an answer gives each managed field; fields it knows nothing of are left out. */
export function desiredValues(
  answer: TrackMetadata,
  policy: Pick<TagPolicy, "withDescriptions" | "keyNotation" | "allowGuesses">,
): TagValues {
  const d = answer.release;
  const { bpm, key } = answer.audioFeatures;
  const values: Record<TagField, string[] | undefined> = {
    artist: text(creditedArtist(answer)),
    title: text(releaseTitle(answer)),
    album: text(answer.album),
    albumArtist: text(d?.albumArtist),
    trackNumber: num(d?.trackNumber),
    trackTotal: num(d?.trackTotal),
    discNumber: num(d?.discNumber),
    discTotal: num(d?.discTotal),
    discTitle: text(d?.discTitle),
    year: num(answer.year),
    originalYear: num(answer.originalYear),
    label: text(answer.label),
    catalogNumber: text(answer.catalogNumber),
    country: text(answer.country),
    genre: list(answer.genre),
    style: list(answer.style),
    media: text(d?.format),
    remixer: list(credited(answer, ROLE_REMIXER)),
    producer: list(credited(answer, ROLE_PRODUCER)),
    composer: list(credited(answer, ROLE_WRITER)),
    discogsReleaseId: num(answer.discogs?.releaseId),
    discogsMasterId: num(answer.discogs?.masterId),
    bpm: num(bpm ? Math.round(bpm.value) : null),
    key: text(key ? keyText(key, policy.keyNotation ?? "standard") : null),
    mood: list(answer.audioFeatures.atmosphere),
    description: text(answer.description),
  };
  const out: TagValues = {};
  for (const field of TAG_FIELD_NAMES) {
    const v = values[field];
    if (!v) continue;
    if (DESCRIPTIVE_FIELDS.has(field) && !policy.withDescriptions && !measured(answer, field)) continue;
    if (GUESS_FIELDS[field] && answer.guessed.includes(GUESS_FIELDS[field]) && !policy.allowGuesses) continue;
    out[field] = v;
  }
  return out;
}

/** One field's change. */
export interface TagChange {
  field: TagField;
  from: string[];
  to: string[];
}

const NUMERIC: ReadonlySet<TagField> = new Set<TagField>([
  "trackNumber",
  "trackTotal",
  "discNumber",
  "discTotal",
  "bpm",
  "discogsReleaseId",
  "discogsMasterId",
]);
const DATES: ReadonlySet<TagField> = new Set<TagField>(["year", "originalYear"]);
/** Fields whose order of values does not matter. */
const SETS: ReadonlySet<TagField> = new Set<TagField>([
  "genre",
  "style",
  "mood",
  "remixer",
  "producer",
  "composer",
]);

function same(field: TagField, from: readonly string[], to: readonly string[]): boolean {
  if (from.length !== to.length && !DATES.has(field)) return false;
  if (NUMERIC.has(field)) return from.every((v, i) => Number(v) === Number(to[i]));
  // A full date ("1999-05-03") already says the year: it is not downgraded to "1999".
  if (DATES.has(field)) return from.length > 0 && from[0]!.slice(0, 4) === to[0];
  if (SETS.has(field)) {
    const a = [...from].sort();
    const b = [...to].sort();
    return a.every((v, i) => v === b[i]);
  }
  return from.every((v, i) => v === to[i]);
}

/** The fields whose value would change, in table order. Fields the answer leaves out are never cleared. */
export function diffValues(current: TagValues, desired: TagValues, format?: TagFormat): TagChange[] {
  const changes: TagChange[] = [];
  for (const field of TAG_FIELD_NAMES) {
    const to = desired[field];
    if (!to) continue;
    const from = current[field] ?? [];
    // ID3v2.3 splits a frame on "/" and trims the pieces: values are the same when their joined text is.
    const v23Same = format === "id3v23" && !NUMERIC.has(field) && id3v23Joined(from) === id3v23Joined(to);
    if (!v23Same && !same(field, from, to)) changes.push({ field, from, to });
  }
  return changes;
}

/** A change as one line of a human diff: `title: "Old" -> "New"`. */
export function describeChange(change: TagChange): string {
  const show = (vs: readonly string[]) =>
    vs.length === 0 ? "(none)" : vs.map((v) => JSON.stringify(v)).join(", ");
  return `${change.field}: ${show(change.from)} -> ${show(change.to)}`;
}
