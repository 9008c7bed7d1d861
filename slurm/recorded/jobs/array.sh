#!/bin/bash
#SBATCH --job-name=nf-rec-array
#SBATCH --comment=neuroflow:run=b773ba2d-e4bf-4423-9997-65266caa52a0
#SBATCH --output=/tmp/nf-rec.qEIAdO/logs/%x-%A_%a.out
#SBATCH --error=/tmp/nf-rec.qEIAdO/logs/%x-%A_%a.err
#SBATCH --array=0-3%2
echo "task $SLURM_ARRAY_TASK_ID of array $SLURM_ARRAY_JOB_ID"
sleep 600
