/**
 * The build's second thread: gunzips, parses and prepares a dump file (prepare.ts) and posts the rows
 * in batches to the thread that inserts them. At most a few batches are in flight, so memory stays
 * bounded whichever side is slower.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type Hygiene, type PrepareJob, prepareDump } from "./prepare.js";

/** What the worker is started with. */
export interface WorkerInput {
  job: PrepareJob;
  /** Batches posted but not yet taken before the worker waits. */
  window: number;
}

/** What the worker posts. */
export type WorkerMessage =
  | { type: "batch"; batch: import("./prepare.js").PreparedBatch }
  | { type: "done"; hygiene: Hygiene }
  | { type: "error"; message: string; name: string; field?: string };

async function run(port: NonNullable<typeof parentPort>, input: WorkerInput): Promise<void> {
  let credit = input.window;
  let wake: (() => void) | null = null;
  port.on("message", (m: { type: string }) => {
    if (m.type !== "ack") return;
    credit++;
    wake?.();
  });
  const hygiene: Hygiene = { skipped: 0, skippedIds: [], truncated: 0, repaired: 0 };
  try {
    for await (const batch of prepareDump(input.job, hygiene)) {
      while (credit <= 0) await new Promise<void>((r) => (wake = r));
      wake = null;
      credit--;
      port.postMessage({ type: "batch", batch } satisfies WorkerMessage);
    }
    port.postMessage({ type: "done", hygiene } satisfies WorkerMessage);
  } catch (err) {
    const e = err as Error & { field?: string };
    port.postMessage({
      type: "error",
      message: e.message,
      name: e.name,
      ...(e.field ? { field: e.field } : {}),
    } satisfies WorkerMessage);
  }
  port.close();
}

if (parentPort) void run(parentPort, workerData as WorkerInput);
