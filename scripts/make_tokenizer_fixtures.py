"""Make the tokenizer fixtures of fixtures/tokenizers: a tiny RoBERTa byte-level BPE and a tiny
XLM-RoBERTa sentencepiece Unigram, each as tokenizer.json + tokenizer_config.json, with the ids
the reference tokenizers give for a list of texts and text pairs (expected.json).

usage (from the repository root): python3 scripts/make_tokenizer_fixtures.py OUT_DIR

RoBERTa: the expected ids come from transformers' slow (pure-Python) RobertaTokenizer on the
same vocab.json / merges.txt (byte-to-unicode table, the GPT-2 pre-tokenisation regex, BPE by
merge rank, `<s> A </s>` and `<s> A </s></s> B </s>`).
XLM-RoBERTa: sentencepiece is not installed here, so the expected ids come from the Unigram
segmentation written out below from its definition: NFKC, whitespace runs collapsed, spaces
replaced by U+2581 and one prepended unless the text starts with one (Metaspace,
prepend_scheme "always", as the Rust tokenizers library), then per piece the
Viterbi best segmentation maximising the sum of log-probabilities, unknown characters as
`<unk>` (id 3, consecutive unknowns fused) with score min - 10, as sentencepiece does; ids of
XLM-R's layout (`<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3, pieces from 4, `<mask>` last).
Needs transformers (4.48) and the `regex` package on PYTHONPATH.
"""
import json, math, os, sys, unicodedata

out = sys.argv[1]
import transformers.tokenization_utils_base as tub  # noqa: E402

tub.AddedToken.__hash__ = lambda self: hash(self.content)
tub.AddedToken.__setstate__ = lambda self, state: self.__dict__.update(state)
from transformers import RobertaTokenizer  # noqa: E402
from transformers.models.roberta.tokenization_roberta import bytes_to_unicode  # noqa: E402

TEXTS = ["hello world", "Hello, world!", "the lower newer lowest", "  spaced   out ", "café naïve 東京",
         "it's 1234 tokens", "", "hello\nworld\ttab", "<s> literal"]
PAIRS = [["hello world", "the lower"], ["a", "b c"], ["newer", ""]]

# ---------------------------------------------------------------- RoBERTa byte-level BPE
rob = os.path.join(out, "roberta-bpe")
os.makedirs(rob, exist_ok=True)
specials = ["<s>", "<pad>", "</s>", "<unk>"]
vocab = {t: i for i, t in enumerate(specials)}
for ch in bytes_to_unicode().values():
    vocab.setdefault(ch, len(vocab))
merges = ["Ġ w", "h e", "l l", "l o", "o r", "Ġ t", "Ġt he", "e r", "w er", "Ġw or", "Ġwor l", "Ġworl d",
          "he ll", "hell o", "Ġ l", "Ġl o", "Ġlo w", "Ġlow er", "n e", "ne w", "new er", "Ġ n", "Ġn e", "Ġne w",
          "Ġnew er", "e s", "es t", "Ġlow est", "i t", "' s", "Ġ 1", "Ġ1 2", "3 4", "Ġ tok", "t o", "to k",
          "Ġ to", "Ġto k", "Ġtok e", "Ġtoke n", "Ġtoken s"]
for m in merges:
    a, b = m.split(" ")
    vocab.setdefault(a + b, len(vocab))
vocab["<mask>"] = len(vocab)
json.dump(vocab, open(os.path.join(rob, "vocab.json"), "w"), ensure_ascii=False)
open(os.path.join(rob, "merges.txt"), "w").write("#version: 0.2\n" + "\n".join(merges) + "\n")
slow = RobertaTokenizer(os.path.join(rob, "vocab.json"), os.path.join(rob, "merges.txt"))
added = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": t == "<mask>", "rstrip": False,
          "normalized": False, "special": True} for t in specials + ["<mask>"]]
tj = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
      "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
      "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0],
                         "trim_offsets": True, "add_prefix_space": False},
      "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
      "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                "vocab": vocab, "merges": merges}}
json.dump(tj, open(os.path.join(rob, "tokenizer.json"), "w"), ensure_ascii=False, indent=1)
json.dump({"tokenizer_class": "RobertaTokenizer", "model_max_length": 512, "bos_token": "<s>", "eos_token": "</s>",
           "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"},
          open(os.path.join(rob, "tokenizer_config.json"), "w"), indent=1)
os.remove(os.path.join(rob, "vocab.json")); os.remove(os.path.join(rob, "merges.txt"))
json.dump({"made_with": "transformers RobertaTokenizer (slow)",
           "texts": [{"text": t, "ids": slow(t)["input_ids"]} for t in TEXTS],
           "pairs": [{"text": a, "pair": b, "ids": slow(a, b)["input_ids"]} for a, b in PAIRS]},
          open(os.path.join(rob, "expected.json"), "w"), ensure_ascii=False, indent=1)

