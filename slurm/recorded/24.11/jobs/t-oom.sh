#!/bin/bash
#SBATCH --job-name=nf-rec-t-oom
#SBATCH --comment=neuroflow:run=c64b238d-0557-435a-b3c4-b592029758fc
#SBATCH --output=/tmp/nf-rec.yyVkP5/logs/%x-%j.out
#SBATCH --error=/tmp/nf-rec.yyVkP5/logs/%x-%j.err
#SBATCH --mem=100M
/usr/bin/python3 - <<'PY'
import time
a = bytearray(400 << 20)          # 400 MB, well over --mem=100M
for i in range(0, len(a), 4096):
    a[i] = 1
time.sleep(3)
PY
