"""A tiny GPT-2 made by transformers, for the lab's import of Hugging Face folders (tests/unit/hf_python.test.ts).

    python tiny_gpt2.py make ROOT VOCAB                # ROOT/relu, gelu_new (untied), and bias, erf, words (refused)
    python tiny_gpt2.py logps DIR CHECK_JSON [DIR CHECK_JSON ...]
                         # per pair, max |Δ| between DIR's per-token log-probs and check.json's reference (one JSON line)

`make` shuffles the character ids (the lab must reorder them), randomizes the LayerNorms (which the lab has) and
leaves the linear layers' biases at transformers' zero init (the lab has none) unless --bias.
"""
import json
import random
import sys
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models
from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast


def make(folder, vocab, act="relu", untied=False, bias=False, extra=None):
    chars = list(vocab) + ([extra] if extra else [])
    random.Random(7).shuffle(chars)
    ids = {c: i for i, c in enumerate(chars)}
    tok = Tokenizer(models.BPE(vocab=ids, merges=[]))
    tok.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="\n", eos_token="\n", pad_token="\n")
    torch.manual_seed(3)
    config = GPT2Config(
        vocab_size=len(chars), n_positions=48, n_embd=32, n_layer=2, n_head=4, activation_function=act,
        tie_word_embeddings=not untied, bos_token_id=ids["\n"], eos_token_id=ids["\n"],
    )
    model = GPT2LMHeadModel(config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".ln_" in name:
                p.copy_(torch.randn_like(p) * 0.2 + (1.0 if name.endswith("weight") else 0.0))
            if bias and name.endswith("attn.c_attn.bias"):
                p.normal_(0, 0.01)
        # a sharper head than init's, so the log-probs differ from uniform
        model.transformer.wte.weight.mul_(10)
        if untied:
            model.lm_head.weight.normal_(0, 0.5)
    model.save_pretrained(folder)
    fast.save_pretrained(folder)


FOLDERS = {
    "relu": {},
    "gelu_new": {"act": "gelu_new", "untied": True},
    "bias": {"bias": True},
    "erf": {"act": "gelu"},
    "words": {"extra": "the"},
}


def logps(folder, check_path):
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    check = json.loads(Path(check_path).read_text())
    delta = 0.0
    for r in check["rows"]:
        ids = tokenizer(r["text"], add_special_tokens=False).input_ids
        assert len(ids) == len(r["ids"]), (r["text"], ids)
        with torch.no_grad():
            lp = torch.log_softmax(model(torch.tensor([ids])).logits[0].double(), -1)
        got = lp[torch.arange(len(ids) - 1), torch.tensor(ids[1:])]
        delta = max(delta, float((got - torch.tensor(r["reference"]["token_logps"], dtype=torch.float64)).abs().max()))
    print(json.dumps({"folder": str(folder), "max_token_logp_delta": delta, "rows": len(check["rows"])}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        for name, options in FOLDERS.items():
            make(Path(sys.argv[2]) / name, sys.argv[3], **options)
    else:
        for folder, check_path in zip(sys.argv[2::2], sys.argv[3::2]):
            logps(folder, check_path)
