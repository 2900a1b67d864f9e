/** The package version, in one place (test/config.test.ts keeps it in step with package.json). */
export const VERSION = "0.2.0";
