squeue --noheader --array --states=all --jobs=2000530,2000531 '--format=%A|%i|%T|%r|%j|%k'
# recorded 2026-12-04T20:30:10+00:00 on vm; sbatch --version: slurm-wlm 24.11.5; took 9.0 s
