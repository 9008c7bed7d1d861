scancel 2000533 2000534
# recorded 2026-12-04T20:28:45+00:00 on vm; sbatch --version: slurm-wlm 24.11.5; took 0.0 s
