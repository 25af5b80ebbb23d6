#!/usr/bin/python3
"""A small, readable PyTorch GPT: the numerical reference Loupe's Java model is tested against.

It reads a Loupe model directory (config.json + model.safetensors, SPEC section 2) and computes,
in float32 on the CPU, deterministically:

  logits  --ids 1,2,3 [--out FILE.npy]          logits [T, vocab] for one sequence
  loss    (--tokens FILE | --ids ...) --batch B --seq T [--index I]
                                                 mean next-token cross-entropy of batch I
  grads   (--tokens FILE | --ids ...) --batch B --seq T --out FILE.safetensors
                                                 every parameter's gradient after one forward and
                                                 backward pass on batch 0, same names and shapes
                                                 as the weights
  train   (--tokens FILE | --ids ...) --batch B --seq T --steps N [--lr --min-lr --warmup
          --schedule cosine|constant --weight-decay --beta1 --beta2 --eps --grad-clip]
          [--out-model DIR]                      N AdamW steps; the loss, lr and gradient norm of each
  --last-only (loss, grads, train)               the loss of each sequence's last position only

--adapter DIR adds a LoRA adapter in Hugging Face PEFT's layout (adapter_config.json +
adapter_model.safetensors with base_model.model.transformer.h.{i}.{module}.lora_A.weight [r, in] and
lora_B.weight [out, r]) to every module it names: y = x W + b + (lora_alpha / r) (x A^T) B^T
(lora_alpha / sqrt(r) with use_rslora), no dropout. The base weights are then frozen: grads and train
cover only the adapter's tensors, under their PEFT names.

Each command prints one JSON object on stdout. `jobs FILE.json` runs a JSON list of such argument
lists (e.g. [["logits", "--model", "m", "--ids", "1,2"], ...]) in one process and prints the list of
their results: torch takes ~1.5 s to start, so tests batch their questions.

The variants of GptConfig (SPEC M1):
  positional  learned (wpe) | sinusoidal (Vaswani et al. 2017: PE[pos, 2i] = sin(pos / 10000^(2i/d)),
              PE[pos, 2i+1] = cos(pos / 10000^(2i/d)), computed in float64, rounded to float32) | none
  norm        pre (GPT-2: x = x + sublayer(LN(x))) | post (Vaswani: x = LN(x + sublayer(x)), with
              ln_1 after attention and ln_2 after the MLP); ln_f is applied before the unembedding in
              BOTH cases | none (x = x + sublayer(x), no ln_1/ln_2/ln_f tensors, W_U reads x)
  attn_bias   true (GPT-2) | false: attention's c_attn and c_proj have no bias tensors
  mlp         gelu (GPT-2's tanh approximation, "gelu_new") | relu | swiglu (c_fc's columns are
              [gate | up]: h = silu(x W_gate + b_gate) * (x W_up + b_up), then c_proj) | none
              (attention-only: no ln_2, no MLP)
  tied        logits = ln_f(x) wte^T, else ln_f(x) lm_head^T
  attention   softmax (GPT-2) | linear (Katharopoulos et al.; "feature_map" elu1 = elu(x) + 1 or identity,
              "normalize": A[t, s] = phi(q_t).phi(k_s) / (sum_{s'<=t} phi(q_t).phi(k_s') + 1e-6), else
              unnormalised; computed here in the quadratic form A V) | least_squares (Garnelo & Czarnecki:
              out_t = q_t^T (alpha I + sum_{s<=t} k_s k_s^T)^-1 sum_{s<=t} k_s v_s^T, computed here by an
              explicit torch.linalg.solve per position, autograd through the solves; alpha = "ls_alpha", or
              exp(h.{i}.attn.ls_log_alpha[head]) when "ls_alpha_learned"). Neither kind scales by 1/sqrt(d_head).
  moe         "moe": {"experts": E, "top_k": k, "d_expert", "router", "aux_loss_coef", "z_loss_coef",
              "capacity_factor", "layers"} (SPEC "Variants"): g = u W_gate, p = softmax(g), the top-k experts
              by p with weights p / sum of the kept p (topk_softmax: softmax of the kept g), experts of the
              model's MLP kind; dispatched per expert with index_select / index_add_ (a straightforward
              PyTorch MoE). grads and train differentiate LM loss + aux + z, with aux = aux_loss_coef * E *
              sum_e f_e P_e (f_e = slots routed to e / (N k), not differentiated; P_e = mean_t p_te) and
              z = z_loss_coef * mean_t logsumexp(g_t)^2, summed over the MoE layers, and drop slots beyond
              the capacity ceil(capacity_factor * N * k / E) (first choices first, in position order);
              the reported loss is the LM loss, aux and z are reported beside it.
Weights are kept in GPT-2's Conv1D orientation ([in, out], y = x W + b), under GPT-2's names, so
gradients come out under the same names as the weights.

Token data: an llm.c token file (256 x int32 header: magic 20240520, version 1, count; then uint16)
or a raw uint16 file (nanoGPT), or --ids. The sequential loader is llm.c's: a stream of n tokens holds
K = (n - 1) // (B*T) whole batches and batch i is tokens [k*B*T, (k+1)*B*T + 1) with k = i mod K.

Training matches dev.loupe.train: torch.optim.AdamW (decoupled weight decay only on parameters of
rank >= 2, i.e. weight matrices and embeddings; not biases or LayerNorm), clip_grad_norm_ on the
global norm when --grad-clip > 0, and nanoGPT's schedule for the 0-based step it:
  it < warmup: lr * (it + 1) / (warmup + 1); constant: lr;
  cosine: min_lr + 0.5 * (1 + cos(pi * (it - warmup) / (steps - warmup))) * (lr - min_lr).

Needs only torch and numpy (safetensors is parsed here, the package may be absent).
"""
import argparse
import json
import math
import os
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(2)
torch.use_deterministic_algorithms(True)
torch.manual_seed(0)


