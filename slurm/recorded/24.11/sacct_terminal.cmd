sacct --noheader --parsable2 --jobs=2000530,2000531,2000532,2000533,2000534,2000535,2000536,2000537,2000538,2000539 --format=JobID,JobIDRaw,JobName,State,ExitCode,Elapsed,Submit,Start,End,NodeList,MaxRSS,ReqMem,AllocTRES,TotalCPU,Comment
# recorded 2026-12-04T20:28:51+00:00 on vm; sbatch --version: slurm-wlm 24.11.5; took 0.0 s
