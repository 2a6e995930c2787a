#!/usr/bin/python3
"""Golden file for supervised fine-tuning (the `sft` command): a float64 reference of TRL's SFT loss on the tiny
GPT-2 (model/src/test/resources/oracle-gpt2/tiny-gpt2) and the tiny Llama (oracle-llama/llama), full-parameter and
LoRA. Dev tool only: run with Debian's python3-torch (no transformers/peft/trl/safetensors needed):

    /usr/bin/python3 dev-tools/golden/sft_reference.py      (from the repository root)

writes model/src/test/resources/oracle-sft/sft_reference.json, read by the Java tests (SftReferenceTest).

Semantics (TRL SFTTrainer with a prompt/completion dataset, transformers' causal-LM loss):
* an example is prompt ids + completion ids, run as one unpadded sequence at positions 0..T-1;
* the loss is the mean negative log-likelihood over every scored token of the batch (tokens pooled over the
  batch, not a mean of per-example means): with completion_only_loss (TRL's default for prompt/completion data)
  the scored tokens are the completion tokens; without it, every token after the first;
* mean_token_accuracy = share of scored tokens whose arg-max logit is the target token;
* full-parameter: every checkpoint tensor (stored F32, widened exactly) is a float64 leaf; gradients of the mean
  loss; one SGD step w -= lr * grad, then the loss again;
* LoRA (PEFT): y = base(x) + (x A^T) B^T * alpha / r with the committed oracle adapter's A and B (B non-zero),
  gradients with respect to A and B only.
GPT-2 is written out here (HF GPT2LMHeadModel: Conv1D [in, out], gelu_new, tied head); the Llama forward is
llama_reference.forward.
"""
import json
import math
import pathlib
import struct
import sys

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import llama_reference as LR  # noqa: E402

OUT = ROOT / "model/src/test/resources/oracle-sft/sft_reference.json"
GPT2_DIR = "model/src/test/resources/oracle-gpt2/tiny-gpt2"
LLAMA_DIR = "model/src/test/resources/oracle-llama/llama"
LR_SGD = 0.5
NAMED = {
    "gpt2": ["transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.attn.c_attn.weight",
             "transformer.h.1.mlp.c_proj.bias", "transformer.ln_f.weight"],
    "llama": ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
              "model.layers.1.mlp.down_proj.weight", "model.norm.weight", "lm_head.weight"],
}


def read_safetensors(path):
    codes = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "F16": np.float16}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        a = np.frombuffer(data[b:e], dtype=np.dtype(codes[v["dtype"]]).newbyteorder("<")).reshape(v["shape"])
        out[k] = torch.from_numpy(a.astype(np.float64))
    return out


def gpt2_forward(c, w, ids, lora=None, scaling=0.0):
    t = len(ids)
    e, h = c["n_embd"], c["n_head"]
    d = e // h
    eps = c["layer_norm_epsilon"]

    def ln(x, p):
        m = x.mean(-1, keepdim=True)
        v = ((x - m) ** 2).mean(-1, keepdim=True)
        return (x - m) / torch.sqrt(v + eps) * w[p + ".weight"] + w[p + ".bias"]

    def conv(p, x):
        y = x @ w[p + ".weight"] + w[p + ".bias"]
        if lora is not None and p in lora:
            a, b = lora[p]
            y = y + (x @ a.T) @ b.T * scaling
        return y

    def gelu_new(x):
        return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))

    ids_t = torch.tensor(ids)
    x = w["transformer.wte.weight"][ids_t] + w["transformer.wpe.weight"][torch.arange(t)]
    visible = torch.tril(torch.ones(t, t, dtype=torch.bool))
    for i in range(c["n_layer"]):
        p = f"transformer.h.{i}."
        qkv = conv(p + "attn.c_attn", ln(x, p + "ln_1"))
        q, k, v = (z.view(t, h, d).transpose(0, 1) for z in qkv.split(e, dim=-1))
        scores = (q @ k.transpose(1, 2)) / math.sqrt(d)
        probs = torch.softmax(scores.masked_fill(~visible, float("-inf")), -1)
        x = x + conv(p + "attn.c_proj", (probs @ v).transpose(0, 1).reshape(t, e))
        x = x + conv(p + "mlp.c_proj", gelu_new(conv(p + "mlp.c_fc", ln(x, p + "ln_2"))))
    x = ln(x, "transformer.ln_f")
    return x @ w["transformer.wte.weight"].T


def sft_loss(forward, examples, completion_only):
    """Mean NLL over the batch's scored tokens, scored-token count, correct arg-max predictions."""
    total, n, correct = 0.0, 0, 0
    for prompt, completion in examples:
        ids = prompt + completion
        logits = forward(ids)
        lp = torch.log_softmax(logits, -1)
        first = len(prompt) if completion_only else 1           # first scored position
        rows = torch.arange(first - 1, len(ids) - 1)
        targets = torch.tensor(ids[first:])
        total = total + (-lp[rows, targets]).sum()
        n += len(targets)
        correct += int((logits[rows].argmax(-1) == targets).sum())
    return total / n, n, correct


