//! The OpenID Connect provider over HTTP: reads each request (query, form, cookies, Basic and
//! Bearer credentials) into what the provider service takes, and turns its answer or error into
//! the protocol's HTTP shapes (redirects, RFC 6749 §5.2 errors, error pages, cookies).

use std::collections::BTreeMap;

use accreditation::{
    domain::{Language, oidc::OAuthError},
    http::{
        API_LANGUAGE, ApiError, bearer_token, header_text, json_object, json_response, path_segments, request_language,
        respond,
    },
    services::provider::{AuthorizeOutcome, OpenIdProvider, ProviderError, TokenRequest},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use lambda_http::{
    Body, Error, Request, Response,
    http::{HeaderValue, Method, StatusCode, header},
};
use serde_json::json;

/// The single sign-on cookie.
pub const SSO_COOKIE: &str = "__Host-sso";
/// The cookie binding a login in progress to the browser that started it.
pub const LOGIN_COOKIE: &str = "__Host-oidc-login";
/// Longest form body of the token endpoint.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// Serves one API Gateway request.
pub async fn handler(provider: &OpenIdProvider, request: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&request, route(provider, &request)).await)
}

async fn route(provider: &OpenIdProvider, request: &Request) -> Result<Response<Body>, ApiError> {
    let segments = path_segments(request.uri().path());
    let method = request.method();
    let answer = match (segments.as_slice(), method) {
        ([".well-known", "openid-configuration"], &Method::GET) => Ok(public_json(&provider.discovery())),
        (["oidc", "jwks"], &Method::GET) => provider.jwks().await.map(|keys| public_json(&json!({ "keys": keys }))),
        (["oidc", "authorize"], &Method::GET) => authorize(provider, request).await,
        (["oidc", "login"], &Method::POST) => complete_login(provider, request).await,
        (["oidc", "token"], &Method::POST) => token(provider, request).await,
        (["oidc", "userinfo"], &Method::GET | &Method::POST) => provider
            .userinfo(bearer_token(request.headers()))
            .await
            .map(|claims| json_response(StatusCode::OK, &claims)),
        (["oidc", "logout"], &Method::GET) => logout(provider, request).await,
        ([".well-known", "openid-configuration"] | ["oidc", "jwks" | "authorize" | "logout"], _) => {
            return Err(ApiError::method_not_allowed(&["GET"]));
        }
        (["oidc", "login" | "token"], _) => return Err(ApiError::method_not_allowed(&["POST"])),
        (["oidc", "userinfo"], _) => return Err(ApiError::method_not_allowed(&["GET", "POST"])),
        _ => return Err(ApiError::no_route(request.uri().path())),
    };
    Ok(answer.unwrap_or_else(|error| error_response(error, language_of(request))))
}

async fn authorize(provider: &OpenIdProvider, request: &Request) -> Result<Response<Body>, ProviderError> {
    let query = query_of(request)?;
    match provider.authorize(&query, cookie(request, SSO_COOKIE)).await? {
        AuthorizeOutcome::Redirect(location) => Ok(redirect(&location)),
        AuthorizeOutcome::Login { location, browser } => {
            let mut response = redirect(&location);
            set_cookie(&mut response, LOGIN_COOKIE, browser.expose(), 15 * 60);
            Ok(response)
        }
    }
}

async fn complete_login(provider: &OpenIdProvider, request: &Request) -> Result<Response<Body>, ProviderError> {
    // Form posts from other sites never carry the SameSite=Lax cookie; the Origin check refuses
    // them even before (ASVS 4.0.3 4.2.2).
    if let Some(origin) = header_text(request, "origin")
        && origin != provider.issuer()
    {
        return Err(ProviderError::Page(OAuthError::new(
            "cross_origin",
            "the login must be completed from the provider's own page",
        )));
    }
    let body = json_object(request).map_err(|_| ProviderError::LoginExpired)?;
    let authorization = body.object.get("authorization").and_then(|v| v.as_str()).unwrap_or_default();
    let completed =
        provider.complete_login(authorization, cookie(request, LOGIN_COOKIE), bearer_token(request.headers())).await?;
    let mut response = json_response(StatusCode::OK, &json!({ "redirect_to": completed.redirect_to }));
    set_cookie(&mut response, LOGIN_COOKIE, "", 0);
    if let Some(sso) = &completed.sso_cookie {
        set_cookie(&mut response, SSO_COOKIE, sso, completed.sso_max_age);
    }
    Ok(response)
}

