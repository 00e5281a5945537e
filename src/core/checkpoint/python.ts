// The two Python files of an export bundle: a loader (numpy and the standard library only) and a TRL script set up
// with the run's preferences and hyperparameters, for the user who moves on to real GPUs.
import { klCoef, type Experiment } from '../experiment/parse';

export const LOAD_IN_PYTHON = `"""Load an RLHF Lab export with numpy and the Python standard library only.

    python load_in_python.py            # a summary of the models and preferences in this folder
    python load_in_python.py --json     # the same as JSON (the lab's tests read this)

In your own code:
    from load_in_python import load_safetensors, load_preferences
    weights, metadata = load_safetensors("models/reward_model.safetensors")
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}


def load_safetensors(path):
    """(tensors, metadata) of a .safetensors file: 8-byte little-endian header length, JSON header, data."""
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        tensors[name] = np.frombuffer(data[base + begin : base + end], dtype=np.dtype(DTYPES[t["dtype"]])).reshape(t["shape"])
    return tensors, metadata


def load_preferences(path=HERE / "preferences.jsonl"):
    """The comparisons: dicts with prompt, chosen, rejected, labeler, time (the layout TRL and HF datasets use)."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def landscape_reward(weights, spec, points):
    """The landscape reward model r(x, y) (an MLP) at points of shape [n, 2], before normalization."""
    h = np.asarray(points, dtype=np.float32) / np.float32(spec["input_scale"])
    layers = len(spec["hidden"]) + 1
    for l in range(layers):
        h = h @ weights[f"w{l}"] + weights[f"b{l}"]
        if l < layers - 1:
            h = np.maximum(h, 0) if spec["activation"] == "relu" else np.tanh(h)
    return h[:, 0]


def main():
    models = {}
    for path in sorted((HERE / "models").glob("*.safetensors")):
        tensors, meta = load_safetensors(path)
        models[path.stem] = {
            "metadata": meta,
            "tensors": {k: {"shape": list(v.shape), "sum": float(v.astype(np.float64).sum())} for k, v in tensors.items()},
        }
    prefs = load_preferences()
    out = {"models": models, "preferences": len(prefs)}
    rm = HERE / "models" / "reward_model.safetensors"
    if rm.exists() and prefs and prefs[0]["prompt"] == "":
        weights, meta = load_safetensors(rm)
        spec = json.loads(meta["spec"])
        chosen = np.array([json.loads(p["chosen"]) for p in prefs], dtype=np.float32)
        rejected = np.array([json.loads(p["rejected"]) for p in prefs], dtype=np.float32)
        margin = landscape_reward(weights, spec, chosen) - landscape_reward(weights, spec, rejected)
        out["reward_model_agrees_with_preferences"] = float((margin > 0).mean())
    if "--json" in sys.argv:
        print(json.dumps(out))
        return
    for name, m in models.items():
        print(f"{name}: " + ", ".join(f"{k} {tuple(t['shape'])}" for k, t in m["tensors"].items()))
    print(f"{len(prefs)} preference pairs")
    if "reward_model_agrees_with_preferences" in out:
        print(f"the reward model prefers the chosen side of {out['reward_model_agrees_with_preferences']:.1%} of them")


if __name__ == "__main__":
    main()
`;

/** train_trl.py with the run's hyperparameters written in. */
export function trainTrl(e: Experiment): string {
  const hp = {
    seed: e.seed,
    learning_rate: e.reward_model.lr,
    per_device_train_batch_size: Math.min(e.reward_model.batch_size, 64),
    max_steps: e.reward_model.steps * e.schedule.rounds,
    eval_fraction: e.reward_model.holdout,
    // The KL coefficient of the lab's policy step; DPO's β plays the same part (RLHF.md).
    beta: klCoef(e) ?? 0.1,
    policy_learning_rate: 'lr' in e.optimizer ? e.optimizer.lr : 1e-6,
  };
  return `"""Continue this run in TRL on real GPUs: a reward model (default) or DPO on the exported preferences.

    pip install trl transformers datasets accelerate
    python train_trl.py --model Qwen/Qwen2.5-0.5B-Instruct          # reward model (Bradley-Terry, as in the lab)
    python train_trl.py --model Qwen/Qwen2.5-0.5B-Instruct --dpo    # DPO with beta = the run's KL coefficient

Hyperparameters below come from the lab's run "${e.name.replace(/["\\\\]/g, '')}" (seed ${e.seed}). For the landscape task the
"texts" are points written as JSON ("[0.12,-1.5]"): a language model can learn them, but the script is meant for
text tasks, whose preferences are real prompts and completions.
"""
import argparse
from pathlib import Path

from datasets import load_dataset

HERE = Path(__file__).resolve().parent
HYPERPARAMETERS = ${JSON.stringify(hp, null, 4).replace(/\n}$/, '\n}')}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a Hugging Face model id or path")
    parser.add_argument("--dpo", action="store_true", help="train the policy with DPO instead of a reward model")
    parser.add_argument("--output", default=str(HERE / "trl-output"))
    args = parser.parse_args()
    hp = HYPERPARAMETERS

    data = load_dataset("json", data_files=str(HERE / "preferences.jsonl"), split="train")
    data = data.select_columns(["prompt", "chosen", "rejected"])
    if hp["eval_fraction"] > 0 and len(data) >= 10:
        split = data.train_test_split(test_size=hp["eval_fraction"], seed=hp["seed"])
        train, evaluation = split["train"], split["test"]
    else:
        train, evaluation = data, None

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    common = dict(
        output_dir=args.output,
        seed=hp["seed"],
        per_device_train_batch_size=hp["per_device_train_batch_size"],
        max_steps=hp["max_steps"],
        logging_steps=10,
        eval_strategy="steps" if evaluation is not None else "no",
        eval_steps=max(1, hp["max_steps"] // 10),
        report_to="none",
    )
    if args.dpo:
        from transformers import AutoModelForCausalLM
        from trl import DPOConfig, DPOTrainer

        model = AutoModelForCausalLM.from_pretrained(args.model)
        config = DPOConfig(learning_rate=hp["policy_learning_rate"], beta=hp["beta"], **common)
        trainer = DPOTrainer(model=model, args=config, train_dataset=train, eval_dataset=evaluation, processing_class=tokenizer)
    else:
        from transformers import AutoModelForSequenceClassification
        from trl import RewardConfig, RewardTrainer

        model = AutoModelForSequenceClassification.from_pretrained(args.model, num_labels=1)
        model.config.pad_token_id = tokenizer.pad_token_id
        config = RewardConfig(learning_rate=hp["learning_rate"], **common)
        trainer = RewardTrainer(model=model, args=config, train_dataset=train, eval_dataset=evaluation, processing_class=tokenizer)
    trainer.train()
    trainer.save_model(args.output)


if __name__ == "__main__":
    main()
`;
}
