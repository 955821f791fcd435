import type { TunekitError } from "../errors.js";
import { describeValue, isJsonObject, quote } from "./json-checks.js";

/** Largest number of labels a config may declare. */
const MAX_LABELS = 1_000_000;

/**
 * Labels of a Hugging Face config: from `id2label` (ids 0..n-1, no gaps, unique names), else
 * `num_labels`, else 2 labels `LABEL_0`, `LABEL_1`; a given `label2id` must be the inverse.
 * Errors come from `fail` (`CONFIG_INVALID` naming the key).
 *
 * @example
 * ```ts
 * const { id2label } = parseLabels({ num_labels: 3 }, fail, (k, min) => int(k, min)); // LABEL_0..2
 * ```
 */
export function parseLabels(
  cfg: Record<string, unknown>,
  fail: (key: string, msg: string) => TunekitError,
  int: (key: "num_labels", min: number) => number,
): { id2label: string[]; label2id: Record<string, number> } {
  const numLabels = cfg.num_labels === undefined ? undefined : int("num_labels", 1);
  let id2label: string[];
  const raw = cfg.id2label;
  if (raw !== undefined) {
    if (!isJsonObject(raw)) {
      throw fail("id2label", `id2label must be an object {"0": "name", ...}, got ${describeValue(raw)}`);
    }
    const entries = Object.entries(raw);
    if (entries.length === 0 || entries.length > MAX_LABELS) {
      throw fail("id2label", `id2label must have 1 to ${MAX_LABELS} entries, got ${entries.length}`);
    }
    id2label = new Array<string>(entries.length);
    for (const [k, v] of entries) {
      if (!/^(0|[1-9]\d*)$/.test(k) || Number(k) >= entries.length) {
        throw fail(
          "id2label",
          `id2label key ${quote(k)} is not an id in 0..${entries.length - 1}; keys must be the integers 0..n-1 without gaps`,
        );
      }
      if (typeof v !== "string") {
        throw fail("id2label", `id2label[${quote(k)}] must be a string label, got ${describeValue(v)}`);
      }
      id2label[Number(k)] = v;
    }
    // n distinct keys all in 0..n-1 means no gaps; check duplicates among names
    const seen = new Map<string, number>();
    id2label.forEach((name, id) => {
      const prev = seen.get(name);
      if (prev !== undefined) {
        throw fail(
          "id2label",
          `id2label ids ${prev} and ${id} share the label ${quote(name)}; labels must be unique`,
        );
      }
      seen.set(name, id);
    });
    if (numLabels !== undefined && numLabels !== id2label.length) {
      throw fail(
        "num_labels",
        `num_labels (${numLabels}) disagrees with id2label, which has ${id2label.length} entries; remove num_labels or fix id2label`,
      );
    }
  } else {
    id2label = Array.from({ length: numLabels ?? 2 }, (_, i) => `LABEL_${i}`);
  }

  const label2id: Record<string, number> = {};
  for (const [i, name] of id2label.entries()) {
    Object.defineProperty(label2id, name, { value: i, enumerable: true, writable: true, configurable: true });
  }
  const given = cfg.label2id;
  if (given !== undefined) {
    if (!isJsonObject(given)) {
      throw fail("label2id", `label2id must be an object {"name": id, ...}, got ${describeValue(given)}`);
    }
    const entries = Object.entries(given);
    const consistent =
      entries.length === id2label.length &&
      entries.every(([name, id]) => typeof id === "number" && id2label[id] === name);
    if (!consistent) {
      throw fail(
        "label2id",
        `label2id ${describeValue(given)} is not the inverse of id2label ${describeValue(id2label)}; remove label2id or make it map each label of id2label to its id`,
      );
    }
  }
  return { id2label, label2id };
}