async fn token(provider: &OpenIdProvider, request: &Request) -> Result<Response<Body>, ProviderError> {
    let content_type = header_text(request, "content-type").unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        return Err(ProviderError::Token(OAuthError::invalid_request(
            "send the form as application/x-www-form-urlencoded",
        )));
    }
    let body: &[u8] = request.body().as_ref();
    if body.len() > MAX_FORM_BYTES {
        return Err(ProviderError::Token(OAuthError::invalid_request("the form is too large")));
    }
    let form = unique_pairs(form_urlencoded::parse(body))
        .map_err(|name| ProviderError::Token(OAuthError::invalid_request(format!("{name} is repeated"))))?;
    let basic = match header_text(request, "authorization") {
        Some(value) if value.len() > 6 && value[..6].eq_ignore_ascii_case("basic ") => Some(
            basic_credentials(&value[6..])
                .ok_or_else(|| ProviderError::InvalidClient("malformed Basic credentials".into()))?,
        ),
        _ => None,
    };
    let answer = provider.token(&TokenRequest { form, basic }).await?;
    let mut response = json_response(StatusCode::OK, &answer);
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

async fn logout(provider: &OpenIdProvider, request: &Request) -> Result<Response<Body>, ProviderError> {
    let query = query_of(request)?;
    let outcome = provider.logout(&query, cookie(request, SSO_COOKIE)).await?;
    let mut response = match outcome.redirect_to {
        Some(location) => redirect(&location),
        None => page(StatusCode::OK, &signed_out_page(language_of(request))),
    };
    set_cookie(&mut response, SSO_COOKIE, "", 0);
    Ok(response)
}

/// The query's parameters; a repeated one is refused (RFC 6749 §3.1).
fn query_of(request: &Request) -> Result<BTreeMap<String, String>, ProviderError> {
    let query = request.uri().query().unwrap_or_default();
    unique_pairs(form_urlencoded::parse(query.as_bytes()))
        .map_err(|name| ProviderError::Page(OAuthError::invalid_request(format!("{name} is repeated"))))
}

fn unique_pairs<'a>(
    pairs: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
) -> Result<BTreeMap<String, String>, String> {
    let mut map = BTreeMap::new();
    for (name, value) in pairs {
        if map.insert(name.to_string(), value.to_string()).is_some() {
            return Err(name.to_string());
        }
    }
    Ok(map)
}

/// The client id and secret of HTTP Basic credentials, each form-urlencoded (RFC 6749 §2.3.1).
fn basic_credentials(encoded: &str) -> Option<(String, String)> {
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |text: &str| -> String {
        form_urlencoded::parse(format!("x={text}").as_bytes()).next().map(|(_, v)| v.to_string()).unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

/// The value of the cookie `name`.
fn cookie<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
        .filter(|value| !value.is_empty())
}

/// Adds a `__Host-` cookie: Secure, HttpOnly, SameSite=Lax, the whole site; an empty value with
/// age 0 deletes it.
fn set_cookie(response: &mut Response<Body>, name: &str, value: &str, max_age: i64) {
    let cookie = format!("{name}={value}; Path=/; Max-Age={max_age}; Secure; HttpOnly; SameSite=Lax");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// A `303 See Other` to `location`.
fn redirect(location: &str) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::SEE_OTHER;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A JSON document anyone may read and cache briefly (discovery, JWKS).
fn public_json(body: &serde_json::Value) -> Response<Body> {
    let mut response = json_response(StatusCode::OK, body);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

/// The language of the provider's pages: `ui_locales` or `lang` of the query, else `Accept-Language`.
fn language_of(request: &Request) -> Language {
    let query = request.uri().query().unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "ui_locales" || name == "lang")
        .map(|(_, value)| Language::from_page_query(&value))
        .unwrap_or_else(|| request_language(request))
}

/// The one mapping of the provider's errors to HTTP.
fn error_response(error: ProviderError, language: Language) -> Response<Body> {
    match error {
        ProviderError::Page(error) => page(StatusCode::BAD_REQUEST, &error_page(&error, language)),
        ProviderError::InvalidClient(description) => {
            let mut response = oauth_error(StatusCode::UNAUTHORIZED, &OAuthError::new("invalid_client", description));
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"oidc\""));
            response
        }
        ProviderError::Token(error) => oauth_error(StatusCode::BAD_REQUEST, &error),
        ProviderError::InvalidToken => {
            let mut response = oauth_error(
                StatusCode::UNAUTHORIZED,
                &OAuthError::new("invalid_token", "the access token is invalid, expired or revoked"),
            );
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
            response
        }
        ProviderError::LoginExpired => {
            ApiError::new(StatusCode::BAD_REQUEST, "login_expired", API_LANGUAGE.texts().api.login_expired)
                .into_response()
        }
        ProviderError::InvalidSession => {
            ApiError::new(StatusCode::UNAUTHORIZED, "invalid_session", API_LANGUAGE.texts().api.invalid_session)
                .into_response()
        }
        ProviderError::Infra(error) => ApiError::from(error).into_response(),
    }
}

