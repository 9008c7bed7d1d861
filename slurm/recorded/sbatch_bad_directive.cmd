sbatch --parsable /tmp/nf-rec.qEIAdO/jobs/bad-directive.sh
# recorded 2026-11-26T10:02:39+00:00 on vm; sbatch --version: slurm-wlm 22.05.8
