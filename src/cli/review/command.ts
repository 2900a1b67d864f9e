/**
 * `discmeta review <folder>...`: matches the folder as `tag` does, serves the review page on
 * 127.0.0.1 and prints its address (with the session token); Ctrl-C stops it once any write in
 * progress is done. Decisions are saved in the review file as they are made.
 */
import { spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import type { CliIo } from "../io.js";
import { type TagCliOptions, withTagRun } from "../tag.js";
import { buildReviewServer } from "./server.js";
import { ReviewSession } from "./session.js";

/** The options `review` takes. */
export interface ReviewCliOptions extends TagCliOptions {
  host?: string;
  port?: number;
  open?: boolean;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/** Starts the system's browser on `url` (xdg-open, open, or start); a failure is only a note. */
function openBrowser(url: string, io: CliIo): void {
  const [cmd, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : [io.env.BROWSER || "xdg-open", [url]];
  try {
    const child = spawn(cmd, args, { detached: true, stdio: "ignore" });
    child.on("error", (err) =>
      io.stderr.write(`discmeta: could not start a browser (${err.message}); open the address above\n`),
    );
    child.unref();
  } catch (err) {
    io.stderr.write(
      `discmeta: could not start a browser (${(err as Error).message}); open the address above\n`,
    );
  }
}

/** Runs `review`; returns the exit code once stopped. */
export function runReview(paths: string[], opts: ReviewCliOptions, io: CliIo): Promise<number> {
  if (paths.length === 0) {
    io.stderr.write("discmeta: review needs a folder (or files) to match\n");
    return Promise.resolve(2);
  }
  return withTagRun(io, { ...opts, write: false }, async (run) => {
    const host = opts.host ?? "127.0.0.1";
    if (!LOOPBACK.has(host))
      run.reporter.message(
        `serving on ${host}, not only this machine: anyone who can reach it and has the address below can write your files' tags`,
        "warn",
      );
    const session = new ReviewSession(run, paths, io);
    const server = buildReviewServer({ session, covers: run.container.covers, host });
    try {
      await server.app.listen({ host, port: opts.port ?? 0 });
    } catch (err) {
      io.stderr.write(`discmeta: cannot serve the review page on ${host}: ${(err as Error).message}\n`);
      return 2;
    }
    const { port } = server.app.server.address() as AddressInfo;
    server.listeningOn(port);
    const shown = host.includes(":") ? `[${host}]` : host;
    const url = `http://${shown}:${port}/?token=${server.token}`;
    io.stdout.write(
      `discmeta review: open ${url}\n(Ctrl-C stops; decisions are saved in ${session.reviewFile})\n`,
    );
    if (opts.open) openBrowser(url, io);
    let stopListening: (() => void) | undefined;
    // Ctrl-C: stop matching (what is decided is saved), wait for a write in progress, then stop; a
    // second Ctrl-C quits at once.
    const controller = new AbortController();
    const matching = session.match(controller.signal);
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = io.onInterrupt?.(() => {
        if (stopping) return io.exitNow?.(130);
        stopping = true;
        controller.abort(new DOMException("interrupted", "AbortError"));
        resolve();
      });
      if (!stop) resolve();
      stopListening = stop;
    });
    io.stderr.write("discmeta: stopping the review page\n");
    await server.app.close();
    await matching;
    await session.settle();
    stopListening?.();
    const { tally, applied } = session.view();
    run.reporter.message(
      `review stopped: ${tally.undecided} undecided, ${tally.accepted} accepted, ${tally.skipped} skipped` +
        (applied ? `; ${applied.written} files written, ${applied.failed} failed` : ""),
      "info",
    );
    return 0;
  });
}
