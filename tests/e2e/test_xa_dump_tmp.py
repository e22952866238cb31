import json
from test_cross_account import *  # noqa
def show(report):
    for r in report["results"]:
        if r["rule_id"].startswith(("CHAIN", "LP-002", "KEY-003", "TRUST-005")):
            print(" ", r["rule_id"], r["status"], r["account_id"], r["resource"], "|", r["message"][:120])
def test_dump(account, cross):
    profile, env, iam_b = cross
    p = dict(profile); del p["user_aws_profile"]
    print("\n-- user_aws_profile omitted"); show(account.scan(account.config(p), env=env)[1])
    # same-named user in A, user configured by its ARN in B, no user_aws_profile
    account.iam.create_user(UserName=USER)
    p["user"] = USER_ARN_B
    print("-- user ARN of B, no user_aws_profile, same-named user exists in A"); show(account.scan(account.config(p), env=env)[1])
    # same-named role in B, role read with acct-b
    iam_b.create_role(RoleName="read_secrets_role", AssumeRolePolicyDocument=json.dumps({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":USER_ARN_B},"Action":"sts:AssumeRole"}]}))
    p2 = dict(profile, aws_profile="acct-b")
    print("-- role ARN of A read with acct-b, same-named role in B"); show(account.scan(account.config(p2), env=env)[1])
