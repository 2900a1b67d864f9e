#!/usr/bin/env node
/** The CLI entry point: reads .env, runs the command, exits with its code. */
import { loadDotEnv } from "../config.js";
import { runCli } from "./enrich.js";

try {
  loadDotEnv();
} catch (err) {
  process.stderr.write(`discmeta: cannot read .env: ${(err as Error).message}\n`);
  process.exit(2);
}
runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`discmeta: unexpected failure: ${(err as Error).message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
