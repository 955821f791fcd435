import { extname } from "node:path";
import { isTunekitError, TunekitError } from "@tunekit/core";
import { readRegularFile } from "@tunekit/core/io";
import { parse as parseYaml } from "yaml";

/**
 * Reads a JSON (`.json`) or YAML (`.yaml`, `.yml`) config file into a plain value.
 * Missing files are `IO_ERROR`; syntax errors are `CONFIG_INVALID` with the parser's
 * position.
 *
 * @example
 * ```ts
 * const raw = await readConfigFile("examples/sst2-tiny.json");
 * ```
 */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    // A regular file of at most 16 MiB (a link to /dev/zero would be read until memory runs out).
    const bytes = await readRegularFile(path, {
      what: "config file",
      maxBytes: 16 * 1024 * 1024,
      tooLargeCode: "CONFIG_INVALID",
    });
    text = new TextDecoder().decode(bytes);
  } catch (e) {
    if (isTunekitError(e, "CONFIG_INVALID")) throw e;
    // readRegularFile's message already names the file: keep only its reason.
    const reason = (e as Error).message.replace(`could not read config file ${path}: `, "");
    throw new TunekitError(
      "IO_ERROR",
      `cannot read config file ${path}: ${reason}; check the path (relative paths resolve against the current directory)`,
      { cause: e },
    );
  }
  const ext = extname(path).toLowerCase();
  if (ext === ".yaml" || ext === ".yml") {
    checkFlowNesting(text, path);
    try {
      return parseYaml(text) as unknown;
    } catch (e) {
      throw new TunekitError("CONFIG_INVALID", `${path}: not valid YAML: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const hint = ext === ".json" ? "" : " (use a .yaml or .yml extension for YAML)";
    throw new TunekitError("CONFIG_INVALID", `${path}: not valid JSON${hint}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Deepest `[` / `{` nesting a YAML config may have (real configs nest a handful of levels). */
const MAX_FLOW_DEPTH = 64;

/**
 * Refuses YAML whose flow collections (`[...]`, `{...}`) nest deeper than
 * {@link MAX_FLOW_DEPTH}, before the parser sees it: the parser's time and memory grow
 * with the depth (100,000 levels cost it over a second and can exhaust memory). Quoted
 * scalars and comments are skipped.
 */
function checkFlowNesting(text: string, path: string): void {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== undefined) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
    } else if (c === "[" || c === "{") {
      if (++depth > MAX_FLOW_DEPTH) {
        const line = text.slice(0, i).split("\n").length;
        throw new TunekitError(
          "CONFIG_INVALID",
          `${path}: YAML collections nest deeper than ${MAX_FLOW_DEPTH} levels (line ${line}); a train config needs a few`,
        );
      }
    } else if ((c === "]" || c === "}") && depth > 0) depth--;
  }
}
