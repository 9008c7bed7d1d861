sacct --noheader --parsable2 --jobs=2000511 --format=JobID,JobIDRaw,JobName,State,ExitCode,Elapsed,Submit,Start,End,NodeList,MaxRSS,ReqMem,AllocTRES,TotalCPU,Comment
# recorded 2026-12-04T20:29:59+00:00 on vm; sbatch --version: slurm-wlm 24.11.5; took 0.0 s
