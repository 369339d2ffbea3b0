//! The service's own web pages: the applicant's form, status and login pages, the privacy notice
//! and the operators' console, and the API's OpenAPI document. Pages and assets are compiled in,
//! so one origin serves pages and API and one template deploys both: the stylesheet, the scripts
//! and the OpenAPI document prepared at build time (`build.rs`: versioned links, gzip), the pages
//! rendered once at cold start with the deployment's settings. Each answers `GET` and `HEAD` (the
//! same headers, no body).

use std::{borrow::Cow, collections::HashMap, io::Write};

use accreditation::{
    config::{CaptchaConfig, Config},
    domain::{self, CountryCode, DocumentType},
    http::{ApiError, header_text, path_segments, respond},
};
use flate2::{Compression, write::GzEncoder};
use lambda_http::{
    Body, Error, Request, RequestExt, Response,
    http::{
        HeaderValue, Method,
        header::{self, HeaderName},
    },
};
use serde_json::json;

mod languages;
mod privacy;

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// A stylesheet or script as `build.rs` prepared it.
struct Asset {
    /// The text served, its imports linked to their versioned URLs.
    text: &'static str,
    /// `/assets/<name>?v=<version>`: the version is the start of the text's SHA-256.
    link: &'static str,
    /// The text, gzip-compressed.
    gzip: &'static [u8],
}

/// The pages, by path.
const PAGES: &[(&str, &str)] = &[
    ("/", include_str!("../assets/form.html")),
    ("/status", include_str!("../assets/status.html")),
    ("/login", include_str!("../assets/login.html")),
    ("/reset", include_str!("../assets/reset.html")),
    ("/privacy", include_str!("../assets/privacy.html")),
    ("/console", include_str!("../assets/console.html")),
];

/// The OpenAPI 3.1 document of every route of the service, served as `/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// The methods every page, asset and the OpenAPI document answer.
const METHODS: &[&str] = &["GET", "HEAD"];

/// What every page but the notice loads (`{{head}}`): the stylesheet and the settings.
const HEAD: &str = include_str!("../assets/head.html");

/// The top of every page but the notice: skip link, title and language switch (`{{header}}`, its
/// buttons `{{languages}}`).
const HEADER: &str = include_str!("../assets/header.html");

/// Where Google serves reCAPTCHA from (its script and its frames).
const RECAPTCHA_SCRIPT_SOURCES: &str = "https://www.google.com/recaptcha/ https://www.gstatic.com/recaptcha/";
const RECAPTCHA_FRAME_SOURCES: &str = "https://www.google.com/recaptcha/ https://recaptcha.google.com/recaptcha/";

/// The settings cannot make a working site.
#[derive(thiserror::Error)]
pub enum SiteError {
    /// reCAPTCHA is on but the form has no site key to run it with.
    #[error("RECAPTCHA_SITE_KEY is not set (the form's reCAPTCHA site key; or CAPTCHA_MODE=off locally)")]
    MissingSiteKey,
}

impl std::fmt::Debug for SiteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        accreditation::http::debug_as_chain(self, f)
    }
}

/// One file ready to serve, as text and gzip-compressed.
struct Served {
    content_type: &'static str,
    cache_control: &'static str,
    body: Cow<'static, str>,
    gzip: Cow<'static, [u8]>,
}

impl Served {
    /// A page rendered at cold start, compressed now (the six: about 9 million instructions, most
    /// of the function's own start-up).
    fn new(content_type: &'static str, cache_control: &'static str, body: String) -> Self {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        // Writing to a Vec cannot fail; an empty `gzip` would only mean serving the text.
        let gzip = encoder.write_all(body.as_bytes()).and_then(|()| encoder.finish()).unwrap_or_default();
        Self { content_type, cache_control, body: body.into(), gzip: gzip.into() }
    }

