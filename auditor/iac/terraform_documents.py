"""Policy documents of a Terraform plan: JSON text decoded, sensitive values hidden, and a
`data.aws_iam_policy_document` rebuilt from its configuration when its `json` is known only
after apply (its statements name a resource the plan creates, for instance).

A policy the plan marks sensitive (built from a sensitive variable, typically an external ID) is
decoded, and every string equal to a sensitive variable's value becomes a `Sensitive` Unknown;
when none is found the sensitive part cannot be told apart, so every condition value is hidden.
Rules then judge the document's shape (operators, principals, actions) and SKIP on the values.
"""
from __future__ import annotations

from typing import Any

from ..unknown import Unknown
from ._common import decode_policy
from .model import IDENTITY, TRUST, PolicyDocument
from .terraform_plan import (Instance, Sensitive, as_list, expression_references, references,
                             sensitive_at)

# aws_iam_policy_document statement arguments -> IAM policy elements
_LISTS = {"actions": "Action", "not_actions": "NotAction", "resources": "Resource",
          "not_resources": "NotResource"}
_PRINCIPAL_BLOCKS = {"principals": "Principal", "not_principals": "NotPrincipal"}


class DocumentBuilder:
    def __init__(self, reader, variables: dict, sensitive_names: set[str]):
        self.reader = reader
        self.variables = variables
        self.sensitive_values = {str(variables[n]): n for n in sensitive_names
                                 if isinstance(variables.get(n), (str, int)) and str(variables[n])}
        self.sensitive_names = sensitive_names

    # -- attributes holding a policy ----------------------------------------------------------
    def attribute(self, instance: Instance, attribute: str, name: str, role: str,
                  managed_arn: Any = None) -> PolicyDocument | None:
        raw = instance.values.get(attribute)
        if raw is None or raw == "":
            return None
        for ref, _ in references(instance, attribute):
            if ref.startswith("data.aws_iam_policy_document."):
                data = self.reader.find(instance, ref)
                if data is not None:   # linted as this resource's policy, not a second time alone
                    self.reader.used_documents.add(data.address)
        if isinstance(raw, Unknown):
            for ref, _ in references(instance, attribute):
                if ref.startswith("data.aws_iam_policy_document."):
                    data = self.reader.find(instance, ref)
                    if data is not None:
                        self.reader.used_documents.add(data.address)
                        built = self.data_document(data, used=True)
                        if built is not None:
                            return PolicyDocument(name, role, built.document, self.reader.source(instance),
                                                  line=self.reader.source(instance).line,
                                                  managed_arn=managed_arn)
            return PolicyDocument(name, role, raw, self.reader.source(instance),
                                  line=self.reader.source(instance).line, managed_arn=managed_arn)
        sensitive = sensitive_at(instance.sensitive, attribute) is True
        return self.decode(instance, raw, name, role, sensitive=sensitive, managed_arn=managed_arn,
                           attribute=attribute)

    def decode(self, instance: Instance, raw: Any, name: str, role: str, *, sensitive: bool = False,
               managed_arn: Any = None, attribute: str = "policy") -> PolicyDocument | None:
        source = self.reader.source(instance)
        if not isinstance(raw, str):
            self.reader.problem(instance, f"{attribute} of {instance.address} ({name}) is a "
                                          f"{type(raw).__name__}, not JSON text: not read")
            return None
        document, error = decode_policy(raw)
        if error is not None:
            # Never quote the text: it may hold a sensitive value.
            self.reader.problem(instance, f"{attribute} of {instance.address} ({name}) is {error}")
            return None
        if sensitive:
            document = self.hide_sensitive(document, instance.address)
        return PolicyDocument(name, role, document, source, line=source.line, managed_arn=managed_arn)

    def hide_sensitive(self, document: Any, address: str) -> Any:
        found = [False]

        def walk(value):
            if isinstance(value, str) and not isinstance(value, Unknown) and value in self.sensitive_values:
                found[0] = True
                return Sensitive(f"sensitive value: var.{self.sensitive_values[value]}")
            if isinstance(value, dict):
                return {k: walk(v) for k, v in value.items()}
            if isinstance(value, list):
                return [walk(v) for v in value]
            return value

        hidden = walk(document)
        if found[0]:
            return hidden
        return _hide_conditions(hidden, address)

    # -- data.aws_iam_policy_document ----------------------------------------------------------
    def data_document(self, instance: Instance, *, used: bool) -> PolicyDocument | None:
        raw = instance.values.get("json")
        source = self.reader.source(instance)
        if isinstance(raw, str) and not isinstance(raw, Unknown) and raw:
            return self.decode(instance, raw, instance.address, _role_of(raw), attribute="json",
                               sensitive=sensitive_at(instance.sensitive, "json") is True)
        statements = instance.expressions.get("statement")
        if not isinstance(statements, list) or not statements or not _rebuildable(instance.expressions):
            what = Unknown(f"known after apply: {instance.address}.json")
            return PolicyDocument(instance.address, IDENTITY, what, source, line=source.line)
        built = [self.statement(instance, block) for block in statements if isinstance(block, dict)]
        role = TRUST if any("Principal" in s or "NotPrincipal" in s for s in built) else IDENTITY
        version = self.expression(instance, instance.expressions.get("version")) or "2012-10-17"
        return PolicyDocument(instance.address, role, {"Version": version, "Statement": built}, source,
                              line=source.line)

    def statement(self, instance: Instance, block: dict) -> dict:
        out: dict[str, Any] = {}
        sid = self.expression(instance, block.get("sid"))
        if sid is not None:
            out["Sid"] = sid
        effect = self.expression(instance, block.get("effect"))
        out["Effect"] = effect if effect is not None else "Allow"     # the data source's default
        for argument, element in _LISTS.items():
            value = self.expression(instance, block.get(argument), listed=True)
            if value is not None:
                out[element] = value
        for argument, element in _PRINCIPAL_BLOCKS.items():
            for principal in as_list(block.get(argument)):
                if not isinstance(principal, dict):
                    continue
                kind = self.expression(instance, principal.get("type"))
                identifiers = self.expression(instance, principal.get("identifiers"), listed=True)
                if kind == "*" and identifiers == ["*"]:
                    out[element] = "*"
                elif kind is not None and identifiers is not None:
                    out.setdefault(element, {}).setdefault(str(kind), [])
                    out[element][str(kind)] += identifiers
        for condition in as_list(block.get("condition")):
            if not isinstance(condition, dict):
                continue
            test = self.expression(instance, condition.get("test"))
            variable = self.expression(instance, condition.get("variable"))
            values = self.expression(instance, condition.get("values"), listed=True)
            if isinstance(test, str) and isinstance(variable, str) and values is not None:
                out.setdefault("Condition", {}).setdefault(test, {})[variable] = values
        return out

    def expression(self, instance: Instance, expression: Any, *, listed: bool = False) -> Any:
        """An expression's value: its constant, else what its single reference resolves to (a
        variable, or an attribute of a resource of the plan), else an Unknown naming it."""
        if not isinstance(expression, dict):
            return None
        if "constant_value" in expression:
            value = expression["constant_value"]
            return [value] if listed and not isinstance(value, list) else value
        raw_refs = [r for r in as_list(expression.get("references")) if isinstance(r, str)]
        if not raw_refs:
            return None
        value = self.resolve(instance, raw_refs)
        return [value] if listed and not isinstance(value, list) else value

    def resolve(self, instance: Instance, raw_refs: list[str]) -> Any:
        variables = {r[4:].split(".")[0] for r in raw_refs if r.startswith("var.")}
        resources = expression_references({"references": raw_refs})
        subjects = {ref for ref, _ in resources}
        label = raw_refs[0]
        if len(variables) == 1 and not subjects and not instance.module:
            name = next(iter(variables))
            if name in self.sensitive_names:
                return Sensitive(f"sensitive value: var.{name}")
            if name in self.variables:
                return self.variables[name]
        if len(subjects) == 1 and not variables:
            ref, attribute = resources[0]
            target = self.reader.find(instance, ref)
            if target is not None and attribute:
                value = self.reader.entity_attribute(target, attribute)
                if value is not None:
                    return value
        return Unknown(f"known after apply: {label}")


