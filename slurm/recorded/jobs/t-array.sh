#!/bin/bash
#SBATCH --job-name=nf-rec-t-array
#SBATCH --comment=neuroflow:run=b773ba2d-e4bf-4423-9997-65266caa52a0
#SBATCH --output=/tmp/nf-rec.qEIAdO/logs/%x-%A_%a.out
#SBATCH --error=/tmp/nf-rec.qEIAdO/logs/%x-%A_%a.err
#SBATCH --array=0-3
echo "task $SLURM_ARRAY_TASK_ID"
[ "$SLURM_ARRAY_TASK_ID" -ne 2 ]   # task 2 fails with exit 1
