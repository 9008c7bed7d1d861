#!/bin/bash
#SBATCH --job-name=nf-rec-t-array
#SBATCH --comment=neuroflow:run=c64b238d-0557-435a-b3c4-b592029758fc
#SBATCH --output=/tmp/nf-rec.yyVkP5/logs/%x-%A_%a.out
#SBATCH --error=/tmp/nf-rec.yyVkP5/logs/%x-%A_%a.err
#SBATCH --array=0-3
echo "task $SLURM_ARRAY_TASK_ID"
[ "$SLURM_ARRAY_TASK_ID" -ne 2 ]   # task 2 fails with exit 1
