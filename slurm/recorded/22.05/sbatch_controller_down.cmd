sbatch --parsable /tmp/nf-rec.8GLsf7/jobs/controller-down.sh
# recorded 2026-11-26T10:14:19+00:00 on vm; sbatch --version: slurm-wlm 22.05.8; took 9.0 s
