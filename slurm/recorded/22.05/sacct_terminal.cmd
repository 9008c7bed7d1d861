sacct --noheader --parsable2 --jobs=155,165,166,167,168,169,170,171,172,173,174 --format=JobID,JobIDRaw,JobName,State,ExitCode,Elapsed,Submit,Start,End,NodeList,MaxRSS,ReqMem,AllocTRES,Comment
# recorded 2026-11-26T10:12:50+00:00 on vm; sbatch --version: slurm-wlm 22.05.8; took 0.2 s
