"""`--format html`: one self-contained page to look at and share.

No network fetch, ever: CSS, SVG and a small script are inline, and a Content-Security-Policy
forbids loading anything else. The page shows the go-live verdict (the same threshold as the
exit code: `--fail-on`), then per profile the chain the product walks — IAM user → role → each
secret → the KMS key that encrypts it — as an SVG diagram whose links are coloured by the rules
that check whether it works (red: a failing rule, named on the link; amber: could not be
checked; green: checked and passing; grey: not checked) and, under the link, the failing rules
about how safe it is (TRUST rules under user → role, LP-001 under role → secret), then every finding in a table that sorts by any column
and filters by status, severity, rule and text, with the fix beside each failure. The filters
can be preset from the address (`report.html#status=FAIL&rule=LP-001`), so a link can point at
a view.

Only what the results name is drawn: a secret appears when a rule reported on it (CHAIN-004,
CHAIN-006, CHAIN-007 `evidence.secret` or `location.secret`), a key when a rule named it
(`evidence.kms_key_id` / `kms_key` / `key_arn` / `key_id`).
"""
from __future__ import annotations

from html import escape

from .. import __version__
from ..lines import printable
from ..engine import ERROR, FAIL, PASS, SEVERITY_RANK, SKIP
from ..report import failing

# The links of the chain and the rules that check each (rules the registry lacks are ignored).
USER_ROLE_RULES = ("CHAIN-001", "CHAIN-002", "CHAIN-003", "CHAIN-005")
ROLE_SECRET_RULES = ("CHAIN-004", "CHAIN-006")
SECRET_KEY_RULES = ("CHAIN-007",)
# Rules about how safe a link is rather than whether it works: named under the link.
USER_ROLE_HARDENING = ("TRUST-001", "TRUST-002", "TRUST-003", "TRUST-004", "TRUST-005", "LP-002")
ROLE_SECRET_HARDENING = ("LP-001", "SECRET-001")
_KEY_EVIDENCE = ("kms_key_id", "kms_key", "key_arn", "key_id")
COLORS = {"fail": "#c62828", "error": "#ef8f00", "pass": "#2e7d32", "none": "#9e9e9e",
          "waived": "#7e57c2"}
