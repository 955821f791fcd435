import { extname } from "node:path";
import { isTunekitError, readRegularFile, TunekitError } from "@tunekit/core";
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
