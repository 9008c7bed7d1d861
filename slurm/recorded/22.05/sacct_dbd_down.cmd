sacct --noheader --parsable2 --jobs=165 --format=JobID,JobIDRaw,JobName,State,ExitCode,Elapsed,Submit,Start,End,NodeList,MaxRSS,ReqMem,AllocTRES,Comment
# recorded 2026-11-26T10:13:59+00:00 on vm; sbatch --version: slurm-wlm 22.05.8; took 0.0 s
