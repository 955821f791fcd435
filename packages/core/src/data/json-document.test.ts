import { describe, expect, it } from "vitest";
import { parseJsonDocument } from "./json-document.js";

describe("parseJsonDocument", () => {
  it("reads an array of records, numbering them from 1", () => {
    const { records } = parseJsonDocument('[{"text": "a"}, ["b", 1], 7]', "x.json");
    expect(records).toEqual([
      { line: 1, value: { text: "a" } },
      { line: 2, value: ["b", 1] },
      { line: 3, problem: "record 3 is number, expected a JSON object or array" },
    ]);
  });

  it("follows a dot path to the records (AdvGLUE's object of tasks, nested splits)", () => {
    const advglue = '{"sst2": [{"sentence": "ok", "label": 1}], "qqp": []}';
    expect(parseJsonDocument(advglue, "dev.json", "sst2").records).toEqual([
      { line: 1, value: { sentence: "ok", label: 1 } },
    ]);
    expect(parseJsonDocument('{"data": {"train": [{"t": 1}]}}', "x.json", "data.train").records).toHaveLength(
      1,
    );
  });

  it("says what the document holds and what to set", () => {
    const advglue = '{"sst2": [], "qqp": [], "version": 1}';
    expect(() => parseJsonDocument(advglue, "dev.json")).toThrow(
      /dev.json: the document is an object with keys \["sst2", "qqp", "version"\]; set "field" to the key of the records array \(arrays: sst2, qqp\)/,
    );
    expect(() => parseJsonDocument(advglue, "dev.json", "mnli")).toThrow(
      /field "mnli" not found: the document is an object .* \(arrays: sst2, qqp\)/,
    );
    expect(() => parseJsonDocument('{"a": {"b": 1}}', "x.json", "a.b")).toThrow(
      /"a.b" is a number; "field" must name an array of records/,
    );
    expect(() => parseJsonDocument('{"a": {"b": 1}}', "x.json", "a.c")).toThrow(
      /field "a.c" not found: "a" is an object/,
    );
    expect(() => parseJsonDocument('"text"', "x.json")).toThrow(
      /the document is a string; expected an array of records/,
    );
    expect(() => parseJsonDocument("{", "x.json")).toThrow(/x.json: not a valid JSON document/);
  });

  it("never follows inherited keys", () => {
    for (const field of ["__proto__", "constructor", "toString", "hasOwnProperty.call"]) {
      expect(() => parseJsonDocument('{"sst2": []}', "x.json", field), field).toThrow(/not found/);
    }
  });
});
