sbatch --parsable /tmp/nf-rec.ENxBsc/jobs/controller-down.sh
# recorded 2026-12-04T20:32:19+00:00 on vm; sbatch --version: slurm-wlm 26.05.5; took 10.0 s
