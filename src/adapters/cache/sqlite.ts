/**
 * The embedded persistent cache: one SQLite file in the user's cache folder, no server needed. It is the
 * CLI's default, so a folder run that was stopped half-way costs nothing for the tracks it finished.
 * Writes are synchronous and durable (WAL); expired rows are swept on open and now and then on write.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { UpstreamError } from "../../core/errors.js";
import type { Cache } from "../../core/ports.js";

/** Options of the SQLite cache. */
export interface SqliteCacheOptions {
  /** The database file; ":memory:" for a private in-memory one. */
  path: string;
  now?: () => number;
  /** Writes between sweeps of expired rows. Default 500. */
  sweepEvery?: number;
}

/** Creates the SQLite cache. The file and its folder are made on first use. */
export function createSqliteCache(options: SqliteCacheOptions): Cache & { size(): number } {
  const now = options.now ?? Date.now;
  const sweepEvery = options.sweepEvery ?? 500;
  let db: Database.Database | undefined;
  let writes = 0;
  let stmts:
    | {
        get: Database.Statement;
        set: Database.Statement;
        del: Database.Statement;
        sweep: Database.Statement;
        count: Database.Statement;
      }
    | undefined;

  const open = () => {
    if (stmts) return stmts;
    try {
      if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
      db = new Database(options.path);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
      db.exec(
        "CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires INTEGER NOT NULL)",
      );
      db.exec("CREATE INDEX IF NOT EXISTS cache_expires ON cache (expires)");
    } catch (err) {
      throw new UpstreamError(`cache: cannot open "${options.path}": ${(err as Error).message}`, {
        cause: err,
      });
    }
    stmts = {
      get: db.prepare("SELECT value, expires FROM cache WHERE key = ?"),
      set: db.prepare(
        "INSERT INTO cache (key, value, expires) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
      ),
      del: db.prepare("DELETE FROM cache WHERE key = ?"),
      sweep: db.prepare("DELETE FROM cache WHERE expires <= ?"),
      count: db.prepare("SELECT COUNT(*) AS n FROM cache WHERE expires > ?"),
    };
    stmts.sweep.run(now());
    return stmts;
  };

  return {
    async get<T>(key: string) {
      const row = open().get.get(key) as { value: string; expires: number } | undefined;
      if (!row) return undefined;
      if (row.expires <= now()) {
        open().del.run(key);
        return undefined;
      }
      return JSON.parse(row.value) as T;
    },
    async set(key, value, ttlSeconds) {
      if (ttlSeconds <= 0) return;
      const s = open();
      s.set.run(key, JSON.stringify(value), now() + Math.round(ttlSeconds * 1000));
      if (++writes % sweepEvery === 0) s.sweep.run(now());
    },
    async dispose() {
      db?.close();
      db = undefined;
      stmts = undefined;
    },
    size: () => (open().count.get(now()) as { n: number }).n,
  };
}
