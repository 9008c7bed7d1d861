#!/bin/bash
#SBATCH --job-name=nf-rec-array
#SBATCH --comment=neuroflow:run=7f1c75c5-ec27-4213-841f-569e8b98ebd8
#SBATCH --output=/tmp/nf-rec.ENxBsc/logs/%x-%A_%a.out
#SBATCH --error=/tmp/nf-rec.ENxBsc/logs/%x-%A_%a.err
#SBATCH --array=0-3%2
echo "task $SLURM_ARRAY_TASK_ID of array $SLURM_ARRAY_JOB_ID"
sleep 600