def examples(vocab, rng):
    """Three examples of different prompt and completion lengths (the batch pads them)."""
    shapes = [(5, 4), (3, 7), (8, 2)]
    return [([int(i) for i in rng.integers(0, vocab, p)], [int(i) for i in rng.integers(0, vocab, q)])
            for p, q in shapes]


def full_case(forward_of, weights, named, exs, completion_only):
    w = {k: v.clone().requires_grad_(True) for k, v in weights.items()}
    loss, n, correct = sft_loss(forward_of(w), exs, completion_only)
    grads = torch.autograd.grad(loss, list(w.values()))
    g = dict(zip(w.keys(), grads))
    with torch.no_grad():
        stepped = {k: w[k] - LR_SGD * g[k] for k in w}
    after, _, _ = sft_loss(forward_of(stepped), exs, completion_only)
    return {
        "loss": loss.item(), "tokens": n, "correct": correct,
        "grad_global_norm": math.sqrt(sum(float((x * x).sum()) for x in grads)),
        "grad_norms": {k: float(g[k].norm()) for k in named},
        "grad_first_row": {k: g[k].reshape(-1)[:16].tolist() for k in named},
        "loss_after_sgd": after.item(),
    }


def lora_case(forward_lora, lora_raw, exs):
    lora = {p: (a.clone().requires_grad_(True), b.clone().requires_grad_(True)) for p, (a, b) in lora_raw.items()}
    loss, n, correct = sft_loss(forward_lora(lora), exs, True)
    leaves = [x for ab in lora.values() for x in ab]
    grads = torch.autograd.grad(loss, leaves)
    out = {"loss": loss.item(), "tokens": n, "correct": correct,
           "grad_global_norm": math.sqrt(sum(float((x * x).sum()) for x in grads)), "grads": {}}
    it = iter(grads)
    for p in lora:
        for which in "AB":
            out["grads"][f"base_model.model.{p}.lora_{which}.weight"] = next(it).tolist()
    return out


def load_lora(adapter_dir):
    t = read_safetensors(adapter_dir / "adapter_model.safetensors")
    cfg = json.loads((adapter_dir / "adapter_config.json").read_text())
    lora = {}
    for k in sorted(t):
        if k.endswith(".lora_A.weight"):
            p = k[len("base_model.model."):-len(".lora_A.weight")]
            lora[p] = (t[k], t[k.replace("lora_A", "lora_B")])
    return lora, cfg["lora_alpha"] / cfg["r"]


def gpt2():
    d = ROOT / GPT2_DIR
    c = json.loads((d / "config.json").read_text())
    raw = read_safetensors(d / "model.safetensors")
    w = {}
    for k, v in raw.items():
        if k.endswith(".attn.bias") or k.endswith(".attn.masked_bias") or k == "lm_head.weight":
            continue
        w[k if k.startswith("transformer.") else "transformer." + k] = v
    exs = examples(c["vocab_size"], np.random.default_rng(1201))
    lora, scaling = load_lora(d / "adapter")
    return {
        "model_dir": GPT2_DIR, "lr": LR_SGD, "examples": [{"prompt": p, "completion": q} for p, q in exs],
        "full": full_case(lambda ww: (lambda ids: gpt2_forward(c, ww, ids)), w, NAMED["gpt2"], exs, True),
        "full_all_tokens": full_case(lambda ww: (lambda ids: gpt2_forward(c, ww, ids)), w, NAMED["gpt2"], exs, False),
        "lora": lora_case(lambda lo: (lambda ids: gpt2_forward(c, w, ids, lo, scaling)), lora, exs),
    }


def llama():
    d = ROOT / LLAMA_DIR
    c = json.loads((d / "config.json").read_text())
    w = read_safetensors(d / "model.safetensors")
    exs = examples(c["vocab_size"], np.random.default_rng(1202))
    lora, _ = load_lora(d / "adapter")
    return {
        "model_dir": LLAMA_DIR, "lr": LR_SGD, "examples": [{"prompt": p, "completion": q} for p, q in exs],
        "full": full_case(lambda ww: (lambda ids: LR.forward(c, ww, ids)), w, NAMED["llama"], exs, True),
        "full_all_tokens": full_case(lambda ww: (lambda ids: LR.forward(c, ww, ids)), w, NAMED["llama"], exs, False),
        "lora": lora_case(lambda lo: (lambda ids: LR.forward(c, w, ids, lo)), lora, exs),
    }


def main():
    torch.set_default_dtype(torch.float64)
    out = {"gpt2": gpt2(), "llama": llama()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    for m in out:
        print(m, {k: out[m][k]["loss"] for k in ("full", "full_all_tokens", "lora")},
              "after", out[m]["full"]["loss_after_sgd"])


if __name__ == "__main__":
    main()
