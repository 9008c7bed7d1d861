#!/bin/bash
#SBATCH --job-name=nf-rec-t-oom
#SBATCH --comment=neuroflow:run=e60c0377-a3a3-435d-9415-7d6b85d1dfbf
#SBATCH --output=/tmp/nf-rec.8GLsf7/logs/%x-%j.out
#SBATCH --error=/tmp/nf-rec.8GLsf7/logs/%x-%j.err
#SBATCH --mem=100M
/usr/bin/python3 - <<'PY'
import time
a = bytearray(400 << 20)          # 400 MB, well over --mem=100M
for i in range(0, len(a), 4096):
    a[i] = 1
time.sleep(3)
PY
