/**
 * The request body of POST /api/v1/audio/metadata/ai, as JSON or multipart/form-data with the audio file.
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, extname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { InvalidInputError } from "../core/errors.js";
import type { TagReader } from "../core/ports.js";
import { MODES, type RawTags, type TrackInput } from "../core/types.js";
import { unreadableTags, type Warning } from "../core/warnings.js";

const text = z.string().max(1024);
const numberOrText = z.union([z.number().finite(), z.string().max(64)]);

/** Tags a client may send. Unknown keys are dropped. */
export const Id3TagsSchema = z.object({
  artist: text.optional(),
  title: text.optional(),
  album: text.optional(),
  year: numberOrText.optional(),
  genre: text.optional(),
  label: text.optional(),
  catno: text.optional(),
  track: numberOrText.optional(),
  duration: numberOrText.optional(),
});

/** The JSON request. `filename` is only a name: it is never opened on the server. */
export const MetadataRequestSchema = z.object({
  filename: z.string().min(1).max(1024),
  id3_tags: Id3TagsSchema.optional(),
  mode: z.enum(MODES).optional(),
});
export type MetadataRequest = z.infer<typeof MetadataRequestSchema>;

/** Validates a body against a schema; the error names the first bad field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.join(".") || "body";
    throw new InvalidInputError(`${field}: ${issue.message}`, { field });
  }
  return result.data;
}

/** Validates a body; the error names the first bad field. */
export function parseRequest(body: unknown): TrackInput {
  const { filename, id3_tags, mode } = parseBody(MetadataRequestSchema, body);
  return { filename, tags: id3_tags as RawTags | undefined, mode };
}

/** A multipart request as read: the input, the tags' warning, and the upload when it is to be analysed. */
export type MultipartInput = TrackInput & {
  tagWarning?: Warning | undefined;
  /** The uploaded file, kept for audio analysis (`analyze=true`); dispose() deletes it. */
  upload?: { path: string; dispose(): Promise<void> } | undefined;
};

/**
 * Reads a multipart request: the `file` field (tags read server-side) plus optional filename, mode,
 * id3_tags and analyze.
 */
export async function parseMultipart(request: FastifyRequest, tagReader: TagReader): Promise<MultipartInput> {
  try {
    return await readMultipart(request, tagReader);
  } catch (err) {
    throw asBadMultipart(err);
  }
}

/** A form field's yes or no. */
function flag(value: unknown, field: string): boolean {
  if (value === undefined || value === "" || value === "false" || value === "0") return false;
  if (value === "true" || value === "1") return true;
  throw new InvalidInputError(`${field}: must be true or false`, { field });
}

/** Limits keep their own status (413); any other fault of the multipart parser is a malformed body. */
function asBadMultipart(err: unknown): unknown {
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (err instanceof InvalidInputError) return err;
  if (e.code?.startsWith("FST_") && e.statusCode === 413) return err;
  if (
    ["FST_REQ_FILE_TOO_LARGE", "FST_FILES_LIMIT", "FST_FIELDS_LIMIT", "FST_PARTS_LIMIT"].includes(
      e.code ?? "",
    )
  )
    return err;
  const reason = (e.message ?? "unreadable").replace(/[\r\n]+/g, " ").slice(0, 120);
  return new InvalidInputError(`body: malformed multipart/form-data (${reason})`, {
    field: "body",
    cause: err,
  });
}

async function readMultipart(request: FastifyRequest, tagReader: TagReader): Promise<MultipartInput> {
  const fields: Record<string, unknown> = {};
  let fileTags: RawTags | undefined;
  let uploadName: string | undefined;
  let tagWarning: Warning | undefined;
  // The upload lives in a private temporary folder until the request is read; it is kept beyond only
  // when the client asks for its audio to be analysed.
  let dir: string | undefined;
  let path: string | undefined;
  let keep = false;
  try {
    for await (const part of request.parts()) {
      if (part.type === "file") {
        if (part.fieldname !== "file" || dir !== undefined) {
          part.file.resume();
          throw new InvalidInputError(`${part.fieldname}: send one audio file, in the field "file"`, {
            field: part.fieldname,
          });
        }
        uploadName = part.filename;
        // Streamed to disk, never held whole in memory.
        dir = await mkdtemp(join(tmpdir(), "discmeta-upload-"));
        path = join(dir, `upload${extname(basename(part.filename ?? "")).slice(0, 8)}`);
        await pipeline(part.file, createWriteStream(path));
        if (part.file.truncated)
          throw Object.assign(new Error("file too large"), {
            code: "FST_REQ_FILE_TOO_LARGE",
            statusCode: 413,
          });
        try {
          fileTags = await tagReader.read(path);
        } catch (err) {
          // A corrupt upload is not a bad request: its name is used, as for a corrupt file on disk.
          if (!(err instanceof InvalidInputError)) throw err;
          fileTags = {};
          tagWarning = unreadableTags(err.message);
        }
      } else {
        fields[part.fieldname] = part.value;
      }
    }
    if (!fileTags && fields.filename === undefined) {
      throw new InvalidInputError('file: send the audio in the field "file", or a "filename" field', {
        field: "file",
      });
    }
    const analyze = flag(fields.analyze, "analyze");
    if (analyze && !path)
      throw new InvalidInputError('analyze: needs the audio in the field "file"', { field: "analyze" });
    let id3: unknown;
    if (typeof fields.id3_tags === "string" && fields.id3_tags !== "") {
      try {
        id3 = JSON.parse(fields.id3_tags);
      } catch {
        throw new InvalidInputError("id3_tags: not valid JSON", { field: "id3_tags" });
      }
    }
    const input = parseRequest({
      filename: fields.filename ?? uploadName,
      ...(id3 !== undefined ? { id3_tags: id3 } : {}),
      ...(fields.mode !== undefined ? { mode: fields.mode } : {}),
    });
    keep = analyze;
    const kept = dir;
    // Tags the client sent win over the file's own.
    return {
      ...input,
      tags: { ...fileTags, ...stripUndefined(input.tags ?? {}) },
      tagWarning,
      audioMeasured: analyze,
      upload:
        analyze && path && kept
          ? { path, dispose: () => rm(kept, { recursive: true, force: true }) }
          : undefined,
    };
  } finally {
    if (dir && !keep) await rm(dir, { recursive: true, force: true });
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