# ----------------------------------------------------------------------------- files

_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8"}


def read_safetensors(path):
    """{name: float32 numpy array} of every float tensor (BF16 widened by shifting into the high half)."""
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        buf = data[begin:end]
        if e["dtype"] in _DTYPES:
            a = np.frombuffer(buf, dtype=_DTYPES[e["dtype"]]).astype(np.float32)
        elif e["dtype"] == "BF16":
            a = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            continue  # masks and other non-float buffers
        out[name] = a.reshape(e["shape"])
    return out


def write_safetensors(path, tensors):
    """Writes {name: array} as F32 in the given order."""
    header, offset, blobs = {}, 0, []
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_tokens(path):
    """llm.c token file (magic 20240520) or raw uint16 tokens."""
    raw = np.fromfile(path, dtype="<u2")
    head = np.frombuffer(raw[:512].tobytes(), dtype="<i4") if raw.size >= 512 else None
    if head is not None and head[0] == 20240520:
        if head[1] != 1:
            sys.exit(f"{path}: unsupported llm.c token file version {head[1]}")
        count = int(head[2])
        return raw[512:512 + count].astype(np.int64)
    return raw.astype(np.int64)


# ----------------------------------------------------------------------------- configuration

class Config:
    """config.json, with the defaults of HF's GPT2Config and Loupe's settings under "loupe"."""

    def __init__(self, d):
        loupe = d.get("loupe") or {}
        self.vocab_size = d.get("vocab_size", 50257)
        self.n_positions = d.get("n_positions", 1024)
        self.d_model = d.get("n_embd", 768)
        self.n_layer = d.get("n_layer", 12)
        self.n_head = d.get("n_head", 12)
        act = d.get("activation_function", "gelu_new")
        assert act in ("gelu_new", "gelu_pytorch_tanh", "relu"), act
        self.mlp = loupe.get("mlp", "relu" if act == "relu" else "gelu")
        self.d_mlp = loupe.get("d_mlp", d.get("n_inner") or 4 * self.d_model)
        self.eps = d.get("layer_norm_epsilon", 1e-5)
        self.tied = d.get("tie_word_embeddings", True)
        self.norm = loupe.get("norm", "pre")
        self.attn_bias = loupe.get("attn_bias", True)
        self.positional = loupe.get("positional", "learned")
        self.attention = loupe.get("attention", "softmax")
        self.feature_map = loupe.get("feature_map", "elu1")
        self.normalize = loupe.get("normalize", True)
        self.ls_alpha = loupe.get("ls_alpha", 1.0)
        self.ls_alpha_learned = loupe.get("ls_alpha_learned", False)
        assert self.attention in ("softmax", "linear", "least_squares"), self.attention
        self.moe = loupe.get("moe")
        if self.moe is not None:
            self.moe = dict({"router": "softmax_topk", "aux_loss_coef": 0.01, "z_loss_coef": 0.001,
                             "capacity_factor": None, "layers": None}, **self.moe)

    def is_moe_layer(self, l):
        return self.moe is not None and (self.moe["layers"] is None or l in self.moe["layers"])
        assert self.d_model % self.n_head == 0


