"""A private Dovecot IMAP server on loopback, for the tests and bench.inbound alike.

Debian's dovecot-imapd run from a config file in a temporary directory: one user with a plain
password, maildir storage in that directory, no TLS (loopback only), its own base_dir and log.
"""

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from imapclient import IMAPClient

DOVECOT = Path("/usr/sbin/dovecot")
HOST = "127.0.0.1"
# Characters an IMAP URL must encode, so the settings' URL decoding is exercised too.
USER = "kundeservice@etn.no"
PASSWORD = "hemmelig/p@ss:ord"

CONFIG = """\
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = imap
listen = {host}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{dir}/mail/%n
mail_uid = {mail_uid}
mail_gid = {mail_gid}
first_valid_uid = 0
first_valid_gid = 0
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
mail_max_userip_connections = 100
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = home={dir}/home/%n
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    user = {internal}
  }}
  unix_listener stats-writer {{
    user = {internal}
  }}
}}
"""

# Dovecot 2.3's own list after login, less MOVE.
CAPABILITY_WITHOUT_MOVE = (
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES "
    "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN "
    "NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES "
    "WITHIN CONTEXT=SEARCH LIST-STATUS BINARY LITERAL+"
)


class DovecotError(Exception):
    """Dovecot is missing, did not start, or did not answer; the message says which."""


@dataclass
class Dovecot:
    directory: Path
    port: int
    # Without MOVE in its CAPABILITY, as older servers: the poller must COPY, flag and EXPUNGE.
    without_move: bool = False
    pid: int | None = None

    @property
    def url(self) -> str:
        return f"imap://{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@{HOST}:{self.port}/INBOX"

    @property
    def settings(self) -> dict[str, object]:
        """settings.INBOUND_IMAP for this server, as INBOUND_IMAP_URL=self.url gives it."""
        return {
            "host": HOST,
            "port": self.port,
            "ssl": False,
            "username": USER,
            "password": PASSWORD,
            "folder": "INBOX",
        }

    def client(self) -> IMAPClient:
        client = IMAPClient(HOST, port=self.port, ssl=False, timeout=30)
        client.login(USER, PASSWORD)
        return client

    def deliver(self, *raws: bytes, folder: str = "INBOX") -> None:
        with self.client() as client:
            for raw in raws:
                client.append(folder, raw)

    def messages(self, folder: str = "INBOX") -> list[bytes]:
        """The raw messages in `folder`, oldest first; [] when it does not exist."""
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search(["NOT", "DELETED"]))
            fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return [fetched[uid][b"BODY[]"] for uid in uids]

    @property
    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> None:
        if not DOVECOT.exists():
            raise DovecotError(f"{DOVECOT} is missing: apt-get install dovecot-imapd")
        for name in ["run", "state", "mail", "home"]:
            (self.directory / name).mkdir(parents=True, exist_ok=True)
        uid, gid = self._mail_ids()
        for name in ["mail", "home"]:
            os.chown(self.directory / name, uid, gid)
        config = self.directory / "dovecot.conf"
        text = CONFIG.format(**self._values())
        if self.without_move:
            text += f"imap_capability = {CAPABILITY_WITHOUT_MOVE}\n"
        config.write_text(text)
        # Output to a file, not a pipe: the daemon it forks keeps its descriptors open.
        with open(self.directory / "start.log", "wb") as output:
            started = subprocess.run(
                [str(DOVECOT), "-c", str(config)], stdout=output, stderr=output, timeout=30
            )
        if started.returncode != 0:
            said = (self.directory / "start.log").read_text(errors="replace")
            raise DovecotError(f"dovecot did not start: {said}{self.log}")
        self._wait()

    def stop(self) -> None:
        if self.pid is None:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            self.pid = None
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
        self.pid = None

    def _values(self) -> dict[str, object]:
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        # Root may not run the unprivileged parts: Debian's package made users for them.
        internal, internal_group, login = (
            ("dovecot", "dovecot", "dovenull") if os.getuid() == 0 else (user, group, user)
        )
        return {
            "dir": self.directory,
            "host": HOST,
            "port": self.port,
            "mail_uid": self._mail_ids()[0],
            "mail_gid": self._mail_ids()[1],
            "internal": internal,
            "internal_group": internal_group,
            "login": login,
            "password": PASSWORD,
        }

    def _mail_ids(self) -> tuple[int, int]:
        # Dovecot never opens mail as root: run as root, the mail belongs to its own user.
        if os.getuid() == 0:
            account = pwd.getpwnam("dovecot")
            return account.pw_uid, account.pw_gid
        return os.getuid(), os.getgid()

    def _wait(self) -> None:
        # The master writes its pid file after the command has returned.
        pid_file = self.directory / "run" / "master.pid"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.pid is None and pid_file.exists() and pid_file.read_text().strip():
                self.pid = int(pid_file.read_text())
            if self.pid is None:
                time.sleep(0.02)
                continue
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as sock:
                    if sock.recv(200).startswith(b"* OK"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise DovecotError(f"dovecot did not answer on port {self.port}: {self.log}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def dovecot_start(*, without_move: bool = False) -> Dovecot:
    """A running Dovecot in a new directory of its own under /tmp; dovecot_stop removes it.

    Not under pytest's tmp_path: as root, the mail belongs to the dovecot user, which may not
    enter /tmp/pytest-of-root."""
    directory = Path(tempfile.mkdtemp(prefix="sekvens-dovecot-"))
    directory.chmod(0o755)
    server = Dovecot(directory=directory, port=free_port(), without_move=without_move)
    try:
        server.start()
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return server


def dovecot_stop(server: Dovecot) -> None:
    server.stop()
    shutil.rmtree(server.directory, ignore_errors=True)
