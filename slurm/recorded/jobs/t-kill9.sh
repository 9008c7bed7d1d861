#!/bin/bash
#SBATCH --job-name=nf-rec-t-kill9
#SBATCH --comment=neuroflow:run=b773ba2d-e4bf-4423-9997-65266caa52a0
#SBATCH --output=/tmp/nf-rec.qEIAdO/logs/%x-%j.out
#SBATCH --error=/tmp/nf-rec.qEIAdO/logs/%x-%j.err
echo "killing myself with SIGKILL"
kill -9 $$
