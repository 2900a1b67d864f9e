/**
 * The Discogs dump importer: streams a monthly dump file into API-shaped objects.
 * It feeds the offline index (`discmeta index build`) and the test simulator.
 */
import { artistToApi, labelToApi, masterToApi, releaseToApi } from "./to-api.js";
import {
  type DumpKind,
  type DumpProgress,
  parseRecordChunk,
  readXmlRecords,
  type XmlNode,
} from "./xml-records.js";

/** One imported record, in the API's JSON shape. */
export type DumpRecord =
  | { kind: "releases"; data: Record<string, unknown>; isMainRelease: boolean }
  | { kind: "masters" | "artists" | "labels"; data: Record<string, unknown> };

/** Streams the records of one dump file (`.xml` or `.xml.gz`), in file order, in constant memory. */
export async function* importDump(path: string, progress?: DumpProgress): AsyncGenerator<DumpRecord> {
  for await (const { kind, node } of readXmlRecords(path, progress)) {
    const record = convert(kind, node, progress);
    if (record) yield record;
  }
}

/** The records of one run of a dump's text (xml-records.ts `readRecordChunks`), as importDump gives them. */
export function importChunk(kind: DumpKind, bytes: Uint8Array, progress?: DumpProgress): DumpRecord[] {
  const out: DumpRecord[] = [];
  for (const node of parseRecordChunk(kind, bytes, progress)) {
    const record = convert(kind, node, progress);
    if (record) out.push(record);
  }
  return out;
}

/** One record converted; null when it cannot be: one broken record costs itself, counted and named. */
function convert(kind: DumpKind, node: XmlNode, progress?: DumpProgress): DumpRecord | null {
  try {
    return toRecord(kind, node);
  } catch (err) {
    if (progress) {
      progress.skipped = (progress.skipped ?? 0) + 1;
      progress.skippedIds ??= [];
      const ids = progress.skippedIds;
      if (ids.length < MAX_NAMED_SKIPS)
        ids.push(
          `${kind} ${String(node.attrs.id ?? "?").slice(0, 20)}: ${(err as Error).message.slice(0, 120)}`,
        );
    }
    return null;
  }
}

/** Skipped records named in a summary, at most. */
const MAX_NAMED_SKIPS = 10;

function toRecord(kind: DumpKind, node: XmlNode): DumpRecord {
  switch (kind) {
    case "releases": {
      const { release, isMainRelease } = releaseToApi(node);
      return { kind, data: release, isMainRelease };
    }
    case "masters":
      return { kind, data: masterToApi(node) };
    case "artists":
      return { kind, data: artistToApi(node) };
    case "labels":
      return { kind, data: labelToApi(node) };
  }
}

export type { DumpKind, DumpProgress, RecordChunk } from "./xml-records.js";
export { readRecordChunks } from "./xml-records.js";
