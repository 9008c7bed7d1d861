#!/bin/bash
#SBATCH --job-name=nf-rec-t-array
#SBATCH --comment=neuroflow:run=7f1c75c5-ec27-4213-841f-569e8b98ebd8
#SBATCH --output=/tmp/nf-rec.ENxBsc/logs/%x-%A_%a.out
#SBATCH --error=/tmp/nf-rec.ENxBsc/logs/%x-%A_%a.err
#SBATCH --array=0-3
echo "task $SLURM_ARRAY_TASK_ID"
[ "$SLURM_ARRAY_TASK_ID" -ne 2 ]   # task 2 fails with exit 1
