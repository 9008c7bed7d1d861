#!/bin/bash
#SBATCH --job-name=nf-rec-t-maxrss
#SBATCH --comment=neuroflow:run=b773ba2d-e4bf-4423-9997-65266caa52a0
#SBATCH --output=/tmp/nf-rec.qEIAdO/logs/%x-%j.out
#SBATCH --error=/tmp/nf-rec.qEIAdO/logs/%x-%j.err
#SBATCH --mem=1G
/usr/bin/python3 - <<'PY'
import time
a = bytearray(300 << 20)          # touch 300 MB and hold it ~3 s
for i in range(0, len(a), 4096):
    a[i] = 1
time.sleep(3)
PY
