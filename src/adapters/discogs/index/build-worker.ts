/**
 * A parsing thread of the build: parses, prepares and compresses the runs of records (prepare.ts
 * `prepareChunk`) that the inserting thread reads from the dump and hands out, and posts back their
 * rows. The inserting thread keeps a bounded number of runs in flight per thread (build.ts
 * IN_FLIGHT), so memory stays bounded whichever side is slower.
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

function run(port: NonNullable<typeof parentPort>, input: WorkerInput): void {
  const codec = createCodec(Buffer.from(input.dictionary));
  port.on("message", (m: WorkerRequest) => {
    try {
      const hygiene: Hygiene = { skipped: 0, skippedIds: [], truncated: 0, repaired: 0 };
      const chunk = prepareChunk(m.kind, m.bytes, input.subset, hygiene, codec);
      // The records are views of the chunk's buffers, which move to the inserting thread whole.
      port.postMessage({ type: "chunk", seq: m.seq, chunk, hygiene } satisfies WorkerMessage, chunk.buffers);
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
