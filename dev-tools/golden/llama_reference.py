#!/usr/bin/python3
"""Golden files for the Llama family (model_type llama, mistral, qwen2): a float64 reference of Hugging Face's
LlamaForCausalLM / MistralForCausalLM / Qwen2ForCausalLM forward, PEFT LoRA and TRL's DPO losses.

Dev tool only: run with Debian's python3-torch (no transformers, peft or safetensors package needed); the Java tests
read the committed output under model/src/test/resources/oracle-llama/{llama,mistral,qwen2}/.

    /usr/bin/python3 dev-tools/golden/llama_reference.py      (from the repository root)

Semantics, written from reading transformers' modeling_llama.py / modeling_mistral.py / modeling_qwen2.py,
modeling_rope_utils.py and masking_utils.py, PEFT's lora/layer.py and TRL's dpo_trainer.py:

* x = embed_tokens[ids]; per layer: x += o_proj(attn(RoPE(q_proj(n1)), RoPE(k_proj(n1)), v_proj(n1))) with
  n1 = RMSNorm(x); x += down_proj(silu(gate_proj(n2)) * up_proj(n2)) with n2 = RMSNorm(x); final RMSNorm; logits
  = x @ lm_head^T (lm_head = embed_tokens when tied). nn.Linear: y = x W^T + b.
* RMSNorm(x) = x / sqrt(mean(x^2) + eps) * w.
* RoPE, non-interleaved: q' = q cos + rotate_half(q) sin with rotate_half([a, b]) = [-b, a] over the two halves
  of each head, cos/sin = cos/sin of [angles, angles]. HF computes inv_freq and the angles (inv_freq * position)
  in float32 whatever the model dtype, so this reference does too: inv_freq with float32 arithmetic, except that
  base ** (2i/d) is the correctly rounded float32 (torch's vectorised powf is 1 ulp off for a few (base, d)), the
  angle is the float32 product; cos and sin are then taken in float64. llama3 and linear rope_scaling as
  _compute_llama3_parameters / _compute_linear_scaling_rope_parameters (linear: inv_freq / factor).
* Attention: scores = q k^T * head_dim**-0.5 + mask, softmax, @ v. Grouped-query attention: query head h uses
  kv head h // (heads / kv_heads) (repeat_kv). Mask: key j visible from query i iff j <= i and, for
  sliding-window layers, j > i - sliding_window (masking_utils.sliding_window_overlay).
* Biases: llama q/k/v/o follow attention_bias, gate/up/down follow mlp_bias; mistral none; qwen2 q/k/v always
  (bias=True in Qwen2Attention), o_proj and the MLP none.
* HF's RMSNorm and eager softmax compute in float32 even in a float64 model; this reference keeps float64
  throughout (the convention of the GPT-2 oracle: F32-stored weights widened exactly, float64 arithmetic).
* LoRA (PEFT): y = base(x) + (x A^T) B^T * lora_alpha / r on q,k,v,o,gate,up,down (fan_in_fan_out false).
* Log-probs, DPO losses, metrics, gradients: the GPT-2 oracle's conventions (see oracle-gpt2/README.md).
"""
import json
import math
import pathlib
import struct

import numpy as np
import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "model/src/test/resources/oracle-llama"
BETA = 0.1
LORA_R, LORA_ALPHA = 4, 8
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

