import { TunekitError } from "../errors.js";

type Piece =
  | { readonly kind: "special"; readonly ids: readonly number[]; readonly typeId: number }
  | { readonly kind: "sequence"; readonly which: "A" | "B"; readonly typeId: number };

/**
 * Where special tokens go around one text or a pair, read from a tokenizer.json
 * `post_processor` (TemplateProcessing, BertProcessing, RobertaProcessing, or none).
 *
 * @example
 * ```ts
 * const t = templateFromPostProcessor(json.post_processor, (s) => vocab.get(s), "tokenizer.json");
 * t.apply([7592], 1, undefined, 0).ids; // [101, 7592, 102]
 * ```
 */
export interface SpecialTemplate {
  /** Number of special tokens added for a single text (`pair = false`) or a pair. */
  count(pair: boolean): number;
  /** Lays out `first[0..firstLen)` and `second[0..secondLen)` with special tokens. */
  apply(
    first: ArrayLike<number>,
    firstLen: number,
    second: ArrayLike<number> | undefined,
    secondLen: number,
  ): { ids: number[]; tokenTypeIds: number[] };
}

/**
 * Reads the special-token layout from a `post_processor` section.
 *
 * @example
 * ```ts
 * const t = templateFromPostProcessor(null, () => undefined, "x"); // no special tokens
 * t.count(true); // 0
 * ```
 */
export function templateFromPostProcessor(
  postProcessor: unknown,
  tokenToId: (token: string) => number | undefined,
  source: string,
): SpecialTemplate {
  const invalid = (what: string): TunekitError =>
    new TunekitError("TOKENIZER_INVALID", `${source}: post_processor ${what}`);
  const idOf = (entry: unknown, what: string): number => {
    // BertProcessing / RobertaProcessing store [token, id].
    if (Array.isArray(entry) && typeof entry[0] === "string" && Number.isInteger(entry[1])) {
      return entry[1] as number;
    }
    throw invalid(`${what} must be a [token, id] pair, got ${JSON.stringify(entry)}`);
  };
  if (postProcessor === null || postProcessor === undefined)
    return makeTemplate([seq("A", 0)], [seq("A", 0), seq("B", 1)]);
  if (!isRecord(postProcessor)) throw invalid("is not an object");
  switch (postProcessor.type) {
    case "TemplateProcessing": {
      const specials = isRecord(postProcessor.special_tokens) ? postProcessor.special_tokens : {};
      const parse = (list: unknown, name: string): Piece[] => {
        if (!Array.isArray(list)) throw invalid(`${name} is not a list`);
        return list.map((p) => parsePiece(p, specials, tokenToId, (w) => invalid(`${name}: ${w}`)));
      };
      return makeTemplate(parse(postProcessor.single, "single"), parse(postProcessor.pair, "pair"));
    }
    case "BertProcessing": {
      const cls = idOf(postProcessor.cls, "cls");
      const sep = idOf(postProcessor.sep, "sep");
      return makeTemplate(
        [special(cls, 0), seq("A", 0), special(sep, 0)],
        [special(cls, 0), seq("A", 0), special(sep, 0), seq("B", 1), special(sep, 1)],
      );
    }
    case "RobertaProcessing": {
      const cls = idOf(postProcessor.cls, "cls");
      const sep = idOf(postProcessor.sep, "sep");
      return makeTemplate(
        [special(cls, 0), seq("A", 0), special(sep, 0)],
        [special(cls, 0), seq("A", 0), special(sep, 0), special(sep, 0), seq("B", 0), special(sep, 0)],
      );
    }
    case "ByteLevel":
      return makeTemplate([seq("A", 0)], [seq("A", 0), seq("B", 1)]);
    case "Sequence": {
      const list = Array.isArray(postProcessor.processors) ? postProcessor.processors : [];
      const main = list.find((p) => isRecord(p) && p.type !== "ByteLevel");
      return templateFromPostProcessor(main ?? null, tokenToId, source);
    }
    default:
      throw invalid(
        `type ${JSON.stringify(postProcessor.type)} is not supported; ` +
          "supported: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence",
      );
  }
}

function parsePiece(
  p: unknown,
  specials: Record<string, unknown>,
  tokenToId: (token: string) => number | undefined,
  invalid: (what: string) => TunekitError,
): Piece {
  if (!isRecord(p)) throw invalid(`piece ${JSON.stringify(p)} is not an object`);
  const typeIdOf = (o: Record<string, unknown>): number => {
    const t = o.type_id ?? 0;
    if (!Number.isInteger(t) || (t as number) < 0) throw invalid(`type_id ${JSON.stringify(t)} is invalid`);
    return t as number;
  };
  if (isRecord(p.Sequence)) {
    const which = p.Sequence.id;
    if (which !== "A" && which !== "B")
      throw invalid(`sequence id ${JSON.stringify(which)} is not "A" or "B"`);
    return seq(which, typeIdOf(p.Sequence));
  }
  if (isRecord(p.SpecialToken)) {
    const name = p.SpecialToken.id;
    if (typeof name !== "string") throw invalid("special token without a string id");
    const entry = specials[name];
    let ids: number[] | undefined;
    if (isRecord(entry) && Array.isArray(entry.ids) && entry.ids.every((x) => Number.isInteger(x))) {
      ids = entry.ids as number[];
    } else {
      const id = tokenToId(name);
      if (id !== undefined) ids = [id];
    }
    if (ids === undefined) throw invalid(`special token ${JSON.stringify(name)} has no id`);
    return { kind: "special", ids, typeId: typeIdOf(p.SpecialToken) };
  }
  throw invalid(`piece ${JSON.stringify(p)} is neither a Sequence nor a SpecialToken`);
}

function makeTemplate(single: readonly Piece[], pair: readonly Piece[]): SpecialTemplate {
  const countOf = (pieces: readonly Piece[]): number =>
    pieces.reduce((n, p) => n + (p.kind === "special" ? p.ids.length : 0), 0);
  const singleCount = countOf(single);
  const pairCount = countOf(pair);
  return {
    count: (isPair) => (isPair ? pairCount : singleCount),
    apply(first, firstLen, second, secondLen) {
      const ids: number[] = [];
      const tokenTypeIds: number[] = [];
      for (const piece of second === undefined ? single : pair) {
        if (piece.kind === "special") {
          for (const id of piece.ids) {
            ids.push(id);
            tokenTypeIds.push(piece.typeId);
          }
        } else {
          const src = piece.which === "A" ? first : second;
          const n = piece.which === "A" ? firstLen : secondLen;
          if (src === undefined) continue;
          for (let i = 0; i < n; i++) {
            ids.push(src[i]!);
            tokenTypeIds.push(piece.typeId);
          }
        }
      }
      return { ids, tokenTypeIds };
    },
  };
}

function seq(which: "A" | "B", typeId: number): Piece {
  return { kind: "sequence", which, typeId };
}

function special(id: number, typeId: number): Piece {
  return { kind: "special", ids: [id], typeId };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
