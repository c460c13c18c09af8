"""Load a GPU like a model loading: ~2 GiB every 200 ms up to ~90% of the
card, hold, then free. Used to verify gputop's memory pane, process table,
growth rate, forecast and peak on a real GPU. Plain cudaMalloc through
PyTorch's allocator (no managed memory)."""
import os, sys, time
import torch

dev = int(os.environ.get("GPU", "0"))
step = int(float(os.environ.get("STEP_GIB", "2")) * (1 << 30))
period = float(os.environ.get("PERIOD_S", "0.2"))
target = float(os.environ.get("TARGET", "0.90"))
hold = float(os.environ.get("HOLD_S", "4"))

torch.cuda.set_device(dev)
free, total = torch.cuda.mem_get_info(dev)
print(f"pid {os.getpid()} gpu {dev} total {total/2**30:.1f} GiB free {free/2**30:.1f} GiB", flush=True)
blocks = []
while True:
    free, total = torch.cuda.mem_get_info(dev)
    used = total - free
    if used + step > target * total:
        break
    blocks.append(torch.empty(step, dtype=torch.uint8, device=f"cuda:{dev}"))
    blocks[-1].fill_(1)
    torch.cuda.synchronize(dev)
    print(f"{time.time():.3f} allocated {len(blocks)*step/2**30:.0f} GiB used {(used+step)/2**30:.1f}", flush=True)
    time.sleep(period)
print(f"{time.time():.3f} holding {len(blocks)*step/2**30:.0f} GiB", flush=True)
time.sleep(hold)
blocks.clear()
torch.cuda.empty_cache()
print(f"{time.time():.3f} freed", flush=True)
time.sleep(float(os.environ.get("AFTER_S", "2")))