CONFIGS = {
    # (a) Llama 3.1 style: GQA 4 heads / 2 kv heads, llama3 rope scaling with all three frequency regimes present
    #     (original context 64: wavelengths < 16 kept, 16..64 smoothed, > 64 divided by 8), untied lm_head,
    #     eos_token_id a list.
    "llama": {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 320, "hidden_size": 64,
        "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "head_dim": 16, "hidden_act": "silu", "max_position_embeddings": 256, "rms_norm_eps": 1e-5,
        "rope_theta": 500000.0,
        "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 64, "rope_type": "llama3"},
        "attention_bias": False, "mlp_bias": False, "tie_word_embeddings": False,
        "bos_token_id": 1, "eos_token_id": [2, 3], "pretraining_tp": 1, "attention_dropout": 0.0,
        "initializer_range": 0.02, "use_cache": True, "torch_dtype": "float32",
    },
    # (b) Mistral style: explicit head_dim (4 x 16 = 64 != hidden 48, as Mistral-Nemo), 4 heads / 1 kv head,
    #     sliding_window 12, shorter than the longer test sequences so the windowed mask is exercised,
    #     linear rope scaling, untied.
    "mistral": {
        "architectures": ["MistralForCausalLM"], "model_type": "mistral", "vocab_size": 288, "hidden_size": 48,
        "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1,
        "head_dim": 16, "hidden_act": "silu", "max_position_embeddings": 512, "rms_norm_eps": 1e-6,
        "rope_theta": 1000000.0, "rope_scaling": {"type": "linear", "factor": 2.0}, "sliding_window": 12,
        "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2, "attention_dropout": 0.0,
        "initializer_range": 0.02, "use_cache": True, "torch_dtype": "float32",
    },
    # (c) Qwen2 style: q/k/v biases (no attention_bias key: Qwen2 always has them), tied embeddings, GQA 4 / 2,
    #     use_sliding_window false.
    "qwen2": {
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 300, "hidden_size": 64,
        "intermediate_size": 112, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "hidden_act": "silu", "max_position_embeddings": 256, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
        "rope_scaling": None, "use_sliding_window": False, "sliding_window": 4096, "max_window_layers": 2,
        "tie_word_embeddings": True, "bos_token_id": 296, "eos_token_id": 297, "attention_dropout": 0.0,
        "initializer_range": 0.02, "use_cache": True, "torch_dtype": "float32",
    },
}
SEEDS = {"llama": 11, "mistral": 22, "qwen2": 33}


# ---------------------------------------------------------------- safetensors (own minimal writer)

