/**
 * The MetadataSource port over the Discogs client: calls the API and converts raw bodies to core types.
 */
import type { MetadataSource } from "../../core/ports.js";
import {
  createDiscogsClient,
  type DiscogsClient,
  type DiscogsClientOptions,
  normalizeQueryText,
} from "./client.js";
import { toMaster, toMasterVersions, toRelease, toSearchHit } from "./convert.js";

/** A MetadataSource that also exposes its client's counters. */
export interface DiscogsSource extends MetadataSource {
  readonly client: DiscogsClient;
}

/** Text parameters are cleaned for Discogs search; numbers pass as they are. */
const TEXT_PARAMS = ["q", "title", "release_title", "artist", "anv", "label", "track", "catno"] as const;

/** Creates the Discogs source over a new client, or over one passed in. */
export function createDiscogsSource(
  options: DiscogsClientOptions | { client: DiscogsClient },
): DiscogsSource {
  const client = "client" in options ? options.client : createDiscogsClient(options);
  return {
    client,
    async search(params, signal) {
      const cleaned = { ...params };
      for (const k of TEXT_PARAMS) {
        const v = cleaned[k];
        if (typeof v === "string") cleaned[k] = normalizeQueryText(v);
      }
      const raw = await client.search(cleaned, signal);
      return raw.results.map(toSearchHit).filter((h) => h !== null);
    },
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
            sort: opts.sort ?? "released",
            sort_order: "asc",
          },
          signal,
        ),
      ),
  };
}
