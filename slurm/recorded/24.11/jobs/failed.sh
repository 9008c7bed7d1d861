#!/bin/bash
#SBATCH --job-name=nf-rec-failed
#SBATCH --comment=neuroflow:run=c64b238d-0557-435a-b3c4-b592029758fc
#SBATCH --output=/tmp/nf-rec.yyVkP5/logs/%x-%j.out
#SBATCH --error=/tmp/nf-rec.yyVkP5/logs/%x-%j.err
echo "exiting 1" >&2
exit 1
