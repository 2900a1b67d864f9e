/**
 * A parsing thread of the build: parses, prepares and compresses the runs of records (prepare.ts `prepareChunk`)
 * that the inserting thread reads from the dump and hands out, and posts back their rows. The inserting
 * thread keeps at most a few runs in flight per thread, so memory stays bounded whichever side is slower.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { DumpKind } from "../dump/index.js";
import { createCodec } from "./codec.js";
import { type Hygiene, type PreparedChunk, prepareChunk } from "./prepare.js";
import type { IndexSubset } from "./subset.js";

/** What a parsing thread is started with. */
export interface WorkerInput {
  subset?: IndexSubset | undefined;
  /** The index's compression dictionary (codec.ts): the parsing threads compress the records. */
  dictionary: Uint8Array;
}

/** A run of records to prepare, numbered in file order. */
export interface WorkerRequest {
  type: "chunk";
  seq: number;
  kind: DumpKind;
  bytes: Uint8Array;
}

/** What a parsing thread posts. */
export type WorkerMessage =
  | { type: "chunk"; seq: number; chunk: PreparedChunk; hygiene: Hygiene }
  | { type: "error"; message: string; name: string; field?: string };

/**
 * Moves a chunk's compressed records into one buffer of their own, so that they go back to the
 * inserting thread as one transfer: a record is a view of a larger buffer (zstd's output, or Buffer's
 * shared pool), which a message would otherwise copy whole for each.
 */
export function gatherRecords(chunk: PreparedChunk): ArrayBuffer {
  let size = 0;
  for (const r of chunk.releases) size += r.body.length + (r.tail?.length ?? 0);
  for (const m of chunk.masters) size += m.body.length;
  const buffer = new ArrayBuffer(size);
  let at = 0;
  const move = (bytes: Uint8Array): Uint8Array => {
    const view = new Uint8Array(buffer, at, bytes.length);
    view.set(bytes);
    at += bytes.length;
    return view;
  };
  for (const r of chunk.releases) {
    r.body = move(r.body);
    if (r.tail) r.tail = move(r.tail);
  }
  for (const m of chunk.masters) m.body = move(m.body);
  return buffer;
}

function run(port: NonNullable<typeof parentPort>, input: WorkerInput): void {
  const codec = createCodec(Buffer.from(input.dictionary));
  port.on("message", (m: WorkerRequest) => {
    try {
      const hygiene: Hygiene = { skipped: 0, skippedIds: [], truncated: 0, repaired: 0 };
      const chunk = prepareChunk(m.kind, m.bytes, input.subset, hygiene, codec);
      const records = gatherRecords(chunk);
      port.postMessage({ type: "chunk", seq: m.seq, chunk, hygiene } satisfies WorkerMessage, [records]);
    } catch (err) {
      const e = err as Error & { field?: string };
      port.postMessage({
        type: "error",
        message: e.message,
        name: e.name,
        ...(e.field ? { field: e.field } : {}),
      } satisfies WorkerMessage);
    }
  });
}

if (parentPort) run(parentPort, workerData as WorkerInput);
