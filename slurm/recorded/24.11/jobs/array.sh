#!/bin/bash
#SBATCH --job-name=nf-rec-array
#SBATCH --comment=neuroflow:run=c64b238d-0557-435a-b3c4-b592029758fc
#SBATCH --output=/tmp/nf-rec.yyVkP5/logs/%x-%A_%a.out
#SBATCH --error=/tmp/nf-rec.yyVkP5/logs/%x-%A_%a.err
#SBATCH --array=0-3%2
echo "task $SLURM_ARRAY_TASK_ID of array $SLURM_ARRAY_JOB_ID"
sleep 600
