/**
 * The service: config -> container -> listen. SIGTERM/SIGINT stop accepting, finish in-flight requests,
 * and dispose connections.
 */
import { loadConfig, loadDotEnv, redactConfig, secretsOf } from "./config.js";
import { catalogueOf, createContainer, makeRedactor, withDefaultCatalogue } from "./container.js";
import { buildServer } from "./http/server.js";

try {
  loadDotEnv();
  // The same default as the CLI's: with neither a token nor an index, the bundled sample answers.
  const { config } = await withDefaultCatalogue(process.env, loadConfig());
  // One redactor for logs and answers: whole secrets, masked echoes of them, key-shaped text.
  const redact = makeRedactor(secretsOf(config));
  const container = createContainer(config);
  const app = await buildServer(container, {
    logger: {
      level: config.logLevel,
      redact: { paths: ["req.headers.authorization", 'req.headers["x-api-key"]'], censor: "[redacted]" },
      // Belt and braces: a secret that reaches a log line by any other path is masked too.
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === "string" ? redact(a) : a));
          method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
  });
  container.setLogger((level, msg) => app.log[level](msg));
  for (const w of config.startupWarnings) app.log.warn(w);
  app.log.info({ config: redactConfig(config), catalogue: catalogueOf(config) }, "configuration");
  app.log.info(`catalogue: ${catalogueOf(config)}`);
  await app.listen({ port: config.http.port, host: config.http.host });
  app.log.info({ startupMs: Math.round(process.uptime() * 1000) }, "ready");
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, "shutting down: finishing in-flight requests");
    await app.close();
    await container.dispose();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
} catch (err) {
  process.stderr.write(`discmeta: ${(err as Error).message}\n`);
  process.exit(1);
}