# ----------------------------------------------------------------------------- the model

def gelu_tanh(x):
    """GPT-2's GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def sinusoidal(n_positions, d):
    """Vaswani et al.: PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(same angle)."""
    pos = np.arange(n_positions, dtype=np.float64)[:, None]
    two_i = np.arange(0, d, 2, dtype=np.float64)[None, :]
    angle = pos / np.power(10000.0, two_i / d)
    pe = np.zeros((n_positions, d), dtype=np.float64)
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, : d // 2])
    return torch.from_numpy(pe.astype(np.float32))


class Gpt:
    def __init__(self, cfg, weights):
        self.cfg = cfg
        # leaf tensors under GPT-2 names, Conv1D orientation, in the file's order
        self.params = {k: torch.tensor(v, dtype=torch.float32, requires_grad=True) for k, v in weights.items()}
        self.lora = {}  # module path (h.0.attn.c_attn) -> (A [r, in], B [out, r], scale)
        self.trainable = self.params  # what grads and train differentiate and update
        self.training = False  # MoE capacity drops slots in training passes only
        self.router_terms = []  # (aux, z) of each MoE layer in the last forward

    def add_adapter(self, adapter_dir):
        with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
            c = json.load(f)
        assert c["peft_type"] == "LORA" and not c.get("use_dora", False)
        assert c.get("lora_dropout", 0.0) == 0.0, "the reference has no LoRA dropout"
        r = c["r"]
        scale = c["lora_alpha"] / (math.sqrt(r) if c.get("use_rslora", False) else r)
        tensors = read_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"))
        self.trainable = {}
        for name, a in tensors.items():
            m = re.fullmatch(r"base_model\.model\.transformer\.(.+)\.lora_([AB])\.weight", name)
            assert m, name
            self.trainable[name] = torch.tensor(a, dtype=torch.float32, requires_grad=True)
        for name, t in self.trainable.items():
            path = name[len("base_model.model.transformer."):-len(".lora_A.weight")]
            self.lora[path] = (self.trainable[f"base_model.model.transformer.{path}.lora_A.weight"],
                               self.trainable[f"base_model.model.transformer.{path}.lora_B.weight"], scale)
        for p in self.params.values():
            p.requires_grad_(False)

    def ln(self, x, name):
        if self.cfg.norm == "none":  # no LayerNorm anywhere: the identity
            return x
        return F.layer_norm(x, (self.cfg.d_model,), self.params[name + ".weight"], self.params[name + ".bias"],
                            self.cfg.eps)

    def linear(self, x, name):  # Conv1D: y = x W + b, W [in, out]; no b when the model has none
        y = x @ self.params[name + ".weight"]
        bias = self.params.get(name + ".bias")
        if bias is not None:
            y = y + bias
        if name in self.lora:
            a, b, scale = self.lora[name]
            y = y + scale * ((x @ a.t()) @ b.t())
        return y

    def attention(self, x, l):  # x [B, T, C]
        B, T, C = x.shape
        H = self.cfg.n_head
        q, k, v = self.linear(x, f"h.{l}.attn.c_attn").split(C, dim=2)  # columns q | k | v
        q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in (q, k, v))  # [B, H, T, d_head]
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
        if self.cfg.attention == "linear":
            z = self.linear_attention(q, k, v, causal)
        elif self.cfg.attention == "least_squares":
            z = self.least_squares_attention(q, k, v, l)
        else:
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)  # [B, H, T, T]
            pattern = F.softmax(scores.masked_fill(~causal, float("-inf")), dim=-1)
            z = pattern @ v
        z = z.transpose(1, 2).reshape(B, T, C)
        return self.linear(z, f"h.{l}.attn.c_proj")

    def linear_attention(self, q, k, v, causal):  # [B, H, T, d_head] each -> z [B, H, T, d_head]
        phi = (lambda t: F.elu(t) + 1.0) if self.cfg.feature_map == "elu1" else (lambda t: t)
        scores = (phi(q) @ phi(k).transpose(-2, -1)).masked_fill(~causal, 0.0)  # [B, H, T, T]
        if self.cfg.normalize:
            scores = scores / (scores.sum(dim=-1, keepdim=True) + 1e-6)
        return scores @ v

    def least_squares_attention(self, q, k, v, l):  # [B, H, T, d_head] each -> z [B, H, T, d_head]
        d = q.shape[-1]
        if self.cfg.ls_alpha_learned:
            alpha = self.params[f"h.{l}.attn.ls_log_alpha"].exp().view(1, -1, 1, 1, 1)  # [1, H, 1, 1, 1]
        else:
            alpha = torch.tensor(float(self.cfg.ls_alpha))
        hess = alpha * torch.eye(d) + torch.cumsum(k.unsqueeze(-1) * k.unsqueeze(-2), dim=2)  # H_t [B, H, T, d, d]
        gram = torch.cumsum(k.unsqueeze(-1) * v.unsqueeze(-2), dim=2)  # G_t [B, H, T, d, d]
        solved = torch.linalg.solve(hess, gram)  # H_t^-1 G_t
        return (q.unsqueeze(-2) @ solved).squeeze(-2)

    def mlp(self, x, l):
        if self.cfg.is_moe_layer(l):
            return self.moe(x, l)
        return self.dense_mlp(x, f"h.{l}.mlp", self.cfg.d_mlp)

    def dense_mlp(self, x, prefix, width):
        h = self.linear(x, f"{prefix}.c_fc")
        if self.cfg.mlp == "gelu":
            h = gelu_tanh(h)
        elif self.cfg.mlp == "relu":
            h = F.relu(h)
        elif self.cfg.mlp == "swiglu":
            gate, up = h.split(width, dim=-1)
            h = F.silu(gate) * up
        else:
            raise ValueError(self.cfg.mlp)
        return self.linear(h, f"{prefix}.c_proj")

    def moe(self, u, l):  # u [B, T, C] -> [B, T, C]; appends (aux, z) to self.router_terms
        m = self.cfg.moe
        E, k = m["experts"], m["top_k"]
        shape = u.shape
        x = u.reshape(-1, shape[-1])  # [N, C]
        N = x.shape[0]
        g = x @ self.params[f"h.{l}.mlp.gate.weight"]  # [N, E]
        p = F.softmax(g, dim=-1)
        top_p, idx = torch.topk(p, k, dim=-1)  # [N, k]
        if m["router"] == "topk_softmax":
            w = F.softmax(torch.gather(g, 1, idx), dim=-1)
        else:
            w = top_p / top_p.sum(dim=-1, keepdim=True)
        f = torch.bincount(idx.reshape(-1), minlength=E).float() / (N * k)
        aux = m["aux_loss_coef"] * E * (f * p.mean(dim=0)).sum()
        z = m["z_loss_coef"] * (torch.logsumexp(g, dim=-1) ** 2).mean()
        self.router_terms.append((aux, z))
        keep = torch.ones_like(idx, dtype=torch.bool)
        if self.training and m["capacity_factor"] is not None:
            cap = math.ceil(m["capacity_factor"] * N * k / E)
            used = torch.zeros(E, dtype=torch.long)
            for c in range(k):  # first choices first, in position order
                onehot = F.one_hot(idx[:, c], E)  # [N, E]
                position = ((torch.cumsum(onehot, dim=0) + used) * onehot).sum(dim=1)  # 1-based slot in its expert
                keep[:, c] = position <= cap
                used = used + onehot.sum(dim=0)
        out = torch.zeros_like(x)
        for e in range(E):
            tok, choice = torch.nonzero((idx == e) & keep, as_tuple=True)
            if tok.numel() == 0:
                continue
            y = self.dense_mlp(x.index_select(0, tok), f"h.{l}.mlp.experts.{e}", m["d_expert"])
            out.index_add_(0, tok, y * w[tok, choice].unsqueeze(1))
        return out.reshape(shape)

    def zero_missing_grads(self):
        """A gradient of zeros for parameters no token reached (an MoE expert without tokens), as Loupe has."""
        for p in self.trainable.values():
            if p.grad is None:
                p.grad = torch.zeros_like(p)

    def router_loss(self):
        """aux + z of the last forward, summed over the MoE layers (0 for a dense model)."""
        return sum((a + z for a, z in self.router_terms), torch.tensor(0.0))

    def forward(self, ids):  # ids [B, T] -> logits [B, T, V]
        cfg, p = self.cfg, self.params
        self.router_terms = []
        T = ids.shape[1]
        x = p["wte.weight"][ids]
        if cfg.positional == "learned":
            x = x + p["wpe.weight"][:T]
        elif cfg.positional == "sinusoidal":
            x = x + sinusoidal(T, cfg.d_model)
        for l in range(cfg.n_layer):
            has_mlp = cfg.mlp != "none"
            if cfg.norm in ("pre", "none"):  # none: ln() is the identity
                x = x + self.attention(self.ln(x, f"h.{l}.ln_1"), l)
                if has_mlp:
                    x = x + self.mlp(self.ln(x, f"h.{l}.ln_2"), l)
            else:
                x = self.ln(x + self.attention(x, l), f"h.{l}.ln_1")
                if has_mlp:
                    x = self.ln(x + self.mlp(x, l), f"h.{l}.ln_2")
        x = self.ln(x, "ln_f")
        unembed = p["wte.weight"] if cfg.tied else p["lm_head.weight"]
        return x @ unembed.t()

    def loss(self, inputs, targets, last_only=False):
        logits = self.forward(inputs)
        if last_only:  # only each sequence's last position has a target (a b = -> answer)
            return F.cross_entropy(logits[:, -1], targets[:, -1])
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


# ----------------------------------------------------------------------------- data and schedule

def batch(tokens, i, B, T):
    """llm.c's sequential loader: batch i of the stream, inputs and targets [B, T]."""
    K = (len(tokens) - 1) // (B * T)
    if K < 1:
        sys.exit(f"need at least B*T+1 = {B * T + 1} tokens, got {len(tokens)}")
    start = (i % K) * B * T
    chunk = torch.from_numpy(np.asarray(tokens[start:start + B * T + 1], dtype=np.int64))
    return chunk[:-1].view(B, T), chunk[1:].view(B, T)


