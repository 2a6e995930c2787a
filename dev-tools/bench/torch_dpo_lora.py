#!/usr/bin/python3
"""PyTorch baseline for spark-dpo's benchmarks: the same GPT-2-shaped model, LoRA and DPO step, timed on the
same machine, so the Java figures in the README have a side-by-side reference.

The model is written out here (no transformers package on this machine): GPT-2 blocks (pre-norm, gelu_new,
tied head), LoRA on every Conv1D (c_attn, c_proj, c_fc), DPO sigmoid loss against given reference log-probs,
AdamW on the LoRA matrices only. Dev tool (Debian's python3-torch), never a runtime dependency.

usage: /usr/bin/python3 dev-tools/bench/torch_dpo_lora.py [--threads 2] [--layers 4] [--width 256] [--batch 8]
       [--prompt 64] [--completion 64] [--steps 10] [--mode train|score]
"""
import argparse
import math
import resource
import time

import torch
import torch.nn.functional as F


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


class Gpt2Lora(torch.nn.Module):
    def __init__(self, vocab, positions, width, layers, heads, r, alpha):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        p = lambda *s: torch.nn.Parameter(torch.randn(*s, generator=g) * 0.02, requires_grad=False)
        self.heads, self.scale = heads, alpha / r
        self.wte, self.wpe = p(vocab, width), p(positions, width)
        self.blocks = []
        self.lora = torch.nn.ParameterList()
        for _ in range(layers):
            blk = {"ln1": (torch.ones(width), torch.zeros(width)), "ln2": (torch.ones(width), torch.zeros(width))}
            for name, (i, o) in {"c_attn": (width, 3 * width), "attn_proj": (width, width),
                                 "c_fc": (width, 4 * width), "mlp_proj": (4 * width, width)}.items():
                a = torch.nn.Parameter(torch.empty(r, i).uniform_(-1 / math.sqrt(i), 1 / math.sqrt(i), generator=g))
                b = torch.nn.Parameter(torch.randn(o, r, generator=g) * 0.01)
                self.lora.extend([a, b])
                blk[name] = (p(i, o), torch.zeros(o), a, b)
            self.blocks.append(blk)
        self.lnf = (torch.ones(width), torch.zeros(width))

    def conv(self, x, w, b, a, bb):
        return x @ w + b + (x @ a.t()) @ bb.t() * self.scale

    def forward(self, ids):
        bsz, t = ids.shape
        x = self.wte[ids] + self.wpe[:t]
        mask = torch.full((t, t), float("-inf")).triu(1)
        for blk in self.blocks:
            h = F.layer_norm(x, x.shape[-1:], *blk["ln1"], eps=1e-5)
            q, k, v = self.conv(h, *blk["c_attn"]).split(x.shape[-1], dim=2)
            sh = lambda z: z.view(bsz, t, self.heads, -1).transpose(1, 2)
            q, k, v = sh(q), sh(k), sh(v)
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + mask, dim=-1)
            a = (att @ v).transpose(1, 2).reshape(bsz, t, -1)
            x = x + self.conv(a, *blk["attn_proj"])
            h = F.layer_norm(x, x.shape[-1:], *blk["ln2"], eps=1e-5)
            x = x + self.conv(gelu_new(self.conv(h, *blk["c_fc"])), *blk["mlp_proj"])
        x = F.layer_norm(x, x.shape[-1:], *self.lnf, eps=1e-5)
        return x @ self.wte.t()


def completion_logps(model, ids, prompt_len):
    logits = model(ids)[:, prompt_len - 1:-1]
    return torch.log_softmax(logits, -1).gather(-1, ids[:, prompt_len:, None]).squeeze(-1).sum(-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--vocab", type=int, default=50257)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--prompt", type=int, default=64)
    ap.add_argument("--completion", type=int, default=64)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--r", type=int, default=8)
    ap.add_argument("--mode", choices=["train", "score"], default="train")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = Gpt2Lora(a.vocab, 1024, a.width, a.layers, a.heads, a.r, 2 * a.r)
    t = a.prompt + a.completion
    ids = torch.randint(0, a.vocab, (2 * a.batch, t), generator=torch.Generator().manual_seed(1))
    ref = torch.randn(2 * a.batch) - 400.0
    opt = torch.optim.AdamW(model.lora.parameters(), lr=1e-4, weight_decay=0.0)
    times = []
    for step in range(a.steps + 2):
        t0 = time.perf_counter()
        if a.mode == "train":
            logps = completion_logps(model, ids, a.prompt)
            delta = (logps[:a.batch] - ref[:a.batch]) - (logps[a.batch:] - ref[a.batch:])
            loss = -F.logsigmoid(0.1 * delta).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.lora.parameters(), 1.0)
            opt.step()
        else:
            with torch.no_grad():
                completion_logps(model, ids, a.prompt)
        if step >= 2:
            times.append(time.perf_counter() - t0)
    sec = sorted(times)[len(times) // 2]
    seqs = 2 * a.batch
    params = sum(p.numel() for p in [model.wte, model.wpe]) + sum(
        w.numel() for blk in model.blocks for k, v in blk.items() if k.startswith("c_") or k.endswith("proj") for w in v[:1])
    lora = sum(p.numel() for p in model.lora)
    print(f"torch {torch.__version__} threads={a.threads} mode={a.mode} layers={a.layers} width={a.width} vocab={a.vocab} "
          f"batch={a.batch} pairs T={t} base_params={params} lora_params={lora}")
    print(f"median step {sec * 1000:.1f} ms  pairs/s {a.batch / sec:.2f}  tokens/s {seqs * t / sec:.0f}  "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
