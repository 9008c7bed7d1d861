sbatch --parsable /tmp/nf-rec.8GLsf7/jobs/warning.sh
# recorded 2026-11-26T10:12:34+00:00 on vm; sbatch --version: slurm-wlm 22.05.8; took 0.0 s
