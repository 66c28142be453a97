#!/usr/bin/python3
"""TEST HELPER: a stand-in for the service manager's end of sd_notify(3).

Binds an AF_UNIX datagram socket at PATH (Node's dgram cannot), prints "listening", then prints each
datagram it receives as one JSON line (the list of its assignments). File descriptors passed along
(systemd-notify's BARRIER=1 pipe) are closed at once, which is how the manager tells a waiting
sender that everything before the barrier was read. Exits after IDLE seconds without a datagram.

usage: notify-socket.py PATH [IDLE]
"""
import array
import json
import os
import socket
import sys


def main(argv):
    if len(argv) not in (1, 2):
        raise SystemExit(__doc__)
    path = argv[0]
    idle = float(argv[1]) if len(argv) == 2 else 10.0
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sock.settimeout(idle)
    print("listening", flush=True)
    fd_space = socket.CMSG_SPACE(16 * array.array("i").itemsize)
    cred_space = socket.CMSG_SPACE(12)
    try:
        while True:
            try:
                data, ancillary, _flags, _addr = sock.recvmsg(4096, fd_space + cred_space)
            except socket.timeout:
                return
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds = array.array("i")
                    fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
                    for fd in fds:
                        os.close(fd)
            print(json.dumps(data.decode("utf-8", "replace").split("\n")), flush=True)
    finally:
        sock.close()
        os.unlink(path)


if __name__ == "__main__":
    main(sys.argv[1:])