def lr_at(it, a):
    """nanoGPT's get_lr with lr_decay_iters = steps (dev.loupe.train.LrSchedule)."""
    if it < a.warmup:
        return a.lr * (it + 1) / (a.warmup + 1)
    if a.schedule == "constant":
        return a.lr
    if it >= a.steps:
        return a.min_lr
    ratio = (it - a.warmup) / (a.steps - a.warmup)
    return a.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (a.lr - a.min_lr)


# ----------------------------------------------------------------------------- commands

def load(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = Config(json.load(f))
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    weights = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in weights.items()}
    # HF's causal-mask buffers h.{i}.attn.bias / h.{i}.attn.masked_bias are not parameters
    weights = {k: v for k, v in weights.items() if not re.fullmatch(r"h\.\d+\.attn\.(masked_)?bias", k)}
    if cfg.tied:
        weights.pop("lm_head.weight", None)
    return Gpt(cfg, weights)


def token_stream(a):
    if a.tokens:
        return read_tokens(a.tokens)
    if a.ids:
        return np.array([int(s) for s in a.ids.split(",")], dtype=np.int64)
    sys.exit("give --tokens FILE or --ids 1,2,3")


def cmd_logits(model, a):
    ids = torch.tensor([[int(s) for s in a.ids.split(",")]])
    with torch.no_grad():
        logits = model.forward(ids)[0].numpy().astype(np.float32)
    if a.out:
        np.save(a.out, logits)
        return {"shape": list(logits.shape), "out": a.out}
    return {"shape": list(logits.shape), "logits": logits.tolist()}


