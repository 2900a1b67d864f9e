/**
 * Runs `discmeta review` in-process for tests: waits for the address it prints, and stops it as Ctrl-C
 * would. Shared by the browser tests and the server's own tests.
 */
import type { CliIo } from "../src/cli/io.js";
import { runCli } from "../src/cli/program.js";
import { TOKEN_HEADER } from "../src/cli/review/server.js";
import type { SessionView } from "../src/cli/review/session.js";

/** A running `discmeta review`: its address, its token, and how to stop it (Ctrl-C). */
export interface RunningReview {
  url: string;
  origin: string;
  token: string;
  /** Interrupts it and resolves with its exit code. */
  stop(): Promise<number>;
  out(): string;
  err(): string;
}

export async function startReview(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<RunningReview> {
  const out: string[] = [];
  const err: string[] = [];
  let interrupt: (() => void) | undefined;
  const io: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    env,
    onInterrupt: (handler) => {
      interrupt = handler;
      return () => {
        interrupt = undefined;
      };
    },
  };
  const done = runCli(["review", ...args], io);
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  for (let i = 0; i < 400 && !/token=/.test(out.join("")) && !finished; i++)
    await new Promise((r) => setTimeout(r, 25));
  const url = /(http:\/\/\S+\?token=(\S+))/.exec(out.join(""));
  if (!url) throw new Error(`review printed no address: ${err.join("")}`);
  return {
    url: url[1]!,
    origin: new URL(url[1]!).origin,
    token: url[2]!,
    out: () => out.join(""),
    err: () => err.join(""),
    async stop() {
      interrupt?.();
      return done;
    },
  };
}

/** The session's state through its API. */
export async function reviewState(r: RunningReview): Promise<SessionView> {
  const res = await fetch(`${r.origin}/api/state`, { headers: { [TOKEN_HEADER]: r.token } });
  return (await res.json()) as SessionView;
}

/** Waits until the session is in one of `phases` (matched, or written). */
export async function settled(
  r: RunningReview,
  phases: SessionView["phase"][] = ["ready", "done"],
): Promise<SessionView> {
  for (let i = 0; i < 600; i++) {
    const view = await reviewState(r);
    if (phases.includes(view.phase)) return view;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error("the review session never settled");
}

/** A change request as the page sends it. */
export function postReview(r: RunningReview, path: string, body: unknown, headers?: Record<string, string>) {
  return fetch(`${r.origin}${path}`, {
    method: "POST",
    headers: headers ?? { "content-type": "application/json", [TOKEN_HEADER]: r.token, origin: r.origin },
    body: JSON.stringify(body),
  });
}