BOX_W, BOX_H, GAP, ROW = 180, 58, 150, 78

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d1d1f;background:#f6f7f9}
main{max-width:1280px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#5f6368;margin:0 0 16px}
.verdict{padding:14px 18px;border-radius:8px;font-size:17px;font-weight:600;margin:12px 0}
.verdict.ok{background:#e6f4ea;color:#1e5e27;border:1px solid #a8d5b1}
.verdict.no{background:#fdecea;color:#8e1b1b;border:1px solid #f3b7b2}
.counts span{display:inline-block;margin-right:14px}
.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:12px 16px;margin:12px 0}
.card h3{margin:0 0 6px;font-size:15px}
svg text{font:12px system-ui,sans-serif}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:18px;height:4px;margin-right:5px;vertical-align:middle}
.filters{display:flex;gap:10px;flex-wrap:wrap;align-items:center;margin:8px 0}
.filters select,.filters input{font:inherit;padding:3px 6px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border-bottom:1px solid #e3e6ea;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.arn,td code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.st{font-weight:700}.st-FAIL{color:#c62828}.st-ERROR{color:#b26a00}.st-PASS{color:#2e7d32}.st-SKIP{color:#757575}
.waived{color:#7e57c2;font-weight:600}.new{background:#fff3cd;padding:0 4px;border-radius:3px;font-size:11px}
td.fix{color:#244a7a}td.nw{white-space:nowrap}
footer{color:#5f6368;margin-top:24px;font-size:12px}
"""

_SCRIPT = """
(function(){
var body=document.querySelector('#findings tbody'),f={};
['status','severity','rule','text'].forEach(function(k){f[k]=document.getElementById('f-'+k);});
function keep(row){
 var s=f.status.value,st=row.dataset.status,open=(st==='FAIL'&&!row.dataset.waived)||st==='ERROR';
 if(s==='open'?!open:(s&&st!==s))return false;
 if(f.severity.value&&row.dataset.severity!==f.severity.value)return false;
 if(f.rule.value&&row.dataset.rule!==f.rule.value)return false;
 var q=f.text.value.toLowerCase();return !q||row.textContent.toLowerCase().indexOf(q)>=0;}
function apply(){var n=0;Array.prototype.forEach.call(body.rows,function(r){r.hidden=!keep(r);if(!r.hidden)n++;});
 document.getElementById('shown').textContent=n;}
Object.keys(f).forEach(function(k){f[k].addEventListener('input',apply);});
location.hash.replace(/^#/,'').split('&').forEach(function(p){var kv=p.split('=');
 if(f[kv[0]]&&kv[1]!==undefined)f[kv[0]].value=decodeURIComponent(kv[1]);});
document.querySelectorAll('#findings th').forEach(function(th,i){th.addEventListener('click',function(){
 var dir=th.getAttribute('aria-sort')==='ascending'?-1:1;
 document.querySelectorAll('#findings th').forEach(function(h){h.removeAttribute('aria-sort');});
 th.setAttribute('aria-sort',dir>0?'ascending':'descending');
 var rows=Array.prototype.slice.call(body.rows);rows.sort(function(a,b){
  var x=a.cells[i].dataset.sort||a.cells[i].textContent,y=b.cells[i].dataset.sort||b.cells[i].textContent;
  return (x<y?-1:x>y?1:0)*dir;});rows.forEach(function(r){body.appendChild(r);});});});
apply();})();
"""

_ORDER = {FAIL: 0, ERROR: 1, PASS: 3, SKIP: 4}


def _e(value) -> str:
    # Controls and bidi overrides are shown escaped (as in the table), never passed to the page.
    return escape(printable(str(value if value is not None else "")), quote=True)


def _short(arn: str, limit: int = 26) -> str:
    name = arn.rsplit(":", 1)[-1] if arn.startswith("arn:") else arn
    name = name.split("/", 1)[-1] if name.startswith(("role/", "user/", "key/")) else name
    return name if len(name) <= limit else name[:limit - 1] + "…"


def _verdict(report) -> tuple[bool, str]:
    blocking = [r for r in report.results if failing(r, report.fail_on) or r.status == ERROR]
    if not blocking:
        return True, "✓ Ready to go live"
    errors = sum(r.status == ERROR for r in blocking)
    fails = len(blocking) - errors
    parts = [f"{fails} failing at or above {report.fail_on}"] if fails else []
    parts += [f"{errors} could not be checked"] if errors else []
    return False, f"✗ Not ready to go live: {', '.join(parts)}"


# --- the chain diagram ---------------------------------------------------------------------

def _state(results) -> tuple[str, list[str]]:
    """A link's colour key and the rule IDs to name on it."""
    if not results:
        return "none", []
    open_fails = sorted({r.rule_id for r in results if r.status == FAIL and r.suppressed is None})
    if open_fails:
        return "fail", open_fails
    errors = sorted({r.rule_id for r in results if r.status == ERROR})
    if errors:
        return "error", errors
    waived = sorted({r.rule_id for r in results if r.status == FAIL})
    if waived:
        return "waived", waived
    if all(r.status == SKIP for r in results):
        return "none", []
    return "pass", sorted({r.rule_id for r in results if r.status == PASS})


def _secret_of(result) -> str | None:
    for source in (result.evidence or {}, result.location or {}):
        value = source.get("secret") if isinstance(source, dict) else None
        if isinstance(value, str) and value:
            return value
    return None


def _key_of(result) -> str | None:
    for name in _KEY_EVIDENCE:
        value = (result.evidence or {}).get(name)
        if isinstance(value, str) and value:
            return value
    return None


def chain(results) -> dict:
    """The nodes and links of one profile's chain, from its results."""
    user = next((r.resource for r in results if r.resource_type == "AwsIamUser"), None)
    role = next((r.resource for r in results if r.resource_type == "AwsIamRole"), None)
    by_rule: dict[str, list] = {}
    for r in results:
        by_rule.setdefault(r.rule_id, []).append(r)
    secrets: dict[str, list] = {}
    keys: dict[str, dict[str, list]] = {}
    for rule_id in ROLE_SECRET_RULES + SECRET_KEY_RULES:
        for r in by_rule.get(rule_id, ()):
            secret = _secret_of(r) or (f"any secret in {r.region}" if rule_id == "CHAIN-004"
                                       else None)
            if secret is None:
                continue
            if rule_id in SECRET_KEY_RULES:
                key = _key_of(r) or "its KMS key"
                keys.setdefault(secret, {}).setdefault(key, []).append(r)
                secrets.setdefault(secret, [])
            else:
                secrets.setdefault(secret, []).append(r)
    def of(rule_ids):
        return [r for rule_id in rule_ids for r in by_rule.get(rule_id, ())]

    return {"user": user, "role": role, "user_role": of(USER_ROLE_RULES), "secrets": secrets,
            "keys": keys, "user_role_hardening": of(USER_ROLE_HARDENING),
            "role_secret_hardening": of(ROLE_SECRET_HARDENING)}


def _box(x: int, y: int, kind: str, label: str, full: str) -> str:
    return (f'<g><title>{_e(full)}</title><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" '
            f'rx="8" fill="#fff" stroke="#5f6368"/><text x="{x + 10}" y="{y + 20}" '
            f'fill="#5f6368">{_e(kind)}</text><text x="{x + 10}" y="{y + 40}" '
            f'font-weight="600">{_e(label)}</text></g>')


def _hardening(x: int, y: int, results) -> str:
    failing_rules = sorted({r.rule_id for r in results
                            if r.status == FAIL and r.suppressed is None})
    if not failing_rules:
        return ""
    lines = [f"also {failing_rules[0]}"] + failing_rules[1:]
    return "".join(f'<text x="{x}" y="{y + 14 * i}" text-anchor="middle" fill="#8e1b1b" '
                   f'font-size="11"><title>failing rules about how safe this link is</title>'
                   f'{_e(line)}</text>' for i, line in enumerate(lines))


def _link(x1, y1, x2, y2, results, hardening=()) -> str:
    state, rules = _state(results)
    color = COLORS[state]
    dash = ' stroke-dasharray="6 4"' if state in ("none", "waived") else ""
    mark = {"fail": "✗ ", "error": "? ", "pass": "✓ ", "waived": "waived "}.get(state, "")
    names = rules if state != "pass" else \
        [rules[0] + (f" +{len(rules) - 1}" if len(rules) > 1 else "")]
    label = [mark + name for name in names] or ["not checked"]
    middle = (x1 + x2) // 2
    lines = "".join(f'<text x="{middle}" y="{min(y1, y2) - 8 - 14 * (len(label) - 1 - i)}" '
                    f'text-anchor="middle" fill="{color}" font-weight="600">{_e(text)}</text>'
                    for i, text in enumerate(label))
    title = ", ".join(f"{r.rule_id} {r.status}" for r in results) or "no rule checked this link"
    return (f'<g class="link" data-state="{state}"><title>{_e(title)}</title>'
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{color}" stroke-width="4"'
            f'{dash}/>{lines}{_hardening((x1 + x2) // 2, max(y1, y2) + 18, hardening)}</g>')


def svg(results) -> str:
    c = chain(results)
    secrets = list(c["secrets"]) or []
    rows = max(1, len(secrets), sum(max(1, len(c["keys"].get(s, {}))) for s in secrets))
    height = 60 + rows * ROW
    column = [20 + i * (BOX_W + GAP) for i in range(4)]
    top = 34
    parts = []
    mid = top + BOX_H // 2
    if c["user"]:
        parts.append(_box(column[0], top, "IAM user", _short(c["user"]), c["user"]))
    if c["role"]:
        parts.append(_box(column[1], top, "IAM role", _short(c["role"]), c["role"]))
    if c["user"] and c["role"]:
        parts.append(_link(column[0] + BOX_W, mid, column[1], mid, c["user_role"],
                           c["user_role_hardening"]))
    y = top
    for secret in secrets:
        parts.append(_box(column[2], y, "secret", _short(secret), secret))
        if c["role"]:
            parts.append(_link(column[1] + BOX_W, mid, column[2], y + BOX_H // 2,
                               c["secrets"][secret], c["role_secret_hardening"]))
        key_y = y
        for key, key_results in c["keys"].get(secret, {}).items():
            parts.append(_box(column[3], key_y, "KMS key", _short(key), key))
            parts.append(_link(column[2] + BOX_W, y + BOX_H // 2, column[3],
                               key_y + BOX_H // 2, key_results))
            key_y += ROW
        y = max(y + ROW, key_y)
    width = column[3] + BOX_W + 20 if any(c["keys"].values()) else column[2] + BOX_W + 20
    return (f'<svg role="img" aria-label="the chain user, role, secrets, keys" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')


# --- the page ------------------------------------------------------------------------------

def _row(result) -> str:
    waived = result.suppressed is not None
    status = result.status + (" (waived)" if waived else "")
    new = ' <span class="new">new</span>' if result.baseline == "new" else ""
    fix = result.remediation if result.status == FAIL and not waived else ""
    where = result.profile if result.profile is not None else result.resource
    rank = _ORDER.get(result.status, 5) + (1.5 if waived else 0)
    return (f'<tr data-status="{_e(result.status)}" data-severity="{_e(result.severity)}" '
            f'data-rule="{_e(result.rule_id)}"{" data-waived=1" if waived else ""}>'
            f'<td class="st nw st-{_e(result.status)}" data-sort="{rank}">'
            f'<span class="{"waived" if waived else ""}">{_e(status)}</span>{new}</td>'
            f'<td data-sort="{9 - SEVERITY_RANK.get(result.severity, 0)}">{_e(result.severity)}</td>'
            f'<td class="nw">{_e(result.rule_id)}</td><td>{_e(where)}</td>'
            f'<td>{_e(result.message)}<div class="arn">{_e(result.resource)}</div></td>'
            f'<td class="fix">{_e(fix)}</td></tr>')


def _select(name: str, label: str, options, default: str = "") -> str:
    items = "".join(f'<option value="{_e(value)}"{" selected" if value == default else ""}>'
                    f'{_e(text)}</option>' for value, text in options)
    return f'<label>{label} <select id="f-{name}">{items}</select></label>'


def _findings(report) -> str:
    shown = sorted(report.shown, key=lambda r: (_ORDER.get(r.status, 5) + (1.5 if r.suppressed else 0),
                                                -SEVERITY_RANK.get(r.severity, 0)))
    statuses = [("open", "FAIL and ERROR"), ("", "all")] + \
        [(s, s) for s in (FAIL, ERROR, PASS, SKIP)]
    severities = [("", "all")] + [(s, s) for s in ("critical", "high", "medium", "low", "info")]
    rules = [("", "all")] + [(r, r) for r in dict.fromkeys(r.rule_id for r in shown)]
    filters = (_select("status", "Status", statuses, "open") + _select("severity", "Severity",
               severities) + _select("rule", "Rule", rules)
               + '<label>Text <input id="f-text" type="search" placeholder="ARN, word…"></label>'
               + f'<span><b id="shown">{len(shown)}</b> of {len(shown)} shown</span>')
    head = "".join(f"<th>{name}</th>" for name in
                   ("Status", "Severity", "Rule", "Profile / file", "Finding", "Fix"))
    return (f'<h2>Findings</h2><div class="filters">{filters}</div>'
            f'<table id="findings"><thead><tr>{head}</tr></thead><tbody>'
            + "".join(_row(r) for r in shown) + "</tbody></table>")


def _chains(report) -> str:
    groups: dict[str, list] = {}
    for r in report.results:
        if r.profile is not None:
            groups.setdefault(r.profile, []).append(r)
    if not groups:
        return ""
    legend = "".join(f'<span><i style="background:{COLORS[k]}"></i>{text}</span>' for k, text in
                     (("fail", "a rule fails (named)"), ("error", "could not be checked"),
                      ("pass", "checked, passing"), ("waived", "waived failure"),
                      ("none", "not checked")))
    cards = []
    for profile, results in groups.items():
        cards.append(f'<div class="card"><h3>Profile {_e(profile)}</h3>{svg(results)}</div>')
    return f'<h2>The chain, per profile</h2><div class="legend">{legend}</div>' + "".join(cards)


def _resolved(report) -> str:
    resolved = report.extra.get("resolved") or []
    if not resolved:
        return ""
    items = "".join(f"<li><b>{_e(o.get('rule_id'))}</b> ({_e(o.get('severity'))}) "
                    f"{_e(o.get('profile') or o.get('resource'))} — now {_e(o.get('now'))}: "
                    f"{_e(o.get('message'))}</li>" for o in resolved)
    return f"<h2>Resolved since the baseline</h2><ul>{items}</ul>"


def render(report, *, color: bool = False, **_options) -> str:
    ok, verdict = _verdict(report)
    s = report.summary()
    counts = "".join(f"<span><b>{s[key]}</b> {label}</span>" for key, label in
                     (("fail", "FAIL"), ("error", "ERROR"), ("suppressed", "waived"),
                      ("pass", "PASS"), ("skip", "SKIP")))
    what = {"scan": "Scan", "lint": "Lint", "discover": "Discovery"}.get(report.mode, report.mode)
    csp = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
           "img-src data:")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>iam-auditor: {_e(verdict)}</title><style>{_STYLE}</style></head><body><main>"
        f"<h1>iam-auditor report</h1><p class=\"meta\">{what} · {s['results']} results · "
        f"generated {_e(report.generated_at)} · --fail-on {_e(report.fail_on)}</p>"
        f'<div class="verdict {"ok" if ok else "no"}">{_e(verdict)}</div>'
        f'<div class="counts">{counts}</div>'
        + _chains(report) + _findings(report) + _resolved(report)
        + f"<footer>iam-auditor {_e(__version__)}. Self-contained: this file loads nothing "
        "from the network.</footer></main>"
        f"<script>{_SCRIPT}</script></body></html>\n")