def cmd_loss(model, a):
    x, y = batch(token_stream(a), a.index, a.batch, a.seq)
    with torch.no_grad():
        return {"loss": model.loss(x, y, a.last_only).item()}


def router_report(model):
    """The MoE terms of the last forward, summed over layers (empty for a dense model)."""
    if not model.router_terms:
        return {}
    return {"aux": sum(a.item() for a, _ in model.router_terms), "z": sum(z.item() for _, z in model.router_terms)}


def cmd_grads(model, a):
    x, y = batch(token_stream(a), a.index, a.batch, a.seq)
    model.training = True
    loss = model.loss(x, y, a.last_only)
    (loss + model.router_loss()).backward()
    model.zero_missing_grads()
    write_safetensors(a.out, {k: p.grad.numpy() for k, p in model.trainable.items()})
    return dict({"loss": loss.item(), "out": a.out}, **router_report(model))


def cmd_train(model, a):
    tokens = token_stream(a)
    params = model.trainable
    decay = [p for p in params.values() if p.dim() >= 2]
    no_decay = [p for p in params.values() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(a.beta1, a.beta2), eps=a.eps, foreach=False)
    losses, lrs, norms, auxes, zs = [], [], [], [], []
    model.training = True
    for it in range(a.steps):
        x, y = batch(tokens, it, a.batch, a.seq)
        opt.zero_grad(set_to_none=True)
        loss = model.loss(x, y, a.last_only)
        (loss + model.router_loss()).backward()
        model.zero_missing_grads()
        r = router_report(model)
        auxes.append(r.get("aux", 0.0))
        zs.append(r.get("z", 0.0))
        if a.grad_clip > 0:
            norm = torch.nn.utils.clip_grad_norm_(list(params.values()), a.grad_clip)
        else:
            norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in params.values()))
        lr = lr_at(it, a)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.step()
        losses.append(loss.item())
        lrs.append(lr)
        norms.append(float(norm))
    if a.out_model:
        os.makedirs(a.out_model, exist_ok=True)
        write_safetensors(os.path.join(a.out_model, "model.safetensors"),
                          {k: p.detach().numpy() for k, p in params.items()})
        with open(os.path.join(a.model, "config.json")) as src, \
                open(os.path.join(a.out_model, "config.json"), "w") as dst:
            dst.write(src.read())
    result = {"losses": losses, "lrs": lrs, "grad_norms": norms}
    if model.router_terms:
        result.update({"aux": auxes, "z": zs})
    return result


