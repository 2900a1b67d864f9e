/**
 * TagWriter over node-taglib-sharp: ID3v2.3/2.4 (MP3), Xiph comments (FLAC, Ogg Vorbis, Opus) and MP4
 * atoms (M4A). Each field goes where the table in core/tagging/fields.ts says. The write is atomic: the
 * file is copied to a temporary file in the same folder, tagged there, flushed, and renamed over the
 * original, so a failure at any point leaves the original as it was. Tags we do not manage are kept.
 */
import { randomBytes } from "node:crypto";
import { chmod, chown, copyFile, open, realpath, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { InvalidInputError } from "../../core/errors.js";
import type { TagWriter } from "../../core/ports.js";

/** Extensions this writer handles. */
export const WRITABLE_EXTENSIONS = [
  ".mp3",
  ".flac",
  ".ogg",
  ".oga",
  ".opus",
  ".m4a",
  ".mp4",
  ".m4b",
] as const;

/** A clear reason for a failed write, from the error's code or text. */
export function describeWriteError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOSPC":
    case "EDQUOT":
      return "the disk is full";
    case "EROFS":
      return "the file system is read-only";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "is a folder, not a file";
    default: {
      const message = err instanceof Error ? err.message : String(err);
      return `not an audio file discmeta can write (${message.slice(0, 200)})`;
    }
  }
}
/** Creates the writer. */
export function createTaglibWriter(): TagWriter {
  return {
    extensions: WRITABLE_EXTENSIONS,
    async write(path, values, options = {}) {
      const fail = (reason: string, cause?: unknown) =>
        new InvalidInputError(`tags: cannot write "${path}": ${reason}`, { cause, field: "file" });
      let target: string;
      let info: Awaited<ReturnType<typeof stat>>;
      try {
        // A link is followed: the file it names is written, the link stays a link.
        target = await realpath(path);
        info = await stat(target);
      } catch (err) {
        throw fail(describeWriteError(err), err);
      }
      if (!info.isFile()) throw fail("is not a file");
      // Renaming over a file needs only the folder's permission: refuse a read-only file ourselves.
      if ((info.mode & 0o222) === 0) throw fail("the file is read-only");
      if (!(WRITABLE_EXTENSIONS as readonly string[]).includes(extname(target).toLowerCase()))
        throw fail(`${extname(target) || "files without an extension"} is not a format discmeta writes`);
      const tmp = join(
        dirname(target),
        `.${basename(target)}.discmeta-${randomBytes(4).toString("hex")}${extname(target)}`,
      );
      try {
        await copyFile(target, tmp);
        const { tagFile } = await import("./taglib-edit.js");
        const format = tagFile(tmp, values, options.cover);
        const handle = await open(tmp, "r+");
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        await chmod(tmp, info.mode & 0o7777);
        if (typeof process.getuid === "function" && process.getuid() === 0)
          await chown(tmp, info.uid, info.gid).catch(() => undefined);
        await rename(tmp, target);
        return { format };
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw fail(describeWriteError(err), err);
      }
    },
  };
}
