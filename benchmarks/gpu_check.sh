#!/usr/bin/env bash
# GPU check, for when a GPU machine is lent (issue 11, item 8): one epoch of ResNet-50 at 128 px
# on UTKFace-DIR with mixed precision (float16 autocast and a gradient scaler on CUDA), vanilla
# regression. Prints the training throughput (images/s), the peak GPU memory, and the share of the
# training epoch spent outside the training steps (getting batches: indexing, augmentation, and
# with a DataLoader the wait for its workers), i.e. the data-loading share.
#
# Not part of the tests. Usage (from the repository root):
#   benchmarks/gpu_check.sh                                   # CUDA, the whole data set
#   DEVICE=cpu LIMIT=240 IMAGE_SIZE=64 benchmarks/gpu_check.sh  # a dry run of the script on a CPU
# Settings (environment): PYTHON, DATA_DIR (holds utkface/), DEVICE (cuda, cuda:N, cpu, auto),
# IMAGE_SIZE (128), BATCH_SIZE (256), DEPTH (50), WIDTH (64), LIMIT (images kept; empty: all),
# AMP (1), CACHE_DIR (decoded-image cache; default ~/.cache/dirkit).
set -euo pipefail

export PYTHON=${PYTHON:-.venv/bin/python}
export DATA_DIR=${DATA_DIR:-../shared/data}
export DEVICE=${DEVICE:-cuda}
export IMAGE_SIZE=${IMAGE_SIZE:-128}
export BATCH_SIZE=${BATCH_SIZE:-256}
export DEPTH=${DEPTH:-50}
export WIDTH=${WIDTH:-64}
export LIMIT=${LIMIT:-}
export AMP=${AMP:-1}
export CACHE_DIR=${CACHE_DIR:-}

if [ ! -e "$DATA_DIR/utkface" ]; then
  echo "gpu_check: no utkface/ under DATA_DIR=$DATA_DIR; set DATA_DIR to the folder holding it" >&2
  exit 2
fi

exec "$PYTHON" - <<'PY'
import os
import time

import torch

from dirkit.bench import load_dataset
from dirkit.engine import TrainConfig, Trainer, fit_method
from dirkit.engine._precision import resolve_device

env = os.environ
device = str(resolve_device(env["DEVICE"]))
cuda = device.startswith("cuda")
size, batch, depth, width = (int(env[k]) for k in ("IMAGE_SIZE", "BATCH_SIZE", "DEPTH", "WIDTH"))
loader_args = {"image_size": size}
if env["LIMIT"]:
    loader_args["limit"] = int(env["LIMIT"])
if env["CACHE_DIR"]:
    loader_args["cache_dir"] = env["CACHE_DIR"]

started = time.perf_counter()
data = load_dataset("utkface-dir", 0, env["DATA_DIR"], loader_args)
load_s = time.perf_counter() - started
n_train = len(data.y_train)
print(f"utkface-dir: {n_train} training images at {size} px, loaded (decoded or cached) in {load_s:.1f} s")

timing = {"epoch": 0.0, "steps": 0.0, "evaluate": 0.0, "n_steps": 0}
train_epoch, train_step, evaluate = Trainer.train_epoch, Trainer.train_step, Trainer.evaluate


def timed_epoch(self, *args, **kwargs):
    if cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = train_epoch(self, *args, **kwargs)
    if cuda:
        torch.cuda.synchronize()
    timing["epoch"] += time.perf_counter() - start
    return result


def timed_step(self, *args, **kwargs):  # ends in float(loss), which waits for the GPU
    start = time.perf_counter()
    result = train_step(self, *args, **kwargs)
    timing["steps"] += time.perf_counter() - start
    timing["n_steps"] += 1
    return result


def timed_evaluate(self, *args, **kwargs):
    start = time.perf_counter()
    result = evaluate(self, *args, **kwargs)
    timing["evaluate"] += time.perf_counter() - start
    return result


Trainer.train_epoch, Trainer.train_step, Trainer.evaluate = timed_epoch, timed_step, timed_evaluate
config = TrainConfig(epochs=1, batch_size=batch, device=device, amp=env["AMP"] == "1",
                     resnet_depth=depth, resnet_width=width)
if cuda:
    torch.cuda.reset_peak_memory_stats()
fitted = fit_method(data, "vanilla", train_config=config)
resnet = fitted.model.backbone[1]
parameters = sum(p.numel() for p in resnet.parameters())

epoch_s, steps_s = timing["epoch"], timing["steps"]
data_share = max(0.0, epoch_s - steps_s) / epoch_s if epoch_s > 0 else float("nan")
print(f"model: ResNet-{resnet.depth} width {width} ({parameters / 1e6:.2f} M parameters), batch {batch}, "
      f"amp={config.amp}, device {device}")
print(f"training epoch: {epoch_s:.1f} s for {timing['n_steps']} steps; validation {timing['evaluate']:.1f} s")
print(f"images/s (training epoch): {n_train / epoch_s:.1f}")
print(f"images/s (training steps only): {n_train / steps_s:.1f}")
print(f"data-loading share of the training epoch (outside the training steps): {100 * data_share:.1f} %")
if cuda:
    peak = torch.cuda.max_memory_allocated() / 2**30
    reserved = torch.cuda.max_memory_reserved() / 2**30
    print(f"peak GPU memory: {peak:.2f} GiB allocated, {reserved:.2f} GiB reserved "
          f"({torch.cuda.get_device_name()})")
else:
    print("peak GPU memory: n/a (not on CUDA)")
PY
