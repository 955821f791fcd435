import { describe, expect, it } from "vitest";
import { classificationReport, reportFromConfusion } from "./classification-report.js";
import { confusionMatrixSvg } from "./confusion-svg.js";

// 5 classes: class 3 is never predicted right, class 4 has no example and is never predicted.
// Reference values: scikit-learn's precision_recall_fscore_support(labels=range(5),
// zero_division=0) and confusion_matrix, worked by hand (fractions below).
const labels = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3];
const preds = [0, 1, 0, 1, 2, 2, 2, 0, 1, 1];
const names = ["a", "b", "c", "d", "e"];

describe("classificationReport", () => {
  it("matches scikit-learn's per-class scores, macro / weighted means and confusion matrix", () => {
    const r = classificationReport(preds, labels, names);
    expect(r.confusion).toEqual([
      [2, 1, 0, 0, 0],
      [0, 1, 1, 0, 0],
      [1, 1, 2, 0, 0],
      [0, 1, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ]);
    // precision tp/predicted: 2/3, 1/4, 2/3, 0/0 -> 0, 0/0 -> 0
    // recall tp/support:      2/3, 1/2, 2/4, 0/1, 0/0 -> 0
    const want = [
      ["a", 2 / 3, 2 / 3, 2 / 3, 3],
      ["b", 1 / 4, 1 / 2, 1 / 3, 2],
      ["c", 2 / 3, 1 / 2, 4 / 7, 4],
      ["d", 0, 0, 0, 1],
      ["e", 0, 0, 0, 0],
    ] as const;
    r.classes.forEach((c, i) => {
      const [label, p, rec, f1, support] = want[i]!;
      expect(c.label).toBe(label);
      expect(c.precision).toBeCloseTo(p, 12);
      expect(c.recall).toBeCloseTo(rec, 12);
      expect(c.f1).toBeCloseTo(f1, 12);
      expect(c.support).toBe(support);
    });
    // macro: plain means over all 5 classes (support 0 included)
    expect(r.macro.precision).toBeCloseTo(0.31666666666666665, 12);
    expect(r.macro.recall).toBeCloseTo(1 / 3, 12);
    expect(r.macro.f1).toBeCloseTo(0.31428571428571433, 12);
    // weighted by support (3, 2, 4, 1, 0) / 10
    expect(r.weighted.precision).toBeCloseTo(0.5166666666666666, 12);
    expect(r.weighted.recall).toBeCloseTo(0.5, 12);
    expect(r.weighted.f1).toBeCloseTo(0.49523809523809526, 12);
    expect(r.macro.support).toBe(10);
    expect(r.accuracy).toBeCloseTo(0.5, 12);
  });

  it("reads a confusion matrix alone and names classes LABEL_<i> by default", () => {
    const r = reportFromConfusion([
      [1, 1],
      [0, 1],
    ]);
    expect(r.classes.map((c) => c.label)).toEqual(["LABEL_0", "LABEL_1"]);
    expect(r.accuracy).toBeCloseTo(2 / 3, 12);
    expect(r.classes[1]!.precision).toBeCloseTo(0.5, 12);
  });

  it("rejects ragged, negative or mislabelled matrices with a typed error", () => {
    expect(() => reportFromConfusion([[1, 2], [3]])).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => reportFromConfusion([[-1]])).toThrow(/non-negative integer/);
    expect(() => reportFromConfusion([])).toThrow(/empty/);
    expect(() => reportFromConfusion([[1]], ["a", "b"])).toThrow(/one name per class/);
    expect(() => classificationReport([5], [0], ["a", "b"])).toThrow(/out of range/);
  });
});

/** A strict little XML well-formedness check: balanced tags, quoted attributes, known entities. */
function parseXml(text: string): { name: string; attrs: Record<string, string>; text: string }[] {
  const elements: { name: string; attrs: Record<string, string>; text: string }[] = [];
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_:][\w:.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  let last: { text: string } | undefined;
  while (pos < text.length) {
    re.lastIndex = pos;
    m = re.exec(text);
    if (m === null) throw new Error(`not XML at offset ${pos}: ${text.slice(pos, pos + 40)}`);
    pos = re.lastIndex;
    if (m[5] !== undefined) {
      const entities = m[5].match(/&[^;\s]*;?/g) ?? [];
      for (const e of entities)
        if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);$/.test(e)) throw new Error(`bad entity ${e}`);
      if (stack.length === 0 && m[5].trim() !== "") throw new Error("text outside the root element");
      if (last) last.text += m[5];
      continue;
    }
    const [, closing, name, attrText, selfClosing] = m;
    if (closing) {
      if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
      last = undefined;
      continue;
    }
    if (stack.length === 0 && elements.length > 0) throw new Error("a second root element");
    const attrs: Record<string, string> = {};
    for (const a of attrText!.matchAll(/([\w:.-]+)="([^"]*)"/g)) {
      if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]}`);
      attrs[a[1]!] = a[2]!;
    }
    const el = { name: name!, attrs, text: "" };
    elements.push(el);
    last = selfClosing ? undefined : el;
    if (!selfClosing) stack.push(name!);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.at(-1)}>`);
  return elements;
}

describe("confusionMatrixSvg", () => {
  it("is well-formed SVG with one rect per cell holding the right count", () => {
    const confusion = classificationReport(preds, labels, names).confusion;
    const svg = confusionMatrixSvg(confusion, ["a", "b<&>", "c", 'd"q', "e"], { title: "dev & test" });
    const els = parseXml(svg);
    expect(els[0]!.name).toBe("svg");
    expect(els[0]!.attrs.xmlns).toBe("http://www.w3.org/2000/svg");
    const cells = els.filter((e) => e.name === "rect" && e.attrs["data-count"] !== undefined);
    expect(cells).toHaveLength(25);
    for (const c of cells) {
      const t = Number(c.attrs["data-true"]);
      const p = Number(c.attrs["data-predicted"]);
      expect(Number(c.attrs["data-count"])).toBe(confusion[t]![p]);
    }
    const texts = els.filter((e) => e.name === "text").map((e) => e.text);
    expect(texts).toContain("b&lt;&amp;&gt;");
    expect(texts).toContain("dev &amp; test");
    // the diagonal cell of class c (2 of 4 right) is half-shaded, a zero-support row white
    const fillOf = (t: number, p: number): string =>
      cells.find((c) => c.attrs["data-true"] === String(t) && c.attrs["data-predicted"] === String(p))!.attrs
        .fill!;
    expect(fillOf(2, 2)).toBe("rgb(132,168,206)");
    expect(fillOf(4, 4)).toBe("rgb(255,255,255)");
  });

  it("refuses a matrix whose label names do not match", () => {
    expect(() => confusionMatrixSvg([[1]], ["a", "b"])).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => confusionMatrixSvg([], [])).toThrow(/square matrix/);
  });

  it("replaces characters XML forbids in label names", () => {
    const svg = confusionMatrixSvg(
      [
        [1, 0],
        [0, 1],
      ],
      ["x\u0001y", "z"],
    );
    expect(() => parseXml(svg)).not.toThrow();
    expect(svg).not.toContain("\u0001");
  });
});
