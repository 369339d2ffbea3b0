//! The pages, assets and OpenAPI document as served: links, settings, headers, compression, methods.

use super::*;
use lambda_http::http::StatusCode;
use sha2::{Digest, Sha256};

fn config(extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<&str, &str> = [
        ("TABLE_NAME", "t"),
        ("DOCUMENT_BUCKET", "foreign-users-documents"),
        ("SENDER_EMAIL", "noreply@example.org"),
        ("PRIVACY_NOTICE_VERSION", "2026-11"),
        ("LOGIN_URL", "https://portal.example.org/login"),
        ("AWS_REGION", "eu-south-1"),
        ("CAPTCHA_HOSTNAMES", "form.example.org"),
        ("RECAPTCHA_SITE_KEY", "site-key-123"),
    ]
    .into_iter()
    .collect();
    vars.extend(extra.iter().copied());
    Config::from_lookup(|name| vars.get(name).map(|v| v.to_string())).unwrap()
}

async fn get(site: &Site, method: &str, path: &str) -> Response<Body> {
    request(site, method, path, json!({})).await
}

async fn request(site: &Site, method: &str, path: &str, headers: serde_json::Value) -> Response<Body> {
    let event = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": headers, "isBase64Encoded": false,
        "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1", "userAgent": "test"}, "requestId": "r", "stage": "$default",
            "accountId": "1", "apiId": "a", "domainName": "d", "domainPrefix": "d", "routeKey": "$default",
            "time": "25/Nov/2026:05:00:00 +0000", "timeEpoch": 0}
    });
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    handler(site, request).await.unwrap()
}

fn text(response: &Response<Body>) -> &str {
    match response.body() {
        Body::Text(text) => text,
        other => panic!("{other:?}"),
    }
}

