"""iam-auditor: audit the IAM set-up a SaaS product uses to read AWS Secrets Manager."""

__version__ = "1.0.0"
