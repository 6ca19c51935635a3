#!/usr/bin/python3
"""Writes the seed corpus of one fuzz target into a directory, from the repository's fixtures.

    fuzz/make_seeds.py TARGET REPO_DIR OUT_DIR

Seeds come from tests/fixtures/** (recorded audit logs and accounting file, the public audit
corpora and osquery packs, the fixture /proc tree) and from the few small hand-made samples in
fuzz/seeds/ for formats the fixtures lack (mountinfo, net/packet, a capture state file, a stored
result set). Each seed is shaped as its target reads its input (selector bytes, one event, one
record body...), named by its SHA-1 as libFuzzer names its own finds, and written once.
"""

import hashlib
import json
import os
import re
import struct
import sys

MAX_SEEDS = 1500  # enough variety; more only slows the start of a short CI run
CHUNK = 4096  # audit logs are cut into pieces of about this size at line boundaries

RECORD = re.compile(r"^(?:node=\S+ )?type=(\S+) msg=audit\(\d+\.\d+:(\d+)\): ?(.*)$")

# proc_parsers_fuzz's selector values (its enum Parser).
PROC = dict(stat=0, boottime=1, status=2, fdinfo=3, cgroup=4, tcp=5, tcp6=6, udp=7, udp6=8,
            udplite=9, raw=10, raw6=11, unix=12, netlink=13, packet=14, cmdline=15,
            syscall=16, io=17, readlink=18, mountinfo=19, fanotify=20)

# Netlink record types by name, for netlink_fuzz's payload seeds (the rest count as SYSCALL).
RECORD_TYPES = dict(SYSCALL=1300, PATH=1302, CWD=1307, EXECVE=1309, EOE=1320,
                    PROCTITLE=1327, USER_CMD=1123, ANOM_ABEND=1701)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def files_under(top):
    for root, dirs, names in os.walk(top):
        dirs.sort()
        for name in sorted(names):
            yield os.path.join(root, name)


def record_lines(repo):
    """(file, line) for every audit record line in the fixtures, logs and YAML alike."""
    fixtures = os.path.join(repo, "tests", "fixtures")
    for path in files_under(fixtures):
        if "/proc/" in path or not path.endswith((".log", ".txt", ".yaml")):
            continue
        for raw in read(path).decode("utf-8", "replace").splitlines():
            line = raw.strip()
            if RECORD.match(line):
                yield path, line


def log_files(repo):
    for path in files_under(os.path.join(repo, "tests", "fixtures")):
        if "/proc/" not in path and path.endswith((".log", ".txt")) and b"msg=audit(" in read(path):
            yield path


def events(repo):
    """The record lines of each event (same file, same serial), in logged order."""
    grouped = {}
    for path, line in record_lines(repo):
        serial = RECORD.match(line).group(2)
        grouped.setdefault((path, serial), []).append(line)
    return list(grouped.values())


def audit_log_seeds(repo):
    # First byte: where the target splits the input into two chunks.
    for path in log_files(repo):
        piece = b""
        for line in read(path).splitlines(keepends=True):
            if len(piece) + len(line) > CHUNK and piece:
                yield b"\x80" + piece
                piece = b""
            piece += line
        if piece:
            yield b"\x80" + piece


def event_builder_seeds(repo):
    for lines in events(repo):
        yield "\n".join(lines).encode()


def execve_argv_seeds(repo):
    # Even first byte: the EXECVE bodies of a recorded event, one a line.
    for lines in events(repo):
        bodies = [RECORD.match(x).group(3) for x in lines if RECORD.match(x).group(1) == "EXECVE"]
        if bodies:
            yield b"\x00" + "\n".join(bodies).encode()
    # Odd first byte: an argv to log and read back; the fixture processes' command lines.
    for path in files_under(os.path.join(repo, "tests", "fixtures", "proc")):
        if os.path.basename(path) == "cmdline":
            for sizes in (b"\x01", b"\x43", b"\xc5"):
                yield sizes + read(path)


def hex_decode_seeds(repo):
    encodable = re.compile(r"(?:^| )(?:exe|comm|key|cwd|name|proctitle|a\d+(?:\[\d+\])?)=(\S+)")
    for _, line in record_lines(repo):
        body = RECORD.match(line).group(3)
        yield body.encode()
        for value in encodable.findall(body):
            yield value.encode()