def run(argv):
    """Runs one command (argv without the program name) and returns its JSON-able result."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["logits", "loss", "grads", "train"])
    ap.add_argument("--model", required=True, help="Loupe model directory")
    ap.add_argument("--ids", help="comma-separated token ids (logits: the sequence; else: the token stream)")
    ap.add_argument("--tokens", help="token file (llm.c format or raw uint16)")
    ap.add_argument("--out", help="logits: FILE.npy; grads: FILE.safetensors")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq", type=int, default=8)
    ap.add_argument("--index", type=int, default=0, help="which sequential batch (loss, grads)")
    ap.add_argument("--steps", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--min-lr", type=float, default=0.0)
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--schedule", choices=["cosine", "constant"], default="cosine")
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--beta1", type=float, default=0.9)
    ap.add_argument("--beta2", type=float, default=0.95)
    ap.add_argument("--eps", type=float, default=1e-8)
    ap.add_argument("--grad-clip", type=float, default=0.0)
    ap.add_argument("--out-model", help="train: write the trained weights here")
    ap.add_argument("--last-only", action="store_true",
                    help="loss, grads, train: cross-entropy of each sequence's last position only")
    ap.add_argument("--adapter", help="a PEFT LoRA adapter directory to add (then only its tensors are trained)")
    a = ap.parse_args(argv)
    if a.command == "grads" and not a.out:
        ap.error("grads needs --out FILE.safetensors")
    if a.command == "logits" and not a.ids:
        ap.error("logits needs --ids")
    torch.manual_seed(0)
    model = load(a.model)
    if a.adapter:
        model.add_adapter(a.adapter)
    return {"logits": cmd_logits, "loss": cmd_loss, "grads": cmd_grads, "train": cmd_train}[a.command](model, a)


def main(argv):
    if argv[:1] == ["jobs"]:
        # many commands in one process (torch starts in ~1.5 s): FILE holds a JSON list of argv lists
        if len(argv) != 2:
            sys.exit("usage: torch_gpt.py jobs FILE.json")
        with open(argv[1]) as f:
            result = [run(job) for job in json.load(f)]
    else:
        result = run(argv)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
