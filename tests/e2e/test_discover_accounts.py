"""discover over several accounts: one that cannot be read is a DISCOVER-001 ERROR, the others
complete (README: Account-wide discovery)."""
import json

from clitools import run_cli
from test_scan_e2e import narrow_setup


def test_missing_profile_is_discover_001_and_the_others_complete(account, tmp_path):
    narrow_setup(account)
    aws_config = tmp_path / "aws-config"
    aws_config.write_text("[profile audit-prod]\naws_access_key_id = testing\n"
                          "aws_secret_access_key = testing\nregion = us-east-1\n")
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text("accounts:\n  - {account: prod, aws_profile: audit-prod}\n"
                        "  - {account: gone, aws_profile: no-such-profile}\n")
    env = account.env(AWS_CONFIG_FILE=str(aws_config))
    env.pop("AWS_ACCESS_KEY_ID")
    env.pop("AWS_SECRET_ACCESS_KEY")
    proc = run_cli("discover", "--accounts", accounts, "--format", "json",
                   env={**env, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)
    errors = [r for r in report["results"] if r["rule_id"] == "DISCOVER-001"]
    assert len(errors) == 1 and errors[0]["status"] == "ERROR"
    assert "gone" in errors[0]["message"] and "no-such-profile" in errors[0]["message"]
    assert any(r["resource"] == "arn:aws:iam::123456789012:role/read_secrets_role"
               for r in report["results"])
    assert proc.returncode in (1, 3)