# Arguments whose meaning the rebuild knows. Anything else (source_policy_documents,
# override_policy_documents, a `dynamic` block, ...) adds statements the configuration does not
# spell out: the document is then Unknown rather than a narrower document than IAM will get.
_DOCUMENT_ARGUMENTS = {"statement", "version", "policy_id"}
_STATEMENT_ARGUMENTS = {"sid", "effect", "condition", *_LISTS, *_PRINCIPAL_BLOCKS}


def _rebuildable(expressions: dict) -> bool:
    if set(expressions) - _DOCUMENT_ARGUMENTS:
        return False
    return all(isinstance(block, dict) and not set(block) - _STATEMENT_ARGUMENTS
               for block in expressions.get("statement") or ())


def _role_of(text: str) -> str:
    return TRUST if '"Principal"' in text or '"NotPrincipal"' in text else IDENTITY


def _hide_conditions(document: Any, address: str) -> Any:
    """Every condition value of the document replaced by a Sensitive naming the resource."""
    if not isinstance(document, dict):
        return document
    hidden = dict(document)
    statements = hidden.get("Statement")
    if isinstance(statements, (list, dict)):
        listed = statements if isinstance(statements, list) else [statements]
        out = []
        for statement in listed:
            if isinstance(statement, dict) and isinstance(statement.get("Condition"), dict):
                statement = dict(statement)
                statement["Condition"] = {
                    operator: ({key: Sensitive(f"sensitive value in {address}") for key in keys}
                               if isinstance(keys, dict) else keys)
                    for operator, keys in statement["Condition"].items()}
            out.append(statement)
        hidden["Statement"] = out if isinstance(statements, list) else out[0]
    return hidden
