import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as autodiff from "./entries/autodiff.js";
import * as data from "./entries/data.js";
import * as io from "./entries/io.js";
import * as ir from "./entries/ir.js";
import * as models from "./entries/models.js";
import * as trainer from "./entries/trainer.js";
import * as root from "./index.js";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const SUBPATHS: Readonly<Record<string, Record<string, unknown>>> = {
  ir,
  autodiff,
  models,
  data,
  trainer,
  io,
};
/** Root names that no area entry repeats: the error base class, its guard and its codes. */
const ROOT_ONLY = ["TunekitError", "TunekitErrorCode", "isTunekitError"];

/** Every name (values and types) an entry's source file exports, from its `export {...} from` lines. */
function exportedNames(file: string): string[] {
  const text = readFileSync(new URL(file, import.meta.url), "utf8");
  const names: string[] = [];
  for (const m of text.matchAll(/^export (?:type )?\{([^}]*)\} from "[^"]+";/gm)) {
    for (const part of m[1]!.split(",")) {
      const name = part.trim();
      if (name !== "") names.push(name);
    }
  }
  return names;
}

describe("the entry points of @tunekit/core", () => {
  it("lists each subpath in package.json with types first, then the source condition, then import", () => {
    const pkg = JSON.parse(readFileSync(`${PACKAGE_DIR}/package.json`, "utf8")) as {
      exports: Record<string, Record<string, string>>;
    };
    expect(Object.keys(pkg.exports)).toEqual([
      ".",
      ...Object.keys(SUBPATHS).map((s) => `./${s}`),
      "./testing",
      "./testing/properties",
    ]);
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      expect(Object.keys(target), subpath).toEqual(["types", "@tunekit/source", "import"]);
      expect(existsSync(`${PACKAGE_DIR}/${target["@tunekit/source"]}`), subpath).toBe(true);
      const built = target["@tunekit/source"]!.replace(/^\.\/src\//, "./dist/").replace(/\.ts$/, "");
      expect(target.import, subpath).toBe(`${built}.js`);
      expect(target.types, subpath).toBe(`${built}.d.ts`);
    }
  });

  it("keeps the root small: under a fifth of all names", () => {
    const rootNames = exportedNames("./index.ts");
    const all = new Set([
      ...rootNames,
      ...Object.keys(SUBPATHS).flatMap((s) => exportedNames(`./entries/${s}.ts`)),
    ]);
    expect(new Set(rootNames).size).toBe(rootNames.length);
    expect(rootNames.length).toBeLessThan(all.size / 5);
    expect(rootNames).toEqual(expect.arrayContaining(["Trainer", "loadBertCheckpoint", "TunekitError"]));
  });

  it("exports each name of an area from exactly one subpath", () => {
    const owners = new Map<string, string[]>();
    for (const s of Object.keys(SUBPATHS)) {
      for (const name of exportedNames(`./entries/${s}.ts`))
        owners.set(name, [...(owners.get(name) ?? []), s]);
    }
    expect([...owners].filter(([, o]) => o.length > 1)).toEqual([]);
    // every root name (types included) is also in the subpath of its area
    const missing = exportedNames("./index.ts").filter((n) => !owners.has(n) && !ROOT_ONLY.includes(n));
    expect(missing).toEqual([]);
  });

  it("re-exports the same objects from the root and from the subpaths", () => {
    const byName = new Map<string, unknown>();
    for (const entry of Object.values(SUBPATHS)) {
      for (const [name, value] of Object.entries(entry)) byName.set(name, value);
    }
    const rootValues = Object.entries(root as Record<string, unknown>);
    expect(rootValues.length).toBeGreaterThan(20);
    for (const [name, value] of rootValues) {
      if (ROOT_ONLY.includes(name)) continue;
      expect(byName.get(name), name).toBe(value);
    }
    for (const [name, entry] of Object.entries(SUBPATHS)) {
      for (const value of Object.values(entry)) expect(value, name).toBeDefined();
    }
  });
});
