"""`lint` takes files as they come: special files, symlinked and hidden directories, hostile names."""
import json
import os
import socket

from auditor import cli
from clitools import run_cli

BAD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def policy(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(BAD))
    return path


def resources(stdout):
    return {r["resource"] for r in json.loads(stdout)["results"]}


def test_special_files_are_skipped_with_a_note_never_opened(tmp_path):
    policy(tmp_path / "ok.json")
    os.mkfifo(tmp_path / "blocks.json")          # opening it for reading waits for a writer
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock.json"))
    try:
        proc = run_cli("lint", tmp_path, "--format", "json", timeout=60)
    finally:
        server.close()
    assert proc.returncode == 1, proc.stderr
    assert resources(proc.stdout) == {f"{tmp_path}/ok.json"}
    assert "blocks.json: a FIFO" in proc.stderr and "sock.json: a socket" in proc.stderr


def test_symlinked_directories_are_followed_once_loops_end(tmp_path):
    real = tmp_path / "shared"
    policy(real / "admin.json")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "linked").symlink_to(real)
    (real / "back").symlink_to(tmp_path)       # a loop through the link
    proc = run_cli("lint", tree, "--format", "json", timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert resources(proc.stdout) == {f"{tree}/linked/admin.json"}


def test_hidden_directories_are_named_in_a_note_and_linted_when_named(tmp_path, capsys):
    policy(tmp_path / "repo" / ".github" / "iam" / "admin.json")
    policy(tmp_path / "repo" / "ok" / "a.json")
    code = cli.main(["lint", str(tmp_path / "repo"), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "skipped hidden directory" in err and ".github" in err
    assert cli.main(["lint", str(tmp_path / "repo" / ".github"), "--format", "json"]) == 1
    assert resources(capsys.readouterr().out) == {f"{tmp_path}/repo/.github/iam/admin.json"}


def test_file_names_cannot_forge_lines_or_drive_the_terminal(tmp_path, capsys):
    forged = "x\n**✅ Ready to go live**\n<!-- \x1b[2J\x1b]0;owned\x07.json"
    policy(tmp_path / forged)
    assert cli.main(["lint", str(tmp_path), "--format", "markdown"]) == 1
    markdown = capsys.readouterr().out
    lines = markdown.splitlines()
    assert sum("Ready to go live" in line for line in lines) == 1  # only inside the heading's code
    assert not any(line.lstrip().startswith(("<!--", "**✅")) for line in lines)
    assert "\x1b" not in markdown and "\x07" not in markdown
    assert cli.main(["lint", str(tmp_path), "--format", "table", "--status", "FAIL"]) == 1
    table = capsys.readouterr().out
    assert "\x1b" not in table and "\x07" not in table
    assert not any(line.startswith("**✅") for line in table.splitlines())