/// An RFC 6749 §5.2 error body (with the service's `message` beside `error_description`).
fn oauth_error(status: StatusCode, error: &OAuthError) -> Response<Body> {
    let body = json!({ "error": error.code, "error_description": error.description, "message": error.description });
    let mut response = json_response(status, &body);
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn page(status: StatusCode, html: &str) -> Response<Body> {
    let mut response = Response::new(Body::Text(html.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'self'; frame-ancestors 'none'"),
    );
    response
}

/// A page of the provider in `language`, titled `title`.
fn shell(language: Language, title: &str, body: &str) -> String {
    let (lang, dir) = (language.tag(), language.dir().as_str());
    format!(
        "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><main class=\"container\"><h1>{title}</h1>{body}</main></body></html>"
    )
}

/// The page of an authorization request refused before its client could be told by redirect.
fn error_page(error: &OAuthError, language: Language) -> String {
    let texts = &language.texts().provider;
    let detail = html_escape::encode_text(&error.description);
    let body = format!("<p>{}</p><p><code id=\"oidc-error\">{}</code>: {detail}</p>", texts.error_intro, error.code);
    shell(language, texts.error_title, &body)
}

/// The page of a logout without a place to go back to.
fn signed_out_page(language: Language) -> String {
    let texts = &language.texts().provider;
    shell(language, texts.signed_out_title, &format!("<p id=\"signed-out\">{}</p>", texts.signed_out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, accept_language: Option<&str>) -> Request {
        let mut builder = lambda_http::http::Request::builder().uri(format!("https://idp.example/oidc/logout?{query}"));
        if let Some(value) = accept_language {
            builder = builder.header("accept-language", value);
        }
        builder.body(Body::Empty).unwrap()
    }

    #[test]
    fn the_pages_follow_ui_locales_then_lang_then_accept_language() {
        assert_eq!(language_of(&request("ui_locales=it-IT%20en", Some("en"))), Language::It);
        assert_eq!(language_of(&request("lang=it", None)), Language::It);
        assert_eq!(language_of(&request("ui_locales=fr%20it", Some("it"))), Language::En, "the first tag only");
        assert_eq!(language_of(&request("", Some("it-IT,en;q=0.5"))), Language::It);
        assert_eq!(language_of(&request("", None)), Language::En);
    }

    #[test]
    fn every_page_is_in_its_language_with_its_direction() {
        for language in Language::ALL {
            let texts = &language.texts().provider;
            let signed_out = signed_out_page(language);
            let html = format!("<html lang=\"{}\" dir=\"{}\">", language.tag(), language.dir().as_str());
            assert!(signed_out.contains(&html), "{signed_out}");
            assert!(signed_out.contains(texts.signed_out), "{signed_out}");
            let error = error_page(&OAuthError::invalid_request("a <b>"), language);
            assert!(error.contains(&html) && error.contains(texts.error_title), "{error}");
            assert!(error.contains("<code id=\"oidc-error\">invalid_request</code>: a &lt;b&gt;"), "{error}");
        }
        assert!(signed_out_page(Language::It).contains("<title>Sei uscito</title>"));
        assert!(signed_out_page(Language::En).contains("<title>You are signed out</title>"));
    }
}
