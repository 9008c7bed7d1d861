squeue --noheader --array --states=all --jobs=3000422,3000423 '--format=%A|%i|%T|%r|%j|%k'
# recorded 2026-12-04T20:32:09+00:00 on vm; sbatch --version: slurm-wlm 26.05.5; took 10.0 s
