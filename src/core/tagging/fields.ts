/**
 * The tags discmeta manages, and where each lives in every container format. One table serves the
 * writer, the reader of current values (for the diff) and the README's mapping table. Names follow
 * OneTagger and Picard where they agree; the Discogs ids use OneTagger's DISCOGS_RELEASE_ID and
 * DISCOGS_MASTER_ID, as there is no wider standard.
 */

/** A container format's tag flavour. */
export type TagFormat = "id3v24" | "id3v23" | "vorbis" | "mp4";

/** MP4 freeform items live under this mean ("----:com.apple.iTunes:NAME"). */
export const ITUNES_MEAN = "com.apple.iTunes";

const freeform = (name: string) => `----:${ITUNES_MEAN}:${name}`;

/** Where one field lives, per format. ID3 "TXXX:NAME" is a user text frame; MP4 "----:..." is freeform. */
export type FieldKeys = Record<TagFormat, string>;

/** Fields that hold facts from Discogs: written for every accepted match. */
const FACTS = {
  artist: { id3v24: "TPE1", id3v23: "TPE1", vorbis: "ARTIST", mp4: "©ART" },
  title: { id3v24: "TIT2", id3v23: "TIT2", vorbis: "TITLE", mp4: "©nam" },
  album: { id3v24: "TALB", id3v23: "TALB", vorbis: "ALBUM", mp4: "©alb" },
  albumArtist: { id3v24: "TPE2", id3v23: "TPE2", vorbis: "ALBUMARTIST", mp4: "aART" },
  trackNumber: { id3v24: "TRCK", id3v23: "TRCK", vorbis: "TRACKNUMBER", mp4: "trkn" },
  trackTotal: { id3v24: "TRCK", id3v23: "TRCK", vorbis: "TRACKTOTAL", mp4: "trkn" },
  discNumber: { id3v24: "TPOS", id3v23: "TPOS", vorbis: "DISCNUMBER", mp4: "disk" },
  discTotal: { id3v24: "TPOS", id3v23: "TPOS", vorbis: "DISCTOTAL", mp4: "disk" },
  // ID3v2.3 has no set-subtitle frame (TSST is v2.4's): a user text frame of the same name.
  discTitle: {
    id3v24: "TSST",
    id3v23: "TXXX:DISCSUBTITLE",
    vorbis: "DISCSUBTITLE",
    mp4: freeform("DISCSUBTITLE"),
  },
  year: { id3v24: "TDRC", id3v23: "TYER", vorbis: "DATE", mp4: "©day" },
  originalYear: { id3v24: "TDOR", id3v23: "TORY", vorbis: "ORIGINALDATE", mp4: freeform("ORIGINALDATE") },
  label: { id3v24: "TPUB", id3v23: "TPUB", vorbis: "LABEL", mp4: freeform("LABEL") },
  catalogNumber: {
    id3v24: "TXXX:CATALOGNUMBER",
    id3v23: "TXXX:CATALOGNUMBER",
    vorbis: "CATALOGNUMBER",
    mp4: freeform("CATALOGNUMBER"),
  },
  country: {
    id3v24: "TXXX:RELEASECOUNTRY",
    id3v23: "TXXX:RELEASECOUNTRY",
    vorbis: "RELEASECOUNTRY",
    mp4: freeform("RELEASECOUNTRY"),
  },
  genre: { id3v24: "TCON", id3v23: "TCON", vorbis: "GENRE", mp4: "©gen" },
  style: { id3v24: "TXXX:STYLE", id3v23: "TXXX:STYLE", vorbis: "STYLE", mp4: freeform("STYLE") },
  media: { id3v24: "TMED", id3v23: "TMED", vorbis: "MEDIA", mp4: freeform("MEDIA") },
  remixer: { id3v24: "TPE4", id3v23: "TPE4", vorbis: "REMIXER", mp4: freeform("REMIXER") },
  producer: {
    id3v24: "TXXX:PRODUCER",
    id3v23: "TXXX:PRODUCER",
    vorbis: "PRODUCER",
    mp4: freeform("PRODUCER"),
  },
  composer: { id3v24: "TCOM", id3v23: "TCOM", vorbis: "COMPOSER", mp4: "©wrt" },
  discogsReleaseId: {
    id3v24: "TXXX:DISCOGS_RELEASE_ID",
    id3v23: "TXXX:DISCOGS_RELEASE_ID",
    vorbis: "DISCOGS_RELEASE_ID",
    mp4: freeform("DISCOGS_RELEASE_ID"),
  },
  discogsMasterId: {
    id3v24: "TXXX:DISCOGS_MASTER_ID",
    id3v23: "TXXX:DISCOGS_MASTER_ID",
    vorbis: "DISCOGS_MASTER_ID",
    mp4: freeform("DISCOGS_MASTER_ID"),
  },
} as const satisfies Record<string, FieldKeys>;

/** Descriptive fields (the LLM's): written only with --with-descriptions. */
const DESCRIPTIONS = {
  bpm: { id3v24: "TBPM", id3v23: "TBPM", vorbis: "BPM", mp4: "tmpo" },
  key: { id3v24: "TKEY", id3v23: "TKEY", vorbis: "INITIALKEY", mp4: freeform("initialkey") },
  mood: { id3v24: "TMOO", id3v23: "TXXX:MOOD", vorbis: "MOOD", mp4: freeform("MOOD") },
  description: {
    id3v24: "TXXX:DISCMETA_DESCRIPTION",
    id3v23: "TXXX:DISCMETA_DESCRIPTION",
    vorbis: "DISCMETA_DESCRIPTION",
    mp4: freeform("DISCMETA_DESCRIPTION"),
  },
} as const satisfies Record<string, FieldKeys>;

