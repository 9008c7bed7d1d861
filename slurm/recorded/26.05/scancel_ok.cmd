scancel 3000425 3000426
# recorded 2026-12-04T20:30:39+00:00 on vm; sbatch --version: slurm-wlm 26.05.5; took 0.0 s
