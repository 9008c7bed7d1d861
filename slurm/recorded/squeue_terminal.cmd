squeue --noheader --array --states=all --jobs=47,48,49,50,51,52,53,54,55,56,29 '--format=%A|%i|%T|%r|%j|%k'
# recorded 2026-11-26T10:04:12+00:00 on vm; sbatch --version: slurm-wlm 22.05.8
