#!/bin/bash
#SBATCH --job-name=nf-rec-timeout
#SBATCH --comment=neuroflow:run=c64b238d-0557-435a-b3c4-b592029758fc
#SBATCH --output=/tmp/nf-rec.yyVkP5/logs/%x-%j.out
#SBATCH --error=/tmp/nf-rec.yyVkP5/logs/%x-%j.err
#SBATCH --time=1
echo "started $(date -Iseconds); sleeping 300 s under --time=1"
sleep 300