def proc_parsers_seeds(repo):
    proc = os.path.join(repo, "tests", "fixtures", "proc")
    hand = os.path.join(repo, "fuzz", "seeds")
    for path in files_under(proc):
        rel = os.path.relpath(path, proc).split(os.sep)
        name = rel[-1]
        if os.path.islink(path):
            target = os.readlink(path).encode()
            yield bytes([PROC["readlink"]]) + target
            continue
        text = read(path)
        if rel == ["stat"]:
            yield bytes([PROC["boottime"]]) + text
        elif len(rel) >= 2 and rel[-2] == "fdinfo":
            yield bytes([PROC["fdinfo"]]) + text
        elif len(rel) >= 2 and rel[-2] == "net":
            # tcp6 text also seeds udp6 and raw6, udp seeds udplite and raw: same layouts.
            kinds = dict(tcp=["tcp"], tcp6=["tcp6", "udp6", "raw6"],
                         udp=["udp", "udplite", "raw"]).get(name, [name])
            for kind in kinds:
                if kind in PROC:
                    yield bytes([PROC[kind]]) + text
        elif name in PROC:
            yield bytes([PROC[name]]) + text
    for name in ("mountinfo", "packet"):
        yield bytes([PROC[name]]) + read(os.path.join(hand, "proc_" + name))
    # Two fanotify events as read(2) returns them: struct fanotify_event_metadata, version 3.
    event = struct.pack("<IBBHQii", 24, 3, 0, 24, 0x2, 5, 1234)
    yield bytes([PROC["fanotify"]]) + event + event


def acct_seeds(repo):
    yield read(os.path.join(repo, "tests", "fixtures", "audit", "workload.pacct"))


def netlink_seeds(repo):
    # First byte 0: a capture state file; 2: two type bytes and a record's netlink payload (the
    # first record of each type: the formatter does not look further into the text).
    yield b"\x00" + read(os.path.join(repo, "fuzz", "seeds", "netlink_state"))
    seen = set()
    for _, line in record_lines(repo):
        m = RECORD.match(line)
        if m.group(1) in seen:
            continue
        seen.add(m.group(1))
        offset = RECORD_TYPES.get(m.group(1), 1300) - 1100
        yield b"\x02" + bytes([offset >> 8, offset & 255]) + line[line.index("audit("):].encode()


def config_seeds(repo):
    packs = os.path.join(repo, "tests", "fixtures", "public", "osquery-packs")
    for path in files_under(packs):
        text = read(path)
        yield text
        # The same pack inline in a config, as a daemon's config names it.
        name = os.path.splitext(os.path.basename(path))[0]
        yield b'{"packs": {"' + name.encode() + b'": ' + text + b"}}"
    yield read(os.path.join(repo, "packaging", "config", "procaudit.conf"))


def pr1_field(text):
    data = text.encode()
    return str(len(data)).encode() + b":" + data


def results_seeds(repo):
    # The stored form of a result set ("PR1", daemon/differ.cc): laurel's expected events (one
    # JSON object a line) as rows, each key a column, nested values as JSON text, null as NULL.
    yield read(os.path.join(repo, "fuzz", "seeds", "results_two_rows"))
    for path in files_under(os.path.join(repo, "tests", "fixtures", "public", "laurel")):
        if not path.endswith(".json"):
            continue
        out = b"PR1"
        for line in read(path).decode().splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            out += b"R" + str(len(row)).encode() + b";"
            for column, value in row.items():
                out += pr1_field(column)
                if value is None:
                    out += b"!"
                else:
                    out += b"=" + pr1_field(value if isinstance(value, str) else json.dumps(value))
        yield out


SEEDS = dict(
    audit_log_fuzz=audit_log_seeds, event_builder_fuzz=event_builder_seeds,
    execve_argv_fuzz=execve_argv_seeds, hex_decode_fuzz=hex_decode_seeds,
    proc_parsers_fuzz=proc_parsers_seeds, acct_fuzz=acct_seeds, netlink_fuzz=netlink_seeds,
    config_fuzz=config_seeds, results_fuzz=results_seeds)


def main(argv):
    if len(argv) != 4 or argv[1] not in SEEDS:
        sys.exit("usage: make_seeds.py {%s} REPO_DIR OUT_DIR" % "|".join(SEEDS))
    target, repo, out = argv[1:]
    unique = {hashlib.sha1(seed).hexdigest(): seed for seed in SEEDS[target](repo) if seed}
    os.makedirs(out, exist_ok=True)
    for name in sorted(unique)[:MAX_SEEDS]:
        with open(os.path.join(out, name), "wb") as f:
            f.write(unique[name])
    print(min(len(unique), MAX_SEEDS))


if __name__ == "__main__":
    main(sys.argv)
