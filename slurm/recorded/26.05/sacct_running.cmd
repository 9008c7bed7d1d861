sacct --noheader --parsable2 --jobs=3000414,3000415,3000417,3000418,3000416,3000419,3000407 --format=JobID,JobIDRaw,JobName,State,ExitCode,Elapsed,Submit,Start,End,NodeList,MaxRSS,ReqMem,AllocTRES,TotalCPU,Comment
# recorded 2026-12-04T20:30:35+00:00 on vm; sbatch --version: slurm-wlm 26.05.5; took 0.0 s
