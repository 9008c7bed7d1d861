sacct --noheader --parsable2 --jobs=3000422 --format=JobID,JobIDRaw,JobName,State,ExitCode,Elapsed,Submit,Start,End,NodeList,MaxRSS,ReqMem,AllocTRES,TotalCPU,Comment
# recorded 2026-12-04T20:31:57+00:00 on vm; sbatch --version: slurm-wlm 26.05.5; took 0.0 s
