/**
 * Finds audio files under the paths the user gave, recursing into folders, in a stable order.
 */
import { readdir, stat } from "node:fs/promises";
import { extname, join } from "node:path";

/** Extensions we treat as audio. */
export const AUDIO_EXTENSIONS = new Set([
  ".mp3",
  ".flac",
  ".ogg",
  ".oga",
  ".opus",
  ".m4a",
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

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, out);
    else if (entry.isFile() && AUDIO_EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(full);
  }
}

/** Expands files and folders into audio files. A named file is kept whatever its extension. */
export async function collectAudioFiles(
  paths: string[],
): Promise<{ files: string[]; missing: MissingPath[] }> {
  const files: string[] = [];
  const missing: MissingPath[] = [];
  for (const path of paths) {
    try {
      const info = await stat(path);
      if (info.isDirectory()) await walk(path, files);
      else files.push(path);
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
  return { files, missing };
}
