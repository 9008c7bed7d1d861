#!/bin/bash
#SBATCH --job-name=nf-rec-t-oom
#SBATCH --comment=neuroflow:run=b773ba2d-e4bf-4423-9997-65266caa52a0
#SBATCH --output=/tmp/nf-rec.qEIAdO/logs/%x-%j.out
#SBATCH --error=/tmp/nf-rec.qEIAdO/logs/%x-%j.err
#SBATCH --mem=100M
/usr/bin/python3 - <<'PY'
import time
a = bytearray(400 << 20)          # 400 MB, well over --mem=100M
for i in range(0, len(a), 4096):
    a[i] = 1
time.sleep(3)
PY
