#!/usr/bin/env python3
"""attnprof's PyTorch side: times PyTorch's attention backends on the shapes attnprof profiles.

Shipped next to dist/cli.js and started by the attnprof worker (extension/engine/torchBridge.ts) with the
user's Python. It speaks JSON lines on stdio, one message per line, every message with a request id:

  -> {"type": "hello", ...}                      first, unasked: versions, device, optional packages, backends
  <- {"type": "run", "id": N, "request": {...}}  time some backends on one attention problem
  -> {"type": "progress", "id": N, "message": "...", "backend": "eager"}
  -> {"type": "backend", "id": N, "result": {...}}   one per backend, in request order
  -> {"type": "result", "id": N, "ok": true} | {"type": "result", "id": N, "ok": false, "error": {"kind", "message"}}
  <- {"type": "cancel", "id": N}                 stop that run between iterations (error kind "cancelled")
  <- end of input                                the attnprof side is gone: exit at once

stderr is for logs only. Inputs are generated here from the request's seed with the same generator as
kernels/random.ts (mulberry32 + Box-Muller, float64 maths rounded to float32), so attnprof checks each
backend's sampled output rows against its float64 reference on identical tensors; checksums of the
generated tensors come back so a mismatch is caught rather than reported as a numerical error.

Only the standard library and torch (plus optional attention packages) are imported; never the workspace.
"""
import sys
import os

# Never import anything from the directory attnprof was started in (the user's workspace).
sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.abspath(p) != os.getcwd()]

import base64  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import queue  # noqa: E402
import re  # noqa: E402
import struct  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402

PROTOCOL = 1

# The protocol owns the original stdout; everything else that writes to fd 1 (a package printing at import, a C
# library, a stray print) goes to stderr, which is for logs only, so it can never corrupt a JSON line.
if __name__ == "__main__":
    _protocol_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
else:  # imported by attnprof's tests for its pure functions: no protocol to protect
    _protocol_out = sys.stdout
BACKENDS = ["eager", "sdpa-flash", "sdpa-efficient", "sdpa-cudnn", "sdpa-math", "flex", "flash-attn", "xformers", "te"]

_out_lock = threading.Lock()


def _clean(value):
    """JSON has no NaN/Infinity: non-finite floats travel as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def send(message):
    line = json.dumps(_clean(message), allow_nan=False, separators=(",", ":"))
    with _out_lock:
        _protocol_out.write(line + "\n")
        _protocol_out.flush()


def log(text):
    sys.stderr.write("attnprof_torch: %s\n" % text)
    sys.stderr.flush()


# ---------------------------------------------------------------------------------------------------------
# What this Python has
# ---------------------------------------------------------------------------------------------------------

torch = None
TORCH_ERROR = None
try:
    import torch  # noqa: F811
except Exception as e:  # an ImportError, or a broken install raising anything
    TORCH_ERROR = "%s: %s" % (type(e).__name__, e)


def version_tuple(text):
    nums = re.findall(r"\d+", (text or "").split("+")[0])[:3]
    return tuple(int(n) for n in nums) + (0,) * (3 - len(nums))


TV = version_tuple(torch.__version__) if torch is not None else (0, 0, 0)


def _optional(module):
    try:
        m = __import__(module)
        return getattr(m, "__version__", "unknown version")
    except Exception:
        return None


def device_info():
    if torch is None:
        return {"kind": "none", "name": ""}
    try:
        if torch.cuda.is_available():
            i = torch.cuda.current_device()
            props = torch.cuda.get_device_properties(i)
            hip = getattr(torch.version, "hip", None)
            return {
                "kind": "rocm" if hip else "cuda",
                "name": torch.cuda.get_device_name(i),
                "capability": "%d.%d" % (props.major, props.minor),
                "memoryBytes": int(props.total_memory),
                "runtime": hip or torch.version.cuda,
            }
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return {"kind": "mps", "name": "Apple GPU (MPS)"}
    except Exception as e:
        log("device query failed: %s" % e)
    return {"kind": "cpu", "name": _cpu_name(), "threads": torch.get_num_threads()}


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "CPU"


DEVICE = device_info()
PACKAGES = {}


def _packages():
    if torch is None:
        return {}
    found = {}
    for name, module in (("flash_attn", "flash_attn"), ("flash_attn_3", "flash_attn_interface"), ("xformers", "xformers"),
                         ("transformer_engine", "transformer_engine"), ("triton", "triton")):
        found[name] = _optional(module)
    return found


def backend_availability(device_kind):
    """Each backend: whether it can run here, and if not one sentence saying why."""
    out = {}
    if torch is None:
        for b in BACKENDS:
            out[b] = {"available": False, "reason": "no PyTorch in %s (%s)" % (sys.executable, TORCH_ERROR)}
        return out
    ver = torch.__version__
    gpu = device_kind in ("cuda", "rocm")
    for b in BACKENDS:
        reason = None
        if b.startswith("sdpa-") and TV < (2, 0, 0):
            reason = "needs PyTorch \u2265 2.0 (scaled_dot_product_attention); this Python has %s" % ver
        elif b == "sdpa-cudnn" and TV < (2, 3, 0):
            reason = "needs PyTorch \u2265 2.3 (the cuDNN SDPA backend); this Python has %s" % ver
        elif b == "flex" and TV < (2, 5, 0):
            reason = "needs PyTorch \u2265 2.5 (FlexAttention; PyTorch \u2265 2.0 has none); this Python has %s" % ver
        elif b in ("sdpa-efficient", "sdpa-cudnn") and not gpu:
            reason = "needs a CUDA GPU: this PyTorch runs on %s" % ("CPU only" if device_kind == "cpu" else device_kind.upper())
        elif b == "flash-attn" and not (PACKAGES.get("flash_attn") or PACKAGES.get("flash_attn_3")):
            reason = "the flash_attn package is not importable in %s" % sys.executable
        elif b == "xformers" and not PACKAGES.get("xformers"):
            reason = "the xformers package is not importable in %s" % sys.executable
        elif b == "te" and not PACKAGES.get("transformer_engine"):
            reason = "transformer_engine is not importable in %s" % sys.executable
        elif b in ("flash-attn", "xformers", "te") and device_kind != "cuda":
            reason = "needs a CUDA GPU: this PyTorch runs on %s" % ("CPU only" if device_kind == "cpu" else device_kind.upper())
        out[b] = {"available": reason is None, **({"reason": reason} if reason else {})}
    return out


def hello():
    return {
        "type": "hello",
        "id": 0,
        "protocol": PROTOCOL,
        "pid": os.getpid(),
        "python": platform.python_version(),
        "executable": sys.executable,
        "torch": torch.__version__ if torch is not None else None,
        "torchError": TORCH_ERROR,
        "device": DEVICE,
        "packages": PACKAGES,
        "backends": backend_availability(DEVICE["kind"]),
    }


# ---------------------------------------------------------------------------------------------------------
# Inputs: the same numbers as kernels/random.ts
# ---------------------------------------------------------------------------------------------------------

M32 = 0xFFFFFFFF


def _imul(a, b):
    """Low 32 bits of a*b (a an int64 tensor in [0, 2^32), b a tensor or int in [0, 2^32)), without overflowing int64."""
    lo = a & 0xFFFF
    hi = a >> 16
    return (lo * b + (((hi * b) & 0xFFFF) << 16)) & M32


def _mulberry(seed, counters):
    """mulberry32's n-th output for each counter n >= 1 (it is a counter-based generator: state = seed + n*K)."""
    a = (_imul(counters & M32, 0x6D2B79F5) + (seed & M32)) & M32
    t = _imul(a ^ (a >> 15), a | 1)
    t = t ^ ((t + _imul(t ^ (t >> 7), t | 61)) & M32)
    return ((t ^ (t >> 14)) & M32).to(torch.float64) / 4294967296.0


