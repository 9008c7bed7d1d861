squeue --noheader --array --states=all --jobs=165,166 '--format=%A|%i|%T|%r|%j|%k'
# recorded 2026-11-26T10:14:10+00:00 on vm; sbatch --version: slurm-wlm 22.05.8; took 9.0 s
