#!/bin/bash
#SBATCH --job-name=nf-rec-t-maxrss
#SBATCH --comment=neuroflow:run=7f1c75c5-ec27-4213-841f-569e8b98ebd8
#SBATCH --output=/tmp/nf-rec.ENxBsc/logs/%x-%j.out
#SBATCH --error=/tmp/nf-rec.ENxBsc/logs/%x-%j.err
#SBATCH --mem=1G
/usr/bin/python3 - <<'PY'
import time
a = bytearray(300 << 20)          # touch 300 MB and hold it ~3 s
for i in range(0, len(a), 4096):
    a[i] = 1
time.sleep(3)
PY
