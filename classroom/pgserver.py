"""A throwaway PostgreSQL server on loopback, for CI and for trying the course on PostgreSQL.

    python3 -m classroom.pgserver start [DIR]   # prints the server's URL (postgresql+psycopg://...) on stdout
    python3 -m classroom.pgserver stop DIR      # stops it and removes DIR

`start` installs Debian's `postgresql` package if its programs are missing (as root, by package name, as
`make sandbox` does for bubblewrap), creates a fresh cluster in DIR (a new temporary directory by default)
with initdb, and starts it with pg_ctl listening on 127.0.0.1 only, on a free port, with a random password
(scram-sha-256) and its socket inside DIR. PostgreSQL refuses to run as root: as root, initdb and the server
run as the `postgres` system user that Debian's package creates. The URL is also written to DIR/url.
Standard library only: `.ci/run` starts the server before the course's virtualenv exists.
"""
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

USER = "tinytorch"  # the cluster's superuser (a database role, not a system user)


def binaries():
    """The directory holding initdb and pg_ctl (Debian keeps them out of PATH), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def install():
    """Debian's postgresql package, by name, when it is missing and we may install it."""
    if binaries():
        return binaries()
    if os.geteuid() != 0:
        raise SystemExit("PostgreSQL is not installed: apt-get install postgresql (as root)")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if not binaries():
        raise SystemExit("apt-get installed postgresql, but no initdb was found under /usr/lib/postgresql")
    return binaries()


def _as_server_user(cmd):
    """`cmd` run as the unprivileged `postgres` user when we are root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return cmd
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + cmd


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(directory=None, attempts=3):
    """Create and start a cluster in `directory` (a new temporary one by default); return its URL."""
    bindir = install()
    directory = Path(directory or tempfile.mkdtemp(prefix="tinytorch-pg-")).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    password = secrets.token_hex(16)
    (directory / "pwfile").write_text(password + "\n")
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in (directory, directory / "pwfile"):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    os.chmod(directory, 0o700)
    data = directory / "data"
    subprocess.run(_as_server_user([str(bindir / "initdb"), "-D", str(data), "-U", USER, "--pwfile",
                                    str(directory / "pwfile"), "--auth=scram-sha-256", "-E", "UTF8",
                                    "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C"]),
                   check=True, stdout=subprocess.DEVNULL, cwd=directory)
    (directory / "pwfile").unlink()
    for attempt in range(attempts):
        port = _free_port()  # another program may take it before the server binds it: then try another
        options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={directory} -c fsync=off"
        done = subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-l",
                                               str(directory / "server.log"), "-o", options, "-w", "-t", "60",
                                               "start"]), stdout=subprocess.DEVNULL, cwd=directory)
        if done.returncode == 0:
            break
    else:
        log = (directory / "server.log").read_text() if (directory / "server.log").exists() else ""
        raise SystemExit(f"PostgreSQL did not start in {directory}:\n{log[-2000:]}")
    url = f"postgresql+psycopg://{USER}:{password}@127.0.0.1:{port}/postgres"
    (directory / "url").write_text(url + "\n")
    return url


def _has_c_utf8():
    return Path("/usr/lib/locale/C.utf8").exists() or Path("/usr/lib/locale/C.UTF-8").exists()


def stop(directory):
    """Stop the cluster in `directory` and remove it."""
    directory = Path(directory).resolve()
    bindir = binaries()
    if bindir and (directory / "data" / "postmaster.pid").exists():
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(directory / "data"), "-m", "fast",
                                        "-w", "stop"]), stdout=subprocess.DEVNULL, cwd=directory)
    if (directory / "data" / "PG_VERSION").exists():  # only ever remove what start() created
        shutil.rmtree(directory, ignore_errors=True)


def wait_ready(url, timeout=30):
    """Block until the server of `url` accepts TCP connections."""
    host_port = url.split("@", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("start", "stop") or (argv[0] == "stop" and len(argv) != 2):
        print("usage: python3 -m classroom.pgserver start [DIR] | stop DIR", file=sys.stderr)
        return 2
    if argv[0] == "start":
        directory = Path(argv[1] if len(argv) > 1 else tempfile.mkdtemp(prefix="tinytorch-pg-"))
        print(start(directory))
        print(f"PostgreSQL on 127.0.0.1 in {directory}; stop it: python3 -m classroom.pgserver stop {directory}",
              file=sys.stderr)
    else:
        stop(argv[1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
