//! The service's own web pages: the applicant's form, status and login pages, the privacy notice
//! and the operators' console. Pages and assets are compiled in and rendered once at cold start
//! with the deployment's settings, so one origin serves pages and API and one template deploys both.

use std::collections::HashMap;

use accreditation::{
    config::{CaptchaConfig, Config},
    domain::{self, CountryCode, DocumentType},
    http::{ApiError, path_segments, respond},
};
use lambda_http::{
    Body, Error, Request, RequestExt, Response,
    http::{
        HeaderValue, Method,
        header::{self, HeaderName},
    },
};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The scripts and styles, served under `/assets/<name>`.
const ASSETS: &[(&str, &str)] = &[
    ("app.css", include_str!("../assets/app.css")),
    ("common.js", include_str!("../assets/common.js")),
    ("login.js", include_str!("../assets/login.js")),
    ("form.js", include_str!("../assets/form.js")),
    ("status.js", include_str!("../assets/status.js")),
    ("console.js", include_str!("../assets/console.js")),
];

/// The pages, by path.
const PAGES: &[(&str, &str)] = &[
    ("/", include_str!("../assets/form.html")),
    ("/status", include_str!("../assets/status.html")),
    ("/login", include_str!("../assets/login.html")),
    ("/privacy", include_str!("../assets/privacy.html")),
    ("/console", include_str!("../assets/console.html")),
];

/// Where Google serves reCAPTCHA from (its script and its frames).
const RECAPTCHA_SCRIPT_SOURCES: &str = "https://www.google.com/recaptcha/ https://www.gstatic.com/recaptcha/";
const RECAPTCHA_FRAME_SOURCES: &str = "https://www.google.com/recaptcha/ https://recaptcha.google.com/recaptcha/";

/// The settings cannot make a working site.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// reCAPTCHA is on but the form has no site key to run it with.
    #[error("RECAPTCHA_SITE_KEY is not set (the form's reCAPTCHA site key; or CAPTCHA_MODE=off locally)")]
    MissingSiteKey,
}

/// One file ready to serve.
struct Served {
    content_type: &'static str,
    cache_control: &'static str,
    body: String,
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
        let settings = json!({
            "captcha": captcha,
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
        });
        // `<` escaped: the JSON sits in a <script> element and must never close it.
        let settings = settings.to_string().replace('<', "\\u003c");

        let mut files = HashMap::new();
        let mut links = Vec::new();
        for (name, text) in ASSETS {
            let version = &hex::encode(Sha256::digest(text.as_bytes()))[..12];
            links.push((format!("{{{{asset:{name}}}}}"), format!("/assets/{name}?v={version}")));
            let content_type =
                if name.ends_with(".css") { "text/css; charset=utf-8" } else { "text/javascript; charset=utf-8" };
            let served = Served { content_type, cache_control: "public, max-age=31536000, immutable", body: text.to_string() };
            files.insert(format!("/assets/{name}"), served);
        }
        for (path, template) in PAGES {
            let mut body = template.replace("{{settings}}", &settings);
            for (placeholder, link) in &links {
                body = body.replace(placeholder, link);
            }
            let served = Served { content_type: "text/html; charset=utf-8", cache_control: "no-cache", body };
            files.insert(path.to_string(), served);
        }
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

/// Serves one API Gateway request.
pub async fn handler(site: &Site, request: Request) -> Result<Response<Body>, Error> {
    let mut response = respond(&request, async { route(site, &request) }).await;
    for (name, value) in &site.security_headers {
        response.headers_mut().insert(name.clone(), value.clone());
    }
    Ok(response)
}

fn route(site: &Site, request: &Request) -> Result<Response<Body>, ApiError> {
    let path = request.raw_http_path();
    let file = site.file(path).ok_or_else(|| ApiError::no_route(path))?;
    if request.method() != Method::GET {
        return Err(ApiError::method_not_allowed(&["GET"]));
    }
    let mut response = Response::new(Body::Text(file.body.clone()));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(file.cache_control));
    Ok(response)
}
