scancel 47
# recorded 2026-11-26T10:02:46+00:00 on vm; sbatch --version: slurm-wlm 22.05.8
