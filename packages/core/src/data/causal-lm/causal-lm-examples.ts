import { TunekitError } from "../../errors.js";

/**
 * The JSONL shapes of causal-LM data: `text` (`{"text"}`, loss on every token),
 * `prompt-completion` (`{"prompt","completion"}`), `alpaca` (`{"instruction","input","output"}`,
 * `input` optional) and `chat` (`{"messages":[{"role","content"}]}`).
 *
 * @example
 * ```ts
 * const format: CausalLmFormat = "chat";
 * ```
 */
export type CausalLmFormat = "text" | "prompt-completion" | "alpaca" | "chat";

/**
 * Every {@link CausalLmFormat}, in detection order.
 *
 * @example
 * ```ts
 * if (!CAUSAL_LM_FORMATS.includes(name as CausalLmFormat)) throw new Error(name);
 * ```
 */
export const CAUSAL_LM_FORMATS: readonly CausalLmFormat[] = ["chat", "alpaca", "prompt-completion", "text"];

/**
 * One chat message: a role (`system`, `user`, `assistant`, `tool`, ...) and its text.
 *
 * @example
 * ```ts
 * const m: ChatMessage = { role: "user", content: "Translate 'chat' to English." };
 * ```
 */
export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

/**
 * One validated causal-LM example, tagged by its format.
 *
 * @example
 * ```ts
 * const ex: CausalLmExample = { format: "prompt-completion", prompt: "2+2=", completion: "4" };
 * ```
 */
export type CausalLmExample =
  | { readonly format: "text"; readonly text: string }
  | { readonly format: "prompt-completion"; readonly prompt: string; readonly completion: string }
  | {
      readonly format: "alpaca";
      readonly instruction: string;
      readonly input: string;
      readonly output: string;
    }
  | { readonly format: "chat"; readonly messages: readonly ChatMessage[] };

/**
 * Bounds on one example, so a hostile file cannot exhaust memory or time downstream.
 *
 * @example
 * ```ts
 * const limits: CausalLmExampleLimits = { maxChars: 20_000, maxMessages: 64 };
 * ```
 */
export interface CausalLmExampleLimits {
  /** Most characters in all the strings of one example together. Default 1,000,000. */
  readonly maxChars?: number;
  /** Most messages in one chat example. Default 1,024. */
  readonly maxMessages?: number;
}

const DEFAULT_MAX_CHARS = 1_000_000;
const DEFAULT_MAX_MESSAGES = 1024;

/**
 * The format of one JSON record by its keys (`messages` → chat, `instruction` + `output` →
 * alpaca, `prompt` + `completion` → prompt-completion, `text` → text), or `undefined`.
 *
 * @example
 * ```ts
 * detectCausalLmFormat({ prompt: "Q: 2+2?", completion: " 4" }); // "prompt-completion"
 * ```
 */
export function detectCausalLmFormat(value: unknown): CausalLmFormat | undefined {
  if (!isRecord(value)) return undefined;
  if ("messages" in value) return "chat";
  if ("instruction" in value && "output" in value) return "alpaca";
  if ("prompt" in value && "completion" in value) return "prompt-completion";
  if ("text" in value) return "text";
  return undefined;
}

/**
 * Validates one parsed JSON record as an example of `format`; throws `DATA_INVALID` naming
 * `where` (e.g. `train.jsonl:12`), the field, what it holds and what was expected.
 *
 * @example
 * ```ts
 * const ex = parseCausalLmExample(JSON.parse(line), "alpaca", "train.jsonl:3");
 * ```
 */
export function parseCausalLmExample(
  value: unknown,
  format: CausalLmFormat,
  where: string,
  limits: CausalLmExampleLimits = {},
): CausalLmExample {
  const fail = (what: string): TunekitError =>
    new TunekitError("DATA_INVALID", `${where}: ${what}`, { details: { where, format } });
  if (!isRecord(value)) throw fail(`expected a JSON object for ${format} data, got ${describe(value)}`);
  const maxChars = limits.maxChars ?? DEFAULT_MAX_CHARS;
  let chars = 0;
  const str = (obj: Record<string, unknown>, key: string, path: string, optional = false): string => {
    const v = obj[key];
    if (v === undefined && optional) return "";
    if (typeof v !== "string") {
      throw fail(`field "${path}" is ${describe(v)}; expected a string (${FORMAT_HINT[format]})`);
    }
    chars += v.length;
    if (chars > maxChars) {
      throw fail(`the example holds more than ${maxChars} characters; shorten it or raise maxChars`);
    }
    return v;
  };
  switch (format) {
    case "text":
      return { format, text: str(value, "text", "text") };
    case "prompt-completion":
      return {
        format,
        prompt: str(value, "prompt", "prompt"),
        completion: str(value, "completion", "completion"),
      };
    case "alpaca":
      return {
        format,
        instruction: str(value, "instruction", "instruction"),
        input: str(value, "input", "input", true),
        output: str(value, "output", "output"),
      };
    case "chat": {
      const list = value.messages;
      if (!Array.isArray(list)) {
        throw fail(`field "messages" is ${describe(list)}; expected an array of {"role","content"} objects`);
      }
      const maxMessages = limits.maxMessages ?? DEFAULT_MAX_MESSAGES;
      if (list.length === 0) throw fail('"messages" is empty; expected at least one message');
      if (list.length > maxMessages) {
        throw fail(`"messages" holds ${list.length} messages, more than maxMessages ${maxMessages}`);
      }
      const messages = list.map((m: unknown, i): ChatMessage => {
        if (!isRecord(m)) throw fail(`messages[${i}] is ${describe(m)}; expected {"role","content"}`);
        return {
          role: str(m, "role", `messages[${i}].role`),
          content: str(m, "content", `messages[${i}].content`),
        };
      });
      if (!messages.some((m) => m.role === "assistant")) {
        throw fail('no message has role "assistant"; chat data trains on the assistant turns');
      }
      return { format, messages };
    }
  }
}

const FORMAT_HINT: Record<CausalLmFormat, string> = {
  text: 'text rows look like {"text": "..."}',
  "prompt-completion": 'prompt-completion rows look like {"prompt": "...", "completion": "..."}',
  alpaca: 'alpaca rows look like {"instruction": "...", "input": "...", "output": "..."}, input optional',
  chat: 'chat rows look like {"messages": [{"role": "user", "content": "..."}, ...]}',
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v).slice(0, 40)}`;
}
