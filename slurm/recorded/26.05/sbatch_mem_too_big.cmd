sbatch --parsable /tmp/nf-rec.ENxBsc/jobs/mem-too-big.sh
# recorded 2026-12-04T20:30:34+00:00 on vm; sbatch --version: slurm-wlm 26.05.5; took 0.0 s
