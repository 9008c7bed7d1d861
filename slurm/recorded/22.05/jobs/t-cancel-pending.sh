#!/bin/bash
#SBATCH --job-name=nf-rec-t-cancel-pending
#SBATCH --comment=neuroflow:run=e60c0377-a3a3-435d-9415-7d6b85d1dfbf
#SBATCH --output=/tmp/nf-rec.8GLsf7/logs/%x-%j.out
#SBATCH --error=/tmp/nf-rec.8GLsf7/logs/%x-%j.err
#SBATCH --begin=now+3600
echo never runs
