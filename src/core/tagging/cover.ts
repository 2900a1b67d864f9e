/**
 * Cover images for `discmeta tag --cover`: fetched once per release (an album's files share one fetch,
 * in flight and across runs through the cache), within the Discogs budget the source enforces.
 */
import type { Cache, CoverImage, ImageSource } from "../ports.js";

/** Covers live in the cache for 30 days, keyed by release. */
export const COVER_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Releases whose covers stay in memory: an album's files are written one after another, so the recent
 * few serve them; older ones come from the cache, and a long run does not hold every cover it fetched.
 */
const KEPT_RELEASES = 32;

/** What the cache holds for a cover. */
interface CachedCover {
  mimeType: string;
  base64: string;
}

/** Covers by release. */
export interface CoverStore {
  /** The release's cover, or null when it has none to fetch; throws the source's error on a fault. */
  get(releaseId: number, url: string | null, signal?: AbortSignal): Promise<CoverImage | null>;
  /** Images fetched from the source (not from the cache). */
  readonly fetched: number;
}

/** Creates a store over a source that can fetch images, and an optional cache. */
export function createCoverStore(source: ImageSource | null, cache: Cache | null): CoverStore {
  const inflight = new Map<number, Promise<CoverImage | null>>();
  let fetched = 0;
  const key = (id: number) => `cover:r${id}`;

  async function load(releaseId: number, url: string, signal?: AbortSignal): Promise<CoverImage | null> {
    const hit = await cache?.get<CachedCover>(key(releaseId)).catch(() => undefined);
    if (hit && typeof hit.base64 === "string" && typeof hit.mimeType === "string")
      return { mimeType: hit.mimeType, data: new Uint8Array(Buffer.from(hit.base64, "base64")) };
    if (!source) return null;
    const image = await source.getImage(url, signal);
    fetched++;
    const value: CachedCover = {
      mimeType: image.mimeType,
      base64: Buffer.from(image.data).toString("base64"),
    };
    await cache?.set(key(releaseId), value, COVER_TTL_SECONDS).catch(() => undefined);
    return image;
  }

  return {
    get(releaseId, url, signal) {
      if (!url) return Promise.resolve(null);
      const existing = inflight.get(releaseId);
      if (existing) return existing;
      const p = load(releaseId, url, signal);
      inflight.set(releaseId, p);
      if (inflight.size > KEPT_RELEASES) inflight.delete(inflight.keys().next().value!);
      // A failure is not remembered: the next file of the release may try again.
      p.catch(() => inflight.delete(releaseId));
      return p;
    },
    get fetched() {
      return fetched;
    },
  };
}
