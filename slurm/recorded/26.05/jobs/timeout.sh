#!/bin/bash
#SBATCH --job-name=nf-rec-timeout
#SBATCH --comment=neuroflow:run=7f1c75c5-ec27-4213-841f-569e8b98ebd8
#SBATCH --output=/tmp/nf-rec.ENxBsc/logs/%x-%j.out
#SBATCH --error=/tmp/nf-rec.ENxBsc/logs/%x-%j.err
#SBATCH --time=1
echo "started $(date -Iseconds); sleeping 300 s under --time=1"
sleep 300
