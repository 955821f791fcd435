import { describe, expect, it } from "vitest";
import { isTunekitError } from "../errors.js";
import { checkRepoFilename } from "./hub-file.js";
import { hubFileUrl, hubHeaders, normalizeEtag } from "./hub-request.js";

describe("Hub requests", () => {
  it("builds resolve URLs with encoded revisions and file paths", () => {
    expect(hubFileUrl("https://hf.example", "org/m", "refs/pr/1", "onnx/model file.onnx")).toBe(
      "https://hf.example/org/m/resolve/refs%2Fpr%2F1/onnx/model%20file.onnx",
    );
  });

  it("sends the token to the endpoint's host only", () => {
    const settings = { endpoint: "https://hf.example", cacheDir: "/c", offline: false, token: "hf_x" };
    expect(hubHeaders("https://hf.example/org/m/resolve/main/config.json", settings).authorization).toBe(
      "Bearer hf_x",
    );
    for (const other of ["https://cdn.example/blob", "http://hf.example/x", "https://hf.example:8443/x"])
      expect(hubHeaders(other, settings).authorization, other).toBeUndefined();
  });

  it("normalises ETags as huggingface_hub does, refusing names that are not plain file names", () => {
    expect(normalizeEtag('W/"abc123"')).toBe("abc123");
    expect(normalizeEtag('"5ff8"')).toBe("5ff8");
    for (const bad of ['".."', '"."', '"a/b"', '""', null, `"${"a".repeat(200)}"`])
      expect(normalizeEtag(bad)).toBeUndefined();
  });

  it("file names must stay inside the repository", () => {
    expect(() => checkRepoFilename("onnx/model.onnx")).not.toThrow();
    for (const bad of ["", "../x", "a/../../b", "/etc/passwd", "a\\b", "a//b", "./x"]) {
      let err: unknown;
      try {
        checkRepoFilename(bad);
      } catch (e) {
        err = e;
      }
      expect(isTunekitError(err, "INVALID_ARGUMENT"), bad).toBe(true);
    }
  });
});
