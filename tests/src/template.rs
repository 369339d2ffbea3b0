//! `infra/template.yaml` as the tests read it: its functions, their roles' grants, and the
//! intrinsic functions (`!Ref`, `!GetAtt`, `!Sub`) as text.

use std::collections::{BTreeMap, BTreeSet};

use serde_norway::Value;

use crate::ROOT;

/// The template, parsed.
pub fn template() -> Value {
    let text = std::fs::read_to_string(format!("{ROOT}/infra/template.yaml")).expect("infra/template.yaml");
    serde_norway::from_str(&text).expect("valid YAML")
}

/// A value as text: `!Ref X` and `!GetAtt X.Y` become `${X}` and `${X.Y}` (as `!Sub` writes them).
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Tagged(tagged) => match (tagged.tag.to_string().trim_start_matches('!'), &tagged.value) {
            ("Ref" | "GetAtt", Value::String(name)) => format!("${{{name}}}"),
            ("Sub", Value::String(s)) => s.clone(),
            _ => panic!("unexpected {value:?}"),
        },
        other => panic!("unexpected {other:?}"),
    }
}

/// `${X}` or `${X.Attribute}` → `X`.
pub fn referenced(text: &str) -> &str {
    let inner = text.strip_prefix("${").and_then(|t| t.strip_suffix('}')).unwrap_or_else(|| panic!("{text}"));
    inner.split('.').next().unwrap()
}

/// A value that may be one item or a list, as a list; `!If [condition, a, b]` is both `a` and `b`
/// (either may be in force).
pub fn list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Tagged(tagged) if tagged.tag.to_string().trim_start_matches('!') == "If" => {
            tagged.value.as_sequence().map(|parts| parts.iter().skip(1).flat_map(list).collect()).unwrap_or_default()
        }
        Value::Sequence(items) => items.iter().collect(),
        Value::Null => vec![],
        single => vec![single],
    }
}

/// The Lambda functions of the template by crate name (their `CodeUri` directory).
pub fn functions(template: &Value) -> BTreeMap<String, (&str, &Value)> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(id, r)| {
            let code = r["Properties"]["CodeUri"].as_str().expect("a local CodeUri");
            let name = code.strip_prefix("../functions/").unwrap_or_else(|| panic!("{code} is not under functions/"));
            (name.to_string(), (id.as_str().unwrap(), &r["Properties"]))
        })
        .collect()
}

/// The role (its resource id) a function runs with.
pub fn role_of(function: &Value) -> String {
    referenced(&text(&function["Role"])).to_string()
}

/// The policy documents of the role `role`: its own `Policies` and the `AWS::IAM::RolePolicy`
/// resources attached to it (a role whose policy names a resource naming the role, a KMS key,
/// cannot hold that policy itself).
pub fn policies<'a>(template: &'a Value, role: &str) -> Vec<&'a Value> {
    let resources = template["Resources"].as_mapping().expect("Resources");
    let own = list(&template["Resources"][role]["Properties"]["Policies"]).into_iter().map(|p| &p["PolicyDocument"]);
    let attached = resources
        .values()
        .filter(|r| r["Type"].as_str() == Some("AWS::IAM::RolePolicy"))
        .filter(|r| referenced(&text(&r["Properties"]["RoleName"])) == role)
        .map(|r| &r["Properties"]["PolicyDocument"]);
    own.chain(attached).collect()
}

/// The `(action, resource)` pairs a function's role allows.
pub fn grants(template: &Value, function: &str) -> BTreeSet<(String, String)> {
    let functions = functions(template);
    let (_, properties) = functions.get(function).unwrap_or_else(|| panic!("no function {function}"));
    let mut grants = BTreeSet::new();
    for policy in policies(template, &role_of(properties)) {
        for statement in list(&policy["Statement"]) {
            for action in list(&statement["Action"]) {
                for resource in list(&statement["Resource"]) {
                    grants.insert((text(action), text(resource)));
                }
            }
        }
    }
    grants
}
