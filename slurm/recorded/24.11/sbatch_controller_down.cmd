sbatch --parsable /tmp/nf-rec.yyVkP5/jobs/controller-down.sh
# recorded 2026-12-04T20:30:19+00:00 on vm; sbatch --version: slurm-wlm 24.11.5; took 9.0 s