def write_safetensors(path, tensors, metadata):
    """tensors: name -> numpy array (float32, float64 or int64). Layout as the GPT-2 oracle's writer."""
    codes = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.int64): "I64"}
    names = sorted(tensors, key=lambda n: (-tensors[n].dtype.itemsize, n))
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for n in names:
        a = np.ascontiguousarray(tensors[n])
        b = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[n] = {"dtype": codes[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------- config semantics

def head_dim(c):
    return c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]


def biases(c):
    """(q/k/v bias, o bias, mlp bias) as the HF class of this model_type builds them."""
    if c["model_type"] == "qwen2":
        return True, False, False
    if c["model_type"] == "mistral":
        return False, False, False
    return bool(c.get("attention_bias", False)), bool(c.get("attention_bias", False)), bool(c.get("mlp_bias", False))


def layer_windows(c):
    """Per layer: the sliding window or None (full causal attention)."""
    n = c["num_hidden_layers"]
    if c["model_type"] == "mistral":
        return [c.get("sliding_window")] * n
    if c["model_type"] == "qwen2" and c.get("use_sliding_window"):
        return [c["sliding_window"] if i >= c["max_window_layers"] else None for i in range(n)]
    return [None] * n


def inv_freq_f32(c):
    """HF's inverse frequencies, float32 arithmetic step by step (see the module docstring)."""
    f32 = np.float32
    d = head_dim(c)
    base = f32(c["rope_theta"])
    expo = np.arange(0, d, 2).astype(np.float32) / f32(d)
    powd = np.array([f32(np.float64(base) ** np.float64(e)) for e in expo], dtype=np.float32)
    inv = f32(1.0) / powd
    rs = c.get("rope_scaling")
    kind = None if rs is None else rs.get("rope_type", rs.get("type"))
    if kind in (None, "default"):
        return inv
    if kind == "linear":
        return inv / f32(rs["factor"])
    if kind == "llama3":
        factor = f32(rs["factor"])
        low, high = rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        low_wl, high_wl = f32(old / low), f32(old / high)
        wavelen = (f32(1.0) / inv) * f32(2 * math.pi)          # 2*pi / inv_freq is reciprocal() * scalar in torch
        scaled = np.where(wavelen > low_wl, inv / factor, inv).astype(np.float32)
        smooth = ((f32(1.0) / wavelen) * f32(old) - f32(low)) / f32(high - low)
        smoothed = (f32(1.0) - smooth) * scaled / factor + smooth * scaled
        medium = np.logical_and(~(wavelen < high_wl), ~(wavelen > low_wl))
        return np.where(medium, smoothed, scaled).astype(np.float32)
    raise ValueError(kind)


def inv_freq_torch_pow(c):
    """Diagnostic only: the default inv_freq with torch's own float32 pow."""
    d = head_dim(c)
    return (1.0 / (c["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))).numpy()


def rope_tables(c, t):
    inv = inv_freq_f32(c)
    ang = np.outer(np.arange(t, dtype=np.float32), inv).astype(np.float32)   # float32 products, as HF's matmul
    emb = torch.from_numpy(np.concatenate([ang, ang], axis=1).astype(np.float64))
    return emb.cos(), emb.sin()


# ---------------------------------------------------------------- weights

def f32(a):
    """Draw in float64, round to float32 (what is stored), widen back exactly."""
    return torch.from_numpy(np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64))


def make_weights(c, rng):
    e, i_sz, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    h, kv, d = c["num_attention_heads"], c["num_key_value_heads"], head_dim(c)
    qkv_b, o_b, mlp_b = biases(c)
    w = {"model.embed_tokens.weight": f32(rng.normal(0, 0.4, (v, e)))}

    def linear(name, out_f, in_f, bias):
        w[name + ".weight"] = f32(rng.normal(0, 1.0 / math.sqrt(in_f), (out_f, in_f)))
        if bias:
            w[name + ".bias"] = f32(rng.normal(0, 0.3, (out_f,)))

    for li in range(c["num_hidden_layers"]):
        p = f"model.layers.{li}."
        w[p + "input_layernorm.weight"] = f32(1 + rng.normal(0, 0.2, (e,)))
        linear(p + "self_attn.q_proj", h * d, e, qkv_b)
        linear(p + "self_attn.k_proj", kv * d, e, qkv_b)
        linear(p + "self_attn.v_proj", kv * d, e, qkv_b)
        linear(p + "self_attn.o_proj", e, h * d, o_b)
        w[p + "post_attention_layernorm.weight"] = f32(1 + rng.normal(0, 0.2, (e,)))
        linear(p + "mlp.gate_proj", i_sz, e, mlp_b)
        linear(p + "mlp.up_proj", i_sz, e, mlp_b)
        linear(p + "mlp.down_proj", e, i_sz, mlp_b)
    w["model.norm.weight"] = f32(1 + rng.normal(0, 0.2, (e,)))
    if not c["tie_word_embeddings"]:
        w["lm_head.weight"] = f32(rng.normal(0, 0.15, (v, e)))
    return w


def module_shapes(c):
    """Module path -> (in, out) of every LoRA-targeted linear, in model order."""
    e, i_sz = c["hidden_size"], c["intermediate_size"]
    h, kv, d = c["num_attention_heads"], c["num_key_value_heads"], head_dim(c)
    out = {}
    for li in range(c["num_hidden_layers"]):
        p = f"model.layers.{li}."
        out[p + "self_attn.q_proj"] = (e, h * d)
        out[p + "self_attn.k_proj"] = (e, kv * d)
        out[p + "self_attn.v_proj"] = (e, kv * d)
        out[p + "self_attn.o_proj"] = (h * d, e)
        out[p + "mlp.gate_proj"] = (e, i_sz)
        out[p + "mlp.up_proj"] = (e, i_sz)
        out[p + "mlp.down_proj"] = (i_sz, e)
    return out


def make_lora(c, rng):
    lora = {}
    for path, (i, o) in module_shapes(c).items():
        lora[path] = (f32(rng.normal(0, 0.15, (LORA_R, i))), f32(rng.normal(0, 0.08, (o, LORA_R))))
    return lora


def peft_key(path, which):
    return f"base_model.model.{path}.lora_{which}.weight"


# ---------------------------------------------------------------- forward

def forward(c, w, ids, lora=None, dtype=torch.float64, debug=None):
    """Logits [T, V] for one unpadded sequence at positions 0..T-1."""
    t = len(ids)
    h, kv, d = c["num_attention_heads"], c["num_key_value_heads"], head_dim(c)
    eps = c["rms_norm_eps"]
    scaling = LORA_ALPHA / LORA_R
    cos, sin = (x.to(dtype) for x in rope_tables(c, t))
    W = {k: v.to(dtype) for k, v in w.items()}

    def lin(path, x):
        y = x @ W[path + ".weight"].T
        if path + ".bias" in W:
            y = y + W[path + ".bias"]
        if lora is not None and path in lora:
            a, b = lora[path]
            y = y + (x @ a.to(dtype).T) @ b.to(dtype).T * scaling
        return y

    def rms(x, name):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * W[name]

    def rope(x):                                   # x [heads, T, d]
        half = d // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * cos + rotated * sin

    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    if debug is not None:
        debug["embed"] = x
    qi = torch.arange(t).view(t, 1)
    kj = torch.arange(t).view(1, t)
    for li, window in enumerate(layer_windows(c)):
        p = f"model.layers.{li}."
        n1 = rms(x, p + "input_layernorm.weight")
        q = rope(lin(p + "self_attn.q_proj", n1).view(t, h, d).transpose(0, 1))
        k = rope(lin(p + "self_attn.k_proj", n1).view(t, kv, d).transpose(0, 1))
        v = lin(p + "self_attn.v_proj", n1).view(t, kv, d).transpose(0, 1)
        k = k.repeat_interleave(h // kv, dim=0)
        v = v.repeat_interleave(h // kv, dim=0)
        visible = kj <= qi
        if window is not None:
            visible = visible & (kj > qi - window)
        scores = (q @ k.transpose(1, 2)) * d ** -0.5
        scores = scores.masked_fill(~visible, float("-inf"))
        probs = torch.softmax(scores, dim=-1)
        if debug is not None and li == 0:
            debug["layer0.attn_probs"] = probs
        attn = (probs @ v).transpose(0, 1).reshape(t, h * d)
        x = x + lin(p + "self_attn.o_proj", attn)
        n2 = rms(x, p + "post_attention_layernorm.weight")
        x = x + lin(p + "mlp.down_proj", F.silu(lin(p + "mlp.gate_proj", n2)) * lin(p + "mlp.up_proj", n2))
        if debug is not None:
            debug[f"block{li}.out"] = x
    x = rms(x, "model.norm.weight")
    head = W["model.embed_tokens.weight"] if c["tie_word_embeddings"] else W["lm_head.weight"]
    logits = x @ head.T
    if debug is not None:
        debug["final_norm"] = x
        debug["logsumexp"] = torch.logsumexp(logits, dim=-1)
        debug["next_token_logps"] = torch.log_softmax(logits, -1)[torch.arange(t - 1), torch.tensor(ids[1:])]
        debug["logits_first64"] = logits[:, :64]
    return logits


def completion_logps(c, w, prompt, completion, lora=None, dtype=torch.float64):
    ids = prompt + completion
    logits = forward(c, w, ids, lora, dtype)
    lp = torch.log_softmax(logits, dim=-1)
    p = len(prompt)
    rows = torch.arange(p - 1, len(ids) - 1)
    return lp[rows, torch.tensor(completion)]


# ---------------------------------------------------------------- DPO (TRL semantics, as the GPT-2 oracle)

def dpo_losses(pc, pr, rc, rr, nc, nr):
    logits = (pc - pr) - (rc - rr)
    ipo_logits = (pc - rc) / nc - (pr - rr) / nr
    ls = 0.1
    return {
        "sigmoid": -F.logsigmoid(BETA * logits),
        "sigmoid_ls0.1": -F.logsigmoid(BETA * logits) * (1 - ls) - F.logsigmoid(-BETA * logits) * ls,
        "hinge": torch.relu(1 - BETA * logits),
        "ipo": (ipo_logits - 1 / (2 * BETA)) ** 2,
        "robust_ls0.1": (-F.logsigmoid(BETA * logits) * (1 - ls) + F.logsigmoid(-BETA * logits) * ls) / (1 - 2 * ls),
    }, logits, ipo_logits


LOSS_CONFIGS = [("sigmoid", "sigmoid", 0.0), ("sigmoid_ls0.1", "sigmoid", 0.1), ("hinge", "hinge", 0.0),
                ("ipo", "ipo", 0.0), ("robust_ls0.1", "robust", 0.1)]


def examples(c, rng):
    """Six preference examples with the GPT-2 oracle's shapes; ids avoid the bos/eos ids except where placed."""
    v = c["vocab_size"]
    bos = c["bos_token_id"]
    eos = c["eos_token_id"][0] if isinstance(c["eos_token_id"], list) else c["eos_token_id"]
    pool = [i for i in range(4, v) if i not in (bos, eos)]
    r = lambda n: [int(x) for x in rng.choice(pool, size=n)]
    out = []

    def add(name, prompt, chosen, rejected):
        shared = 0
        while shared < min(len(chosen), len(rejected)) and chosen[shared] == rejected[shared]:
            shared += 1
        out.append({"name": name, "prompt_ids": prompt, "chosen_ids": chosen, "rejected_ids": rejected,
                    "shared_prefix_len": shared})

    pre = r(4)
    add("shared_prefix_eos", [bos] + r(8), pre + r(3) + [eos], pre + r(6) + [eos])
    add("one_token_prompt", [bos], r(5) + [eos], r(6) + [eos])
    one = r(2)
    while one[0] == one[1]:
        one = r(2)
    add("one_token_completions", [bos] + r(5), one[:1], one[1:])
    add("equal_lengths", [bos] + r(7), r(8), r(8))
    ch = r(4)
    add("chosen_prefix_of_rejected", [bos] + r(4), ch, ch + r(3))
    add("long_beyond_window", [bos] + r(21), r(17) + [eos], r(14) + [eos])
    return out


def logp_record(tok):
    return {"logp_sum": tok.sum().item(), "logp_mean": tok.mean().item(), "n_tokens": len(tok),
            "token_logps": tok.tolist()}


def generate(name):
    c = CONFIGS[name]
    rng = np.random.default_rng(SEEDS[name])
    out_dir = OUT / name
    (out_dir / "adapter").mkdir(parents=True, exist_ok=True)
    w = make_weights(c, rng)
    lora = make_lora(c, rng)
    exs = examples(c, rng)

    (out_dir / "config.json").write_text(json.dumps(c, indent=2, sort_keys=True) + "\n")
    write_safetensors(out_dir / "model.safetensors",
                      {k: v.numpy().astype(np.float32) for k, v in w.items()}, {"format": "pt"})
    adapter_cfg = {
        "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": f"tiny-{name}", "bias": "none",
        "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True, "layers_pattern": None,
        "layers_to_transform": None, "lora_alpha": LORA_ALPHA, "lora_dropout": 0.0, "modules_to_save": None,
        "peft_type": "LORA", "r": LORA_R, "rank_pattern": {}, "revision": None, "target_modules": TARGETS,
        "task_type": "CAUSAL_LM", "use_dora": False, "use_rslora": False}
    (out_dir / "adapter" / "adapter_config.json").write_text(json.dumps(adapter_cfg, indent=2, sort_keys=True) + "\n")
    adapter_tensors = {}
    for path, (a, b) in lora.items():
        adapter_tensors[peft_key(path, "A")] = a.numpy().astype(np.float32)
        adapter_tensors[peft_key(path, "B")] = b.numpy().astype(np.float32)
    write_safetensors(out_dir / "adapter" / "adapter_model.safetensors", adapter_tensors, {"format": "pt"})

    # log-probs: reference (base) and policy (base + LoRA), float64
    sums = {k: [] for k in ("pc", "pr", "rc", "rr", "nc", "nr")}
    f32_ref_diff = f32_pol_diff = 0.0
    f32_sums = {k: [] for k in ("pc", "pr", "rc", "rr")}
    with torch.no_grad():
        for e in exs:
            for which, key in (("reference", None), ("policy", lora)):
                e[which] = {}
                for side in ("chosen", "rejected"):
                    tok = completion_logps(c, w, e["prompt_ids"], e[side + "_ids"], key)
                    e[which][side] = logp_record(tok)
                    tok32 = completion_logps(c, w, e["prompt_ids"], e[side + "_ids"], key, torch.float32)
                    diff = abs(tok32.double().sum().item() - tok.sum().item())
                    if key is None:
                        f32_ref_diff = max(f32_ref_diff, diff)
                        f32_sums["rc" if side == "chosen" else "rr"].append(tok32.double().sum().item())
                    else:
                        f32_pol_diff = max(f32_pol_diff, diff)
                        f32_sums["pc" if side == "chosen" else "pr"].append(tok32.double().sum().item())
            sums["pc"].append(e["policy"]["chosen"]["logp_sum"])
            sums["pr"].append(e["policy"]["rejected"]["logp_sum"])
            sums["rc"].append(e["reference"]["chosen"]["logp_sum"])
            sums["rr"].append(e["reference"]["rejected"]["logp_sum"])
            sums["nc"].append(float(len(e["chosen_ids"])))
            sums["nr"].append(float(len(e["rejected_ids"])))
    T = {k: torch.tensor(v, dtype=torch.float64) for k, v in sums.items()}
    losses, logits, ipo_logits = dpo_losses(T["pc"], T["pr"], T["rc"], T["rr"], T["nc"], T["nr"])
    chosen_rewards = BETA * (T["pc"] - T["rc"])
    rejected_rewards = BETA * (T["pr"] - T["rr"])
    for i, e in enumerate(exs):
        e["dpo"] = {"logits": logits[i].item(), "ipo_logits": ipo_logits[i].item(),
                    "chosen_rewards": chosen_rewards[i].item(), "rejected_rewards": rejected_rewards[i].item(),
                    "losses": {k: v[i].item() for k, v in losses.items()}}
    loss_configs = [{"name": n, "loss_type": lt, "label_smoothing": ls, "beta": BETA,
                     "per_example": losses[n].tolist(), "mean": losses[n].mean().item()} for n, lt, ls in LOSS_CONFIGS]
    batch_metrics = {
        "rewards/chosen": chosen_rewards.mean().item(), "rewards/rejected": rejected_rewards.mean().item(),
        "rewards/accuracies": (chosen_rewards > rejected_rewards).double().mean().item(),
        "rewards/margins": (chosen_rewards - rejected_rewards).mean().item(),
        "logps/chosen": T["pc"].mean().item(), "logps/rejected": T["pr"].mean().item(),
        "ref_logps/chosen": T["rc"].mean().item(), "ref_logps/rejected": T["rr"].mean().item()}
    F32 = {k: torch.tensor(v, dtype=torch.float64) for k, v in f32_sums.items()}
    f32_loss = dpo_losses(F32["pc"], F32["pr"], F32["rc"], F32["rr"], T["nc"], T["nr"])[0]["sigmoid"].mean().item()

    # gradients of the mean sigmoid loss w.r.t. every LoRA matrix (float64 autograd; reference constant)
    def mean_sigmoid_loss(params):
        pc, pr = [], []
        for e in exs:
            pc.append(completion_logps(c, w, e["prompt_ids"], e["chosen_ids"], params).sum())
            pr.append(completion_logps(c, w, e["prompt_ids"], e["rejected_ids"], params).sum())
        pc, pr = torch.stack(pc), torch.stack(pr)
        lg = (pc - pr) - (T["rc"] - T["rr"])
        return (-F.logsigmoid(BETA * lg)).mean()

    params = {p: (a.clone().requires_grad_(True), b.clone().requires_grad_(True)) for p, (a, b) in lora.items()}
    loss = mean_sigmoid_loss(params)
    loss.backward()
    grads = {}
    for p, (a, b) in params.items():
        grads[peft_key(p, "A")] = a.grad.detach().clone()
        grads[peft_key(p, "B")] = b.grad.detach().clone()
    write_safetensors(out_dir / "grads.safetensors", {k: v.numpy() for k, v in grads.items()},
                      {"format": "pt", "content": "d(mean sigmoid DPO loss, beta 0.1, ls 0)/d(LoRA A and B), float64"})
    with torch.no_grad():
        stepped = {p: (a - 0.5 * a.grad, b - 0.5 * b.grad) for p, (a, b) in params.items()}
        after = mean_sigmoid_loss(stepped).item()
        stepped32 = {p: (f32(a.numpy()), f32(b.numpy())) for p, (a, b) in stepped.items()}
        after32 = mean_sigmoid_loss(stepped32).item()
        # directional derivative along a fixed random direction: analytic vs central difference
        drng = np.random.default_rng(99)
        direction = {p: (torch.from_numpy(drng.normal(size=tuple(a.shape))),
                         torch.from_numpy(drng.normal(size=tuple(b.shape)))) for p, (a, b) in lora.items()}
        analytic = sum((params[p][0].grad * da).sum() + (params[p][1].grad * db).sum()
                       for p, (da, db) in direction.items()).item()
        h = 1e-5
        plus = {p: (a + h * direction[p][0], b + h * direction[p][1]) for p, (a, b) in lora.items()}
        minus = {p: (a - h * direction[p][0], b - h * direction[p][1]) for p, (a, b) in lora.items()}
        numeric = (mean_sigmoid_loss(plus).item() - mean_sigmoid_loss(minus).item()) / (2 * h)

    # debug tensors for examples[0] prompt + chosen
    dbg_ids = exs[0]["prompt_ids"] + exs[0]["chosen_ids"]
    debug = {"input_ids": np.array(dbg_ids, dtype=np.int64)}
    with torch.no_grad():
        for prefix, key in (("base.", None), ("lora.", lora)):
            d = {}
            forward(c, w, dbg_ids, key, debug=d)
            for k, v in d.items():
                debug[prefix + k] = v.numpy()
        cos, sin = rope_tables(c, len(dbg_ids))
        debug["rope.cos"] = cos.numpy()
        debug["rope.sin"] = sin.numpy()
    write_safetensors(out_dir / "debug.safetensors", debug,
                      {"format": "pt", "content": "float64 intermediates of examples[0] prompt+chosen"})

    inv = inv_freq_f32(c)
    torch_inv = inv_freq_torch_pow(c)
    rope_positions = [0, 1, 5, 37]
    cos_all, sin_all = rope_tables(c, max(rope_positions) + 1)
    cases = {
        "model": name, "adapter_dir": "adapter", "beta": BETA,
        "lora": {"r": LORA_R, "lora_alpha": LORA_ALPHA, "scaling": LORA_ALPHA / LORA_R, "lora_dropout": 0.0,
                 "target_modules": TARGETS, "fan_in_fan_out": False},
        "rope": {
            "head_dim": head_dim(c),
            "inv_freq": [float(x) for x in inv],
            "positions": rope_positions,
            "cos": [cos_all[p].tolist() for p in rope_positions],
            "sin": [sin_all[p].tolist() for p in rope_positions],
            "note": "inv_freq float32 as HF computes it (correctly rounded powf); angle = float32(inv_freq * pos); "
                    "cos/sin of that angle in float64; columns d/2.. repeat columns 0..d/2-1",
        },
        "layer_windows": layer_windows(c),
        "examples": exs,
        "loss_configs": loss_configs,
        "batch_metrics": batch_metrics,
        "grad_check": {
            "loss": "mean over examples of sigmoid DPO loss, label_smoothing 0, beta 0.1",
            "loss_value": loss.item(), "grads_file": "grads.safetensors",
            "grad_norms": {k: v.norm().item() for k, v in grads.items()},
            "grad_global_norm": math.sqrt(sum(v.norm().item() ** 2 for v in grads.values())),
            "sgd_lr": 0.5,
            "sgd_update": "p_new = p - sgd_lr * grad, for every lora_A / lora_B tensor (float64, no rounding)",
            "loss_after_sgd": after, "loss_after_sgd_params_rounded_to_f32": after32,
            "finite_difference_directional_check": {"analytic": analytic, "central_difference_eps1e-5": numeric},
        },
        "diagnostics": {
            "float32_forward_max_abs_diff_ref_logp_sum": f32_ref_diff,
            "float32_forward_max_abs_diff_policy_logp_sum": f32_pol_diff,
            "float32_forward_abs_diff_sigmoid_loss_mean": abs(f32_loss - losses["sigmoid"].mean().item()),
            "inv_freq_entries_where_torch_powf_differs_before_scaling": int(
                (torch_inv != (np.float32(1.0) / np.array(
                    [np.float32(np.float64(np.float32(c["rope_theta"])) ** np.float64(e))
                     for e in np.arange(0, head_dim(c), 2).astype(np.float32) / np.float32(head_dim(c))],
                    dtype=np.float32))).sum()),
        },
    }
    (out_dir / "cases.json").write_text(json.dumps(cases, indent=1) + "\n")
    sizes = {p.name: p.stat().st_size for p in out_dir.rglob("*") if p.is_file()}
    print(f"{name}: loss {loss.item():.6f} after SGD {after:.6f}; f32 drift {f32_ref_diff:.2e}/{f32_pol_diff:.2e}; "
          f"fd {analytic:.6e} vs {numeric:.6e}; {sum(sizes.values())} bytes")


def main():
    for name in CONFIGS:
        generate(name)


if __name__ == "__main__":
    main()
