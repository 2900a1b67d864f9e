import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../redis-server.js";

const ROOT = resolve(import.meta.dirname, "../..");

async function health(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(500) })).ok;
  } catch {
    return false;
  }
}

describe("npm start", () => {
  it("stops the service on SIGTERM to npm itself (no orphan left serving)", async () => {
    const port = await freePort();
    const npm = spawn("npm", ["start", "--silent"], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: "127.0.0.1",
        METADATA_USE_DISCOGS: "false",
        LOG_LEVEL: "silent",
      },
      stdio: "ignore",
    });
    try {
      let up = false;
      for (let i = 0; i < 100 && !up; i++) {
        up = await health(port);
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      expect(up).toBe(true);
      npm.kill("SIGTERM");
      let down = false;
      for (let i = 0; i < 50 && !down; i++) {
        await new Promise((r) => setTimeout(r, 100));
        down = !(await health(port));
      }
      expect(down).toBe(true);
    } finally {
      npm.kill("SIGKILL");
    }
  }, 30_000);
});
