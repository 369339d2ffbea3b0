"""make dev as a newcomer meets it: started fresh, its first requests, then Ctrl-C (make test).

Each of --starts rounds runs scripts/dev.sh on free ports with its own emulator, waits for it to say
it is running, then makes the first request to every function at once: a GET of every route of the
router without parameters (each function behind the local API Gateway), an outbox sweep through the
Invoke API (the mailer) and the demo portal's page. Every answer must come from the function (no
503, no other 5xx, no refused connection). Then it sends Ctrl-C to dev.sh's process group, as a
terminal does, and checks that everything it started has stopped within 15 seconds: dev.sh, the
emulator, the gateway, the demo portal, cargo lambda watch and the functions it ran, every port freed.

    .venv/bin/python scripts/dev_check.py [--starts 3] [--json report.json]

Exits non-zero, saying why, when any round fails.
"""

import argparse
import concurrent.futures
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import local_gateway  # noqa: E402  (the router's routes, read the way the gateway reads them)

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".run"
READY = "is running locally"
# A fresh machine compiles every function before the stack is ready.
READY_WITHIN = 1500
STOPPED_WITHIN = 15


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def sessions_of(sids):
    """The PIDs of live processes whose session is one of `sids`."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # comm may hold spaces and parentheses: the fields after its closing one.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) in sids:
            found.append(int(entry.name))
    return found


def watch_session(watch_port):
    """The session of the `cargo lambda watch` serving on `watch_port` (start_group's setsid)."""
    needle = f"--invoke-port\0{watch_port}\0".encode()
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if b"cargo-lambda" in (entry / "cmdline").read_bytes() and needle in (entry / "cmdline").read_bytes():
                return os.getsid(int(entry.name))
        except OSError:
            continue
    return None


def call(method, url, body=None):
    """(status or the error's name, seconds)."""
    started = time.monotonic()
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        status = type(error).__name__
    return status, round(time.monotonic() - started, 2)


def first_requests(api_port, demo_port):
    """Every function's first request, all at once: {what: (status, seconds)}."""
    base = f"http://127.0.0.1:{api_port}"
    calls = [("GET", pattern) for pattern, _, names, _ in local_gateway.ROUTES if not names]
    calls.append(("POST", f"{local_gateway.INVOKE_PREFIX}mailer/invocations"))
    urls = {f"{method} {path}": (method, base + path) for method, path in calls}
    urls["GET demo portal"] = ("GET", f"http://127.0.0.1:{demo_port}/demo-portal")
    with concurrent.futures.ThreadPoolExecutor(len(urls)) as pool:
        futures = {
            what: pool.submit(call, method, url, b"{}" if method == "POST" else None)
            for what, (method, url) in urls.items()
        }
        return {what: future.result() for what, future in futures.items()}


def one_round(number):
    """One fresh make dev: its figures, and the problems found (empty when it passed)."""
    ports = {name: free_port() for name in ("MOTO_PORT", "API_PORT", "WATCH_PORT", "DEMO_PORT")}
    out_path = RUN_DIR / f"dev-check-{number}.out"
    env = dict(os.environ, **{k: str(v) for k, v in ports.items()})
    env["WATCH_LOG"] = str(RUN_DIR / f"dev-check-{number}-watch.log")
    problems, figures, watch_sid = [], {"round": number, "ports": ports}, None
    started = time.monotonic()
    with open(out_path, "w") as out:
        # Ctrl-C reaches a terminal's foreground process group: dev.sh leads one of its own here,
        # with SIGINT's default action (a shell started in the background would ignore it).
        dev = subprocess.Popen(
            [str(ROOT / "scripts" / "dev.sh")], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    try:
        while READY not in out_path.read_text(errors="replace"):
            if dev.poll() is not None:
                problems.append(f"make dev exited ({dev.returncode}) before it was running")
                return figures, problems
            if time.monotonic() - started > READY_WITHIN:
                problems.append(f"make dev was not running after {READY_WITHIN} s")
                break
            time.sleep(0.2)
        figures["ready_after_s"] = round(time.monotonic() - started, 1)
        if not problems:
            answers = first_requests(ports["API_PORT"], ports["DEMO_PORT"])
            figures["answers"] = answers
            for what, (status, _) in answers.items():
                if not isinstance(status, int) or status >= 500:
                    problems.append(f"{what}: {status}")
        watch_sid = watch_session(ports["WATCH_PORT"])
        if watch_sid is None:
            problems.append("no cargo lambda watch found serving the stack")
    finally:
        stopping = time.monotonic()
        try:
            os.killpg(dev.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        try:
            dev.wait(STOPPED_WITHIN)
        except subprocess.TimeoutExpired:
            problems.append(f"make dev was still running {STOPPED_WITHIN} s after Ctrl-C")
        sids = {dev.pid} | ({watch_sid} if watch_sid else set())
        while sessions_of(sids) and time.monotonic() - stopping < STOPPED_WITHIN:
            time.sleep(0.2)
        figures["stopped_after_s"] = round(time.monotonic() - stopping, 1)
        left = sessions_of(sids)
        if left:
            problems.append(f"processes left after Ctrl-C: {left}")
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        busy = [f"{name} {port}" for name, port in ports.items() if not port_is_free(port)]
        if busy:
            problems.append(f"ports still in use after Ctrl-C: {', '.join(busy)}")
    return figures, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--json", type=pathlib.Path)
    args = parser.parse_args()
    RUN_DIR.mkdir(exist_ok=True)
    rounds, failed = [], 0
    for number in range(1, args.starts + 1):
        figures, problems = one_round(number)
        figures["problems"] = problems
        rounds.append(figures)
        answers = figures.get("answers", {})
        statuses = sorted({str(status) for status, _ in answers.values()})
        slowest = max((seconds for _, seconds in answers.values()), default=0)
        print(
            f"dev check {number}/{args.starts}: ready after {figures.get('ready_after_s')} s; "
            f"{len(answers)} first requests at once, answers {' '.join(statuses) or '-'}, slowest {slowest} s; "
            f"stopped {figures.get('stopped_after_s')} s after Ctrl-C"
        )
        for problem in problems:
            print(f"  FAILED: {problem} (output: .run/dev-check-{number}.out)")
        failed += bool(problems)
    if args.json:
        args.json.write_text(json.dumps(rounds, indent=2))
    total = sum(len(r.get("answers", {})) for r in rounds)
    unavailable = sum(1 for r in rounds for status, _ in r.get("answers", {}).values() if status == 503)
    print(f"dev check: {args.starts} fresh starts, {total} first requests, {unavailable} answered 503, {failed} rounds failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
