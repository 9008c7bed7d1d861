squeue --noheader --array --states=all --jobs=999998,999999 '--format=%A|%i|%T|%r|%j|%k'
# recorded 2026-11-26T10:12:40+00:00 on vm; sbatch --version: slurm-wlm 22.05.8; took 0.0 s
