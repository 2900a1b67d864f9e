/**
 * The simulator's data: releases from the dump importer plus fixture files, masters derived from releases
 * (and the dump's own masters), and a token index for search.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { importDump } from "../../../src/adapters/discogs/dump/index.js";
import {
  type DocFields,
  docFields,
  type Json,
  mergeFields,
} from "../../../src/adapters/discogs/index/fields.js";
import { deriveMasterBody } from "../../../src/adapters/discogs/index/rows.js";

export { displayArtist, type Json, tokens } from "../../../src/adapters/discogs/index/fields.js";

/** One search document: a release, or a master with the words of all its versions. */
export interface SearchDoc extends DocFields {
  type: "release" | "master";
  id: number;
  release: Json;
  popularity: number;
}

function makeDoc(type: "release" | "master", id: number, r: Json): SearchDoc {
  const community = r.community as { have?: number } | undefined;
  return { type, id, release: r, ...docFields(r), popularity: community?.have ?? 0 };
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
    const earliest = years.length > 0 ? Math.min(...years) : 0;
    store.masters.set(masterId, deriveMasterBody(masterId, main, Number(latest.id), earliest));
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
    for (const id of ids) mergeFields(doc, docFields(store.releases.get(id)!));
    doc.popularity = ids.reduce(
      (n, id) => n + ((store.releases.get(id)?.community as { have?: number })?.have ?? 0),
      0,
    );
    store.docs.push(doc);
  }
  return store;
}
