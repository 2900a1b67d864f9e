#!/usr/bin/env node
/** The CLI entry point: reads .env, runs the command, exits with its code. */
import { createInterface, type Interface } from "node:readline/promises";
import { loadDotEnv } from "../config.js";
import { runCli } from "./program.js";

try {
  loadDotEnv();
} catch (err) {
  process.stderr.write(`discmeta: cannot read .env: ${(err as Error).message}\n`);
  process.exit(2);
}
// A closed pipe (`discmeta enrich … | head -1`) ends the output, not the program with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}
// The review flow asks on a terminal only; off one, uncertain items go to a review file.
let rl: Interface | undefined;
const prompt =
  process.stdin.isTTY && process.stderr.isTTY
    ? (question: string) => {
        rl ??= createInterface({ input: process.stdin, output: process.stderr });
        return rl.question(question);
      }
    : undefined;
runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  ...(prompt ? { prompt } : {}),
  onInterrupt: (handler) => {
    process.on("SIGINT", handler);
    return () => process.off("SIGINT", handler);
  },
  exitNow: (code) => process.exit(code),
}).then(
  (code: number) => {
    rl?.close();
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`discmeta: unexpected failure: ${(err as Error).message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