def random_normal(length, seed, device):
    """kernels/random.ts randomNormal(length, seed) as a float32 tensor (pairs: u from call 2p+1, t from 2p+2)."""
    out = torch.empty(length, dtype=torch.float32, device=device)
    pairs = (length + 1) // 2
    chunk = 1 << 22
    for p0 in range(0, pairs, chunk):
        p = torch.arange(p0, min(pairs, p0 + chunk), dtype=torch.int64, device=device)
        u = torch.clamp(_mulberry(seed, 2 * p + 1), min=1e-12)
        t = (2 * math.pi) * _mulberry(seed, 2 * p + 2)
        r = torch.sqrt(-2.0 * torch.log(u))
        vals = torch.stack([r * torch.cos(t), r * torch.sin(t)], dim=1).reshape(-1).to(torch.float32)
        start = 2 * p0
        n = min(length - start, vals.numel())
        out[start:start + n] = vals[:n]
    return out


def checksum(t):
    d = t.double()
    return [float(d.sum()), float(d.abs().sum())]


# ---------------------------------------------------------------------------------------------------------
# Masks: bottom-right causal, sliding window, per-batch key lengths (the semantics of kernels/reference.ts)
# ---------------------------------------------------------------------------------------------------------


class Problem:
    def __init__(self, r):
        s = r["shape"]
        self.B, self.Hq, self.Hkv = int(s["batch"]), int(s["heads"]), int(s["kvHeads"])
        self.Nq, self.Nk, self.D = int(s["seqLenQ"]), int(s["seqLenK"]), int(s["headDim"])
        self.causal = bool(r.get("causal"))
        self.window = int(r.get("window") or 0)
        self.softcap = float(r.get("softcap") or 0)
        self.scale = float(r["scale"]) if r.get("scale") is not None else 1.0 / math.sqrt(self.D)
        self.default_scale = r.get("scale") is None or abs(self.scale - 1.0 / math.sqrt(self.D)) < 1e-12
        self.kv_lens = [int(x) for x in r["kvLens"]] if r.get("kvLens") is not None else None
        n = r.get("neighborhood")
        # The 2-D neighbourhood (kernels/problem.ts states it): the last rows*cols tokens are a patch grid in row-major
        # order, patches see patches with |drow| < radius and |dcol| < radius; the tokens before the grid (a class
        # token) see and are seen by all. Kept as (cols, radius, start, rows), start = Nk - rows*cols.
        self.grid = (int(n["cols"]), int(n["radius"]), self.Nk - int(n["rows"]) * int(n["cols"]), int(n["rows"])) if n else None
        # Packed documents (kernels/problem.ts docBounds): query i of batch row b sees keys start <= j < end of its own
        # document, [start, end) given per (b, i) as a flat list of B*Nq pairs.
        d = r.get("docBounds")
        self.docs = None
        if d is not None:
            if len(d) != 2 * self.B * self.Nq:
                raise ValueError("docBounds holds %d numbers; %d expected (a [start, end) pair per query row)" % (len(d), 2 * self.B * self.Nq))
            self.docs = [int(x) for x in d]
        self.G = self.Hq // self.Hkv
        self.offset = self.Nk - self.Nq

    @property
    def upper_bounded(self):
        return self.causal or self.window > 0

    @property
    def masked(self):
        return self.upper_bounded or self.kv_lens is not None or self.grid is not None or self.docs is not None

    @property
    def per_batch(self):
        """Whether the mask differs between batch rows (key lengths, packed documents)."""
        return self.kv_lens is not None or self.docs is not None

    def doc_tensors(self, device):
        """The document bounds as two int32 tensors [B, Nq]: first visible key and one past the last."""
        t = torch.tensor(self.docs, dtype=torch.int32, device=device).view(self.B, self.Nq, 2)
        return t[..., 0].contiguous(), t[..., 1].contiguous()

    @property
    def sees_everything(self):
        """Bottom-right causal with one query row at the last position (decode): every key is visible."""
        return self.causal and self.window == 0 and not self.per_batch and self.grid is None and self.Nq == 1 and self.offset >= 0

    @property
    def plain_causal(self):
        """Causal only, square: what is_causal=True means everywhere."""
        return self.causal and self.window == 0 and not self.per_batch and self.grid is None and self.Nq == self.Nk

    def bool_mask(self, device):
        """True where a query may see a key: [Nq, Nk], or [B, 1, Nq, Nk] with key lengths or packed documents."""
        i = torch.arange(self.Nq, device=device).view(-1, 1) + self.offset
        j = torch.arange(self.Nk, device=device).view(1, -1)
        m = torch.ones(self.Nq, self.Nk, dtype=torch.bool, device=device)
        if self.upper_bounded:
            m &= j <= i
        if self.window > 0:
            m &= j > i - self.window
        if self.grid is not None:
            w, r, st, _ = self.grid
            a, c = i - st, j - st
            near = ((torch.div(a, w, rounding_mode="floor") - torch.div(c, w, rounding_mode="floor")).abs() < r) & (((a % w) - (c % w)).abs() < r)
            m &= near | (i < st) | (j < st)
        if self.per_batch:
            m = m.view(1, 1, self.Nq, self.Nk)
        if self.kv_lens is not None:
            lens = torch.tensor(self.kv_lens, device=device).view(-1, 1, 1, 1)
            m = m & (j.view(1, 1, 1, -1) < lens)
        if self.docs is not None:
            lo, hi = self.doc_tensors(device)
            jj = j.view(1, 1, 1, -1)
            m = m & (jj >= lo.view(self.B, 1, self.Nq, 1)) & (jj < hi.view(self.B, 1, self.Nq, 1))
        return m

    def empty_rows(self, mask):
        """Where a query row sees no key at all ([.., Nq, 1], for masked_fill), or None when every row sees one."""
        empty = ~mask.any(dim=-1, keepdim=True)
        return empty if bool(empty.any()) else None