# ---------------------------------------------------------------- XLM-R sentencepiece Unigram
xlm = os.path.join(out, "xlmr-unigram")
os.makedirs(xlm, exist_ok=True)
pieces = [("▁", -2.0), ("▁hello", -6.0), ("▁world", -6.5), ("hello", -7.0), ("world", -7.5), ("▁the", -4.0),
          ("▁low", -7.0), ("er", -5.0), ("est", -6.0), ("▁new", -7.0), ("▁newer", -9.5), ("▁lower", -9.0),
          ("▁lowest", -13.5), ("l", -5.5), ("o", -5.0), ("w", -5.5), ("e", -4.5), ("r", -5.0), ("h", -5.5),
          ("d", -5.5), ("n", -5.0), ("s", -5.0), ("t", -4.8), (",", -4.0), ("!", -5.0), ("▁it", -6.0), ("'", -5.0),
          ("1", -6.0), ("2", -6.0), ("3", -6.0), ("4", -6.0), ("12", -8.0), ("▁1", -7.0), ("▁tok", -8.0), ("en", -6.0),
          ("ens", -9.0), ("▁token", -9.5), ("▁tokens", -10.0), ("c", -6.0), ("a", -4.5), ("f", -6.0), ("é", -7.0),
          ("i", -5.0), ("ï", -8.0), ("v", -6.5), ("▁ca", -8.0), ("▁na", -8.0), ("東", -9.0), ("▁b", -7.0),
          ("▁a", -5.0), ("▁c", -6.0), ("H", -6.0), ("▁H", -7.0), ("▁s", -6.0), ("p", -6.0), ("▁out", -8.0),
          ("ced", -9.0), ("▁spa", -9.0)]
vocab_list = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]] + [[p, s] for p, s in pieces] + [["<mask>", 0.0]]
ids = {p: i for i, (p, _) in enumerate(vocab_list)}
unk_score = min(s for _, s in pieces) - 10.0


def viterbi(word):
    n = len(word)
    best = [(-math.inf, None)] * (n + 1)
    best[0] = (0.0, None)
    for end in range(1, n + 1):
        for start in range(end):
            if best[start][0] == -math.inf:
                continue
            piece = word[start:end]
            if piece in ids and 4 <= ids[piece] < len(vocab_list) - 1:
                score = best[start][0] + dict(pieces)[piece]
            elif end - start == 1:
                score = best[start][0] + unk_score
            else:
                continue
            if score > best[end][0]:
                best[end] = (score, start)
    out_ids, end = [], n
    while end > 0:
        start = best[end][1]
        piece = word[start:end]
        out_ids.append(ids[piece] if piece in ids and 4 <= ids[piece] < len(vocab_list) - 1 else 3)
        end = start
    out_ids.reverse()
    fused = []
    for i in out_ids:  # consecutive unknowns become one <unk>
        if not (i == 3 and fused and fused[-1] == 3):
            fused.append(i)
    return fused


def encode(text):
    t = unicodedata.normalize("NFKC", text)
    t = " ".join(t.split(" "))
    import re
    t = re.sub(" {2,}", " ", t)
    if t == "":
        return []
    t = t.replace(" ", "▁")
    if not t.startswith("▁"):  # prepend_scheme "always" adds none before an existing one
        t = "▁" + t
    words, cur = [], ""
    for ch in t:  # Metaspace split: each piece starts at a ▁
        if ch == "▁" and cur:
            words.append(cur); cur = ""
        cur += ch
    words.append(cur)
    return [i for w in words for i in viterbi(w)]


uj = {"version": "1.0", "truncation": None, "padding": None,
      "added_tokens": [{"id": ids[t], "content": t, "single_word": False, "lstrip": t == "<mask>", "rstrip": False,
                        "normalized": False, "special": True} for t in ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]],
      "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"},
                                                         {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
      "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
      "post_processor": {"type": "TemplateProcessing",
                         "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                         "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                  {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                                  {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                         "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                                            "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}},
      "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
      "model": {"type": "Unigram", "unk_id": 3, "byte_fallback": False, "vocab": vocab_list}}
json.dump(uj, open(os.path.join(xlm, "tokenizer.json"), "w"), ensure_ascii=False, indent=1)
json.dump({"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512, "bos_token": "<s>", "eos_token": "</s>",
           "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"},
          open(os.path.join(xlm, "tokenizer_config.json"), "w"), indent=1)
U_TEXTS = [t for t in TEXTS if t != "<s> literal"] + ["hello  world", "ＨＥＬＬＯ"]
json.dump({"made_with": "Unigram Viterbi written out from its definition (scripts/make_tokenizer_fixtures.py)",
           "texts": [{"text": t, "ids": [0] + encode(t) + [2]} for t in U_TEXTS],
           "pairs": [{"text": a, "pair": b, "ids": [0] + encode(a) + [2, 2] + encode(b) + [2]} for a, b in PAIRS]},
          open(os.path.join(xlm, "expected.json"), "w"), ensure_ascii=False, indent=1)
print("wrote", rob, xlm)
