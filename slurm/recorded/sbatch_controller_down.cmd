sbatch --parsable /tmp/nf-rec.qEIAdO/jobs/controller-down.sh
# recorded 2026-11-26T10:04:42+00:00 on vm; sbatch --version: slurm-wlm 22.05.8
