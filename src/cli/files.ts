/**
 * Finds audio files under the paths the user gave, recursing into folders, in a stable order.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, extname, join, relative, resolve } from "node:path";

/** Extensions we treat as audio: every one `tag` can write (a test holds the two lists together), and more. */
export const AUDIO_EXTENSIONS = new Set([
  ".mp3",
  ".flac",
  ".ogg",
  ".oga",
  ".opus",
  ".m4a",
  ".m4b",
  ".mp4",
  ".aac",
  ".wav",
  ".aif",
  ".aiff",
  ".wma",
  ".ape",
  ".wv",
  ".webm",
  ".mka",
  ".dsf",
]);

/** A path the user named that does not exist or cannot be read. */
export interface MissingPath {
  path: string;
  reason: string;
}

/** An audio file to enrich: its path, and its path relative to the folder the user named. */
export interface AudioFile {
  path: string;
  /** "Artist - Album (1999)/01 - Title.flac" under the named folder; the file name for a named file. */
  relative: string;
}

/** True when the name has an audio extension. */
export function isAudioName(name: string): boolean {
  return AUDIO_EXTENSIONS.has(extname(name).toLowerCase());
}

/**
 * The tag writer's temporary file beside the one it writes (".NAME.discmeta-1a2b3c4d.mp3"): never
 * collected; one a killed write left behind is found again by the next `tag` and removed.
 */
const WRITER_TEMP = /^\..+\.discmeta-[0-9a-f]{8}\.[^.]+$/;

/** True when a file name is a temporary file of the tag writer's. */
export function isWriterTemp(name: string): boolean {
  return WRITER_TEMP.test(name);
}

async function walk(root: string, dir: string, out: AudioFile[], temps: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await walk(root, full, out, temps);
    else if (entry.isFile() && isWriterTemp(entry.name)) temps.push(full);
    else if (entry.isFile() && isAudioName(entry.name))
      out.push({ path: full, relative: relative(root, resolve(full)) });
  }
}

/**
 * Expands files and folders into audio files. A named file without an audio extension is skipped and
 * listed in `skipped`, so the caller can say so.
 */
export async function collectAudioFiles(paths: string[]): Promise<{
  files: AudioFile[];
  missing: MissingPath[];
  skipped: string[];
  /** The tag writer's temporary files found in the folders (never collected as audio). */
  temps: string[];
}> {
  const files: AudioFile[] = [];
  const missing: MissingPath[] = [];
  const skipped: string[] = [];
  const temps: string[] = [];
  for (const path of paths) {
    try {
      const info = await stat(path);
      // The folder a file sits in is evidence ("Artist - Album (1999)"), whether the folder or the file
      // was named: paths are kept relative to the named folder's parent, or the named file's grandparent.
      if (info.isDirectory()) await walk(resolve(path, ".."), path, files, temps);
      else if (isWriterTemp(basename(path))) temps.push(path);
      else if (isAudioName(path))
        files.push({ path, relative: relative(resolve(path, "../.."), resolve(path)) });
      else skipped.push(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      missing.push({
        path,
        reason:
          code === "ENOENT"
            ? "no such file or folder"
            : code === "EACCES"
              ? "permission denied"
              : String(code),
      });
    }
  }
  return { files, missing, skipped, temps };
}
