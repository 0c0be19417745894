#!/usr/bin/env python3
"""Checks the man pages' sources against the program, for tests/e2e/man-pages.sh.

  man-check.py keys KEYTABLE-OUTPUT lifeboat.ini.5.scd
      every key of the key tables (tests/helpers/keytable.c: SECTION, KEY,
      DEFAULT per line) has an entry "*KEY* = ..." in the subsection of its
      section; a key with a default states "Default: DEFAULT"; a required one
      says "Required"; no entry names a key the tables lack.
  man-check.py commands HELP-OUTPUT lifeboat.1.scd
      every command of `lifeboat --help` has a "## COMMAND" subsection, and
      every --option of its usage appears in that subsection.

Prints one line per problem, naming the key or command and what to add, and
exits 1 when there is any."""
import re
import sys

# The subsection of lifeboat.ini.5.scd that documents each key table section.
HEADINGS = {
    "lifeboat": "# KEYS OF [lifeboat]",
    "tuning": "# TUNING KEYS",
    "job": "# KEYS OF EVERY JOB",
}


def sections(text, level):
    """{heading line: body} for the headings of LEVEL ('#' or '##')."""
    out, cur = {}, None
    for line in text.splitlines():
        if re.match(r"#{1,2} ", line):
            is_level = line.startswith(level + " ") and not line.startswith(level + "# ")
            cur = line.strip() if is_level else (None if len(line.split()[0]) <= len(level) else cur)
            if cur:
                out[cur] = []
            continue
        if cur:
            out[cur].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def entries(body):
    """{key: its entry's text} for the "*key* = ..." entries of a section."""
    out, cur = {}, None
    for line in body.splitlines():
        m = re.match(r"\*([a-z0-9_]+)\* = ", line)
        if m:
            cur = m.group(1)
            out[cur] = line
        elif cur and (line.startswith("\t") or not line.strip()):
            out[cur] += "\n" + line
        else:
            cur = None
    return out


def unescape(s):
    return re.sub(r"\\(.)", r"\1", s)


def check_keys(table_path, scd_path):
    problems = []
    text = open(scd_path, encoding="utf-8").read()
    secs = sections(text, "#")
    table = {}
    for line in open(table_path, encoding="utf-8"):
        sec, key, default = line.rstrip("\n").split("\t")
        table.setdefault(sec, []).append((key, default))
    for sec, keys in table.items():
        heading = HEADINGS.get(sec, f"# [{sec}:NAME]")
        if heading not in secs:
            problems.append(f"{scd_path}: no section '{heading}' for the {sec} keys: add it, with an entry per key")
            continue
        doc = entries(secs[heading])
        for key, default in keys:
            if key not in doc:
                problems.append(f"{scd_path}: key '{key}' ({sec}) is not documented: add '*{key}* = _TYPE_' under '{heading}'")
                continue
            body = unescape(doc[key])
            if default != "-":
                if not re.search(r"Default: " + re.escape(default) + r"(?=[.,;\s]|$)", body):
                    problems.append(f"{scd_path}: key '{key}' ({sec}): its entry must say 'Default: {default}' (the key table's default)")
        known = {k for k, _ in keys}
        for key in doc:
            if key not in known:
                problems.append(f"{scd_path}: '{key}' under '{heading}' is not a key of the tables (removed or renamed?)")
    for sec, heading in HEADINGS.items():
        if sec not in table and heading in secs:
            problems.append(f"{scd_path}: section '{heading}' has no keys in the tables")
    return problems


def check_commands(help_path, scd_path):
    problems = []
    text = open(scd_path, encoding="utf-8").read()
    subs = sections(text, "##")
    usage, cur, in_cmds = {}, None, False
    for line in open(help_path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("commands:"):
            in_cmds = True
            continue
        if not in_cmds:
            continue
        if not line.strip():
            if usage:
                break
            continue
        m = re.match(r"  ([a-z][a-z0-9-]*)( |$)", line)
        if m:
            cur = m.group(1)
            usage.setdefault(cur, "")
        if cur:
            usage[cur] += line + "\n"
    if not usage:
        problems.append(f"{help_path}: no commands found in the --help output")
    for cmd, use in usage.items():
        heading = f"## {cmd}"
        if heading not in subs:
            problems.append(f"{scd_path}: command '{cmd}' is not documented: add a '{heading}' subsection under '# COMMANDS'")
            continue
        for opt in sorted(set(re.findall(r"--[a-z][a-z0-9-]*", use))):
            if opt not in subs[heading]:
                problems.append(f"{scd_path}: command '{cmd}': option '{opt}' is not documented in '{heading}'")
    return problems


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("keys", "commands"):
        print(__doc__, file=sys.stderr)
        return 2
    check = check_keys if sys.argv[1] == "keys" else check_commands
    problems = check(sys.argv[2], sys.argv[3])
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