    /// A file prepared at build time.
    fn prepared(
        content_type: &'static str,
        cache_control: &'static str,
        body: &'static str,
        gzip: &'static [u8],
    ) -> Self {
        Self { content_type, cache_control, body: body.into(), gzip: gzip.into() }
    }
}

/// Every page and asset, rendered for one deployment, with the headers every answer carries.
pub struct Site {
    files: HashMap<String, Served>,
    security_headers: Vec<(HeaderName, HeaderValue)>,
}

impl Site {
    /// Renders the pages with `config`: the CAPTCHA settings, the countries and eIDAS list the
    /// server checks against, the form's limits, and versioned asset links.
    pub fn new(config: &Config) -> Result<Self, SiteError> {
        let captcha = match &config.captcha {
            CaptchaConfig::Off => json!({"mode": "off"}),
            CaptchaConfig::Recaptcha(recaptcha) => {
                let site_key = recaptcha.site_key.as_deref().ok_or(SiteError::MissingSiteKey)?;
                json!({"mode": "recaptcha", "site_key": site_key, "action": recaptcha.action})
            }
        };
        let (languages, official_language) = languages::settings();
        let settings = json!({
            "captcha": captcha,
            "languages": languages,
            "official_language": official_language,
            "privacy_notice_url": config.privacy_notice_url.as_deref().unwrap_or("/privacy"),
            "privacy_notice_version": config.privacy_notice_version,
            "countries": CountryCode::all().map(CountryCode::alpha2).collect::<Vec<_>>(),
            "eidas_countries": config.eidas_countries.iter().map(CountryCode::alpha2).collect::<Vec<_>>(),
            "document_types": [DocumentType::Pdf, DocumentType::Jpeg, DocumentType::Png],
            "limits": {
                "name": domain::person_name::MAX_NAME_LENGTH,
                "email": domain::email::MAX_EMAIL_LENGTH,
                "identification_code": domain::identification_code::MAX_ID_CODE_LENGTH,
                "city": domain::text_field::MAX_CITY,
                "street": domain::text_field::MAX_STREET,
                "number": domain::text_field::MAX_HOUSE_NUMBER,
                "document_bytes": domain::MAX_DOCUMENT_BYTES,
                "password_min": domain::password::MIN_LENGTH,
                "password_max": domain::password::MAX_LENGTH,
            },
            // The server's own rules, which the page checks with (regular expressions in Unicode mode).
            "rules": {
                "name": domain::person_name::NAME_PATTERN,
                "phone": domain::phone::E164_PATTERN,
                "phone_separators": domain::phone::PHONE_SEPARATORS,
                "identification_code": domain::identification_code::ID_CODE_PATTERN,
                "fiscal_code": domain::identification_code::FISCAL_CODE_PATTERN,
                "earliest_birth_date": domain::birth_date::EARLIEST_BIRTH_DATE.to_string(),
            },
        });
        // `<` escaped: the JSON sits in a <script> element and must never close it.
        let settings = settings.to_string().replace('<', "\\u003c");

        let mut files = HashMap::new();
        let mut links = Vec::new();
        for (name, asset) in ASSETS {
            links.push((format!("{{{{asset:{name}}}}}"), asset.link));
            let content_type =
                if name.ends_with(".css") { "text/css; charset=utf-8" } else { "text/javascript; charset=utf-8" };
            let served = Served::prepared(content_type, "public, max-age=31536000, immutable", asset.text, asset.gzip);
            files.insert(format!("/assets/{name}"), served);
        }
        // The privacy notice, with the retention periods as configured.
        let notice = privacy::placeholders(config);
        let header = HEADER.replace("{{languages}}", &languages::switch());
        for (path, template) in PAGES {
            let mut body =
                template.replace("{{head}}", HEAD).replace("{{header}}", &header).replace("{{settings}}", &settings);
            for (placeholder, value) in &notice {
                body = body.replace(placeholder, value);
            }
            for (placeholder, link) in &links {
                body = body.replace(placeholder, link);
            }
            let served = Served::new("text/html; charset=utf-8", "no-cache", body);
            files.insert(path.to_string(), served);
        }
        files.insert(
            "/openapi.json".to_string(),
            Served::prepared("application/json", "no-cache", OPENAPI, OPENAPI_GZIP),
        );
        Ok(Self { files, security_headers: security_headers(config) })
    }

