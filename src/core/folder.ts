/**
 * What a folder says: its name read as "Artist - Album (Year)" and its kin, and the folder part of a
 * relative path. Stage 1 and album clustering both read it.
 */
import { cleanText } from "./normalize.js";

/** What a folder name says: "Artist - Album (1999)", "Artist - 1999 - Album", "1999 - Album". */
export interface FolderFacts {
  artist: string | null;
  album: string | null;
  year: number | null;
}

const FOLDER_PATTERNS: readonly { re: RegExp; map: (m: RegExpExecArray) => FolderFacts }[] = [
  {
    re: /^(.+?) - ((?:19|20)\d\d) - (.+)$/,
    map: (m) => ({ artist: m[1]!, album: m[3]!, year: Number(m[2]) }),
  },
  {
    re: /^(.+?) - (.+?)\s*[([]((?:19|20)\d\d)[)\]]$/,
    map: (m) => ({ artist: m[1]!, album: m[2]!, year: Number(m[3]) }),
  },
  { re: /^((?:19|20)\d\d) - (.+)$/, map: (m) => ({ artist: null, album: m[2]!, year: Number(m[1]) }) },
  { re: /^(.+?) - (.+)$/, map: (m) => ({ artist: m[1]!, album: m[2]!, year: null }) },
];

/**
 * Reads a folder name. A name without a separator ("Playlist 17", "Downloads") says nothing: it is not
 * taken for an album title.
 */
export function parseFolderName(name: string): FolderFacts {
  const text = cleanText(name.replace(/[_]+/g, " ")).replace(
    /\s*[[{](?:FLAC|MP3|WEB|\d+k?bps)[^\]}]*[\]}]/gi,
    "",
  );
  for (const p of FOLDER_PATTERNS) {
    const m = p.re.exec(text);
    if (m) {
      const facts = p.map(m);
      return { artist: facts.artist?.trim() || null, album: facts.album?.trim() || null, year: facts.year };
    }
  }
  return { artist: null, album: null, year: null };
}

/** The folder part of a relative path ("A - B (1999)/01 - X.flac" -> "A - B (1999)"), or null. */
export function folderOf(path: string | undefined): string | null {
  if (!path) return null;
  const parts = path.split(/[/\\]/);
  return parts.length > 1 ? parts.slice(0, -1).join("/") : null;
}

/** Items grouped by the folder of their input's path, in first-seen order; items with no folder are left out. */
export function groupByFolder<T extends { input: { path?: string } }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const folder = folderOf(item.input.path);
    if (folder === null) continue;
    const group = groups.get(folder);
    if (group) group.push(item);
    else groups.set(folder, [item]);
  }
  return groups;
}
