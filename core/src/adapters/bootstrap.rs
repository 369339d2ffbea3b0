//! Creates the table, bucket and sender identity the way the emulator needs them (`make dev`,
//! `make test`); `infra/template.yaml` declares the same shapes for AWS (checked by a test).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, CorsConfiguration, CorsRule, CreateBucketConfiguration,
    ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, Tag,
};

use super::classify;
use crate::{
    ports::InfraError,
    schema::{self, ABANDONED_UPLOADS_RULE, DECIDED_DOCUMENTS_RULE, UPLOAD_DECIDED, UPLOAD_PENDING, UPLOAD_STATE_TAG},
};

fn built<T, E: std::error::Error + Send + Sync + 'static>(result: Result<T, E>) -> Result<T, InfraError> {
    result.map_err(|e| InfraError::unexpected("building a bootstrap request", e))
}

/// Creates the table described by [`schema::table`] (on-demand, TTL on) unless it exists.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<(), InfraError> {
    let table = schema::table();
    let key = |attribute: &str, kind: KeyType| {
        built(KeySchemaElement::builder().attribute_name(attribute).key_type(kind).build())
    };
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(built(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(table.stream_view_type))
                .build(),
        )?)
        .key_schema(key(table.hash_key, KeyType::Hash)?)
        .key_schema(key(table.range_key, KeyType::Range)?);
    for (attribute, _) in table.attribute_definitions() {
        request = request.attribute_definitions(built(
            AttributeDefinition::builder().attribute_name(attribute).attribute_type(ScalarAttributeType::S).build(),
        )?);
    }
    for index in &table.indexes {
        request = request.global_secondary_indexes(built(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .key_schema(key(index.hash_key, KeyType::Hash)?)
                .key_schema(key(index.range_key, KeyType::Range)?)
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build(),
        )?);
    }
    match request.send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => return Ok(()),
        Err(e) => return Err(classify("DynamoDB", "CreateTable", e)),
    }
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(built(
            TimeToLiveSpecification::builder().attribute_name(table.ttl_attribute).enabled(true).build(),
        )?)
        .send()
        .await
        .map_err(|e| classify("DynamoDB", "UpdateTimeToLive", e))?;
    Ok(())
}

/// Creates the document bucket with the browser-upload CORS rule for `allowed_origins` and the
/// lifecycle rule that deletes abandoned uploads.
pub async fn create_bucket(
    client: &aws_sdk_s3::Client,
    name: &str,
    region: &str,
    allowed_origins: &[String],
) -> Result<(), InfraError> {
    let mut create = client.create_bucket().bucket(name);
    if region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(region)).build(),
        );
    }
    match create.send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_bucket_already_owned_by_you()) => {}
        Err(e) => return Err(classify("S3", "CreateBucket", e)),
    }
    let shape = schema::bucket();
    let cors = built(
        CorsRule::builder()
            .set_allowed_methods(Some(shape.cors.allowed_methods.iter().map(|m| m.to_string()).collect()))
            .set_allowed_headers(Some(shape.cors.allowed_headers.iter().map(|h| h.to_string()).collect()))
            .set_expose_headers(Some(shape.cors.expose_headers.iter().map(|h| h.to_string()).collect()))
            .set_allowed_origins(Some(allowed_origins.to_vec()))
            .max_age_seconds(shape.cors.max_age_seconds)
            .build(),
    )?;
    client
        .put_bucket_cors()
        .bucket(name)
        .cors_configuration(built(CorsConfiguration::builder().cors_rules(cors).build())?)
        .send()
        .await
        .map_err(|e| classify("S3", "PutBucketCors", e))?;
    let expire = |id: &str, state: &str, days: i32| -> Result<LifecycleRule, InfraError> {
        let tag = built(Tag::builder().key(UPLOAD_STATE_TAG).value(state).build())?;
        built(
            LifecycleRule::builder()
                .id(id)
                .status(ExpirationStatus::Enabled)
                .filter(LifecycleRuleFilter::builder().tag(tag).build())
                .expiration(LifecycleExpiration::builder().days(days).build())
                .build(),
        )
    };
    let rules = vec![
        expire(ABANDONED_UPLOADS_RULE, UPLOAD_PENDING, shape.pending_upload_days)?,
        expire(DECIDED_DOCUMENTS_RULE, UPLOAD_DECIDED, shape.decided_retention_days)?,
    ];
    client
        .put_bucket_lifecycle_configuration()
        .bucket(name)
        .lifecycle_configuration(built(BucketLifecycleConfiguration::builder().set_rules(Some(rules)).build())?)
        .send()
        .await
        .map_err(|e| classify("S3", "PutBucketLifecycleConfiguration", e))?;
    Ok(())
}

/// Registers `sender` as an SES identity (the emulator then treats it as verified).
pub async fn verify_sender(client: &aws_sdk_sesv2::Client, sender: &str) -> Result<(), InfraError> {
    match client.create_email_identity().email_identity(sender).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_already_exists_exception()) => Ok(()),
        Err(e) => Err(classify("SES", "CreateEmailIdentity", e)),
    }
}

/// Creates the `RSA_2048` signing key of ID tokens under `alias` (`alias/...`) unless the alias
/// exists; answers the key's id. In AWS the template creates it (with its key policy).
pub async fn create_signing_key(client: &aws_sdk_kms::Client, alias: &str) -> Result<String, InfraError> {
    if let Ok(found) = client.describe_key().key_id(alias).send().await
        && let Some(id) = found.key_metadata().map(|m| m.key_id().to_string())
    {
        return Ok(id);
    }
    let created = client
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::Rsa2048)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .description("ID token signing key (RS256) of the foreign users' OpenID Connect provider")
        .send()
        .await
        .map_err(|e| classify("KMS", "CreateKey", e))?;
    let id = created.key_metadata().map(|m| m.key_id().to_string()).unwrap_or_default();
    client
        .create_alias()
        .alias_name(alias)
        .target_key_id(&id)
        .send()
        .await
        .map_err(|e| classify("KMS", "CreateAlias", e))?;
    Ok(id)
}
