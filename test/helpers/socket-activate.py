#!/usr/bin/python3
"""TEST HELPER: pass listening sockets to a command the way systemd socket activation does.

systemd's `Transparent=yes` socket units are what hands the gateway its TPROXY listener in
production; tests have no systemd, and `systemd-socket-activate` cannot set IP_TRANSPARENT. This
script creates the sockets (optionally transparent), prints their bound addresses as one JSON line
on stdout, puts them at fd 3, 4, ... with LISTEN_FDS / LISTEN_FDNAMES / LISTEN_PID set, and execs
the command (same pid, so LISTEN_PID matches), as sd_listen_fds(3) describes.

usage: socket-activate.py --listen NAME=tcp|udp:HOST:PORT[:transparent] [...] -- COMMAND [ARGS...]
"""
import json
import os
import socket
import sys

IP_TRANSPARENT = 19  # linux/in.h; SOL_IP == IPPROTO_IP == 0
LISTEN_FDS_START = 3


def parse_listen(spec):
    name, _, rest = spec.partition("=")
    parts = rest.split(":")
    if not name or len(parts) not in (3, 4) or parts[0] not in ("tcp", "udp"):
        raise SystemExit(f"socket-activate: bad --listen {spec!r}")
    transparent = len(parts) == 4 and parts[3] == "transparent"
    if len(parts) == 4 and not transparent:
        raise SystemExit(f"socket-activate: bad option in --listen {spec!r}")
    return name, parts[0], parts[1], int(parts[2]), transparent


def main(argv):
    if "--" not in argv:
        raise SystemExit(__doc__)
    sep = argv.index("--")
    opts, command = argv[:sep], argv[sep + 1:]
    if not command:
        raise SystemExit(__doc__)
    specs = []
    i = 0
    while i < len(opts):
        if opts[i] != "--listen" or i + 1 >= len(opts):
            raise SystemExit(__doc__)
        specs.append(parse_listen(opts[i + 1]))
        i += 2

    fds, names, bound = [], [], {}
    for name, kind, host, port, transparent in specs:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if transparent:
            s.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
        s.bind((host, port))
        if kind == "tcp":
            s.listen(128)
        bound[name] = {"host": s.getsockname()[0], "port": s.getsockname()[1], "kind": kind, "transparent": transparent}
        # Park the descriptor high so the moves to 3, 4, ... below cannot overwrite another one.
        high = os.dup2(s.fileno(), 100 + len(fds))
        s.close()
        fds.append(high)
        names.append(name)
    for n, fd in enumerate(fds):
        target = LISTEN_FDS_START + n
        os.dup2(fd, target, inheritable=True)
        os.close(fd)
    sys.stdout.write(json.dumps(bound) + "\n")
    sys.stdout.flush()
    env = dict(os.environ)
    env["LISTEN_FDS"] = str(len(fds))
    env["LISTEN_FDNAMES"] = ":".join(names)
    env["LISTEN_PID"] = str(os.getpid())
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main(sys.argv[1:])
