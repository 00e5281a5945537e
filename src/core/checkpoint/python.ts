// The two Python files of an export bundle: a loader (numpy and the standard library only) and a TRL script set up
// with the run's preferences and hyperparameters, for the user who moves on to real GPUs.
import { klCoef, type Experiment } from '../experiment/parse';
import { algorithmOf } from '../algos/registry';
import type { TrlDpoLoss } from '../algos/dpo_config';

export const LOAD_IN_PYTHON = `"""Load an RLHF Lab export with numpy and the Python standard library only.

    python load_in_python.py            # a summary of the models and preferences in this folder
    python load_in_python.py --json     # the same as JSON (the lab's tests read this)

In your own code:
    from load_in_python import load_safetensors, load_preferences
    weights, metadata = load_safetensors("models/reward_model.safetensors")

A text run also holds hf/<model>/ folders for Hugging Face transformers (AutoModelForCausalLM.from_pretrained), and
hf_reward_scores below scores with hf/reward_model as the lab does (it needs torch and transformers).
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


def hf_reward_scores(folder, prompts, completions):
    """Raw reward scores of (prompt, completion) pairs from an exported hf/reward_model folder, pooled as the lab pools.

    transformers' GPT2ForSequenceClassification scores one position (the last non-pad token). The lab's text presets
    average the score over the last prompt token and the completion's tokens ("mean" in config.rlhf_lab.pooling), so
    this takes every position's score, model.score(hidden states), and pools it here. Sequences are BOS (a line break) +
    prompt + completion, one at a time (no padding).
    """
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    pooling = model.config.rlhf_lab["pooling"]
    scores = []
    with torch.no_grad():
        for prompt, completion in zip(prompts, completions):
            ids = tokenizer("\\n" + prompt + completion, add_special_tokens=False, return_tensors="pt").input_ids
            per_position = model.score(model.transformer(ids).last_hidden_state)[0, :, 0]
            # position |prompt| is the prompt's last token (BOS is position 0); "last" reads the final position only
            first = len(tokenizer(prompt, add_special_tokens=False).input_ids) if pooling == "mean" else ids.shape[1] - 1
            scores.append(float(per_position[first:].mean()))
    return scores


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

/** The run's preference loss as TRL 1.x's DPOConfig options, and where TRL's definition differs from the lab's. */
export function trlLoss(e: Experiment): TrlDpoLoss {
  return (
    algorithmOf(e.optimizer).trlDpoLoss?.(e.optimizer) ?? {
      loss_type: ['sigmoid'],
      loss_weights: null,
      label_smoothing: 0,
      notes: [`the run trained with ${e.optimizer.algo}, not DPO; --dpo uses DPO's sigmoid loss with beta = the run's KL coefficient`],
    }
  );
}

/** train_trl.py with the run's hyperparameters written in. */
export function trainTrl(e: Experiment): string {
  const loss = trlLoss(e);
  const hp = {
    seed: e.seed,
    learning_rate: e.reward_model.lr,
    per_device_train_batch_size: Math.min(e.reward_model.batch_size, 64),
    max_steps: e.reward_model.steps * e.schedule.rounds,
    eval_fraction: e.reward_model.holdout,
    // The KL coefficient of the lab's policy step; DPO's β plays the same part (RLHF.md).
    beta: klCoef(e) ?? 0.1,
    policy_learning_rate: 'lr' in e.optimizer ? e.optimizer.lr : 1e-6,
    dpo_batch_size: Math.min('batch_size' in e.optimizer ? (e.optimizer.batch_size as number) : 32, 64),
    dpo_steps: 'iterations' in e.optimizer ? (e.optimizer.iterations as number) * e.schedule.rounds : 100,
    loss_type: loss.loss_type,
    loss_weights: loss.loss_weights,
    label_smoothing: loss.label_smoothing,
    reward_pooling: e.reward_model.pool,
  };
  const py = (x: unknown) => JSON.stringify(x, null, 4).replace(/\bnull\b/g, 'None').replace(/\btrue\b/g, 'True').replace(/\bfalse\b/g, 'False');
  return `"""Continue this run in TRL: a reward model (default) or DPO on the exported preferences, from the lab's own models.

    pip install torch trl transformers datasets accelerate
    python train_trl.py                          # reward model, from hf/reward_model (Bradley-Terry, as in the lab)
    python train_trl.py --dpo                    # DPO from hf/policy, with hf/reference as the reference policy
    python train_trl.py --max-steps 5            # a quick check
    python train_trl.py --model Qwen/Qwen2.5-0.5B-Instruct --dpo   # another model (the learning rate is scaled)

Runs on a CPU (float32) or a GPU (bf16 where the GPU has it). Hyperparameters below come from the lab's run
"${e.name.replace(/["\\\\]/g, '')}" (seed ${e.seed}). For the landscape task the "texts" are points written as JSON
("[0.12,-1.5]"): a language model can learn them, but the script is meant for text tasks, whose preferences are real
prompts and completions and whose export holds the hf/ model folders.
"""
import argparse
import json
from pathlib import Path

from datasets import load_dataset

HERE = Path(__file__).resolve().parent
HYPERPARAMETERS = ${py(hp)}
# Where TRL's definition of this run's loss differs from the lab's (printed at the start).
LOSS_NOTES = ${py(loss.notes)}


