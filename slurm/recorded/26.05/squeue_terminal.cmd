squeue --noheader --array --states=all --jobs=3000422,3000423,3000424,3000425,3000426,3000427,3000428,3000429,3000430,3000431,3000403 '--format=%A|%i|%T|%r|%j|%k'
# recorded 2026-12-04T20:31:57+00:00 on vm; sbatch --version: slurm-wlm 26.05.5; took 0.0 s
