scancel 165
# recorded 2026-11-26T10:14:28+00:00 on vm; sbatch --version: slurm-wlm 22.05.8; took 9.0 s
