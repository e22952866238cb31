"""The examples and exit codes every `--help` ends with."""

EXIT_CODES = """exit codes:
  0  no unsuppressed FAIL at or above --fail-on, and no ERROR
  1  an unsuppressed FAIL at or above --fail-on (default: low)
  2  usage, configuration or input error, before anything was evaluated (one line on stderr)
  3  no failing result, but some results are ERROR (the audit is incomplete)"""
EXAMPLES = {
    None: """examples:
  iam-auditor demo                                  a full scan of a sample account, no AWS needed
  iam-auditor lint policies/ --fail-on medium       check policy files before they exist in AWS
  iam-auditor scan -c auditor.yaml                  audit the configured profiles against AWS
  iam-auditor scan -c auditor.yaml -o r.json -o r.sarif -o r.jsonl   several reports, one run
  iam-auditor rules LP-001                          one rule in full, with FAIL and PASS examples""",
    "lint": """examples:
  iam-auditor lint examples/
  iam-auditor lint policies/ --format sarif -o iam.sarif --fail-on medium
  iam-auditor lint trust.json --rule 'TRUST-*'""",
    "scan": """examples:
  iam-auditor scan -c auditor.yaml
  iam-auditor scan -c auditor.yaml --profile-name catalog-prod --all
  iam-auditor scan -c auditor.yaml -o report.json -o report.sarif -o report.html
  iam-auditor scan -c auditor.yaml --baseline yesterday.json -o today.jsonl --fail-on-new-only
  iam-auditor scan -c auditor.yaml --snapshot state.json --skip-rule 'KEY-*'""",
    "collect": """examples:
  iam-auditor collect -c auditor.yaml -o state.json
  iam-auditor scan -c auditor.yaml --snapshot state.json      (later, offline)""",
    "demo": """examples:
  iam-auditor demo
  iam-auditor demo --all --no-color | less
  iam-auditor demo -o demo.html -o demo.json""",
    "discover": """examples:
  iam-auditor discover --aws-profile audit-prod
  iam-auditor discover --accounts accounts.yaml --format jsonl -o findings.jsonl
  iam-auditor discover --organization --aws-profile org-management --max-accounts 8 -o org.jsonl
  aws iam get-account-authorization-details > gaad.json
  iam-auditor discover --authorization-details gaad.json --format json -o findings.json
    (JSONL is written as each account completes; the last line is the run's summary)""",
    "rules": """examples:
  iam-auditor rules
  iam-auditor rules LP-001
  iam-auditor rules 'TRUST-*' --format json""",
}
