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
mod tests;
