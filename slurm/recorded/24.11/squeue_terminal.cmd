squeue --noheader --array --states=all --jobs=2000530,2000531,2000532,2000533,2000534,2000535,2000536,2000537,2000538,2000539,2000511 '--format=%A|%i|%T|%r|%j|%k'
# recorded 2026-12-04T20:29:59+00:00 on vm; sbatch --version: slurm-wlm 24.11.5; took 0.0 s
