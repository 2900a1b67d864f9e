/**
 * The MetadataSource port over the Discogs client: climbs the query ladder (ladder.ts) with the API's
 * search, and converts raw bodies to core types.
 */
import type { MasterVersion, SearchHit } from "../../core/catalog.js";
import type { ImageSource, ReleaseSource } from "../../core/ports.js";
import {
  createDiscogsClient,
  type DiscogsClient,
  type DiscogsClientOptions,
  normalizeQueryText,
} from "./client.js";
import { toMaster, toMasterVersions, toRelease, toSearchHit } from "./convert.js";
import { albumLadder, runLadder, type SearchParams, trackLadder } from "./ladder.js";

/** The API as a release source with images, plus its client and what only the API offers. */
export interface DiscogsSource extends ReleaseSource, ImageSource {
  readonly client: DiscogsClient;
  /** One database search, as Discogs takes it (the ladder's rung; benches and tests call it too). */
  search(params: SearchParams, signal?: AbortSignal): Promise<SearchHit[]>;
  /** A master's versions, earliest first. */
  getMasterVersions(
    id: number,
    options?: { page?: number; perPage?: number },
    signal?: AbortSignal,
  ): Promise<MasterVersion[]>;
}

/** Text parameters are cleaned for Discogs search; numbers pass as they are. */
const TEXT_PARAMS = ["q", "title", "release_title", "artist", "anv", "label", "track", "catno"] as const;

/** Creates the Discogs source over a new client, or over one passed in. */
export function createDiscogsSource(
  options: DiscogsClientOptions | { client: DiscogsClient },
): DiscogsSource {
  const client = "client" in options ? options.client : createDiscogsClient(options);
  const search = async (params: SearchParams, signal?: AbortSignal) => {
    const cleaned = { ...params };
    for (const k of TEXT_PARAMS) {
      const v = cleaned[k];
      if (typeof v === "string") cleaned[k] = normalizeQueryText(v);
    }
    const raw = await client.search(cleaned, signal);
    return raw.results.map(toSearchHit).filter((h) => h !== null);
  };
  return {
    client,
    search,
    findTrackCandidates: (query, signal) => runLadder(trackLadder(query), search, signal),
    findAlbumCandidates: (query, signal) => runLadder(albumLadder(query), search, signal),
    getRelease: async (id, signal) => toRelease(await client.getRelease(id, signal)),
    getImage: (url, signal) => client.getImage(url, signal),
    getMaster: async (id, signal) => toMaster(await client.getMaster(id, signal)),
    getMasterVersions: async (id, opts = {}, signal) =>
      toMasterVersions(
        await client.getMasterVersions(
          id,
          {
            page: opts.page ?? 1,
            per_page: opts.perPage ?? 100,
            sort: "released",
            sort_order: "asc",
          },
          signal,
        ),
      ),
  };
}
