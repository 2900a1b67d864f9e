/**
 * Real Redis for tests: the machine's on 127.0.0.1:6379 when it answers, else a redis-server we start
 * on a free port. Fails with a clear message when there is no redis-server at all.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createConnection, createServer } from "node:net";

/** Resolves true when a Redis answers PING at host:port. */
export function pingRedis(port: number, host = "127.0.0.1", timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (d) => done(d.toString().startsWith("+PONG")));
  });
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A redis-server this test started. */
export interface OwnRedis {
  port: number;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts redis-server on a port (free by default), nothing on disk. */
export async function startOwnRedis(port?: number): Promise<OwnRedis> {
  const p = port ?? (await freePort());
  const child = spawn(
    "redis-server",
    ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.on("error", (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === "ENOENT"
            ? "tests need Redis: no server answers on 127.0.0.1:6379 and no redis-server is installed (Debian: apt-get install redis-server)"
            : `cannot start redis-server: ${err.message}`,
        ),
      ),
    ),
  );
  const started = (async () => {
    for (let i = 0; i < 100; i++) {
      if (await pingRedis(p)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on port ${p} did not answer PING`);
  })();
  await Promise.race([started, spawnError]);
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}

/** The machine's Redis when it answers, else one started for this run. */
export async function testRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  if (await pingRedis(6379)) return { url: "redis://127.0.0.1:6379", stop: async () => undefined };
  return startOwnRedis();
}