/** Every managed field and its keys. */
export const TAG_FIELDS = { ...FACTS, ...DESCRIPTIONS } as const;
/** A managed field. */
export type TagField = keyof typeof TAG_FIELDS;
/** The managed fields, in the order a diff shows them. */
export const TAG_FIELD_NAMES = Object.keys(TAG_FIELDS) as TagField[];
/** Fields only --with-descriptions writes. */
export const DESCRIPTIVE_FIELDS: ReadonlySet<TagField> = new Set(Object.keys(DESCRIPTIONS) as TagField[]);
/** Fields that share one frame or atom "n/N" in ID3 (TRCK, TPOS) and MP4 (trkn, disk). */
export const NUMBER_PAIRS = [
  ["trackNumber", "trackTotal"],
  ["discNumber", "discTotal"],
] as const satisfies readonly (readonly [TagField, TagField])[];

/** Values of managed fields; a field absent is left alone, never cleared. Multi-valued fields hold several. */
export type TagValues = Partial<Record<TagField, string[]>>;

/** A native tag as a reader reports it: its id in the format's own naming, and its value. */
export interface NativeTag {
  id: string;
  value: unknown;
}

/** Fields that may hold several values; every other field holds one. */
export const MULTI_VALUED: ReadonlySet<TagField> = new Set<TagField>([
  "genre",
  "style",
  "remixer",
  "producer",
  "composer",
  "mood",
]);

/** Multi-valued fields that MP4 keeps in one standard atom, joined with "; ". */
export const MP4_JOINED: ReadonlySet<TagField> = new Set<TagField>(["genre", "composer"]);

/** The key of a native id that the table uses (ID3 and Vorbis keys are matched case-insensitively). */
function lookupKey(format: TagFormat, id: string): string {
  return format === "mp4" && !id.startsWith("----:") ? id : id.toUpperCase();
}

/** A native value as text: numbers, and {no, of} pairs as "n/N". */
function textOf(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (value && typeof value === "object" && "no" in value) {
    const { no, of } = value as { no: number | null; of: number | null };
    return no ? (of ? `${no}/${of}` : String(no)) : null;
  }
  return null;
}

/**
 * The current values of managed fields from a file's native tags (as music-metadata lists them). "n/N"
 * frames and atoms fill both fields of their pair.
 */
export function valuesFromNative(format: TagFormat, tags: readonly NativeTag[]): TagValues {
  const byKey = new Map<string, TagField[]>();
  for (const name of TAG_FIELD_NAMES) {
    const key = lookupKey(format, TAG_FIELDS[name][format]);
    byKey.set(key, [...(byKey.get(key) ?? []), name]);
  }
  const out: TagValues = {};
  // ID3v2.3 one-value fields keep their pieces untrimmed, to be joined back as written (below).
  const isPair = (field: TagField) => NUMBER_PAIRS.some((p) => p.includes(field as never));
  const joinLater = (field: TagField) => format === "id3v23" && !MULTI_VALUED.has(field) && !isPair(field);
  const push = (field: TagField, v: string) => {
    if (v.trim() === "") return;
    out[field] = [...(out[field] ?? []), joinLater(field) ? v : v.trim()];
  };
  for (const tag of tags) {
    const fields = byKey.get(lookupKey(format, tag.id));
    const text = textOf(tag.value);
    if (!fields || text === null) continue;
    for (const field of fields) {
      const pair = NUMBER_PAIRS.find((p) => p.includes(field as never));
      const paired = pair && (format !== "vorbis" || /\//.test(text));
      if (!paired) {
        // A Vorbis TRACKNUMBER may still say "3/12"; its first part is the number.
        if (pair && field === pair[0]) push(field, text.split("/")[0]!);
        // A standard MP4 atom holds one string: several genres or writers are joined with "; ".
        else if (format === "mp4" && MP4_JOINED.has(field)) for (const v of text.split("; ")) push(field, v);
        else push(field, text);
        continue;
      }
      const [no, of] = text.split("/");
      if (field === pair[0] && no) push(field, String(Number(no) || no));
      if (field === pair[1] && of) push(field, String(Number(of) || of));
    }
  }
  // ID3v2.3 has no value separator but "/", and readers split every text frame on it: a one-value
  // field ("PS 08/63") is joined back as it was written.
  for (const field of TAG_FIELD_NAMES) {
    const vs = out[field];
    if (vs && joinLater(field)) out[field] = [vs.join("/").trim()];
  }
  return out;
}

/**
 * A field's values as ID3v2.3 can tell them apart: one frame, joined with "/" or ";", which a reader
 * splits again (and trims) wherever a value had a separator of its own ("Funk / Soul", "A / B").
 * Compared in this form, a rerun settles.
 */
export function id3v23Joined(values: readonly string[]): string {
  return values
    .join("/")
    .split(/[/;]/)
    .map((v) => v.trim())
    .join("/");
}
