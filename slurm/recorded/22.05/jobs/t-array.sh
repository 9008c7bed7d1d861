#!/bin/bash
#SBATCH --job-name=nf-rec-t-array
#SBATCH --comment=neuroflow:run=e60c0377-a3a3-435d-9415-7d6b85d1dfbf
#SBATCH --output=/tmp/nf-rec.8GLsf7/logs/%x-%A_%a.out
#SBATCH --error=/tmp/nf-rec.8GLsf7/logs/%x-%A_%a.err
#SBATCH --array=0-3
echo "task $SLURM_ARRAY_TASK_ID"
[ "$SLURM_ARRAY_TASK_ID" -ne 2 ]   # task 2 fails with exit 1
