#!/usr/bin/python3
"""PyTorch baseline for GenerateBenchmark (submit/bench.sh generate): greedy generation of a random GPT-2-shaped
model with a key/value cache (past_key_values style: per layer the keys and values of earlier positions,
concatenated with each new position's) and without one (the whole sequence recomputed per token), float32, CPU.

The model is written out here (no transformers package on this machine): GPT-2 blocks (pre-norm, gelu_new, tied
head), the same shapes and weight scale (normal 0.02, unit norms, zero biases) as the Java benchmark. tokens/s
counts generated tokens (batch x new) over whole generate calls, prefill included, after one untimed warm-up.
Dev tool (Debian's python3-torch), never a runtime dependency. The last line printed is JSON.

With --model DIR (a GPT-2 folder: config.json, model.safetensors in Hugging Face names) and --prompts FILE (a JSON
list of token-id lists) it decodes that model and those prompts instead: GenerateBenchmark passes the model and
prompts it measured, so both implementations decode the same weights, and compares the greedy tokens.

usage: /usr/bin/python3 dev-tools/bench/torch_generate.py [--threads 2] [--layers 4] [--width 256] [--heads 4]
       [--vocab 50257] [--batch 4] [--prompt 32] [--new 64] [--reps 2] [--model DIR --prompts FILE]
"""
import argparse
import json
import math
import time

import torch


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def read_safetensors(path):
    """float32 tensors of a .safetensors file by name (no safetensors package here): 8-byte header length, JSON header,
    then the raw little-endian data at each tensor's offsets."""
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header, base = json.loads(data[8:8 + n]), 8 + n
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {t['dtype']}, this baseline reads F32 only")
        start, end = t["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[base + start:base + end]), dtype=torch.float32).reshape(t["shape"])
    return out


class Gpt2:
    @staticmethod
    def load(folder):
        """The GPT-2 in a Hugging Face folder (Conv1D weights are [in, out], as the blocks below use them)."""
        with open(folder + "/config.json") as f:
            c = json.load(f)
        w = read_safetensors(folder + "/model.safetensors")
        w = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in w.items()}
        m = Gpt2.__new__(Gpt2)
        m.heads, m.width = c["n_head"], c["n_embd"]
        m.wte, m.wpe = w["wte.weight"], w["wpe.weight"]
        m.blocks = [dict(ln1=(w[f"h.{i}.ln_1.weight"], w[f"h.{i}.ln_1.bias"]), ln2=(w[f"h.{i}.ln_2.weight"], w[f"h.{i}.ln_2.bias"]),
                         attn=(w[f"h.{i}.attn.c_attn.weight"], w[f"h.{i}.attn.c_attn.bias"]),
                         proj=(w[f"h.{i}.attn.c_proj.weight"], w[f"h.{i}.attn.c_proj.bias"]),
                         fc=(w[f"h.{i}.mlp.c_fc.weight"], w[f"h.{i}.mlp.c_fc.bias"]),
                         out=(w[f"h.{i}.mlp.c_proj.weight"], w[f"h.{i}.mlp.c_proj.bias"]))
                    for i in range(c["n_layer"])]
        m.lnf = (w["ln_f.weight"], w["ln_f.bias"])
        return m

    def __init__(self, vocab, positions, width, layers, heads):
        g = torch.Generator().manual_seed(1)
        w = lambda *s: torch.randn(*s, generator=g) * 0.02
        self.heads, self.width = heads, width
        self.wte, self.wpe = w(vocab, width), w(positions, width)
        self.blocks = [dict(ln1=(torch.ones(width), torch.zeros(width)), ln2=(torch.ones(width), torch.zeros(width)),
                            attn=(w(width, 3 * width), torch.zeros(3 * width)), proj=(w(width, width), torch.zeros(width)),
                            fc=(w(width, 4 * width), torch.zeros(4 * width)), out=(w(4 * width, width), torch.zeros(width)))
                       for _ in range(layers)]
        self.lnf = (torch.ones(width), torch.zeros(width))

    def forward(self, ids, pos, past=None):
        """ids, pos [B, T]; past: per layer (k, v) [B, H, P, D] or None. Returns last-position logits and the cache."""
        b, t = ids.shape
        h, d = self.heads, self.width // self.heads
        x = self.wte[ids] + self.wpe[pos]
        p = 0 if past is None else past[0][0].shape[2]
        mask = torch.full((t, p + t), float("-inf")).triu(p + 1)
        cache = []
        for i, blk in enumerate(self.blocks):
            a = torch.nn.functional.layer_norm(x, (self.width,), *blk["ln1"], eps=1e-5)
            q, k, v = (a @ blk["attn"][0] + blk["attn"][1]).split(self.width, dim=2)
            q, k, v = (z.view(b, t, h, d).transpose(1, 2) for z in (q, k, v))
            if past is not None:
                k = torch.cat([past[i][0], k], dim=2)
                v = torch.cat([past[i][1], v], dim=2)
            cache.append((k, v))
            att = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(d) + mask, dim=-1) @ v
            x = x + att.transpose(1, 2).reshape(b, t, self.width) @ blk["proj"][0] + blk["proj"][1]
            m = torch.nn.functional.layer_norm(x, (self.width,), *blk["ln2"], eps=1e-5)
            x = x + gelu_new(m @ blk["fc"][0] + blk["fc"][1]) @ blk["out"][0] + blk["out"][1]
        x = torch.nn.functional.layer_norm(x[:, -1], (self.width,), *self.lnf, eps=1e-5)
        return x @ self.wte.T, cache


