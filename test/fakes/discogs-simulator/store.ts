/**
 * The simulator's data: releases from the dump importer plus fixture files, masters derived from releases
 * (and the dump's own masters), and a token index for search.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { importDump } from "../../../src/adapters/discogs/dump/index.js";

/** A JSON object as the API serves it. */
export type Json = Record<string, unknown>;

/** Folds case and accents and splits into tokens of letters and digits, any script. */
export function tokens(text: string): string[] {
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/&/g, " and ")
    .replace(/['’]/g, "")
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** Compact form for catalogue numbers and barcodes: "SK 032" = "SK032". */
const compact = (s: string) => tokens(s).join("");

/** The searchable fields of one search document. */
export interface SearchDoc {
  type: "release" | "master";
  id: number;
  release: Json;
  fields: Record<string, Set<string>>;
  compactCatno: string[];
  compactBarcode: string[];
  all: Set<string>;
  popularity: number;
}

type Artist = { name?: string; anv?: string; join?: string };
type Track = { title?: string; sub_tracks?: Track[]; artists?: Artist[] };

function trackTitles(list: Track[] | undefined): string[] {
  return (list ?? []).flatMap((t) => [t.title ?? "", ...trackTitles(t.sub_tracks)]);
}
function trackArtists(list: Track[] | undefined): Artist[] {
  return (list ?? []).flatMap((t) => [...(t.artists ?? []), ...trackArtists(t.sub_tracks)]);
}

/** "Artist - Title" as the search row's title, joining credits with their join words. */
export function displayArtist(artists: Artist[] | undefined): string {
  const list = artists ?? [];
  if (list.length === 0) return "Various";
  return list
    .map(
      (a, i) =>
        `${a.anv || a.name || ""}${i < list.length - 1 ? (a.join && a.join !== "," ? ` ${a.join} ` : ", ") : ""}`,
    )
    .join("")
    .replace(/\s+/g, " ")
    .trim();
}

function makeDoc(type: "release" | "master", id: number, r: Json): SearchDoc {
  const artists = (r.artists as Artist[] | undefined) ?? [];
  const allArtists = [...artists, ...trackArtists(r.tracklist as Track[])];
  const labels = (r.labels as { name?: string; catno?: string }[] | undefined) ?? [];
  const formats = (r.formats as { name?: string; descriptions?: string[] }[] | undefined) ?? [];
  const ids = (r.identifiers as { type?: string; value?: string }[] | undefined) ?? [];
  const barcodes = ids.filter((i) => i.type === "Barcode").map((i) => i.value ?? "");
  const f = (xs: string[]) => new Set(xs.flatMap(tokens));
  const artistName = displayArtist(artists);
  const fields: Record<string, Set<string>> = {
    artist: f(allArtists.map((a) => a.name ?? "").map((n) => n.replace(/\s*\(\d+\)$/, ""))),
    anv: f(allArtists.map((a) => a.anv ?? "")),
    release_title: f([String(r.title ?? "")]),
    title: f([artistName, String(r.title ?? "")]),
    track: f(trackTitles(r.tracklist as Track[])),
    label: f(labels.map((l) => l.name ?? "")),
    catno: f(labels.map((l) => l.catno ?? "")),
    genre: f((r.genres as string[]) ?? []),
    style: f((r.styles as string[]) ?? []),
    country: f([String(r.country ?? "")]),
    year: f([String(r.year ?? "")]),
    format: f(formats.flatMap((x) => [x.name ?? "", ...(x.descriptions ?? [])])),
    barcode: f(barcodes),
  };
  for (const a of allArtists) if (a.anv) fields.artist!.add(tokens(a.anv).join(" "));
  const all = new Set<string>();
  for (const k of ["artist", "anv", "title", "track", "label", "catno"])
    for (const t of fields[k]!) all.add(t);
  const community = r.community as { have?: number } | undefined;
  return {
    type,
    id,
    release: r,
    fields,
    compactCatno: labels.map((l) => compact(l.catno ?? "")).filter(Boolean),
    compactBarcode: barcodes.map(compact).filter(Boolean),
    all,
    popularity: community?.have ?? 0,
  };
}

/** The loaded data and its search index. */
export interface SimulatorStore {
  releases: Map<number, Json>;
  masters: Map<number, Json>;
  /** Release ids of each master, in insertion order. */
  versions: Map<number, number[]>;
  docs: SearchDoc[];
}

/** Builds masters for releases that carry a master_id: main release flagged, else the earliest. */
function deriveMasters(store: SimulatorStore, mainFlags: Set<number>): void {
  for (const [masterId, ids] of store.versions) {
    const rels = ids.map((id) => store.releases.get(id)!);
    const byYear = [...rels].sort(
      (a, b) => (Number(a.year) || 9999) - (Number(b.year) || 9999) || Number(a.id) - Number(b.id),
    );
    const main = rels.find((r) => mainFlags.has(Number(r.id))) ?? byYear[0]!;
    const latest = [...byYear].reverse()[0]!;
    const years = rels.map((r) => Number(r.year)).filter((y) => y > 0);
    store.masters.set(masterId, {
      id: masterId,
      main_release: main.id,
      most_recent_release: latest.id,
      resource_url: `https://api.discogs.com/masters/${masterId}`,
      uri: `https://www.discogs.com/master/${masterId}`,
      versions_url: `https://api.discogs.com/masters/${masterId}/versions`,
      main_release_url: `https://api.discogs.com/releases/${main.id}`,
      genres: main.genres ?? [],
      styles: main.styles ?? [],
      year: years.length > 0 ? Math.min(...years) : 0,
      tracklist: main.tracklist ?? [],
      artists: main.artists ?? [],
      title: main.title,
      data_quality: "Correct",
    });
  }
}

/** Loads the dump sample and fixture releases into a store. Fixture releases replace dump ones by id. */
export async function loadStore(options: {
  dumpDir?: string | null;
  fixtures?: (string | Json)[];
}): Promise<SimulatorStore> {
  const store: SimulatorStore = { releases: new Map(), masters: new Map(), versions: new Map(), docs: [] };
  const mainFlags = new Set<number>();
  const add = (r: Json, isMain: boolean) => {
    const id = Number(r.id);
    store.releases.set(id, r);
    if (isMain) mainFlags.add(id);
  };
  if (options.dumpDir) {
    for await (const rec of importDump(join(options.dumpDir, "masters.xml.gz")))
      store.masters.set(Number(rec.data.id), rec.data);
    for await (const rec of importDump(join(options.dumpDir, "releases.xml.gz"))) {
      if (rec.kind === "releases") add(rec.data, rec.isMainRelease);
    }
  }
  for (const fx of options.fixtures ?? []) {
    const list = typeof fx === "string" ? (JSON.parse(await readFile(fx, "utf8")) as Json | Json[]) : fx;
    for (const r of Array.isArray(list) ? list : [list]) {
      const { _main_release, ...release } = r;
      add(release, _main_release === true);
    }
  }
  for (const r of store.releases.values()) {
    const m = Number(r.master_id);
    if (m > 0) store.versions.set(m, [...(store.versions.get(m) ?? []), Number(r.id)]);
  }
  deriveMasters(store, mainFlags);
  for (const r of store.releases.values()) store.docs.push(makeDoc("release", Number(r.id), r));
  for (const [masterId, ids] of store.versions) {
    const main =
      store.releases.get(Number(store.masters.get(masterId)?.main_release)) ?? store.releases.get(ids[0]!)!;
    // A master row matches on the tracks and labels of all its versions, like Discogs' master search.
    const doc = makeDoc("master", masterId, main);
    for (const id of ids) {
      const v = makeDoc("release", id, store.releases.get(id)!);
      for (const [k, set] of Object.entries(v.fields)) for (const t of set) doc.fields[k]!.add(t);
      for (const t of v.all) doc.all.add(t);
    }
    doc.popularity = ids.reduce(
      (n, id) => n + ((store.releases.get(id)?.community as { have?: number })?.have ?? 0),
      0,
    );
    store.docs.push(doc);
  }
  return store;
}