/// The settings the page scripts read.
fn settings_of(page: &str) -> serde_json::Value {
    let start = page.find(r#"<script type="application/json" id="settings">"#).unwrap();
    let json = &page[start..].split_once('>').unwrap().1;
    serde_json::from_str(json.split_once("</script>").unwrap().0).unwrap()
}

#[tokio::test]
async fn every_page_is_rendered_with_its_assets_and_settings() {
    let site = Site::new(&config(&[])).unwrap();
    for (path, _) in PAGES {
        let response = get(&site, "GET", path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
        let page = text(&response);
        assert!(!page.contains("{{"), "{path}: a placeholder was left");
        for link in page.split("\"/assets/").skip(1) {
            let link = format!("/assets/{}", link.split('"').next().unwrap());
            let asset = get(&site, "GET", link.split('?').next().unwrap()).await;
            assert_eq!(asset.status(), StatusCode::OK, "{path} links {link}");
            assert_eq!(asset.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
        }
    }
    let form = get(&site, "GET", "/").await;
    let settings = settings_of(text(&form));
    assert_eq!(
        settings["captcha"],
        json!({"mode": "recaptcha", "site_key": "site-key-123", "action": "submit_request"})
    );
    assert_eq!(settings["privacy_notice_url"], "/privacy");
    assert_eq!(settings["limits"]["document_bytes"], 3 * 1024 * 1024);
    assert!(settings["countries"].as_array().unwrap().contains(&json!("US")));
    assert!(settings["eidas_countries"].as_array().unwrap().contains(&json!("DE")));
    assert_eq!(settings["document_types"], json!(["application/pdf", "image/jpeg", "image/png"]));
    assert_eq!(settings["rules"]["name"], domain::person_name::NAME_PATTERN);
    assert_eq!(settings["rules"]["fiscal_code"], domain::identification_code::FISCAL_CODE_PATTERN);
    assert_eq!(settings["rules"]["earliest_birth_date"], "1900-01-01");
}

#[tokio::test]
async fn scripts_are_modules_whose_imports_are_versioned_assets() {
    let site = Site::new(&config(&[])).unwrap();
    for (path, _) in PAGES {
        let page = text(&get(&site, "GET", path).await).to_string();
        for tag in page.split("<script").skip(1) {
            let tag = tag.split('>').next().unwrap();
            assert!(tag.contains("type=\"module\"") || tag.contains("application/json"), "{path}: <script{tag}>");
        }
    }
    let mut imported = 0;
    for (name, _) in ASSETS.iter().filter(|(name, _)| name.ends_with(".js")) {
        let script = text(&get(&site, "GET", &format!("/assets/{name}")).await).to_string();
        assert!(!script.contains("from './"), "{name}: an import left unversioned");
        for import in script.split(" from '").skip(1) {
            let link = import.split('\'').next().unwrap();
            let (path, version) = link.split_once("?v=").unwrap_or_else(|| panic!("{name} imports {link}"));
            assert_eq!(version.len(), 12, "{name} imports {link}");
            assert_eq!(get(&site, "GET", path).await.status(), StatusCode::OK, "{name} imports {link}");
            imported += 1;
        }
    }
    assert!(imported > 10, "the pages' modules import each other: {imported} imports");
}

#[tokio::test]
async fn asset_links_change_with_their_content() {
    let site = Site::new(&config(&[])).unwrap();
    let form = get(&site, "GET", "/").await;
    let script = get(&site, "GET", "/assets/form.js").await;
    let version = &hex::encode(Sha256::digest(text(&script).as_bytes()))[..12];
    assert!(text(&form).contains(&format!("/assets/form.js?v={version}")), "the served text's hash");
    assert!(text(&script).contains("/assets/i18n.js?v="), "with its imports' versions in it");
}

#[tokio::test]
async fn the_settings_follow_the_configuration() {
    let site = Site::new(&config(&[
        ("CAPTCHA_MODE", "off"),
        ("EIDAS_COUNTRIES", "BR"),
        ("PRIVACY_NOTICE_URL", "https://pa.example.it/privacy"),
    ]))
    .unwrap();
    let form = get(&site, "GET", "/").await;
    let settings = settings_of(text(&form));
    assert_eq!(settings["captcha"], json!({"mode": "off"}));
    assert_eq!(settings["eidas_countries"], json!(["BR"]));
    assert_eq!(settings["privacy_notice_url"], "https://pa.example.it/privacy");
    let policy = form.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(!policy.contains("google"), "no third party without reCAPTCHA: {policy}");
}

#[test]
fn recaptcha_needs_a_site_key() {
    let mut config = config(&[]);
    if let CaptchaConfig::Recaptcha(recaptcha) = &mut config.captcha {
        recaptcha.site_key = None;
    }
    let error = Site::new(&config).err().expect("no site without a site key");
    assert!(matches!(error, SiteError::MissingSiteKey));
    assert!(format!("{error:?}").starts_with("RECAPTCHA_SITE_KEY is not set"), "in words: {error:?}");
}

#[test]
fn settings_cannot_close_their_script_element() {
    let site =
        Site::new(&config(&[("PRIVACY_NOTICE_URL", "https://x.example/</script><script>alert(1)</script>")])).unwrap();
    let page = &site.files["/"].body;
    assert_eq!(
        page.matches("</script>").count(),
        page.matches("<script").count(),
        "each script element closed once, by its own end tag"
    );
    assert!(page.contains(r"\u003c/script>"));
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let site = Site::new(&config(&[])).unwrap();
    for (method, path, status) in [
        ("GET", "/", 200),
        ("GET", "/console/", 200),
        ("GET", "/nope", 404),
        ("POST", "/", 405),
        ("GET", "/assets/x.js", 404),
    ] {
        let response = get(&site, method, path).await;
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        let headers = response.headers();
        let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(policy.starts_with("default-src 'none'; script-src 'self' https://www.google.com/recaptcha/"));
        assert!(policy.contains("connect-src 'self' https://foreign-users-documents.s3.eu-south-1.amazonaws.com;"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    }
}

#[tokio::test]
async fn browsers_accepting_gzip_get_it() {
    use std::io::Read;
    let site = Site::new(&config(&[])).unwrap();
    let plain = get(&site, "GET", "/assets/i18n.js").await;
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    for accepted in ["gzip, deflate, br, zstd", "br;q=1.0, gzip;q=0.8"] {
        let compressed = request(&site, "GET", "/assets/i18n.js", json!({"accept-encoding": accepted})).await;
        assert_eq!(compressed.headers()[header::CONTENT_ENCODING], "gzip", "{accepted}");
        assert_eq!(compressed.headers()[header::VARY], "accept-encoding");
        let Body::Binary(bytes) = compressed.body() else { panic!("binary body") };
        assert!(bytes.len() * 2 < text(&plain).len(), "{} bytes", bytes.len());
        let mut unpacked = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice()).read_to_string(&mut unpacked).unwrap();
        assert_eq!(unpacked, text(&plain));
    }
    for refused in ["identity", "gzip;q=0, br", "deflate"] {
        let plain = request(&site, "GET", "/", json!({"accept-encoding": refused})).await;
        assert!(matches!(plain.body(), Body::Text(_)), "{refused}");
    }
}

fn length_of(response: &Response<Body>) -> usize {
    match response.body() {
        Body::Text(text) => text.len(),
        Body::Binary(bytes) => bytes.len(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn head_answers_like_get_without_the_body() {
    let site = Site::new(&config(&[])).unwrap();
    let paths = PAGES
        .iter()
        .map(|(path, _)| path.to_string())
        .chain(ASSETS.iter().map(|(name, _)| format!("/assets/{name}")))
        .chain(["/openapi.json".to_string(), "/console/".to_string()]);
    for path in paths {
        for headers in [json!({}), json!({"accept-encoding": "gzip, deflate"})] {
            let get = request(&site, "GET", &path, headers.clone()).await;
            let head = request(&site, "HEAD", &path, headers.clone()).await;
            assert_eq!(get.status(), StatusCode::OK, "GET {path}");
            assert_eq!(head.status(), get.status(), "HEAD {path}");
            assert_eq!(head.headers(), get.headers(), "HEAD {path} {headers}: the same headers");
            assert_eq!(head.headers()[header::CONTENT_LENGTH], length_of(&get).to_string(), "{path}");
            assert!(matches!(head.body(), Body::Empty), "HEAD {path}: no body");
        }
    }
}

#[tokio::test]
async fn unknown_paths_and_other_methods_keep_their_json_errors() {
    let site = Site::new(&config(&[])).unwrap();
    let missing = get(&site, "GET", "/assets/nope.js").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = serde_json::from_str(text(&missing)).unwrap();
    assert_eq!(body["error"], "not_found");
    let head = get(&site, "HEAD", "/assets/nope.js").await;
    assert_eq!((head.status(), head.headers()), (missing.status(), missing.headers()), "HEAD of a missing file");
    assert!(matches!(head.body(), Body::Empty));

    for (method, path) in
        [("POST", "/"), ("PUT", "/assets/app.css"), ("DELETE", "/openapi.json"), ("OPTIONS", "/login")]
    {
        let refused = get(&site, method, path).await;
        assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(refused.headers()[header::ALLOW], "GET, HEAD", "{method} {path}");
        assert_eq!(refused.headers()[header::CONTENT_TYPE], "application/json; charset=utf-8");
        let body: serde_json::Value = serde_json::from_str(text(&refused)).unwrap();
        assert_eq!(body["error"], "method_not_allowed", "{method} {path}");
    }
}

#[tokio::test]
async fn the_openapi_document_is_served_and_names_the_pages_and_assets() {
    let site = Site::new(&config(&[])).unwrap();
    let served = get(&site, "GET", "/openapi.json").await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(served.headers()[header::CACHE_CONTROL], "no-cache");
    assert_eq!(text(&served), OPENAPI);
    let document: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();

    let pages: Vec<&str> = PAGES.iter().map(|(path, _)| *path).chain(["/assets/{file}", "/openapi.json"]).collect();
    for path in &pages {
        let item = document["paths"][path].as_object().unwrap_or_else(|| panic!("{path} is not in the document"));
        let methods: Vec<&str> = item.keys().map(String::as_str).collect();
        assert_eq!(methods, ["get", "head"], "{path}");
    }
    let parameters = document["paths"]["/assets/{file}"]["get"]["parameters"].as_array().unwrap();
    let file = parameters.iter().find(|p| p["name"] == "file").expect("the file parameter");
    let documented: Vec<&str> =
        file["schema"]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(documented, ASSETS.iter().map(|(name, _)| *name).collect::<Vec<_>>(), "every asset, by name");
}

#[test]
fn the_emulator_bucket_is_its_endpoint_origin() {
    assert_eq!(origin_of("http://127.0.0.1:5000/"), "http://127.0.0.1:5000");
    assert_eq!(origin_of("http://localhost:4566/path"), "http://localhost:4566");
}
