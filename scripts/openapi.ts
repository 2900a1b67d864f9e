/**
 * Writes the service's OpenAPI document, as `GET /openapi.json` serves it, to a file: without API keys
 * (open) or, with --keyed, as served when API_KEYS is set (security applied to every route).
 *
 *   npx tsx scripts/openapi.ts <out.json> [--keyed]
 *   npm run lint:openapi       both documents, linted with Redocly's recommended rules
 */
import { writeFileSync } from "node:fs";
import { loadConfig } from "../src/config.js";
import { createContainer } from "../src/container.js";
import { buildServer } from "../src/http/server.js";

const [out, flag] = process.argv.slice(2);
if (!out) {
  process.stderr.write("usage: tsx scripts/openapi.ts <out.json> [--keyed]\n");
  process.exit(2);
}
const container = createContainer(
  loadConfig({
    METADATA_CACHE_ENABLED: "false",
    ...(flag === "--keyed" ? { API_KEYS: "example-key-0123456789abcdef" } : {}),
  }),
);
const app = await buildServer(container);
await app.ready();
writeFileSync(out, `${JSON.stringify(app.swagger(), null, 2)}\n`);
await app.close();
await container.dispose();