    fn file(&self, path: &str) -> Option<&Served> {
        let segments = path_segments(path);
        self.files.get(&format!("/{}", segments.join("/")))
    }
}

/// The headers of every answer: a content security policy allowing only this origin, the document
/// bucket (uploads, the operators' document view) and, when on, reCAPTCHA; no framing, no sniffing,
/// no referrer (the status page's URL holds a token in its fragment).
fn security_headers(config: &Config) -> Vec<(HeaderName, HeaderValue)> {
    let bucket = match &config.endpoint_url {
        Some(endpoint) => origin_of(endpoint),
        None => format!("https://{}.s3.{}.amazonaws.com", config.bucket_name, config.region),
    };
    let (scripts, frames) = match config.captcha {
        CaptchaConfig::Off => (String::new(), "'none'".to_string()),
        CaptchaConfig::Recaptcha(_) => (format!(" {RECAPTCHA_SCRIPT_SOURCES}"), RECAPTCHA_FRAME_SOURCES.to_string()),
    };
    let policy = format!(
        "default-src 'none'; script-src 'self'{scripts}; style-src 'self'; img-src 'self' data: {bucket}; \
         connect-src 'self' {bucket}; frame-src {frames}; form-action 'self'; base-uri 'none'; \
         frame-ancestors 'none'"
    );
    [
        (header::CONTENT_SECURITY_POLICY, policy.as_str()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains"),
        (HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=(), payment=()"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ]
    .into_iter()
    .filter_map(|(name, value)| HeaderValue::from_str(value).ok().map(|value| (name, value)))
    .collect()
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}")
}

/// True when an `Accept-Encoding` value accepts gzip (named, and not with `q=0`).
fn accepts_gzip(accepted: &str) -> bool {
    accepted.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        parts.next() == Some("gzip")
            && !parts.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0))
    })
}

/// Serves one API Gateway request. Every answer states its `Content-Length`; a `HEAD` gets the
/// answer of the same `GET` without its body (the length still the `GET` body's, RFC 9110 §9.3.2).
pub async fn handler(site: &Site, request: Request) -> Result<Response<Body>, Error> {
    let mut response = respond(&request, async { route(site, &request) }).await;
    let length = match response.body() {
        Body::Text(text) => text.len(),
        Body::Binary(bytes) => bytes.len(),
        _ => 0,
    };
    let headers = response.headers_mut();
    for (name, value) in &site.security_headers {
        headers.insert(name.clone(), value.clone());
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if request.method() == Method::HEAD {
        *response.body_mut() = Body::Empty;
    }
    Ok(response)
}

fn route(site: &Site, request: &Request) -> Result<Response<Body>, ApiError> {
    let path = request.raw_http_path();
    let file = site.file(path).ok_or_else(|| ApiError::no_route(path))?;
    if !METHODS.contains(&request.method().as_str()) {
        return Err(ApiError::method_not_allowed(METHODS));
    }
    let gzip = header_text(request, "accept-encoding").is_some_and(accepts_gzip);
    let mut response = if gzip && !file.gzip.is_empty() {
        let mut response = Response::new(Body::Binary(file.gzip.to_vec()));
        response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        response
    } else {
        Response::new(Body::Text(file.body.to_string()))
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(file.cache_control));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    Ok(response)
}

#[cfg(test)]
mod tests {
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
            Site::new(&config(&[("PRIVACY_NOTICE_URL", "https://x.example/</script><script>alert(1)</script>")]))
                .unwrap();
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
}
