"""Expands infra/template.yaml's Serverless transform offline, the way CloudFormation would.

Usage: sam_translate.py <template.yaml> <expanded.json>

cfn-lint does not expand AWS::Serverless resources, so mistakes inside them (an undefined
authorizer, a wrong event type) only show in the expanded template, which make lint-infra
lints as well. No AWS account is needed: the partition is given and nothing is looked up.
"""

import json
import sys

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.public.translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies(ManagedPolicyLoader):
    """The template names no AWS managed policy; asking IAM for their ARNs would need credentials."""

    def __init__(self):
        pass

    def load(self):
        return {}


def packaged(template):
    """Local CodeUri paths become S3 locations, as `sam package` uploads them."""
    for name, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(properties.get("CodeUri"), str):
            if not properties["CodeUri"].startswith("s3://"):
                properties["CodeUri"] = f"s3://packaged-code/{name}.zip"
    return template


def main(source, target):
    with open(source, encoding="utf-8") as f:
        template = packaged(yaml_parse(f.read()))
    try:
        expanded = transform(template, {}, NoManagedPolicies())
    except InvalidDocumentException as error:
        for cause in error.causes:
            print(f"{source}: {cause.message}", file=sys.stderr)
        sys.exit(1)
    with open(target, "w", encoding="utf-8") as f:
        json.dump(expanded, f, indent=2)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
