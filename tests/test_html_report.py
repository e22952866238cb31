"""`--format html`: one self-contained page (no network), the verdict, the chain drawn per
profile with each link coloured by the rules that check it, and a findings table that sorts and
filters; rendered by a real headless Chromium."""
import dataclasses
import os
import re
import shutil
import struct
import subprocess
import zlib

import pytest

from auditor.engine import Result
from auditor.report import Report
from auditor.reports import render

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:catalog/prod-db-AbCdEf"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = "arn:aws:iam::123456789012:role/read_secrets_role"
USER = "arn:aws:iam::123456789012:user/catalog-secrets-reader"
FAIL_RED = (0xC6, 0x28, 0x28)


def result(rule_id, status, *, resource=ROLE, resource_type="AwsIamRole", evidence=None,
           message="m", severity="high", location=None):
    return Result(rule_id, rule_id.lower(), rule_id, status, severity, "p", "123456789012",
                  "us-east-1", resource, resource_type, location, message, "fix it", 1,
                  evidence or {}, rule_id + str(evidence), steps=(1,))


def chain_results():
    return [result("CHAIN-001", "PASS", resource=USER, resource_type="AwsIamUser"),
            result("CHAIN-002", "PASS"), result("CHAIN-003", "PASS"),
            result("CHAIN-004", "FAIL", evidence={"secret": SECRET},
                   message="the role cannot read it"),
            result("CHAIN-007", "ERROR", evidence={"secret": SECRET, "kms_key_id": KEY})]


@pytest.fixture(scope="module")
def demo():
    pytest.importorskip("moto")
    from auditor.demo import run_demo

    return run_demo()


def test_page_is_self_contained(demo):
    page = render(demo, "html")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"""\b(src|href)\s*=|<link\b|@import|url\(""", page, re.I)
    # the only URL is the SVG namespace, which is a name, not a fetch
    assert set(re.findall(r"https?://[^\s\"'<]+", page)) <= {"http://www.w3.org/2000/svg"}


def test_text_from_results_is_escaped():
    evil = result("CHAIN-002", "FAIL", message='<script>alert(1)</script> & "x"')
    page = render(Report("scan", chain_results() + [evil]), "html")
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_chain_links_are_coloured_and_name_the_failing_rule():
    page = render(Report("scan", chain_results()), "html")
    links = re.findall(r'<g class="link" data-state="(\w+)"><title>([^<]*)</title>(.*?)</g>', page)
    states = {title: state for state, title, _ in links}
    assert states["CHAIN-001 PASS, CHAIN-002 PASS, CHAIN-003 PASS"] == "pass"
    assert states["CHAIN-004 FAIL"] == "fail"
    assert states["CHAIN-007 ERROR"] == "error"
    failing = next(body for state, _, body in links if state == "fail")
    assert "✗ CHAIN-004" in failing
    for name in ("catalog-secrets-reader", "read_secrets_role", "catalog/prod-db-AbCdEf",
                 "1234abcd-12ab-34cd-56ef-12345"):
        assert name in page                          # user, role, secret and key nodes
    assert f"<title>{KEY}</title>" in page           # the full ARN on hover


def test_verdict_follows_fail_on(demo):
    report = Report("scan", [dataclasses.replace(r) for r in demo.results if r.severity == "low"
                             or r.status != "FAIL"])
    report.fail_on = "medium"
    assert "✓ Ready to go live" in render(report, "html")
    report.fail_on = "low"
    low_fails = [r for r in report.results if r.status == "FAIL" and r.suppressed is None]
    expected = "✓ Ready to go live" if not low_fails else "✗ Not ready to go live"
    assert expected in render(report, "html")


# --- in a real browser ---------------------------------------------------------------------

def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("headless Chromium is not installed (CI installs the Debian package chromium)")


def _browse(page_path, *args):
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--no-first-run", "--disable-extensions", f"--user-data-dir={page_path.parent / 'profile'}",
           *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(page_path.parent)})


def _pixels(png: bytes):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA, non-interlaced PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    data = b""
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        body = png[position + 8:position + 8 + length]
        if kind == b"IDAT":
            data += body
        else:
            chunks[kind] = body
        position += 12 + length
    width, height, depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8 and color_type in (2, 6) and interlace == 0
    channels = 3 if color_type == 2 else 4
    raw, stride, previous, rows, offset = zlib.decompress(data), width * channels, None, [], 0
    for _ in range(height):
        kind, line = raw[offset], bytearray(raw[offset + 1:offset + 1 + stride])
        offset += 1 + stride
        prior = previous or bytearray(stride)
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = prior[i], prior[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, channels)])
        previous = line
    return width, height, rows


def test_chromium_renders_the_chain_with_the_broken_link_in_red(demo, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render(demo, "html"), encoding="utf-8")
    shot = tmp_path / "shot.png"
    proc = _browse(page, "--window-size=1280,800", f"--screenshot={shot}", page.as_uri())
    assert shot.is_file(), proc.stderr[-2000:]
    width, height, rows = _pixels(shot.read_bytes())
    assert (width, height) == (1280, 800)
    red = sum(1 for row in rows for pixel in row if pixel == FAIL_RED)
    green = sum(1 for row in rows for pixel in row if pixel == (0x2E, 0x7D, 0x32))
    # catalog-legacy's user -> role link (CHAIN-005) is a 4-pixel red line 150 pixels long
    assert red > 400, red
    assert green > 400, green


def test_chromium_runs_the_filters_from_the_address(demo, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render(demo, "html"), encoding="utf-8")
    passes = sum(r.status == "PASS" for r in demo.results)
    proc = _browse(page, "--dump-dom", page.as_uri() + "#status=PASS")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f'<b id="shown">{passes}</b>' in proc.stdout
    hidden = re.findall(r'<tr data-status="(\w+)"[^>]*hidden', proc.stdout)
    assert hidden and "PASS" not in hidden
