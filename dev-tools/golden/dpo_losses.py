#!/usr/bin/python3
"""Golden per-pair values of every DPO loss type spark-dpo implements, from the oracle's log-probs.

Mirrors TRL's DPOTrainer formulas (trl/trainer/dpo_trainer.py: main for most types, v0.28 for label smoothing
in `sigmoid` and the epsilon default of `exo_pair`), written out here in float64 with torch so the Java tests
have an independent reference for the loss types the GPT-2 oracle does not cover. Dev tool only (Debian's
python3-torch); CI reads the committed JSON it writes.

usage: /usr/bin/python3 dev-tools/golden/dpo_losses.py  (from the repository root)
"""
import json
import math
import pathlib

import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parents[2]
CASES = ROOT / "model/src/test/resources/oracle-gpt2/tiny-gpt2/cases.json"
OUT = ROOT / "model/src/test/resources/golden/dpo_losses.json"


def losses(loss_type, pc, pr, rc, rr, nc, nr, beta, ls, tau=0.05, mean_logps=False):
    if mean_logps:
        pc, pr, rc, rr = pc / nc, pr / nr, rc / nc, rr / nr
    cr = pc - rc
    rj = pr - rr
    delta = cr - rj
    avg = delta if mean_logps else cr / nc.clamp(min=1.0) - rj / nr.clamp(min=1.0)
    if loss_type == "sigmoid":
        return -F.logsigmoid(beta * delta) * (1 - ls) - F.logsigmoid(-beta * delta) * ls
    if loss_type == "hinge":
        return torch.relu(1 - beta * delta)
    if loss_type == "ipo":
        return (avg - 1 / (2 * beta)) ** 2
    if loss_type == "robust":
        return (-(1 - ls) * F.logsigmoid(beta * delta) + ls * F.logsigmoid(-beta * delta)) / (1 - 2 * ls)
    if loss_type == "exo_pair":
        eps = torch.tensor(ls if ls != 0 else 1e-3, dtype=torch.float64)
        qw, ql = torch.sigmoid(beta * delta), torch.sigmoid(-beta * delta)
        return qw * (F.logsigmoid(beta * delta) - torch.log1p(-eps)) + ql * (F.logsigmoid(-beta * delta) - torch.log(eps))
    if loss_type == "nca_pair":
        c, r = beta * cr, beta * rj
        return -F.logsigmoid(c) - 0.5 * F.logsigmoid(-c) - 0.5 * F.logsigmoid(-r)
    if loss_type == "bco_pair":
        return -F.logsigmoid(beta * cr) - F.logsigmoid(-(beta * rj))
    if loss_type == "sppo_hard":
        return (cr - 0.5 / beta) ** 2 + (rj + 0.5 / beta) ** 2
    if loss_type == "apo_zero":
        return (1 - torch.sigmoid(beta * cr)) + torch.sigmoid(beta * rj)
    if loss_type == "apo_down":
        return torch.sigmoid(beta * cr) + (1 - torch.sigmoid(beta * delta))
    if loss_type == "discopop":
        z = beta * delta
        mod = torch.sigmoid(z / tau)
        return -F.logsigmoid(z) * (1 - mod) + torch.exp(-z) * mod
    if loss_type == "sigmoid_norm":
        return -F.logsigmoid(beta * avg)
    raise ValueError(loss_type)


def main():
    cases = json.loads(CASES.read_text())
    ex = cases["examples"]
    t = lambda f: torch.tensor([f(e) for e in ex], dtype=torch.float64)
    pc = t(lambda e: e["policy"]["chosen"]["logp_sum"])
    pr = t(lambda e: e["policy"]["rejected"]["logp_sum"])
    rc = t(lambda e: e["reference"]["chosen"]["logp_sum"])
    rr = t(lambda e: e["reference"]["rejected"]["logp_sum"])
    nc = t(lambda e: e["policy"]["chosen"]["n_tokens"])
    nr = t(lambda e: e["policy"]["rejected"]["n_tokens"])
    beta = cases["beta"]
    configs = []
    types = ["sigmoid", "hinge", "ipo", "robust", "exo_pair", "nca_pair", "bco_pair", "sppo_hard",
             "apo_zero", "apo_down", "discopop", "sigmoid_norm"]
    for lt in types:
        for ls in ([0.0, 0.1] if lt in ("sigmoid", "robust", "exo_pair") else [0.0]):
            for mean_logps in (False, True):
                per = losses(lt, pc, pr, rc, rr, nc, nr, beta, ls, mean_logps=mean_logps)
                configs.append({"loss_type": lt, "label_smoothing": ls, "beta": beta,
                                "logps": "mean" if mean_logps else "sum",
                                "per_example": per.tolist(), "mean": per.mean().item()})
    # MPO-style weighted combination (sigmoid + bco_pair + sft), TRL's loss_weights
    weights = {"sigmoid": 0.8, "bco_pair": 0.2, "sft": 1.0}
    sft = -(pc.sum() / nc.sum())
    combo = weights["sigmoid"] * losses("sigmoid", pc, pr, rc, rr, nc, nr, beta, 0.0).mean() \
        + weights["bco_pair"] * losses("bco_pair", pc, pr, rc, rr, nc, nr, beta, 0.0).mean() + weights["sft"] * sft
    out = {"source": "dev-tools/golden/dpo_losses.py over oracle-gpt2/tiny-gpt2/cases.json log-probs",
           "configs": configs,
           "combination": {"loss_types": list(weights), "loss_weights": list(weights.values()),
                           "beta": beta, "loss": combo.item(), "sft": sft.item()}}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {OUT} ({len(configs)} configs)")


if __name__ == "__main__":
    main()
