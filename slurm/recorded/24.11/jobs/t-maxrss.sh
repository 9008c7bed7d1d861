#!/bin/bash
#SBATCH --job-name=nf-rec-t-maxrss
#SBATCH --comment=neuroflow:run=c64b238d-0557-435a-b3c4-b592029758fc
#SBATCH --output=/tmp/nf-rec.yyVkP5/logs/%x-%j.out
#SBATCH --error=/tmp/nf-rec.yyVkP5/logs/%x-%j.err
#SBATCH --mem=1G
/usr/bin/python3 - <<'PY'
import time
a = bytearray(300 << 20)          # touch 300 MB and hold it ~3 s
for i in range(0, len(a), 4096):
    a[i] = 1
time.sleep(3)
PY