# ---------------------------------------------------------------------------------------------------------
# Backends: each returns (forward(q, k, v) -> out [B, Hq, Nq, D] view, context manager, notes) or raises Skip
# ---------------------------------------------------------------------------------------------------------


class Skip(Exception):
    """The backend cannot express this problem; the message says what is missing."""


class Cancelled(Exception):
    pass


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


class Backend:
    """layout 'bhnd' (q [B, Hq, Nq, D]) or 'bnhd' (q [B, Nq, Hq, D]); forward returns the same layout."""

    def __init__(self, forward, layout="bhnd", context=None, notes=None, compile_first=False, resident=None):
        self.forward = forward
        self.layout = layout
        self.context = context or _Null
        self.notes = notes or []
        self.compile_first = compile_first
        # Tensors the backend made once and every call reads (a materialised mask): (label, tensor), for the memory timeline.
        self.resident = resident or []


def make_eager(p, dtype, device):
    notes = []
    mask = p.bool_mask(device) if p.masked else None
    hidden = ~mask if mask is not None else None
    empty = p.empty_rows(mask) if mask is not None else None
    if p.G > 1:
        notes.append("GQA by broadcasting the %d query heads of each K/V head (no K/V copy)" % p.G)

    def forward(q, k, v):
        B, Hq, Nq, D = q.shape
        Hkv, Nk = k.shape[1], k.shape[2]
        qg = q.reshape(B, Hkv, p.G * Nq, D)
        s = torch.matmul(qg, k.transpose(-1, -2)).view(B, Hq, Nq, Nk) * p.scale
        if p.softcap > 0:
            s = p.softcap * torch.tanh(s / p.softcap)
        if mask is not None:
            s = s.masked_fill(hidden, float("-inf"))
        probs = torch.softmax(s, dim=-1, dtype=torch.float32).to(q.dtype)
        if empty is not None:
            probs = probs.masked_fill(empty, 0.0)
        o = torch.matmul(probs.view(B, Hkv, p.G * Nq, Nk), v)
        return o.view(B, Hq, Nq, D)

    notes.append("matmul \u2192 softmax (float32) \u2192 matmul, the score matrix materialised")
    return Backend(forward, notes=notes, resident=[("mask (boolean, materialised)", mask)] if mask is not None else None)


def _sdpa_context(kind):
    """Restricts SDPA to one backend: torch.nn.attention.sdpa_kernel (2.3+) or torch.backends.cuda.sdp_kernel (2.0-2.2)."""
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
        which = {"flash": "FLASH_ATTENTION", "efficient": "EFFICIENT_ATTENTION", "cudnn": "CUDNN_ATTENTION", "math": "MATH"}[kind]
        if not hasattr(SDPBackend, which):
            raise Skip("this PyTorch (%s) has no %s SDPA backend" % (torch.__version__, which))
        return lambda: sdpa_kernel([getattr(SDPBackend, which)])
    except ImportError:
        if kind == "cudnn":
            raise Skip("needs PyTorch \u2265 2.3 (the cuDNN SDPA backend)")
        flags = {"enable_flash": kind == "flash", "enable_mem_efficient": kind == "efficient", "enable_math": kind == "math"}
        return lambda: torch.backends.cuda.sdp_kernel(**flags)


def make_sdpa(kind, p, dtype, device):
    if TV < (2, 0, 0):
        raise Skip("needs PyTorch \u2265 2.0 (scaled_dot_product_attention); this Python has %s" % torch.__version__)
    if p.softcap > 0:
        raise Skip("no softcap: SDPA has no score modifier (FlexAttention's score_mod has)")
    if not p.default_scale and TV < (2, 1, 0):
        raise Skip("a custom scale needs PyTorch \u2265 2.1")
    F = torch.nn.functional
    notes = []
    kwargs = {}
    if TV >= (2, 1, 0):
        kwargs["scale"] = p.scale
    attn_mask = materialised = None
    is_causal = False
    if p.sees_everything:
        notes.append("one query row against %d keys: bottom-right causal masks nothing" % p.Nk)
    elif p.plain_causal:
        is_causal = True
    elif p.causal and p.window == 0 and p.kv_lens is None and p.offset > 0 and TV >= (2, 2, 0):
        from torch.nn.attention.bias import causal_lower_right
        attn_mask = causal_lower_right(p.Nq, p.Nk)
        notes.append("causal aligned bottom-right with causal_lower_right")
    elif p.masked:
        if kind == "flash":
            raise Skip("no attention mask: SDPA's flash backend takes only is_causal (this problem has %s)" % _mask_words(p))
        attn_mask = materialised = p.bool_mask(device)
        notes.append("mask materialised as a boolean [%s] tensor (%s)" % (", ".join(str(x) for x in attn_mask.shape), _mask_words(p)))
    empty = p.empty_rows(materialised) if materialised is not None else None
    if empty is not None:
        # SDPA's softmax over a row with no visible key is 0/0; the reference (and FlexAttention) give 0 there.
        notes.append("rows that see no key are set to 0 after the call (one masked_fill over O)")
    context = _sdpa_context(kind)
    gqa = {"mode": "native" if p.G > 1 and TV >= (2, 5, 0) else "repeat"}

    def attend(q, k, v):
        if p.G > 1:
            if gqa["mode"] == "native":
                return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal, enable_gqa=True, **kwargs)
            k = k.repeat_interleave(p.G, dim=1)
            v = v.repeat_interleave(p.G, dim=1)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal, **kwargs)

    def forward(q, k, v):
        out = attend(q, k, v)
        return out.masked_fill(empty, 0.0) if empty is not None else out

    def first_call_check(q, k, v):
        # enable_gqa is not supported by every SDPA backend: fall back to repeating K/V, and say so.
        if p.G > 1 and gqa["mode"] == "native":
            try:
                with context():
                    forward(q, k, v)
            except (RuntimeError, TypeError, NotImplementedError) as e:
                gqa["mode"] = "repeat"
                log("sdpa-%s: enable_gqa refused (%s); repeating K/V" % (kind, str(e).splitlines()[0]))

    b = Backend(forward, context=context, notes=notes, resident=[("mask (boolean, materialised)", materialised)] if materialised is not None else None)
    b.first_call_check = first_call_check
    b.gqa_state = gqa
    return b