@torch.no_grad()
def generate(model, prompts, new, use_cache):
    ids = prompts
    b, t = ids.shape
    logits, past = model.forward(ids, torch.arange(t).expand(b, t))
    out = []
    for step in range(new):
        nxt = logits.argmax(dim=-1, keepdim=True)
        out.append(nxt)
        if step == new - 1:
            break
        ids = torch.cat([ids, nxt], dim=1)
        n = ids.shape[1]
        if use_cache:
            logits, past = model.forward(nxt, torch.full((b, 1), n - 1), past)
        else:
            logits, _ = model.forward(ids, torch.arange(n).expand(b, n))
    return torch.cat(out, dim=1)


def tokens_per_second(model, prompts, new, use_cache, reps):
    generate(model, prompts, new, use_cache)
    t0 = time.perf_counter()
    for _ in range(reps):
        generate(model, prompts, new, use_cache)
    return reps * prompts.shape[0] * new / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    for k, v in dict(threads=2, layers=4, width=256, heads=4, vocab=50257, batch=4, prompt=32, new=64, reps=2).items():
        ap.add_argument("--" + k, type=int, default=v)
    ap.add_argument("--model", help="GPT-2 folder to decode (default: random weights of the given shape)")
    ap.add_argument("--prompts", help="JSON list of equal-length token-id lists (with --model)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.model:
        model = Gpt2.load(a.model)
        with open(a.prompts) as f:
            prompts = torch.tensor(json.load(f), dtype=torch.long)
        a.batch, a.prompt = prompts.shape
        a.layers, a.width, a.heads, a.vocab = len(model.blocks), model.width, model.heads, model.wte.shape[0]
    else:
        model = Gpt2(a.vocab, max(1024, a.prompt + a.new), a.width, a.layers, a.heads)
        prompts = torch.randint(0, a.vocab, (a.batch, a.prompt), generator=torch.Generator().manual_seed(7))
    greedy = generate(model, prompts, a.new, True)
    same = torch.equal(greedy[:, :8], generate(model, prompts, 8, False))
    cached = tokens_per_second(model, prompts, a.new, True, a.reps)
    full = tokens_per_second(model, prompts, a.new, False, a.reps)
    print(f"GPT-2 shape: {a.layers} layers, width {a.width}, {a.heads} heads, vocab {a.vocab}; batch {a.batch}, "
          f"prompt {a.prompt}, {a.new} new tokens, float32, {a.threads} threads (torch {torch.__version__})")
    print(f"with KV cache:    {cached:.1f} tokens/s (cached and uncached greedy tokens equal: {same})")
    print(f"without cache:    {full:.1f} tokens/s (speed-up {cached / full:.1f}x)")
    print(json.dumps(dict(impl="torch", layers=a.layers, width=a.width, heads=a.heads, vocab=a.vocab, batch=a.batch,
                          prompt=a.prompt, new_tokens=a.new, kv_cache_tokens_per_s=round(cached, 2),
                          no_cache_tokens_per_s=round(full, 2), threads=a.threads, torch=torch.__version__,
                          greedy_tokens=greedy.tolist())))


if __name__ == "__main__":
    main()
