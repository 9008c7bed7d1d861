squeue --noheader --array --states=all --jobs=155,165,166,167,168,169,170,171,172,173,174,146 '--format=%A|%i|%T|%r|%j|%k'
# recorded 2026-11-26T10:13:58+00:00 on vm; sbatch --version: slurm-wlm 22.05.8; took 0.0 s
