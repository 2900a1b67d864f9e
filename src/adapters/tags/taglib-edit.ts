/**
 * The node-taglib-sharp half of the tag writer: sets the managed fields and the cover in one file.
 * Loaded on the first write, so the service and the read-only commands never pay for the SDK.
 */
import {
  ByteVector,
  File,
  type Id3v1Tag,
  Id3v2FrameClassType,
  Id3v2FrameIdentifiers,
  type Id3v2Tag,
  Id3v2UserTextInformationFrame,
  type Mpeg4AppleTag,
  Picture,
  PictureType,
  StringType,
  TagTypes,
  type XiphComment,
} from "node-taglib-sharp";
import type { CoverImage } from "../../core/ports.js";
import {
  ITUNES_MEAN,
  NUMBER_PAIRS,
  TAG_FIELD_NAMES,
  TAG_FIELDS,
  type TagField,
  type TagFormat,
  type TagValues,
} from "../../core/tagging/fields.js";

/** Fields in the order they are set; a pair's two halves are set together. */
function fieldsToSet(values: TagValues): TagField[] {
  return TAG_FIELD_NAMES.filter((f) => values[f] !== undefined);
}

const pairOf = (field: TagField) => NUMBER_PAIRS.find((p) => (p as readonly TagField[]).includes(field));

/** The number of a pair's half: the new value, else what the file has. */
function pairNumbers(
  values: TagValues,
  pair: readonly [TagField, TagField],
  current: string,
): [number, number] {
  const [no, of] = current.split("/");
  const pick = (field: TagField, fallback: string | undefined) =>
    Number(values[field]?.[0] ?? fallback ?? 0) || 0;
  return [pick(pair[0], no), pick(pair[1], of)];
}

function writeId3(file: File, values: TagValues, hadId3v1: boolean): TagFormat {
  const tag = file.getTag(TagTypes.Id3v2, true) as Id3v2Tag;
  if (!(file.tagTypesOnDisk & TagTypes.Id3v2)) tag.version = 4;
  const format: TagFormat = tag.version >= 4 ? "id3v24" : "id3v23";
  const done = new Set<string>();
  for (const field of fieldsToSet(values)) {
    const key = TAG_FIELDS[field][format];
    if (done.has(key)) continue;
    done.add(key);
    const pair = pairOf(field);
    const ident = Id3v2FrameIdentifiers[key.startsWith("TXXX:") ? "TXXX" : key];
    if (pair && ident) {
      const [n, total] = pairNumbers(values, pair, tag.getTextAsString(ident) ?? "");
      tag.setNumberFrame(ident, n, total);
    } else if (key.startsWith("TXXX:")) {
      const description = key.slice(5);
      for (const frame of tag.getFramesByClassType<Id3v2UserTextInformationFrame>(
        Id3v2FrameClassType.UserTextInformationFrame,
      )) {
        if (frame.description.toUpperCase() === description.toUpperCase()) tag.removeFrame(frame);
      }
      const frame = Id3v2UserTextInformationFrame.fromDescription(description);
      frame.text = values[field]!;
      tag.addFrame(frame);
    } else if (ident) {
      tag.setTextFrame(ident, ...values[field]!);
    }
  }
  if (hadId3v1) {
    // Keep an ID3v1 tag that was there in step with the fields it can hold.
    const v1 = file.getTag(TagTypes.Id3v1, false) as Id3v1Tag | undefined;
    if (v1) {
      if (values.title) v1.title = values.title[0]!;
      if (values.artist) v1.performers = [values.artist[0]!];
      if (values.album) v1.album = values.album[0]!;
      if (values.year) v1.year = Number(values.year[0]);
      if (values.trackNumber) v1.track = Number(values.trackNumber[0]);
    }
  } else {
    // taglib adds an ID3v1 tag to every MP3 it opens; we add none the file did not have.
    file.removeTags(TagTypes.Id3v1);
  }
  return format;
}

function writeXiph(file: File, values: TagValues): TagFormat {
  const tag = file.getTag(TagTypes.Xiph, true) as XiphComment;
  for (const field of fieldsToSet(values)) tag.setFieldAsStrings(TAG_FIELDS[field].vorbis, ...values[field]!);
  return "vorbis";
}

const atom = (name: string) => ByteVector.fromString(name, StringType.Latin1);

function writeMp4(file: File, values: TagValues): TagFormat {
  const tag = file.getTag(TagTypes.Apple, true) as Mpeg4AppleTag;
  for (const field of fieldsToSet(values)) {
    const key = TAG_FIELDS[field].mp4;
    const v = values[field]!;
    if (key === "trkn") {
      if (field === "trackNumber") tag.track = Number(v[0]) || 0;
      else tag.trackCount = Number(v[0]) || 0;
    } else if (key === "disk") {
      if (field === "discNumber") tag.disc = Number(v[0]) || 0;
      else tag.discCount = Number(v[0]) || 0;
    } else if (key === "tmpo") {
      tag.beatsPerMinute = Number(v[0]) || 0;
    } else if (key.startsWith("----:")) {
      tag.setItunesStrings(ITUNES_MEAN, key.slice(`----:${ITUNES_MEAN}:`.length), ...v);
    } else {
      // One atom, several values joined as iTunes shows them.
      tag.setQuickTimeStrings(atom(key), [v.join("; ")]);
    }
  }
  return "mp4";
}

/** Sets the front cover, keeping every other picture. */
function setCover(file: File, cover: CoverImage): void {
  const picture = Picture.fromFullData(
    ByteVector.fromByteArray(cover.data),
    PictureType.FrontCover,
    cover.mimeType,
    "",
  );
  const others = file.tag.pictures.filter((p) => p.type !== PictureType.FrontCover);
  file.tag.pictures = [picture, ...others];
}

/** Tags a file in place (the temporary copy); returns the format written. */
export function tagFile(path: string, values: TagValues, cover: CoverImage | undefined): TagFormat {
  const file = File.createFromPath(path);
  try {
    const types = file.tagTypes | file.tagTypesOnDisk;
    const mime = (file.mimeType ?? "").toLowerCase();
    let format: TagFormat;
    if (mime.includes("mp4") || mime.includes("m4a") || types & TagTypes.Apple)
      format = writeMp4(file, values);
    else if (types & TagTypes.Xiph || /flac|ogg|opus/.test(mime)) format = writeXiph(file, values);
    else format = writeId3(file, values, Boolean(file.tagTypesOnDisk & TagTypes.Id3v1));
    if (cover) setCover(file, cover);
    file.save();
    return format;
  } finally {
    file.dispose();
  }
}
