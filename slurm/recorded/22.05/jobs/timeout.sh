#!/bin/bash
#SBATCH --job-name=nf-rec-timeout
#SBATCH --comment=neuroflow:run=e60c0377-a3a3-435d-9415-7d6b85d1dfbf
#SBATCH --output=/tmp/nf-rec.8GLsf7/logs/%x-%j.out
#SBATCH --error=/tmp/nf-rec.8GLsf7/logs/%x-%j.err
#SBATCH --time=1
echo "started $(date -Iseconds); sleeping 300 s under --time=1"
sleep 300