def width(config):
    return getattr(config, "n_embd", None) or getattr(config, "hidden_size", None)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a Hugging Face model id or path (default: this run's hf/ folders)")
    parser.add_argument("--dpo", action="store_true", help="train the policy with DPO instead of a reward model")
    parser.add_argument("--max-steps", type=int, help="stop after this many optimizer steps")
    parser.add_argument("--lr", type=float, help="the learning rate (default: the run's, scaled for --model)")
    parser.add_argument("--output", default=str(HERE / "trl-output"))
    args = parser.parse_args()
    hp = HYPERPARAMETERS

    import torch
    from transformers import AutoConfig, AutoTokenizer

    lab = {name: HERE / "hf" / name for name in ("policy", "reference", "reward_model")}
    if args.model is None:
        if not lab["policy"].exists():
            parser.error("this export has no hf/ folders (not a text run): pass --model")
        # A run without a reward model (DPO and the offline methods) starts one from the reference policy.
        start = lab["policy"] if args.dpo else (lab["reward_model"] if lab["reward_model"].exists() else lab["reference"])
    else:
        start = args.model
    own = args.model is None
    print(f"starting from {start}")

    lr = hp["policy_learning_rate"] if args.dpo else hp["learning_rate"]
    if args.lr is not None:
        lr = args.lr
    elif not own and lab["policy"].exists():
        # The run's learning rate suits a model a few hundred kilobytes wide. For Adam, muP scales hidden-layer
        # learning rates as 1/width (Yang et al. 2022): scale by the lab's width over the model's.
        lab_width, model_width = width(AutoConfig.from_pretrained(lab["policy"])), width(AutoConfig.from_pretrained(start))
        if lab_width and model_width and model_width != lab_width:
            lr = lr * lab_width / model_width
            print(f"learning rate scaled by the widths {lab_width}/{model_width} (muP, 1/width for Adam): {lr:.3g}; --lr to set it")
    for note in LOSS_NOTES:
        print(f"note: {note}")

    data = load_dataset("json", data_files=str(HERE / "preferences.jsonl"), split="train")
    data = data.select_columns(["prompt", "chosen", "rejected"])
    if own:
        # The lab's models read BOS ("\\n") + prompt + completion.
        data = data.map(lambda row: {"prompt": "\\n" + row["prompt"]})
    if hp["eval_fraction"] > 0 and len(data) >= 10:
        split = data.train_test_split(test_size=hp["eval_fraction"], seed=hp["seed"])
        train, evaluation = split["train"], split["test"]
    else:
        train, evaluation = data, None

    tokenizer = AutoTokenizer.from_pretrained(start)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    max_steps = args.max_steps or (hp["dpo_steps"] if args.dpo else hp["max_steps"])
    cuda = torch.cuda.is_available()
    common = dict(
        output_dir=args.output,
        seed=hp["seed"],
        per_device_train_batch_size=hp["dpo_batch_size"] if args.dpo else hp["per_device_train_batch_size"],
        learning_rate=lr,
        max_steps=max_steps,
        logging_steps=max(1, min(10, max_steps // 5)),
        eval_strategy="steps" if evaluation is not None else "no",
        eval_steps=max(1, max_steps // 5),
        save_strategy="no",
        report_to="none",
        # TRL's configs default to bf16, which a CPU (and older GPUs) cannot run.
        bf16=cuda and torch.cuda.is_bf16_supported(),
        use_cpu=not cuda,
    )
    if own:
        common["max_length"] = AutoConfig.from_pretrained(start).n_positions
    if args.dpo:
        from transformers import AutoModelForCausalLM
        from trl import DPOConfig, DPOTrainer

        model = AutoModelForCausalLM.from_pretrained(start)
        # The lab's DPO measures the policy against the base model it started from: keep that reference.
        ref_model = AutoModelForCausalLM.from_pretrained(lab["reference"]) if own else None
        config = DPOConfig(
            beta=hp["beta"],
            loss_type=hp["loss_type"],
            loss_weights=hp["loss_weights"],
            label_smoothing=hp["label_smoothing"],
            **common,
        )
        trainer = DPOTrainer(
            model=model, ref_model=ref_model, args=config, train_dataset=train, eval_dataset=evaluation, processing_class=tokenizer
        )
    else:
        from transformers import AutoModelForSequenceClassification
        from trl import RewardConfig, RewardTrainer

        model = AutoModelForSequenceClassification.from_pretrained(start, num_labels=1)
        model.config.pad_token_id = tokenizer.pad_token_id
        if hp["reward_pooling"] == "mean":
            print(
                "note: TRL's RewardTrainer scores the last non-pad token; this run's reward model averaged over the "
                "completion, so training continues with a last-token score (load_in_python.hf_reward_scores pools as the lab)"
            )
        config = RewardConfig(**common)
        trainer = RewardTrainer(model=model, args=config, train_dataset=train, eval_dataset=evaluation, processing_class=tokenizer)
    result = trainer.train()
    trainer.save_model(args.output)
    print(json.dumps({"steps": result.global_step, "train_loss": result.training_loss, "output": args.output}))


if __name__ == "__main__":
    main()
`;
}
