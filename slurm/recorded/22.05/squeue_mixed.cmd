squeue --noheader --array --states=all --jobs=157,158,160,161,159,162,150 '--format=%A|%i|%T|%r|%j|%k'
# recorded 2026-11-26T10:12:40+00:00 on vm; sbatch --version: slurm-wlm 22.05.8; took 0.0 s
