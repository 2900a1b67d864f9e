#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm ci` / `npm run build`). In a development checkout that
// has not been built, it runs the TypeScript source through tsx, a development dependency.
import { existsSync } from "node:fs";

const built = new URL("../dist/src/cli/main.js", import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  let register;
  try {
    ({ register } = await import("tsx/esm/api"));
  } catch {
    process.stderr.write("discmeta: not built; run `npm run build` (or `npm ci`, which builds) first\n");
    process.exit(2);
  }
  register();
  await import(new URL("../src/cli/main.ts", import.meta.url).href);
}
