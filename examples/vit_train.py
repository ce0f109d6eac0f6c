# ViT-B/16 training benchmark in the style of the seed article (timm VisionTransformer, attention as
# module-level constants). Open it in VS Code: the CodeLens above NUM_HEADS and HEAD_DIM show the attention
# cost of this shape, and "Attention Profiler: Profile Open Model Config" times it on your GPU.
import functools
import time

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset
from timm.models.vision_transformer import VisionTransformer

IMG_SIZE = 224
BATCH_SIZE = 128

# ViT settings
NUM_HEADS = 12
HEAD_DIM = 64
DEPTH = 12
PATCH_SIZE = 16
SEQ_LEN = (IMG_SIZE // PATCH_SIZE)**2  # 196 patch tokens (class_token=False below)


class MyAttentionBlock(nn.Module):
    def __init__(self, attn_fn, format=None, dim: int = 768, num_heads: int = 12, **kwargs) -> None:
        super().__init__()
        self.attn_fn = attn_fn
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.proj = nn.Linear(dim, dim)
        permute = (2, 0, 3, 1, 4)
        self.permute_attn = functools.partial(torch.transpose, dim0=1, dim1=2)
        if format == 'bshd':
            permute = (2, 0, 1, 3, 4)
            self.permute_attn = nn.Identity()
        self.permute_qkv = functools.partial(torch.permute, dims=permute)

    def forward(self, x_in: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x_in)
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim)
        q, k, v = self.permute_qkv(qkv).unbind(0)
        x = self.attn_fn(q, k, v)
        x = self.permute_attn(x).reshape(B, N, C)
        return x_in + self.proj(x)


class FakeDataset(Dataset):
    def __len__(self):
        return 1000000

    def __getitem__(self, index):
        rand_image = torch.randn([3, IMG_SIZE, IMG_SIZE], dtype=torch.float32)
        label = torch.tensor(data=index % 1000, dtype=torch.int64)
        return rand_image, label


def train_fn(block_fn, compile=False):
    torch.random.manual_seed(0)
    device = torch.device("cuda:0")
    torch.set_float32_matmul_precision("high")

    model = VisionTransformer(
        img_size=IMG_SIZE,
        patch_size=PATCH_SIZE,
        embed_dim=NUM_HEADS * HEAD_DIM,
        depth=DEPTH,
        num_heads=NUM_HEADS,
        class_token=False,
        global_pool="avg",
        block_fn=block_fn,
    ).to(device)
    if compile:
        model = torch.compile(model)

    train_loader = DataLoader(FakeDataset(), batch_size=BATCH_SIZE, num_workers=8, pin_memory=True, drop_last=True)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters())
    model.train()

    t0 = time.perf_counter()
    summ = 0
    count = 0
    for step, data in enumerate(train_loader):
        inputs = data[0].to(device=device, non_blocking=True)
        label = data[1].to(device=device, non_blocking=True)
        with torch.amp.autocast('cuda', enabled=True, dtype=torch.bfloat16):
            outputs = model(inputs)
            loss = loss_fn(outputs, label)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        batch_time = time.perf_counter() - t0
        if step > 20:
            summ += batch_time
            count += 1
        t0 = time.perf_counter()
        if step > 100:
            break
    print(f'average step time: {summ / count}')
