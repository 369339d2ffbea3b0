//! `infra/template.yaml` describes the same table and bucket as the local bootstrap.

use accreditation::schema;
use accreditation_tests::ROOT;
use serde_norway::Value;

fn template() -> Value {
    let text = std::fs::read_to_string(format!("{ROOT}/infra/template.yaml")).expect("infra/template.yaml");
    serde_norway::from_str(&text).expect("valid YAML")
}

fn resource_of_type<'a>(template: &'a Value, kind: &str) -> &'a Value {
    let resources = template["Resources"].as_mapping().expect("Resources");
    let mut found = resources.values().filter(|r| r["Type"].as_str() == Some(kind));
    let resource = found.next().unwrap_or_else(|| panic!("no {kind} in the template"));
    assert!(found.next().is_none(), "one {kind} expected");
    &resource["Properties"]
}

fn key_schema(keys: &Value) -> Vec<(String, String)> {
    keys.as_sequence()
        .expect("KeySchema")
        .iter()
        .map(|k| (k["AttributeName"].as_str().unwrap().to_string(), k["KeyType"].as_str().unwrap().to_string()))
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value.as_sequence().expect("a list").iter().map(|v| v.as_str().expect("text").to_string()).collect()
}

#[test]
fn the_table_in_the_template_is_the_table_the_bootstrap_creates() {
    let template = template();
    let table = resource_of_type(&template, "AWS::DynamoDB::Table");
    let expected = schema::table();

    assert_eq!(table["BillingMode"].as_str(), Some("PAY_PER_REQUEST"));
    assert_eq!(
        key_schema(&table["KeySchema"]),
        [(expected.hash_key.into(), "HASH".into()), (expected.range_key.into(), "RANGE".into())]
    );
    let attributes: Vec<(String, String)> = table["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| (a["AttributeName"].as_str().unwrap().into(), a["AttributeType"].as_str().unwrap().into()))
        .collect();
    let expected_attributes: Vec<(String, String)> =
        expected.attribute_definitions().into_iter().map(|(n, t)| (n.into(), t.into())).collect();
    assert_eq!(attributes, expected_attributes);

    let indexes = table["GlobalSecondaryIndexes"].as_sequence().unwrap();
    assert_eq!(indexes.len(), expected.indexes.len());
    for (index, expected) in indexes.iter().zip(&expected.indexes) {
        assert_eq!(index["IndexName"].as_str(), Some(expected.name));
        assert_eq!(
            key_schema(&index["KeySchema"]),
            [(expected.hash_key.into(), "HASH".into()), (expected.range_key.into(), "RANGE".into())]
        );
        assert_eq!(index["Projection"]["ProjectionType"].as_str(), Some("ALL"));
    }
    assert_eq!(table["TimeToLiveSpecification"]["AttributeName"].as_str(), Some(expected.ttl_attribute));
    assert_eq!(table["TimeToLiveSpecification"]["Enabled"].as_bool(), Some(true));
    assert_eq!(table["StreamSpecification"]["StreamViewType"].as_str(), Some(expected.stream_view_type));
    assert_eq!(table["SSESpecification"]["SSEEnabled"].as_bool(), Some(true));
    assert_eq!(table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(), Some(true));
}

#[test]
fn the_bucket_in_the_template_is_the_bucket_the_bootstrap_creates() {
    let template = template();
    let bucket = resource_of_type(&template, "AWS::S3::Bucket");
    let expected = schema::bucket();

    let rules = bucket["CorsConfiguration"]["CorsRules"].as_sequence().unwrap();
    assert_eq!(rules.len(), 1);
    let cors = &rules[0];
    assert_eq!(strings(&cors["AllowedMethods"]), expected.cors.allowed_methods);
    assert_eq!(strings(&cors["AllowedHeaders"]), expected.cors.allowed_headers);
    assert_eq!(strings(&cors["ExposedHeaders"]), expected.cors.expose_headers);
    assert_eq!(cors["MaxAge"].as_i64(), Some(expected.cors.max_age_seconds.into()));

    let lifecycle = bucket["LifecycleConfiguration"]["Rules"].as_sequence().unwrap();
    let abandoned = lifecycle.iter().find(|r| r["Id"].as_str() == Some("delete-abandoned-uploads")).expect("rule");
    assert_eq!(abandoned["ExpirationInDays"].as_i64(), Some(expected.pending_upload_days.into()));
    let filter = &abandoned["TagFilters"][0];
    assert_eq!(filter["Key"].as_str(), Some(schema::UPLOAD_STATE_TAG));
    assert_eq!(filter["Value"].as_str(), Some(schema::UPLOAD_PENDING));

    let block = &bucket["PublicAccessBlockConfiguration"];
    for setting in ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"] {
        assert_eq!(block[setting].as_bool(), Some(true), "{setting}");
    }
    assert!(bucket["BucketEncryption"].is_mapping(), "default encryption");
}
