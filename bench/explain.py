#!/usr/bin/env python3
"""explain.py BACKEND URL_OR_FILE < SQL_LOG

Reads the statements neuroflow logged (RUST_LOG=neuroflow::sql=trace, one per
"SQL -- binds: [...]" entry), puts the bound values in, and prints each SELECT
with its query plan: `EXPLAIN QUERY PLAN` on SQLite (sqlite3 CLI), `EXPLAIN` on
PostgreSQL (psql). Used by bench/tick-queries.sh for docs/benchmarks.md."""
import re, subprocess, sys

START = re.compile(r"^\S+Z\s+TRACE\s+(?:neuroflow::sql:\s+)?", re.M)
BINDS = re.compile(r"(.*) -- binds: \[(.*)\]\s*$", re.S)
TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^,\s][^,]*')


def literal(tok, backend):
    tok = tok.strip()
    if tok.startswith('"'):
        return "'" + bytes(tok[1:-1], "utf-8").decode("unicode_escape").replace("'", "''") + "'"
    if tok.startswith("["):  # a PostgreSQL array (= ANY($1))
        items = TOKEN.findall(tok[1:-1])
        cast = "text" if items and items[0].strip().startswith('"') else "bigint"
        return "ARRAY[" + ", ".join(literal(t, backend) for t in items) + f"]::{cast}[]"
    if tok in ("true", "false"):
        return ("TRUE" if tok == "true" else "FALSE") if backend == "postgres" else ("1" if tok == "true" else "0")
    if tok == "None":
        return "NULL"
    m = re.fullmatch(r"Some\((.*)\)", tok)
    if m:
        return literal(m.group(1), backend)
    if re.fullmatch(r"-?\d+(\.\d+)?", tok):
        return tok
    return "'" + tok.replace("T", " ", 1) + "'"  # a timestamp


def bind(sql, binds, backend):
    vals = [literal(t, backend) for t in TOKEN.findall(binds)]
    if backend == "postgres":
        return re.sub(r"\$(\d+)", lambda m: vals[int(m.group(1)) - 1], sql)
    it = iter(vals)
    return re.sub(r"\?", lambda m: next(it), sql)


def main():
    backend, target = sys.argv[1], sys.argv[2]
    seen = set()
    for entry in START.split(sys.stdin.read())[1:]:
        m = BINDS.match(entry.strip())
        if not m:
            continue
        sql, binds = m.groups()
        sql = " ".join(sql.split())
        if not sql.upper().startswith("SELECT") or "__diesel_schema_migrations" in sql:
            continue
        shape = re.sub(r"\s+", " ", sql)
        if shape in seen:
            continue
        seen.add(shape)
        q = bind(sql, binds, backend)
        if backend == "postgres":
            cmd = ["psql", "-X", "-q", "-A", "-t", target, "-c", "EXPLAIN " + q]
        else:
            cmd = ["sqlite3", target, "EXPLAIN QUERY PLAN " + q]
        out = subprocess.run(cmd, capture_output=True, text=True)
        plain = sql.replace("`", "").replace('"', "")
        cols = re.match(r"SELECT (.*?) FROM", plain)
        short = plain if cols and len(cols.group(1)) < 60 else re.sub(r"SELECT .*? FROM", "SELECT … FROM", plain, count=1)
        short = re.sub(r"IN \((\?, )+\?\)", "IN (?, …)", short)
        plan = re.sub(r"'\{(\d+),[\d,]{40,}\}'", r"'{\1,…}'", (out.stdout or out.stderr).rstrip())
        print(f"-- {short}\n{plan}\n")


main()
