"""The command line's one error boundary, its checks before anything slow, and clean interrupts.

- `main_boundary(app)`: a domain error is its one line; any other exception is one line too (set
  THEMES_DEBUG=1 for the traceback), never pages of it.
- `preflight(out, force)`: the output folder can be written and may be replaced; a `PREFECT_API_URL`
  answers; Prefect's home can be written (else a temporary one, with a warning).
- `handle_interrupts()`: Ctrl-C or SIGTERM stops the run at once: the temporary Prefect server (started in a
  session of its own by `servers_in_their_own_session`, so that Ctrl-C reaches only us) and any other child
  process are ended, nothing half-written is left in place (a staging folder left by a killed run is removed by
  the next one), and the exit status says why (130, 143).
- `reap_orphaned_servers()`: a temporary Prefect server whose themes process was killed outright
  (SIGKILL, which no process can catch) is ended by the next run.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path

from themes.errors import OutputError, ThemesError

log = logging.getLogger("themes")
_SERVERS = Path(tempfile.gettempdir()) / "themes-prefect-servers"  # one record per temporary server
_ENTRY_POINT = False  # set by the console script: signal handlers belong to a process of our own


def show_warnings() -> None:
    """Warnings of the library ("skipped an unreadable cache shard") as one line each on stderr."""
    if not any(getattr(h, "_themes", False) for h in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        handler._themes = True
        log.addHandler(handler)
        log.setLevel(logging.WARNING)
        log.propagate = False


def main_boundary(app) -> None:
    global _ENTRY_POINT
    _ENTRY_POINT = True
    import typer

    try:  # typer ships its own click
        from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
    except ImportError:  # pragma: no cover - typer before it vendored click
        from click.exceptions import ClickException, NoArgsIsHelpError, UsageError

    if isinstance(app, typer.Typer):
        repeated = repeated_option(typer.main.get_command(app), sys.argv[1:])
        if repeated:
            print(f"error: {repeated}", file=sys.stderr)
            sys.exit(2)
    try:
        # Not standalone: click's usage errors reach us, to be one line like every other (click prints four).
        code = app(standalone_mode=False, prog_name="themes")
    except NoArgsIsHelpError as error:  # `themes` alone: its help, as click shows it
        print(error.format_message(), file=sys.stderr)
        sys.exit(error.exit_code)
    except UsageError as error:
        command = error.ctx.command_path if error.ctx is not None else "themes"
        print(f"error: {error.format_message()} ('{command} --help' shows how to call it.)", file=sys.stderr)
        sys.exit(error.exit_code)
    except ClickException as error:
        print(f"error: {error.format_message()}", file=sys.stderr)
        sys.exit(error.exit_code)
    except typer.Abort:
        print(_interrupted_line(), file=sys.stderr)
        sys.exit(130)
    except ThemesError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        print(_interrupted_line(), file=sys.stderr)
        sys.exit(130)
    except Exception as error:  # the boundary: a bug or an unforeseen fault is still one line
        if os.environ.get("THEMES_DEBUG"):
            raise
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):  # no bug: said as a fault
            where = f" (writing {error.filename})" if error.filename else ""
            print(f"error: the disk is full{where}. Free some space, or give --out (or --cache-dir) a folder on "
                  "another disk.", file=sys.stderr)
            sys.exit(2)
        if _server_gone(error):
            _say_server_gone(error)
        reason = str(error).splitlines()[0][:300] if str(error) else ""
        print(f"error: unexpected {type(error).__name__}{': ' + reason if reason else ''}. Run again with "
              "THEMES_DEBUG=1 to see where, and report it.", file=sys.stderr)
        sys.exit(2)
    if isinstance(code, int) and code:  # typer.Exit(code): the command said what went wrong
        sys.exit(code)


def _server_gone(error: BaseException) -> bool:
    """Whether the error is the Prefect server no longer answering (refused, reset, timed out): stopped while the
    run worked."""
    import httpx

    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, httpx.TransportError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _say_server_gone(error: BaseException) -> None:
    """The Prefect server stopped while the run worked: one line, and the exit status says whether the run's folder
    was written (0: it was, whole; 2: nothing changed). Before, "unexpected ConnectError" and exit 2 after the
    folder was written, then pages of Prefect's services failing to reach the server as the process ended."""
    url = os.environ.get("PREFECT_API_URL")
    server = f"the Prefect server at {url}" if url else "the temporary Prefect server"
    reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
    export = sys.modules.get("themes.export")
    written = export._WRITTEN if export is not None else []
    if written:
        print(f"warning: {server} stopped answering while the run worked ({reason}): {written[-1]} was written "
              "whole, but the server's record of this run is incomplete.", file=sys.stderr)
    else:
        print(f"error: {server} stopped answering while the run worked ({reason}); no output folder was changed. "
              + ("Start it again (prefect server start), or unset PREFECT_API_URL to run on a temporary server, "
                 "and run again." if url else "Run again."), file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    # Not sys.exit: at exit Prefect's services try to send what they hold to the server that is gone, each item
    # after seconds of retries (minutes in all). The run's folder is written, or was never moved into place.
    os._exit(0 if written else 2)


class _ServicesUnheard(logging.Filter):
    """Prefect's events worker logs each event it cannot send (a page of the event each): the first is said in one
    line, the rest dropped; the run goes on."""

    said = False

    def filter(self, record: logging.LogRecord) -> bool:
        if "failed to process item" not in record.getMessage():
            return True
        if not _ServicesUnheard.said:
            _ServicesUnheard.said = True
            error = record.exc_info[1] if record.exc_info else None
            reason = f" ({str(error).splitlines()[0][:120]})" if error is not None and str(error) else ""
            print(f"warning: the Prefect server at {os.environ.get('PREFECT_API_URL')} does not answer{reason}; "
                  "the run goes on, but the server's record of it will be incomplete.", file=sys.stderr, flush=True)
        return False


def quiet_unheard_services() -> None:
    """With a server of one's own (PREFECT_API_URL), one line if it stops answering during the run, not a page per
    event and per batch of logs Prefect could not send. Called once Prefect's logging is set up."""
    if not os.environ.get("PREFECT_API_URL"):
        return
    logging.raiseExceptions = False  # Prefect's log worker: "--- Error logging to API ---" for each batch
    unheard = logging.getLogger("prefect._internal.concurrency")
    if not any(isinstance(each, _ServicesUnheard) for each in unheard.filters):
        unheard.addFilter(_ServicesUnheard())


def repeated_option(group, argv: list[str]) -> str | None:
    """An option that takes one value given more than once (`evaluate --codebook a --codebook b`): click
    keeps the last and drops the others without a word. Returns the line that says so, or None."""
    command, path, args = group, ["themes"], list(argv)
    while hasattr(command, "commands"):  # a group: descend into the command named first
        names = [a for a in args if a in command.commands]
        if not names:
            return None
        path.append(names[0])
        command, args = command.commands[names[0]], args[args.index(names[0]) + 1:]
    single = {name: param for param in command.params if param.param_type_name == "option"
              and not param.multiple and not param.is_flag and param.nargs == 1
              for name in (*param.opts, *param.secondary_opts)}
    given: dict[str, list[tuple[str, str]]] = {}
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            break
        name, _, value = token.partition("=")
        if name in single:
            given.setdefault(single[name].name, []).append((name, value if "=" in token else next(tokens, "")))
    for uses in given.values():
        if len(uses) > 1:
            values = ", ".join(repr(value) for _, value in uses)
            times = "twice" if len(uses) == 2 else f"{len(uses)} times"
            return (f"{uses[0][0]} was given {times} ({values}); '{' '.join(path)}' takes one. Give it "
                    "once, or run the command once for each.")
    return None


def check_writable_parent(out: Path) -> None:
    """The nearest existing folder above `out` can take a new folder: the run is written beside `out` and moved
    into place (replacing it, with --force), so `out`'s own folder must take one even when `out` exists. Tried
    for real where the folder exists: permissions do not tell an immutable folder, or a read-only mount, to
    root."""
    existing = out.absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise OutputError(f"--out {out} cannot be created: {existing} is a file, not a folder. Choose another --out.")
    if existing == out.absolute():
        if _mount_point(existing):
            raise OutputError(f"--out {out} is a mount point: a run is written beside its folder and moved into its "
                              f"place, which a mount point cannot take. Give a folder inside it (--out {out / 'run'}).")
        existing = existing.parent
    if not os.access(existing, os.W_OK | os.X_OK) or not _takes_a_folder(existing):
        raise OutputError(f"--out {out} cannot be written: no permission to write in {existing}. "
                          "Choose another --out.")


def _mount_point(folder: Path) -> bool:
    """A mount point, a bind mount (docker -v) too, which os.path.ismount does not see on the same device: the
    run's folder was renamed onto it after all the work, and failed (EBUSY), leaving a staging folder."""
    if os.path.ismount(folder):
        return True
    import psutil

    try:
        mounted = {Path(partition.mountpoint) for partition in psutil.disk_partitions(all=True)}
    except (OSError, psutil.Error):
        return False
    return folder.resolve() in mounted


def check_writable_file(target: Path, option: str = "--out") -> None:
    """A file can be written at `target` (its folder exists and takes a file, tried for real: an unwritable folder,
    or /proc, failed after the work was done with "unexpected FileNotFoundError")."""
    folder = target.absolute().parent
    if not folder.is_dir():
        raise OutputError(f"The folder {folder} does not exist; create it or choose another {option}.")
    if not _takes_a_folder(folder):  # a folder that takes a new folder takes a file
        raise OutputError(f"{option} {target} cannot be written: no permission to write in {folder}. "
                          f"Choose another {option}.")


def _takes_a_folder(folder: Path) -> bool:
    import tempfile

    try:
        os.rmdir(tempfile.mkdtemp(prefix=".themes-check-", dir=folder))
    except OSError:
        return False
    return True


def check_prefect_api(temporary: bool = True) -> None:
    """A PREFECT_API_URL that does not answer is one line now, not minutes of retries later. `temporary`: the
    command can run on a temporary server instead (`themes serve` cannot, so it is not offered there)."""
    url = os.environ.get("PREFECT_API_URL")
    if not url:
        return
    import httpx

    try:
        httpx.get(url.rstrip("/") + "/health", timeout=5).raise_for_status()
    except Exception as error:  # refused, unknown host, timeout, not a Prefect server
        reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
        raise ThemesError(f"PREFECT_API_URL={url} does not answer ({reason}). Start it (prefect server start)"
                          + (", or unset PREFECT_API_URL to use a temporary server." if temporary else
                             ", or point PREFECT_API_URL at one that runs.")) from None


def ensure_prefect_home() -> None:
    """Prefect keeps its database in PREFECT_HOME (~/.prefect); when that cannot be written, use a
    temporary one rather than failing minutes later."""
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / f".themes-probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError:
        temporary = tempfile.mkdtemp(prefix="themes-prefect-home-")
        log.warning("%s cannot be written; Prefect uses %s for this run (set PREFECT_HOME to keep its "
                    "history).", home, temporary)
        os.environ["PREFECT_HOME"] = temporary
        import atexit
        import shutil

        atexit.register(shutil.rmtree, temporary, True)  # each run left 5 MB in the temporary folder


# The schemes a Dask scheduler listens on from another process (distributed.comm's registry, less inproc)
DASK_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")


def check_dask_address(address: str | None) -> None:
    """A --dask-address nobody listens on is one line now, not an 'unexpected OSError' 44 s into the run; so is one
    with another scheme ('http://...': 'unexpected ValueError' after the model loaded) and one where something other
    than a Dask scheduler answers (a web server: the run hung with no word; review 162)."""
    if address is None:
        return
    example = "e.g. tcp://10.0.0.5:8786"
    if not address.strip():
        raise ThemesError(f"--dask-address is empty: give the scheduler's address ({example}), or leave the option "
                          "out to run here.")
    import socket
    from urllib.parse import urlparse

    try:
        where = urlparse(address if "://" in address else f"tcp://{address}")
        host, port = where.hostname, where.port
    except ValueError:
        where, host, port = None, None, None
    if where is not None and where.scheme not in DASK_SCHEMES:
        raise ThemesError(f"--dask-address {address}: a Dask scheduler's address starts "
                          f"{', '.join(s + '://' for s in DASK_SCHEMES)} ({example}), not {where.scheme}://.")
    if not host or not port:
        raise ThemesError(f"--dask-address {address} names no host and port; give the scheduler's address, {example}.")
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as error:
        raise ThemesError(f"--dask-address {address} does not answer ({error.strerror or error}). Start the "
                          "scheduler (dask scheduler), or leave the option out to run here.") from None
    if dask_identity(address).get("type") != "Scheduler":
        raise ThemesError(f"--dask-address {address} answers, but not as a Dask scheduler does: check the port (a "
                          "scheduler listens on 8786 unless told otherwise; 8787 is its dashboard).")


def dask_identity(address: str, timeout: float = 5.0) -> dict:
    """What the Dask scheduler at `address` says it is ({"type": "Scheduler", "n_workers": ...}), or {} when what
    answers there does not answer as one (a web server, a proxy: silence, or bytes that are no Dask message)."""
    import asyncio

    from distributed.core import rpc
    from distributed.security import Security

    async def ask() -> dict:
        # With the client's TLS settings (Dask's config: a tls:// scheduler refused every connection without them)
        scheduler = rpc(address if "://" in address else f"tcp://{address}", timeout=timeout,
                        connection_args=Security().get_connection_args("client"))
        try:
            return await asyncio.wait_for(scheduler.identity(), timeout)
        finally:
            await scheduler.close_rpc()

    try:
        found = asyncio.run(ask())
    except Exception:  # noqa: BLE001 - whatever fails here (a timeout, a closed stream, garbage read as a message)
        return {}  # means that no scheduler answered
    return found if isinstance(found, dict) else {}


def check_not_a_projects_output(out: Path) -> None:
    """A project's `output/` is written by the project from every batch (themes.project): a run of one export there,
    with --force, replaced the project's figures with that export's alone, its project.json still listing every
    batch, with no word."""
    from themes.project import OUTPUT, STATE

    folder = out.resolve()
    if folder.name != OUTPUT or not (folder.parent / STATE).is_file():
        return
    try:  # a themes project's state, not another tool's project.json (a web app's, beside its own output/)
        listed = isinstance(json.loads((folder.parent / STATE).read_text(encoding="utf-8")).get("batches"), list)
    except (OSError, ValueError, AttributeError):
        listed = False
    if listed:
        raise ThemesError(f"--out {out} is the output of the project in {folder.parent}, which writes it from every "
                          "batch: a run here would replace its figures with this export's alone. Add the export to "
                          "the project (its inbox), or choose another --out.")


def check_workers(workers: int | None, dask_address: str | None) -> None:
    """--workers within what this machine can run, and not with --dask-address (review 162: 100,000 workers were
    being started after 150 s with no word; 16 on two cores ran slower than one; beside an address it was ignored)."""
    if workers is None:
        return
    if dask_address is not None:
        raise ThemesError(f"--workers {workers} starts a Dask cluster here and --dask-address {dask_address} uses one "
                          "that runs: give one of them.")
    cores = os.cpu_count() or 1
    if workers > cores:
        raise ThemesError(f"--workers {workers}: this machine has {cores} core{'s' * (cores != 1)}, and each worker "
                          f"embeds on one at least, with its own copy of the model: use at most {cores} (workers on "
                          "other machines join a scheduler given with --dask-address).")


def preflight(out: Path, *, force: bool, dask_address: str | None = None, workers: int | None = None) -> None:
    from themes.export import RUN_FILES, check_output_folder

    check_workers(workers, dask_address)
    check_writable_parent(out)
    check_not_a_projects_output(out)
    check_output_folder(out, force=force, owned=RUN_FILES)
    check_prefect_api()
    check_dask_address(dask_address)
    ensure_prefect_home()


# --- Interrupts and orphans --------------------------------------------------------------------

def _end_children() -> None:
    import psutil

    children = psutil.Process().children(recursive=True)
    for child in children:
        try:
            child.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(children, timeout=3)
    for child in alive:
        try:
            child.kill()
        except psutil.Error:
            pass


def _interrupted_line() -> str:
    """What the interrupt left (themes.export knows whether a folder was written); not imported yet, nothing was."""
    export = sys.modules.get("themes.export")
    return export.interrupted_line() if export is not None else "interrupted; no output folder was changed."


def handle_interrupts() -> None:
    """Ctrl-C and SIGTERM end the run promptly: children ended, staging folder removed, one line.
    Only in the `themes` process itself, not when a command is invoked from other code (tests)."""
    if not _ENTRY_POINT:
        return

    def stop(signum, _frame) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            _end_children()
            from themes.export import remove_own_staging

            remove_own_staging()
        finally:
            print(_interrupted_line(), file=sys.stderr, flush=True)
            os._exit(130 if signum == signal.SIGINT else 143)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def servers_in_their_own_session() -> None:
    """Prefect's temporary server starts in a session of its own. Ctrl-C reaches every process of the terminal's
    group: a server still importing took it as a KeyboardInterrupt and printed a traceback under our one line (2 of
    10 interrupts in a run's first seconds). Outside the group it hears nothing, and `handle_interrupts` ends it as
    it ends any child (terminated, then killed). Called just before the flow starts the server (importing Prefect's
    server takes seconds); only in the `themes` process itself."""
    if not _ENTRY_POINT:
        return
    import subprocess

    from prefect.server.api import server

    start = server.SubprocessASGIServer._run_uvicorn_command
    if getattr(start, "_own_session", False):
        return

    def in_own_session(self):
        popen = subprocess.Popen

        def popen_in_own_session(*args, **kwargs):
            return popen(*args, **{"start_new_session": True, **kwargs})

        subprocess.Popen = popen_in_own_session
        try:
            return start(self)
        finally:
            subprocess.Popen = popen

    in_own_session._own_session = True
    server.SubprocessASGIServer._run_uvicorn_command = in_own_session


def record_servers() -> None:
    """Note this process's Prefect server children, so the next run can end them if we are killed."""
    import psutil

    for child in psutil.Process().children(recursive=True):
        try:
            path = _SERVERS / f"{child.pid}.json"
            if not path.exists() and "uvicorn" in " ".join(child.cmdline()):
                _SERVERS.mkdir(parents=True, exist_ok=True)
                record = {"pid": child.pid, "created": child.create_time(), "parent": os.getpid()}
                path.write_text(json.dumps(record))
        except (psutil.Error, OSError):
            pass


def reap_orphaned_servers() -> None:
    """End the temporary Prefect servers whose themes process no longer exists."""
    import psutil

    if not _SERVERS.is_dir():
        return
    for path in _SERVERS.glob("*.json"):
        try:
            record = json.loads(path.read_text())
            if psutil.pid_exists(record["parent"]):
                continue
            server = psutil.Process(record["pid"])
            if abs(server.create_time() - record["created"]) < 1:
                server.kill()
        except (psutil.Error, OSError, ValueError, KeyError):
            pass
        try:
            path.unlink()
        except OSError:
            pass
