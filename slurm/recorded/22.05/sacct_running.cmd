sacct --noheader --parsable2 --jobs=157,158,160,161,159,162,150 --format=JobID,JobIDRaw,JobName,State,ExitCode,Elapsed,Submit,Start,End,NodeList,MaxRSS,ReqMem,AllocTRES,Comment
# recorded 2026-11-26T10:12:40+00:00 on vm; sbatch --version: slurm-wlm 22.05.8; took 0.2 s
