/**
 * Raw Discogs API shapes, written against the real bodies in test/fixtures/discogs-api-samples.
 * Every body is validated on entry; unknown keys pass through. Converted to core types in convert.ts.
 */
import { z } from "zod";

const str = z.string().nullish();
const num = z.number().nullish();

/** An artist credit as the API writes it. */
export const RawArtistCredit = z.looseObject({
  id: num,
  name: z.string(),
  anv: str,
  join: str,
  role: str,
  tracks: str,
  resource_url: str,
});
export type RawArtistCredit = z.infer<typeof RawArtistCredit>;

/** A tracklist row: track, heading or index, possibly with sub_tracks. */
export interface RawTrack {
  position?: string | null | undefined;
  type_?: string | null | undefined;
  title?: string | null | undefined;
  duration?: string | null | undefined;
  artists?: RawArtistCredit[] | null | undefined;
  extraartists?: RawArtistCredit[] | null | undefined;
  sub_tracks?: RawTrack[] | null | undefined;
  [key: string]: unknown;
}
export const RawTrack: z.ZodType<RawTrack> = z.lazy(() =>
  z.looseObject({
    position: str,
    type_: str,
    title: str,
    duration: str,
    artists: z.array(RawArtistCredit).nullish(),
    extraartists: z.array(RawArtistCredit).nullish(),
    sub_tracks: z.array(RawTrack).nullish(),
  }),
);

const RawLabel = z.looseObject({
  name: z.string(),
  catno: str,
  id: num,
  entity_type: str,
  resource_url: str,
});
const RawFormat = z.looseObject({
  name: z.string(),
  qty: z.union([z.string(), z.number()]).nullish(),
  descriptions: z.array(z.string()).nullish(),
  text: str,
});
const RawCommunity = z.looseObject({ have: num, want: num });
const RawImage = z.looseObject({ type: str, uri: str, uri150: str, width: num, height: num });

/** GET /releases/{id} */
export const RawRelease = z.looseObject({
  id: z.number(),
  status: str,
  year: num,
  title: z.string(),
  artists: z.array(RawArtistCredit).nullish(),
  extraartists: z.array(RawArtistCredit).nullish(),
  labels: z.array(RawLabel).nullish(),
  formats: z.array(RawFormat).nullish(),
  genres: z.array(z.string()).nullish(),
  styles: z.array(z.string()).nullish(),
  country: str,
  released: str,
  master_id: num,
  tracklist: z.array(RawTrack).nullish(),
  uri: str,
  resource_url: str,
  community: RawCommunity.nullish(),
  images: z.array(RawImage).nullish(),
});
export type RawRelease = z.infer<typeof RawRelease>;

/** GET /masters/{id} */
export const RawMaster = z.looseObject({
  id: z.number(),
  main_release: num,
  most_recent_release: num,
  title: z.string(),
  artists: z.array(RawArtistCredit).nullish(),
  year: num,
  genres: z.array(z.string()).nullish(),
  styles: z.array(z.string()).nullish(),
  tracklist: z.array(RawTrack).nullish(),
  uri: str,
  resource_url: str,
});
export type RawMaster = z.infer<typeof RawMaster>;

/** The pagination object of list endpoints. */
export const RawPagination = z.looseObject({
  page: z.number(),
  pages: z.number(),
  per_page: z.number(),
  items: z.number(),
  urls: z.looseObject({ next: str, last: str, prev: str, first: str }).nullish(),
});

/** GET /masters/{id}/versions */
export const RawMasterVersions = z.looseObject({
  pagination: RawPagination,
  versions: z.array(
    z.looseObject({
      id: z.number(),
      title: z.string(),
      country: str,
      released: z.union([z.string(), z.number()]).nullish(),
      format: str,
      major_formats: z.array(z.string()).nullish(),
      label: str,
      catno: str,
      status: str,
    }),
  ),
});
export type RawMasterVersions = z.infer<typeof RawMasterVersions>;

/** One row of GET /database/search. Note `year` is a string there. */
export const RawSearchResult = z.looseObject({
  id: z.number(),
  type: z.string(),
  title: z.string(),
  year: z.union([z.string(), z.number()]).nullish(),
  country: str,
  format: z.array(z.string()).nullish(),
  label: z.array(z.string()).nullish(),
  genre: z.array(z.string()).nullish(),
  style: z.array(z.string()).nullish(),
  catno: str,
  barcode: z.array(z.string()).nullish(),
  master_id: num,
  community: RawCommunity.nullish(),
  formats: z.array(RawFormat).nullish(),
});
export type RawSearchResult = z.infer<typeof RawSearchResult>;

/** GET /database/search */
export const RawSearch = z.looseObject({ pagination: RawPagination, results: z.array(RawSearchResult) });
export type RawSearch = z.infer<typeof RawSearch>;
