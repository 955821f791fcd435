#!/usr/bin/env node
// The `tunekit` command's launcher. It is committed (not built) because npm links a package's bin
// into node_modules/.bin at install time only when the file exists, and dist/ is built after
// `npm ci`: pointing the bin at dist/bin.js left the root's `npx tunekit` unlinked, and npx then
// asked the public registry for a package named tunekit.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/bin.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    `tunekit: error [NOT_BUILT]: ${fileURLToPath(entry)} does not exist: the CLI is not built yet; ` +
      "run `npm run build` at the repository root (after `npm ci`), then run tunekit again\n",
  );
  process.exit(1);
}
await import(entry.href);
