#!/bin/bash
#SBATCH --job-name=nf-rec-t-killdep
#SBATCH --comment=neuroflow:run=b773ba2d-e4bf-4423-9997-65266caa52a0
#SBATCH --output=/tmp/nf-rec.qEIAdO/logs/%x-%j.out
#SBATCH --error=/tmp/nf-rec.qEIAdO/logs/%x-%j.err
#SBATCH --kill-on-invalid-dep=yes
#SBATCH --dependency=afterok:48
echo never runs
