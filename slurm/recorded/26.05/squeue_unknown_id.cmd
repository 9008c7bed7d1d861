squeue --noheader --array --states=all --jobs=999999 '--format=%A|%i|%T|%r|%j|%k'
# recorded 2026-12-04T20:30:35+00:00 on vm; sbatch --version: slurm-wlm 26.05.5; took 0.0 s
