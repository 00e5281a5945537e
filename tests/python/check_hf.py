"""Check an unpacked RLHF Lab export against transformers: the hf/ folders must give check.json's numbers.

    python tests/python/check_hf.py BUNDLE_DIR...   # one JSON line of measured differences per bundle

Independent of the lab: torch and transformers compute everything here from the folders alone; only the expected
values come from check.json. The reward model is scored through the bundle's own load_in_python.hf_reward_scores
(the path its model card documents) and, where the run pools on the last token, through
AutoModelForSequenceClassification directly.
"""
import importlib.util
import json
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer


def check(bundle):
    # the bundle's own loader, as its model card tells a user to import it
    spec = importlib.util.spec_from_file_location(f"load_in_python_{abs(hash(bundle))}", bundle / "load_in_python.py")
    loader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loader)
    hf_reward_scores = loader.hf_reward_scores

    expected = json.loads((bundle / "check.json").read_text())
    rows = expected["rows"]
    out = {"models": sorted(p.name for p in (bundle / "hf").iterdir()), "rows": len(rows)}

    for name in ("policy", "reference"):
        if name not in expected["models"]:
            continue
        folder = bundle / "hf" / name
        model = AutoModelForCausalLM.from_pretrained(folder).eval()
        tokenizer = AutoTokenizer.from_pretrained(folder)
        token_delta = completion_delta = 0.0
        for r in rows:
            ids = tokenizer(r["text"]).input_ids
            assert ids == r["ids"], f"{name}: the tokenizer encodes {r['text']!r} as {ids}, the lab as {r['ids']}"
            assert tokenizer.decode(ids) == r["text"], f"{name}: decode gives {tokenizer.decode(ids)!r}"
            with torch.no_grad():
                logits = model(torch.tensor([ids])).logits[0].double()
            logps = torch.log_softmax(logits, -1)[torch.arange(len(ids) - 1), torch.tensor(ids[1:])]
            lab = torch.tensor(r[name]["token_logps"], dtype=torch.float64)
            token_delta = max(token_delta, float((logps - lab).abs().max()))
            completion = float(logps[len(r["prompt"]) :].sum())
            completion_delta = max(completion_delta, abs(completion - r[name]["completion_logp"]))
        out[name] = {"max_token_logp_delta": token_delta, "max_completion_logp_delta": completion_delta, "vocab": model.config.vocab_size}

    if "reward_model" in expected["models"]:
        folder = bundle / "hf" / "reward_model"
        scores = hf_reward_scores(folder, [r["prompt"] for r in rows], [r["completion"] for r in rows])
        model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
        norm = model.config.rlhf_lab["norm"]
        rm = {
            "pooling": model.config.rlhf_lab["pooling"],
            "max_score_delta": max(abs(s - r["reward_model"]["score"]) for s, r in zip(scores, rows)),
            "max_normalized_delta": max(
                abs((s - norm["mean"]) / norm["std"] - r["reward_model"]["normalized"]) for s, r in zip(scores, rows)
            ),
        }
        if rm["pooling"] == "last":
            with torch.no_grad():
                direct = [float(model(torch.tensor([r["ids"]])).logits[0, 0]) for r in rows]
            rm["max_direct_score_delta"] = max(abs(s - r["reward_model"]["score"]) for s, r in zip(direct, rows))
        out["reward_model"] = rm

    return out


for arg in sys.argv[1:]:
    print(json.dumps({"bundle": arg, **check(Path(arg).resolve())}), flush=True)
