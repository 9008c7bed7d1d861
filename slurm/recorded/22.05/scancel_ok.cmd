scancel 168 169
# recorded 2026-11-26T10:12:43+00:00 on vm; sbatch --version: slurm-wlm 22.05.8; took 0.0 s
