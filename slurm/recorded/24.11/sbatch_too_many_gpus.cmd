sbatch --parsable /tmp/nf-rec.yyVkP5/jobs/too-many-gpus.sh
# recorded 2026-12-04T20:28:39+00:00 on vm; sbatch --version: slurm-wlm 24.11.5; took 0.0 s
