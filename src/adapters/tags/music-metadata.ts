/**
 * TagReader over music-metadata: MP3 (ID3v1, v2.3, v2.4), FLAC, Ogg Opus/Vorbis, M4A and the rest it knows.
 */
import { stat } from "node:fs/promises";
import type { IAudioMetadata } from "music-metadata";
import { InvalidInputError } from "../../core/errors.js";
import type { TagReader } from "../../core/ports.js";
import { type TagFormat, valuesFromNative } from "../../core/tagging/fields.js";
import type { RawTags } from "../../core/types.js";

/** music-metadata is loaded on the first read, so the service starts without it. */
let loaded: Promise<typeof import("music-metadata")> | undefined;
const mm = () => (loaded ??= import("music-metadata"));

function first(values: readonly string[] | undefined): string | undefined {
  return values?.find((v) => v.trim() !== "");
}

/** Reads a native tag by id across all tag types (e.g. DISCOGS_RELEASE_ID in Vorbis comments or TXXX). */
function nativeValue(meta: IAudioMetadata, ids: string[]): string | undefined {
  const wanted = new Set(ids.map((i) => i.toUpperCase()));
  for (const tags of Object.values(meta.native)) {
    for (const tag of tags) {
      const id = tag.id
        .toUpperCase()
        .replace(/^TXXX:/, "")
        .replace(/^----:COM\.APPLE\.ITUNES:/, "");
      if (wanted.has(id) && (typeof tag.value === "string" || typeof tag.value === "number")) {
        return String(tag.value);
      }
    }
  }
  return undefined;
}

/** Converts music-metadata's result to our RawTags. */
export function toRawTags(meta: IAudioMetadata): RawTags {
  const c = meta.common;
  return {
    artist: c.artist,
    artists: c.artists,
    albumArtist: c.albumartist,
    title: c.title,
    album: c.album,
    year: c.year ?? c.originalyear ?? c.date,
    genre: first(c.genre),
    label: first(c.label),
    catno: first(c.catalognumber),
    barcode: c.barcode,
    track: c.track.no ?? undefined,
    duration: meta.format.duration,
    discogsReleaseId: c.discogs_release_id ?? nativeValue(meta, ["DISCOGS_RELEASE_ID", "DISCOGS RELEASE ID"]),
    discogsMasterId:
      c.discogs_master_release_id ?? nativeValue(meta, ["DISCOGS_MASTER_ID", "DISCOGS_MASTER_RELEASE_ID"]),
    originalYear: c.originalyear ?? nativeValue(meta, ["ORIGINALDATE", "ORIGINALYEAR", "TDOR", "TORY"]),
  };
}

/** music-metadata's native tag types, as our table names them (the first present wins). */
const NATIVE_FORMATS: readonly [string, TagFormat][] = [
  ["ID3v2.4", "id3v24"],
  ["ID3v2.3", "id3v23"],
  ["vorbis", "vorbis"],
  ["iTunes", "mp4"],
];

/** The format a file's tags are in, from its native tag types and container. */
export function tagFormatOf(meta: IAudioMetadata): TagFormat {
  for (const [native, format] of NATIVE_FORMATS) if (meta.native[native]) return format;
  const container = (meta.format.container ?? "").toLowerCase();
  if (/flac|ogg|opus|vorbis/.test(container)) return "vorbis";
  if (/mp4|m4a|isom|m4b|quicktime/.test(container)) return "mp4";
  // An MP3 with no ID3v2 yet gets an ID3v2.4 tag.
  return "id3v24";
}

function unreadable(path: string, err: unknown): InvalidInputError {
  const reason = err instanceof Error ? err.message : String(err);
  return new InvalidInputError(`tags: cannot read "${path}": ${reason}`, { cause: err, field: "file" });
}

/** A clear error for a path that is missing, unreadable or not a file, before parsing it. */
async function checkFile(path: string): Promise<void> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    const why =
      err.code === "ENOENT" ? "no such file" : err.code === "EACCES" ? "permission denied" : err.message;
    throw new InvalidInputError(`tags: cannot read "${path}": ${why}`, { cause: err, field: "file" });
  });
  if (!info.isFile()) throw new InvalidInputError(`tags: "${path}" is not a file`, { field: "file" });
}

/** Creates a TagReader over music-metadata. */
export function createMusicMetadataReader(): TagReader {
  return {
    async read(path) {
      await checkFile(path);
      try {
        return toRawTags(await (await mm()).parseFile(path, { duration: true, skipCovers: true }));
      } catch (err) {
        throw unreadable(path, err);
      }
    },
    async readValues(path) {
      await checkFile(path);
      try {
        const meta = await (await mm()).parseFile(path, { duration: true, skipCovers: false });
        const format = tagFormatOf(meta);
        const native = meta.native[NATIVE_FORMATS.find(([, f]) => f === format)![0]] ?? [];
        // Pictures are native tags too (APIC, covr, METADATA_BLOCK_PICTURE): not values we diff.
        const hasCover = (meta.common.picture ?? []).length > 0;
        return { tags: toRawTags(meta), format, values: valuesFromNative(format, native), hasCover };
      } catch (err) {
        throw unreadable(path, err);
      }
    },
  };
}