def _mask_words(p):
    parts = []
    if p.causal:
        parts.append("causal bottom-right" if p.offset != 0 else "causal")
    if p.window:
        parts.append("a %d-token window" % p.window)
    if p.grid is not None:
        w, r, st, rows = p.grid
        parts.append("a 2-D neighbourhood (radius %d on a %dx%d grid%s)" % (r, rows, w, ", %d global token(s)" % st if st else ""))
    if p.kv_lens is not None:
        parts.append("per-batch key lengths")
    if p.docs is not None:
        parts.append("packed documents")
    return ", ".join(parts) or "no mask"


def make_flex(p, dtype, device):
    if TV < (2, 5, 0):
        raise Skip("needs PyTorch \u2265 2.5 (FlexAttention; PyTorch \u2265 2.0 has none); this Python has %s" % torch.__version__)
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    notes = []
    block_mask = None
    if p.sees_everything:
        notes.append("one query row against %d keys: bottom-right causal masks nothing" % p.Nk)
    elif p.masked:
        offset, window = p.offset, p.window
        upper = p.upper_bounded
        lens = torch.tensor(p.kv_lens, device=device, dtype=torch.int32) if p.kv_lens is not None else None
        grid = p.grid
        starts, ends = p.doc_tensors(device) if p.docs is not None else (None, None)

        def mask_mod(b, h, q_idx, kv_idx):
            pos = q_idx + offset
            ok = None
            if grid is not None:
                gw, gr, st, _ = grid
                a, c = pos - st, kv_idx - st
                ok = ((torch.abs(a // gw - c // gw) < gr) & (torch.abs(a % gw - c % gw) < gr)) | (pos < st) | (kv_idx < st)
            if upper:
                u = kv_idx <= pos
                ok = u if ok is None else ok & u
            if window > 0:
                w = kv_idx > pos - window
                ok = w if ok is None else ok & w
            if lens is not None:
                l_ = kv_idx < lens[b]
                ok = l_ if ok is None else ok & l_
            if starts is not None:
                d = (kv_idx >= starts[b, q_idx]) & (kv_idx < ends[b, q_idx])
                ok = d if ok is None else ok & d
            return ok

        block_mask = create_block_mask(mask_mod, p.B if p.per_batch else None, None, p.Nq, p.Nk, device=str(device))
        notes.append("mask as a block_mask (%s)" % _mask_words(p))
    score_mod = None
    if p.softcap > 0:
        cap = p.softcap

        def score_mod(score, b, h, q_idx, kv_idx):
            return cap * torch.tanh(score / cap)

        notes.append("softcap %g as a score_mod" % cap)
    compiled = torch.compile(flex_attention, dynamic=False)
    kwargs = {"score_mod": score_mod, "block_mask": block_mask, "scale": p.scale}
    if p.G > 1:
        kwargs["enable_gqa"] = True
        notes.append("GQA native (enable_gqa, no K/V copy)")

    def forward(q, k, v):
        return compiled(q, k, v, **kwargs)

    return Backend(forward, notes=notes, compile_first=True)


def make_flash_attn(p, dtype, device):
    if dtype == torch.float32:
        raise Skip("no fp32: FlashAttention runs fp16 and bf16 only")
    if p.kv_lens is not None:
        raise Skip("no per-batch key lengths in flash_attn_func (they need the varlen API and packed inputs)")
    if p.grid is not None:
        raise Skip("no 2-D neighbourhood mask: flash_attn takes causal and a 1-D window only")
    if p.docs is not None:
        raise Skip("packed documents need flash_attn_varlen_func with cu_seqlens and unpadded inputs (not wired)")
    import inspect
    fa3 = None
    hopper = DEVICE.get("capability", "").startswith("9.")
    if PACKAGES.get("flash_attn_3") and hopper:
        import flash_attn_interface as fa3  # noqa: F401
    elif not PACKAGES.get("flash_attn"):
        raise Skip("only FlashAttention-3 (flash_attn_interface) is importable here, and it needs a Hopper GPU (compute capability 9.x; this one is %s)" % (DEVICE.get("capability") or "unknown"))
    if fa3 is not None:
        func, label = fa3.flash_attn_func, "FlashAttention-3 (flash_attn_interface)"
    else:
        from flash_attn import flash_attn_func as func
        label = "FlashAttention-2 %s" % PACKAGES.get("flash_attn")
    params = inspect.signature(func).parameters
    kwargs = {"softmax_scale": p.scale, "causal": p.upper_bounded}
    if p.window > 0:
        if "window_size" not in params:
            raise Skip("no sliding window in this flash_attn (%s)" % label)
        kwargs["window_size"] = (p.window - 1, 0)
    if p.softcap > 0:
        if "softcap" not in params:
            raise Skip("no softcap in this flash_attn (%s; softcap needs flash_attn \u2265 2.6)" % label)
        kwargs["softcap"] = p.softcap
    notes = [label, "inputs laid out [B, N, H, D] before timing", "causal is bottom-right aligned"]
    if p.G > 1:
        notes.append("GQA native (no K/V copy)")

    def forward(q, k, v):
        out = func(q, k, v, **kwargs)
        return out[0] if isinstance(out, tuple) else out

    return Backend(forward, layout="bnhd", notes=notes)


def make_xformers(p, dtype, device):
    if p.softcap > 0:
        raise Skip("no softcap in xformers' memory_efficient_attention")
    if p.kv_lens is not None:
        raise Skip("per-batch key lengths need xformers' block-diagonal biases and packed inputs (not wired)")
    if p.grid is not None:
        raise Skip("no 2-D neighbourhood mask among xformers' attention biases")
    if p.docs is not None:
        raise Skip("packed documents need xformers' BlockDiagonalMask over unpadded inputs (not wired)")
    from xformers.ops import fmha, memory_efficient_attention
    bias = None
    notes = ["inputs laid out [B, N, H, D] before timing"]
    if p.window > 0:
        cls = getattr(fmha.attn_bias, "LowerTriangularFromBottomRightLocalAttentionMask", None)
        if cls is None:
            raise Skip("no bottom-right local attention bias in this xformers")
        bias = cls(p.window)
    elif p.causal:
        bias = fmha.attn_bias.LowerTriangularFromBottomRightMask()
    if p.G > 1:
        notes.append("GQA as a 5-D [B, N, Hkv, G, D] view (K/V expanded, not copied)")

    def forward(q, k, v):
        B, N, Hq, D = q.shape
        if p.G > 1:
            Nk = k.shape[1]
            q5 = q.view(B, N, p.Hkv, p.G, D)
            k5 = k.view(B, Nk, p.Hkv, 1, D).expand(B, Nk, p.Hkv, p.G, D)
            v5 = v.view(B, Nk, p.Hkv, 1, D).expand(B, Nk, p.Hkv, p.G, D)
            return memory_efficient_attention(q5, k5, v5, attn_bias=bias, scale=p.scale).reshape(B, N, Hq, D)
        return memory_efficient_attention(q, k, v, attn_bias=bias, scale=p.scale)

    return Backend(forward, layout="bnhd", notes=notes)


def make_te(p, dtype, device):
    if dtype == torch.float32:
        raise Skip("no fp32 in Transformer Engine's fused attention")
    if p.softcap > 0:
        raise Skip("no softcap in Transformer Engine's DotProductAttention")
    if p.kv_lens is not None:
        raise Skip("per-batch key lengths need Transformer Engine's padding masks with cu_seqlens (not wired)")
    if p.grid is not None:
        raise Skip("no 2-D neighbourhood mask in Transformer Engine's mask types")
    if p.docs is not None:
        raise Skip("packed documents need Transformer Engine's thd format with cu_seqlens (not wired)")
    import inspect
    import transformer_engine.pytorch as te
    params = inspect.signature(te.DotProductAttention.__init__).parameters
    version = PACKAGES.get("transformer_engine")
    # Square causal is the same either way; only Nq != Nk needs the bottom-right type (Transformer Engine >= 1.6).
    mask_type = ("causal" if p.offset == 0 else "causal_bottom_right") if p.upper_bounded else "no_mask"
    kwargs = dict(num_attention_heads=p.Hq, kv_channels=p.D, num_gqa_groups=p.Hkv, attention_dropout=0.0,
                  qkv_format="bshd", attn_mask_type=mask_type)
    if "softmax_scale" in params:
        kwargs["softmax_scale"] = p.scale
    elif not p.default_scale:
        raise Skip("a custom scale needs a Transformer Engine with softmax_scale (this one is %s)" % version)
    if p.window > 0:
        if "window_size" not in params:
            raise Skip("no sliding window in this Transformer Engine (%s)" % version)
        kwargs["window_size"] = (p.window - 1, 0)
    dpa = te.DotProductAttention(**kwargs)
    notes = ["DotProductAttention (%s, mask %s)" % (PACKAGES.get("transformer_engine"), mask_type), "inputs laid out [B, N, H, D] before timing"]

    def forward(q, k, v):
        B, N, Hq, D = q.shape
        return dpa(q, k, v).view(B, N, Hq, D)

    return Backend(forward, layout="bnhd", notes=notes)


def make_backend(name, p, dtype, device):
    availability = backend_availability(DEVICE["kind"] if device.type != "cpu" else "cpu")
    a = availability.get(name)
    if a is None:
        raise Skip("unknown backend; known: %s" % ", ".join(BACKENDS))
    if not a["available"]:
        raise Skip(a["reason"])
    if name == "eager":
        return make_eager(p, dtype, device)
    if name.startswith("sdpa-"):
        return make_sdpa(name[5:], p, dtype, device)
    if name == "flex":
        return make_flex(p, dtype, device)
    optional = {"flash-attn": make_flash_attn, "xformers": make_xformers, "te": make_te}.get(name)
    if optional is None:
        raise Skip("unknown backend")
    try:
        return optional(p, dtype, device)
    except ImportError as e:
        # The package imports at the top level but not the part attnprof calls (a build for another framework or CUDA).
        raise Skip("%s: its attention function does not import in %s (%s)" % (name, sys.executable, (str(e).strip().splitlines() or [type(e).__name__])[0][:200]))


# ---------------------------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------------------------


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


_KERNEL_CATS = ("kernel", "gpu_memcpy", "gpu_memset")


def short_kernel_name(name):
    """A demangled CUDA kernel or an aten op, shortened for a flame chart box: no return type, templates or arguments."""
    n = re.sub(r"^(void |evaluate_function: )", "", name.strip())
    depth, out = 0, []
    for ch in n:
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    n = "".join(out).strip() or name
    n = n.split("::")[-1].strip() or n
    return n[:80]


def profile_iteration(fn, device):
    """One iteration under torch.profiler: device kernels (GPU) or top-level aten ops (CPU), in ms from the first."""
    from torch.profiler import ProfilerActivity, profile, record_function
    acts = [ProfilerActivity.CPU]
    if device.type == "cuda":
        acts.append(ProfilerActivity.CUDA)
    _sync(device)
    with profile(activities=acts) as prof:
        with record_function("attnprof::iteration"):
            fn()
        _sync(device)
    fd, path = tempfile.mkstemp(suffix=".json", prefix="attnprof-trace-")
    os.close(fd)
    try:
        prof.export_chrome_trace(path)
        with open(path) as f:
            data = json.load(f)
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    events = data.get("traceEvents", []) if isinstance(data, dict) else data
    spans = [e for e in events if e.get("ph") == "X" and isinstance(e.get("ts"), (int, float)) and isinstance(e.get("dur"), (int, float))]
    if device.type == "cuda":
        picked = [e for e in spans if str(e.get("cat", "")).lower() in _KERNEL_CATS]
    else:
        marks = [e for e in spans if e.get("name") == "attnprof::iteration"]
        if not marks:
            return None
        m = marks[0]
        lo, hi = m["ts"], m["ts"] + m["dur"]
        inside = [e for e in spans if e is not m and e["ts"] >= lo and e["ts"] + e["dur"] <= hi
                  and str(e.get("cat", "cpu_op")).lower() in ("cpu_op", "operator", "")]
        inside.sort(key=lambda e: (e["ts"], -e["dur"]))
        picked, end = [], -1.0
        for e in inside:  # top level: not inside the previous top-level op
            if e["ts"] >= end:
                picked.append(e)
                end = e["ts"] + e["dur"]
    if not picked:
        return None
    picked.sort(key=lambda e: e["ts"])
    t0 = picked[0]["ts"]
    t1 = max(e["ts"] + e["dur"] for e in picked)
    return {
        "startMs": 0.0,
        "durationMs": (t1 - t0) / 1000.0,
        "passes": [{"name": short_kernel_name(str(e.get("name", "?"))), "startMs": (e["ts"] - t0) / 1000.0, "durationMs": e["dur"] / 1000.0} for e in picked],
    }


# ---------------------------------------------------------------------------------------------------------
# Memory timeline: the caching allocator's own history of one call
# ---------------------------------------------------------------------------------------------------------

_MARK_BYTES = 512  # the allocator's smallest block: a marker allocation costs nothing and has an address of its own


def memory_unavailable(device):
    """One sentence when this PyTorch cannot record the allocator's history here, else None."""
    if device.type != "cuda":
        return "memory timeline: not recorded \u2014 torch.cuda.memory._record_memory_history needs a CUDA device, and this run is on %s" % (
            "CPU" if device.type == "cpu" else device.type.upper())
    if TV < (2, 1, 0) or not hasattr(torch.cuda.memory, "_record_memory_history") or not hasattr(torch.cuda.memory, "_snapshot"):
        return "memory timeline: not recorded \u2014 needs PyTorch \u2265 2.1 (torch.cuda.memory._record_memory_history); this Python has %s" % torch.__version__
    return None


def _storage_ptr(t):
    return t.untyped_storage().data_ptr()


def _block_bytes(t):
    """A tensor's bytes as the allocator's history states an allocation: the size asked for, not rounded to a block."""
    return t.untyped_storage().nbytes()


def record_memory(backend, qkv, d_out, device, train):
    """One untimed call (forward, or forward + backward) under torch.cuda.memory._record_memory_history: the
    allocations and frees of that call, with the tensors attnprof knows by name (memory_trace gives the shape)."""
    q, k, v = qkv
    mem = torch.cuda.memory
    before = [("Q", "input", q), ("K", "input", k), ("V", "input", v)]
    if d_out is not None:
        before.append(("dO", "gradient", d_out))
    before += [(label, "input", t) for (label, t) in backend.resident]
    if train:
        q.grad = k.grad = v.grad = None
    _sync(device)
    # No stack traces (context=None): only the alloc/free history, so the call runs at its usual speed.
    mem._record_memory_history(enabled="all", context=None, stacks="python", max_entries=1 << 20)
    try:
        wall0 = time.time() * 1e6
        start = torch.empty(_MARK_BYTES, dtype=torch.uint8, device=device)
        mid = None
        if train:
            out = backend.forward(q, k, v)
            mid = torch.empty(_MARK_BYTES, dtype=torch.uint8, device=device)
            out.backward(d_out)
        else:
            with torch.no_grad():
                out = backend.forward(q, k, v)
        # Wait for the GPU before the closing mark, so the span covers the work and not only its launch.
        _sync(device)
        end = torch.empty(_MARK_BYTES, dtype=torch.uint8, device=device)
        wall1 = time.time() * 1e6
        snap = mem._snapshot()
    finally:
        mem._record_memory_history(enabled=None)
    after = {_storage_ptr(out): ("O", "output")}
    if train:
        for name, t in (("dQ", q.grad), ("dK", k.grad), ("dV", v.grad)):
            if t is not None:
                after[_storage_ptr(t)] = (name, "gradient")
    index = device.index if device.index is not None else torch.cuda.current_device()
    marks = {"start": start.data_ptr(), "end": end.data_ptr(), "mid": mid.data_ptr() if mid is not None else None}
    known = [(name, role, _block_bytes(t)) for (name, role, t) in before]
    trace = memory_trace(snap, index, marks, known, after, (wall0, wall1))
    del start, mid, end, out
    if train:
        q.grad = k.grad = v.grad = None
    return trace


def memory_trace(snapshot, device_index, marks, before, after, wall_us=None):
    """The part of a torch.cuda.memory._snapshot() history between the `start` and `end` marker allocations, as
    attnprof's memory trace (extension/engine/torchMemory.ts turns it into report events):
      blocks: [{bytes, name?, role?, before?, after?}]  before: live when the call began (the inputs `before` names);
              after: still live when it ended (named from `after`, {address: (name, role)}, when it is one of those)
      events: [{kind: "alloc" | "free", block, us}]      in the allocator's order, us from the start mark
      endUs, forwardEndUs (the `mid` mark, train mode)
    Pure: attnprof's tests feed it snapshot-shaped dicts."""
    traces = snapshot.get("device_traces") or []
    if device_index >= len(traces):
        raise ValueError("the allocator's history has no trace for device %d" % device_index)
    trace = traces[device_index]

    def last_alloc(addr, upto):
        for i in range(upto - 1, -1, -1):
            e = trace[i]
            if e.get("action") == "alloc" and e.get("addr") == addr:
                return i
        return -1

    i_end = last_alloc(marks["end"], len(trace))
    i_start = last_alloc(marks["start"], i_end) if i_end >= 0 else -1
    if i_start < 0:
        raise ValueError("the allocator's history does not hold the whole call (its ring buffer dropped the start)")
    t0, t1 = trace[i_start].get("time_us"), trace[i_end].get("time_us")
    if not isinstance(t0, (int, float)) or not isinstance(t1, (int, float)):
        raise ValueError("this PyTorch's allocator history carries no event times (time_us)")
    scale = 1.0
    if wall_us is not None and not (wall_us[0] - 5e6 <= t0 <= wall_us[1] + 5e6) and wall_us[0] - 5e6 <= t0 / 1000.0 <= wall_us[1] + 5e6:
        scale = 1e-3  # a clock in nanoseconds despite the key's name

    def at(e):
        t = e.get("time_us")
        return max(0.0, (t - t0) * scale) if isinstance(t, (int, float)) else None

    blocks = [{"bytes": int(nbytes), "name": name, "role": role, "before": True} for (name, role, nbytes) in before]
    events = []
    live = {}
    forward_end = None
    last = 0.0
    for e in trace[i_start + 1:i_end]:
        action, addr = e.get("action"), e.get("addr")
        t = at(e)
        if t is None:
            raise ValueError("an event of the allocator's history has no time")
        last = t = max(t, last)
        if action == "alloc":
            if marks.get("mid") is not None and addr == marks["mid"]:
                forward_end = t
                continue
            blocks.append({"bytes": int(e.get("size") or 0)})
            live[addr] = len(blocks) - 1
            events.append({"kind": "alloc", "block": len(blocks) - 1, "us": t})
        elif action in ("free_requested", "free_completed", "free"):
            # free_completed follows free_requested for a block already closed; a free of a block from before the
            # call (a tensor of an earlier iteration) is not this call's memory.
            b = live.pop(addr, None)
            if b is not None:
                events.append({"kind": "free", "block": b, "us": t})
    for addr, b in live.items():
        blocks[b]["after"] = True
        if addr in after:
            blocks[b]["name"], blocks[b]["role"] = after[addr]
    out = {"blocks": blocks, "events": events, "endUs": max(last, (t1 - t0) * scale)}
    if forward_end is not None:
        out["forwardEndUs"] = forward_end
    return out


def _b64_rows(t, index, D):
    rows = t.reshape(-1, D).index_select(0, index).float().cpu().contiguous()
    flat = rows.reshape(-1).tolist()
    return base64.b64encode(struct.pack("<%df" % len(flat), *flat)).decode("ascii")


def run_backend(rid, name, p, req, sets, d_out, dtype, device, check_rows, progress, cancelled, grad_index=None):
    result = {"backend": name, "status": "ok", "notes": []}
    mode = req.get("mode", "fwd")
    try:
        backend = make_backend(name, p, dtype, device)
    except Skip as e:
        return {"backend": name, "status": "skipped", "reason": str(e), "notes": []}
    result["notes"].extend(backend.notes)

    def laid_out(t):
        return t.transpose(1, 2).contiguous() if backend.layout == "bnhd" else t

    train = mode == "train"
    inputs = []
    for (q, k, v) in sets:
        qi, ki, vi = laid_out(q), laid_out(k), laid_out(v)
        if train:
            qi, ki, vi = (x.detach().clone().requires_grad_(True) for x in (qi, ki, vi))
        inputs.append((qi, ki, vi))
    grad = laid_out(d_out) if train else None

    def call(i):
        q, k, v = inputs[i % len(inputs)]
        if train:
            q.grad = k.grad = v.grad = None
            out = backend.forward(q, k, v)
            out.backward(grad)
        else:
            with torch.no_grad():
                backend.forward(q, k, v)

    iterations = max(1, int(req.get("iterations", 20)))
    warmup = max(0, int(req.get("warmup", 3)))
    warmup_ms = float(req.get("warmupMs", 0 if device.type == "cpu" else 500))
    max_ms = 1000.0 * float(req.get("maxSeconds", 30))
    with backend.context():
        check = getattr(backend, "first_call_check", None)
        if check is not None:
            with torch.no_grad():
                check(*inputs[0])
            if getattr(backend, "gqa_state", {}).get("mode") == "repeat" and p.G > 1:
                result["notes"].append("GQA by repeating K/V \u00d7%d inside the call (%s)" % (
                    p.G, "enable_gqa needs PyTorch \u2265 2.5" if TV < (2, 5, 0) else "this SDPA backend refused enable_gqa"))
            elif p.G > 1:
                result["notes"].append("GQA native (enable_gqa, no K/V copy)")
        progress("%s: %s" % (name, "compiling%s" % (" forward and backward" if train else "") if backend.compile_first else "first call"))
        t = time.perf_counter()
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            try:
                call(0)
                _sync(device)
            except RuntimeError as e:
                # SDPA says why a restricted backend cannot run in warnings, then raises "No available kernel".
                if "No available kernel" in str(e):
                    why = "; ".join(sorted({str(w.message).strip().splitlines()[0] for w in said if str(w.message).strip()}))
                    raise Skip("this backend refused the problem (%s)" % (why[:400] or str(e).splitlines()[0]))
                raise
        if backend.compile_first:
            result["notes"].append("compiled in %.1f s (first call, not timed)" % (time.perf_counter() - t))
        progress("%s: warming up" % name)
        started = time.perf_counter()
        warm = 0
        while warm < warmup or ((time.perf_counter() - started) * 1000 < warmup_ms and warm < 1000):
            if cancelled():
                raise Cancelled()
            call(warm)
            warm += 1
            if device.type != "cpu" and warm % 10 == 0:
                _sync(device)
        _sync(device)
        if warm > warmup:
            result["notes"].append("warm-up: %d iterations (\u2265 %d ms of load before timing)" % (warm, warmup_ms))
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
            base = torch.cuda.memory_allocated(device)
        samples = []
        events = []
        t_start = time.perf_counter()
        progress("%s: timing %d iterations" % (name, iterations))
        for i in range(iterations):
            if cancelled():
                raise Cancelled()
            if device.type == "cuda":
                s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                s.record()
                call(i)
                e.record()
                events.append((s, e))
                # Check the time limit now and then only: a sync per iteration would leave the GPU idle between them.
                if i % 10 == 9:
                    torch.cuda.synchronize(device)
            else:
                t0 = time.perf_counter()
                call(i)
                _sync(device)
                samples.append((time.perf_counter() - t0) * 1000.0)
            if (i + 1) % 5 == 0 or i + 1 == iterations:
                progress("%s: iteration %d/%d" % (name, i + 1, iterations))
            if i >= 2 and (time.perf_counter() - t_start) * 1000 > max_ms:
                result["notes"].append("stopped after %d iterations (time limit %g s)" % (i + 1, max_ms / 1000))
                break
        _sync(device)
        if device.type == "cuda":
            samples = [s.elapsed_time(e) for (s, e) in events]
            result["timingSource"] = "cuda-events"
            result["peakBytes"] = int(torch.cuda.max_memory_allocated(device))
            result["baseBytes"] = int(base)
        else:
            result["timingSource"] = "wall-clock"
            result["peakBytes"] = 0
            result["notes"].append("%s: wall clock per iteration, no allocator statistics" % ("CPU" if device.type == "cpu" else device.type.upper()))
        result["samplesMs"] = samples
        if req.get("profile", True):
            progress("%s: kernel breakdown (torch.profiler)" % name)
            traces = []
            try:
                for j in range(int(req.get("profileIterations", 3))):
                    tr = profile_iteration(lambda: call(j), device)
                    if tr:
                        traces.append(tr)
            except Exception as e:  # the profiler is a bonus; the timing stands without it
                result["notes"].append("torch.profiler failed: %s" % str(e).splitlines()[0][:200])
            result["iterations"] = traces
        if req.get("memory", True):
            why = memory_unavailable(device)
            if why:
                result["notes"].append(why)
            else:
                progress("%s: memory timeline (one call under torch.cuda.memory._record_memory_history)" % name)
                try:
                    result["memory"] = record_memory(backend, inputs[0], grad, device, train)
                except Exception as e:  # like the profiler, a bonus: the timing stands without it
                    result["notes"].append("memory timeline not recorded: %s" % (str(e).strip().splitlines() or [type(e).__name__])[0][:200])
        # The output of input set 0 (whose numbers attnprof regenerates) for the correctness check.
        with torch.no_grad():
            q, k, v = inputs[0]
            out = backend.forward(q.detach(), k.detach(), v.detach())
            if backend.layout == "bnhd":
                out = out.transpose(1, 2)
            result["rows"] = _b64_rows(out, check_rows, p.D)
        if train and grad_index is not None:
            # The gradients of input set 0 for the float64 check: one more training step on it.
            q, k, v = inputs[0]
            q.grad = k.grad = v.grad = None
            backend.forward(q, k, v).backward(grad)
            grads = {}
            for key, t, index in (("dq", q.grad, grad_index[0]), ("dk", k.grad, grad_index[1]), ("dv", v.grad, grad_index[1])):
                if t is None:
                    raise RuntimeError("no gradient reached %s" % key[1].upper())
                if backend.layout == "bnhd":
                    t = t.transpose(1, 2)
                grads[key] = _b64_rows(t, index, p.D)
            result["grads"] = grads
        if train:
            result["notes"].append("fwd + bwd with a random dO; output and gradients (dQ, dK, dV) checked")
    return result


def handle_run(rid, req, cancelled):
    if torch is None:
        raise RuntimeError("no PyTorch in %s (%s)" % (sys.executable, TORCH_ERROR))
    p = Problem(req)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}.get(req.get("dtype", "fp32"))
    if dtype is None:
        raise ValueError("dtype must be bf16, fp16 or fp32, got %r" % req.get("dtype"))
    want = req.get("device", "auto")
    if want == "auto":
        kind = DEVICE["kind"]
        device = torch.device("cuda" if kind in ("cuda", "rocm") else "mps" if kind == "mps" else "cpu")
    else:
        device = torch.device(want)
    seed = int(req.get("seed", 0))

    def progress(message, backend=None):
        send({"type": "progress", "id": rid, "message": message, **({"backend": backend} if backend else {})})

    progress("generating inputs (seed %d) on %s" % (seed, device))
    gen_device = device if device.type == "cuda" else torch.device("cpu")
    shapes = ((p.B, p.Hq, p.Nq, p.D), (p.B, p.Hkv, p.Nk, p.D), (p.B, p.Hkv, p.Nk, p.D))
    base = []
    sums = []
    for n, shape in enumerate(shapes):
        t = random_normal(math.prod(shape), seed + n, gen_device).view(shape)
        sums.append(checksum(t))
        base.append(t.to(device=device, dtype=dtype).contiguous())
    if req.get("mode") != "train":
        send({"type": "inputs", "id": rid, "checksums": {"q": sums[0], "k": sums[1], "v": sums[2]}})
    elem = torch.finfo(dtype).bits // 8
    total = elem * (base[0].numel() + base[1].numel() + base[2].numel())
    # Rotate copies of small inputs so no cache serves a repeat (as attnprof's WebGPU runner does).
    copies = 1 if device.type == "cpu" or total >= (128 << 20) else min(4, -(-(128 << 20) // max(total, 1)))
    sets = [tuple(base)] + [tuple(t.clone() for t in base) for _ in range(copies - 1)]
    d_out = None
    if req.get("mode") == "train":
        # dO from the same generator (seed + 3), so attnprof's float64 reference gradients use the same numbers.
        g = random_normal(math.prod(shapes[0]), seed + 3, gen_device).view(shapes[0])
        sums.append(checksum(g))
        d_out = g.to(device=device, dtype=dtype).contiguous()
        send({"type": "inputs", "id": rid, "checksums": {"q": sums[0], "k": sums[1], "v": sums[2], "dO": sums[3]}})
    check_rows = torch.tensor([int(r) for r in req.get("checkRows", [])], dtype=torch.int64, device=device)
    grad_rows = torch.tensor([int(r) for r in req.get("gradRows", [])], dtype=torch.int64, device=device)
    grad_keys = torch.tensor([int(r) for r in req.get("gradKeys", [])], dtype=torch.int64, device=device)
    for name in req.get("backends", []):
        if cancelled():
            raise Cancelled()
        send({"type": "progress", "id": rid, "message": "%s: preparing" % name, "backend": name})
        try:
            res = run_backend(rid, name, p, req, sets, d_out, dtype, device, check_rows,
                              lambda m, b=name: progress(m, b), cancelled, (grad_rows, grad_keys))
        except Cancelled:
            raise
        except Skip as e:
            res = {"backend": name, "status": "skipped", "reason": str(e), "notes": []}
        except NotImplementedError as e:
            # PyTorch's own word that this backend lacks the feature here (e.g. FlexAttention's backward on CPU).
            first = (str(e).strip().splitlines() or ["NotImplementedError without a message"])[0]
            res = {"backend": name, "status": "skipped", "reason": "not supported by this PyTorch here: %s" % first[:300], "notes": []}
        except Exception as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            log("%s failed:\n%s" % (name, traceback.format_exc()))
            res = {"backend": name, "status": "failed", "error": "%s: %s" % (type(e).__name__, first[:400]), "notes": []}
            if device.type == "cuda":
                torch.cuda.empty_cache()
        res["copies"] = copies
        send({"type": "backend", "id": rid, "result": res})


def main():
    global PACKAGES
    PACKAGES = _packages()
    send(hello())
    if "--probe" in sys.argv:
        return
    work = queue.Queue()
    cancelled_ids = set()

    def reader():
        for raw in sys.stdin:
            raw = raw.strip()
            if not raw:
                continue
            try:
                msg = json.loads(raw)
            except ValueError:
                log("ignored a line that is not JSON")
                continue
            if msg.get("type") == "cancel":
                cancelled_ids.add(msg.get("id"))
            elif msg.get("type") == "exit":
                break
            else:
                work.put(msg)
        # attnprof closed our input (or asked us to leave): nothing is listening, so stop now, mid-run or not.
        os._exit(0)

    threading.Thread(target=reader, daemon=True).start()
    while True:
        msg = work.get()
        rid = msg.get("id")
        if msg.get("type") != "run" or not isinstance(rid, int):
            send({"type": "result", "id": rid if isinstance(rid, int) else -1, "ok": False,
                  "error": {"kind": "protocol", "message": "unknown message type %r" % msg.get("type")}})
            continue
        try:
            handle_run(rid, msg.get("request") or {}, lambda: rid in cancelled_ids)
            send({"type": "result", "id": rid, "ok": True})
        except Cancelled:
            send({"type": "result", "id": rid, "ok": False, "error": {"kind": "cancelled", "message": "the run was cancelled"}})
        except (ValueError, KeyError, TypeError) as e:
            send({"type": "result", "id": rid, "ok": False, "error": {"kind": "input", "message": "%s: %s" % (type(e).__name__, e)}})
        except Exception as e:
            log(traceback.format_exc())
            send({"type": "result", "id": rid, "ok": False, "error": {"kind": "internal", "message": "%s: %s" % (type(e).__name__, e)}})


if __name__ == "__main__":
    main()
