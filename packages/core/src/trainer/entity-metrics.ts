/**
 * One labeled span: entity type and first/last token (inclusive) in its sequence.
 *
 * @example
 * ```ts
 * const e: EntitySpan = { type: "PER", start: 0, end: 1 };
 * ```
 */
export interface EntitySpan {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

function split(label: string): [string, string] {
  if (label === "O") return ["O", ""];
  const m = /^([BIES])-(.+)$/.exec(label);
  if (m) return [m[1]!, m[2]!];
  return ["I", label]; // a label without a scheme prefix: runs of it are entities (IO scheme)
}

function endOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === "E" || prevTag === "S") return true;
  if ((prevTag === "B" || prevTag === "I") && (tag === "B" || tag === "S" || tag === "O")) return true;
  return prevTag !== "O" && prevType !== type;
}

function startOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === "B" || tag === "S") return true;
  if ((prevTag === "E" || prevTag === "S" || prevTag === "O") && (tag === "E" || tag === "I")) return true;
  return tag !== "O" && prevType !== type;
}

/**
 * The entity spans of a tag sequence, as `seqeval` (conlleval) reads IOB1/IOB2/IOBES tags:
 * a span starts at `B-X` (or an `I-X` after another type or `O`) and ends before `O`,
 * `B-…` or a change of type. Labels without a prefix count as `I-<label>`.
 *
 * @example
 * ```ts
 * entitySpans(["B-PER", "I-PER", "O", "B-LOC"]); // [{ type: "PER", start: 0, end: 1 }, { type: "LOC", start: 3, end: 3 }]
 * ```
 */
export function entitySpans(tags: readonly string[]): EntitySpan[] {
  const spans: EntitySpan[] = [];
  let prevTag = "O";
  let prevType = "";
  let begin = 0;
  for (let i = 0; i <= tags.length; i++) {
    const [tag, type] = i < tags.length ? split(tags[i]!) : ["O", ""];
    if (endOfChunk(prevTag, tag, prevType, type)) spans.push({ type: prevType, start: begin, end: i - 1 });
    if (startOfChunk(prevTag, tag, prevType, type)) begin = i;
    prevTag = tag;
    prevType = type;
  }
  return spans;
}

/**
 * Entity-level micro precision, recall and F1 over sequences (a predicted entity counts
 * when type, start and end all match a true one), as `seqeval.metrics.f1_score` in its
 * default mode. 0 when there is nothing to count.
 *
 * @example
 * ```ts
 * entityScores([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]]); // { precision: 0, recall: 0, f1: 0 }
 * ```
 */
export function entityScores(
  predicted: readonly (readonly string[])[],
  gold: readonly (readonly string[])[],
): { precision: number; recall: number; f1: number } {
  let correct = 0;
  let nPred = 0;
  let nGold = 0;
  const key = (s: EntitySpan): string => `${s.type}\u0000${s.start}\u0000${s.end}`;
  for (let r = 0; r < gold.length; r++) {
    const want = new Set(entitySpans(gold[r]!).map(key));
    const got = entitySpans(predicted[r] ?? []).map(key);
    nGold += want.size;
    nPred += got.length;
    for (const k of got) if (want.has(k)) correct++;
  }
  const precision = nPred === 0 ? 0 : correct / nPred;
  const recall = nGold === 0 ? 0 : correct / nGold;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}
