//! One catalog of every text a person reads: API messages, field errors, emails and the identity
//! provider's pages. Each language fills [`Texts`] in a file of its own (`it.rs`, `en.rs`), so a
//! text missing in one of them does not compile. Texts with values in them are functions.
//!
//! A new language: a variant of [`Language`] (its tag, endonym and direction, and its place in
//! `Language::ALL`), its catalog file here (with its `mod` line and its arm in [`Language::texts`]),
//! and for the web pages its `functions/web/assets/texts-<tag>.js` (a test checks its keys against
//! the Italian ones) named in the `/assets/{file}` list of `functions/web/openapi.json`.

mod en;
mod it;

use crate::domain::Language;

impl Language {
    /// Every text of the service in this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Self::It => &it::TEXTS,
            Self::En => &en::TEXTS,
        }
    }
}

/// Every text of the service in one language.
pub struct Texts {
    /// The service's name, as the pages' header shows it.
    pub service: &'static str,
    /// The API's error messages.
    pub api: ApiTexts,
    /// Why a field of a form was refused.
    pub fields: FieldTexts,
    /// The emails.
    pub emails: EmailTexts,
    /// The identity provider's own pages.
    pub provider: ProviderTexts,
    /// The privacy notice (GDPR articles 13 and 14).
    pub privacy: PrivacyTexts,
}

/// The messages of the API's JSON errors (`{"error", "message"}`).
pub struct ApiTexts {
    /// 404: no route serves the path.
    pub no_route: fn(path: &str) -> String,
    /// 405: the methods the path allows (more than one joined by "or").
    pub method_not_allowed: fn(allowed: &[&str]) -> String,
    /// 429: a dependency throttled the call.
    pub throttled: &'static str,
    /// 503: a dependency is unavailable.
    pub unavailable: &'static str,
    /// 500: anything unexpected.
    pub internal: &'static str,
    /// 400: a form with refused fields (each field's reason beside).
    pub invalid_form: &'static str,
    /// 429: too many requests from one client, and how long to wait.
    pub rate_limited: fn(seconds: i64) -> String,
    /// 400: the CAPTCHA failed.
    pub captcha_failed: &'static str,
    /// The CAPTCHA field's own message.
    pub captcha_refused: &'static str,
    /// 409: the person already has an active request.
    pub duplicate_request: &'static str,
    /// 400: a malformed `Idempotency-Key`.
    pub invalid_idempotency_key: &'static str,
    /// 422: an `Idempotency-Key` used before with another body.
    pub idempotency_key_reused: &'static str,
    /// 404: no request with this id and access token.
    pub request_not_found: &'static str,
    /// 409: not possible in the request's status.
    pub invalid_transition: fn(status: &str) -> String,
    /// 422: the document was not uploaded.
    pub document_not_uploaded: &'static str,
    /// An uploaded document of zero bytes.
    pub document_empty: &'static str,
    /// An uploaded document over the limit.
    pub document_too_large: fn(size: u64) -> String,
    /// An uploaded document of another type.
    pub document_unsupported: &'static str,
    /// An uploaded document not of the type declared.
    pub document_mismatch: fn(declared: &str, actual: &str) -> String,
    /// 422: a document refused (with one of the four above), and what to do.
    pub document_refused: fn(problem: &str) -> String,
    /// 401: wrong username or password.
    pub invalid_credentials: &'static str,
    /// 401: the temporary password expired.
    pub temporary_password_expired: &'static str,
    /// 429: the account is locked for a while.
    pub account_locked: fn(seconds: i64) -> String,
    /// 401: the password change token is not valid.
    pub invalid_change_token: &'static str,
    /// 401: adding an authenticator needs a login of the last 5 minutes.
    pub reauthentication_required: &'static str,
    /// 409: a second factor is already enrolled.
    pub already_enrolled: &'static str,
    /// 401: a wrong or used second-factor code.
    pub invalid_code: &'static str,
    /// 401: the second-factor step ran out of time.
    pub invalid_mfa_token: &'static str,
    /// 401: the password reset link is not valid.
    pub invalid_reset_token: &'static str,
    /// 400: a refused new password, with the reasons.
    pub weak_password: fn(reasons: &str) -> String,
    /// Why a new password is refused, one reason each.
    pub weak: WeakPasswordTexts,
    /// 401: no session.
    pub unauthenticated: &'static str,
    /// 403: an applicant on an operator's resource.
    pub forbidden: &'static str,
    /// 400: a listing cursor not from the listing.
    pub invalid_cursor: &'static str,
    /// 404: no request with this id (operators).
    pub no_such_request: &'static str,
    /// 409: credentials already used cannot be re-issued.
    pub credentials_already_used: &'static str,
    /// 415: the body is not JSON.
    pub unsupported_media_type: &'static str,
    /// 413: the body is too large.
    pub payload_too_large: fn(size: usize, max: usize) -> String,
    /// 400: the body is JSON but not an object.
    pub not_an_object: &'static str,
    /// 400: the body is not JSON, and the parser's reason.
    pub invalid_json: fn(reason: &str) -> String,
    /// 400: the provider's login is no longer in progress.
    pub login_expired: &'static str,
    /// 401: the provider's login did not end with a session.
    pub invalid_session: &'static str,
}

/// Why a new password is refused (`WeakReason`).
pub struct WeakPasswordTexts {
    /// Too short.
    pub too_short: &'static str,
    /// Too long.
    pub too_long: &'static str,
    /// Holds the username.
    pub contains_username: &'static str,
    /// Holds the email address.
    pub contains_email: &'static str,
    /// Easy to guess.
    pub too_guessable: &'static str,
    /// The current password again.
    pub same_as_current: &'static str,
}

/// Why one field of a form was refused (`FieldError`).
pub struct FieldTexts {
    /// Absent or blank.
    pub missing: &'static str,
    /// Of another JSON type, and the one expected (one of [`FieldTexts::expected`]).
    pub wrong_type: fn(expected: &str) -> String,
    /// The JSON types a field can expect.
    pub expected: ExpectedTexts,
    /// Not a field of the form.
    pub unknown: &'static str,
    /// Longer than allowed.
    pub too_long: fn(max: usize) -> String,
    /// Characters not allowed, and those that are (one of [`FieldTexts::allowed`]).
    pub invalid_characters: fn(allowed: &str) -> String,
    /// What a field allows.
    pub allowed: AllowedTexts,
    /// Not an email address.
    pub invalid_email: &'static str,
    /// Not an international phone number.
    pub invalid_phone: &'static str,
    /// Not a country code.
    pub unknown_country: &'static str,
    /// Not a date.
    pub invalid_date: &'static str,
    /// A birth date not in the past.
    pub date_not_in_past: &'static str,
    /// A birth date before 1900.
    pub date_too_early: &'static str,
    /// Not `F`, `M` or `X`.
    pub invalid_gender: &'static str,
    /// Not a language of ours.
    pub invalid_language: &'static str,
    /// An Italian fiscal code.
    pub italian_fiscal_code: &'static str,
    /// A citizenship whose eID works through eIDAS.
    pub eidas_country: fn(country: &str) -> String,
    /// The privacy notice not accepted.
    pub consent_required: &'static str,
    /// A document not PDF, JPEG or PNG.
    pub unsupported_document_type: &'static str,
    /// A document of zero bytes.
    pub empty_document: &'static str,
    /// A document over the limit.
    pub document_too_large: fn(max: u64) -> String,
    /// Given with another field that excludes it.
    pub exclusive_with: fn(other: &str) -> String,
}

/// The JSON types a field expects (`Expected`).
pub struct ExpectedTexts {
    /// A string.
    pub text: &'static str,
    /// A boolean.
    pub boolean: &'static str,
    /// An integer.
    pub whole_number: &'static str,
    /// An object.
    pub object: &'static str,
}

/// What a text field allows (`Allowed`).
pub struct AllowedTexts {
    /// Names.
    pub name: &'static str,
    /// Identification codes.
    pub letters_and_digits: &'static str,
    /// Free text.
    pub printable: &'static str,
    /// The queue's status filter.
    pub statuses: &'static str,
    /// The queue's page size.
    pub page_size: &'static str,
}

/// The emails, each a subject and paragraphs; `greeting` opens and `no_reply` closes them all.
pub struct EmailTexts {
    /// Under every email.
    pub signature: &'static str,
    /// The last paragraph of every email.
    pub no_reply: &'static str,
    /// The first line, with the recipient's name.
    pub greeting: fn(name: &str) -> String,
    /// "We received your request".
    pub confirmation: ConfirmationTexts,
    /// Someone sent the form again with an active request's details.
    pub duplicate_attempt: DuplicateAttemptTexts,
    /// The request was rejected.
    pub rejection: RejectionTexts,
    /// An operator asks for more.
    pub info_request: InfoRequestTexts,
    /// The credentials of a new account.
    pub credentials: CredentialsTexts,
    /// The password was changed.
    pub password_changed: PasswordChangedTexts,
    /// A link to choose a new password.
    pub password_reset: PasswordResetTexts,
}

/// "We received your request".
pub struct ConfirmationTexts {
    /// Subject, with the reference.
    pub subject: fn(reference: &str) -> String,
    /// What was received.
    pub received: &'static str,
    /// The reference, to quote.
    pub reference: fn(reference: &str) -> String,
    /// What happens next.
    pub next: &'static str,
    /// How to follow the request.
    pub follow: &'static str,
}

/// Someone sent the form again with an active request's details.
pub struct DuplicateAttemptTexts {
    /// Subject, with the reference.
    pub subject: fn(reference: &str) -> String,
    /// What happened.
    pub attempted: fn(reference: &str) -> String,
    /// If it was them.
    pub if_you: &'static str,
    /// If it was not them.
    pub if_not_you: fn(reference: &str) -> String,
}

/// The request was rejected.
pub struct RejectionTexts {
    /// Subject, with the reference.
    pub subject: fn(reference: &str) -> String,
    /// The decision.
    pub rejected: fn(reference: &str) -> String,
    /// The operator's reason.
    pub reason: fn(reason: &str) -> String,
    /// A new request is possible.
    pub new_request: &'static str,
}

/// An operator asks for more.
pub struct InfoRequestTexts {
    /// Subject, with the reference.
    pub subject: fn(reference: &str) -> String,
    /// More is needed.
    pub needed: fn(reference: &str) -> String,
    /// The operator's message.
    pub message: fn(message: &str) -> String,
    /// How to upload.
    pub upload: &'static str,
    /// The form attached, when one is.
    pub attached: &'static str,
}

/// The credentials of a new account.
pub struct CredentialsTexts {
    /// Subject.
    pub subject: &'static str,
    /// An applicant's request approved, with its reference.
    pub approved: fn(reference: &str) -> String,
    /// An account created (operators, or without a request).
    pub created: &'static str,
    /// Username and temporary password, a line each.
    pub password: fn(username: &str, password: &str) -> String,
    /// How to use the temporary password, and until when.
    pub password_use: fn(login_url: &str, until: &str) -> String,
    /// Username and activation link, a line each.
    pub link: fn(username: &str, link: &str) -> String,
    /// How to use the activation link, and until when.
    pub link_use: fn(until: &str, login_url: &str) -> String,
}

/// The password was changed.
pub struct PasswordChangedTexts {
    /// Subject.
    pub subject: &'static str,
    /// Which account, when.
    pub changed: fn(username: &str, at: &str) -> String,
    /// If it was not them.
    pub if_not_you: &'static str,
}

/// A link to choose a new password.
pub struct PasswordResetTexts {
    /// Subject.
    pub subject: &'static str,
    /// Which account, until when (the link follows).
    pub asked: fn(username: &str, until: &str) -> String,
    /// If they did not ask.
    pub if_not_you: &'static str,
}

/// The identity provider's own pages.
pub struct ProviderTexts {
    /// The error page's title.
    pub error_title: &'static str,
    /// The error page's explanation (the protocol's error follows).
    pub error_intro: &'static str,
    /// The signed-out page's title.
    pub signed_out_title: &'static str,
    /// The signed-out page's text.
    pub signed_out: &'static str,
}

/// The privacy notice: a heading and the law it answers, then four sections, each a heading and
/// a paragraph.
pub struct PrivacyTexts {
    /// The notice's short name, in the page's title.
    pub title: &'static str,
    /// The notice's heading.
    pub heading: &'static str,
    /// The articles of law the notice answers.
    pub legal_basis: &'static str,
    /// "Purpose".
    pub purpose_heading: &'static str,
    /// Why the data are processed, and on what legal basis.
    pub purpose: &'static str,
    /// "Data processed".
    pub data_heading: &'static str,
    /// Which data.
    pub data: &'static str,
    /// "Retention".
    pub retention_heading: &'static str,
    /// How long each kind of data is kept, with the configured periods.
    pub retention: fn(request_hours: i64, document_days: i64, rejected_days: i64) -> String,
    /// "Rights".
    pub rights_heading: &'static str,
    /// The data subject's rights, and whom to ask.
    pub rights: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_its_own_texts() {
        for language in Language::ALL {
            let texts = language.texts();
            assert!(!texts.emails.signature.is_empty(), "{language:?}");
            let others = Language::ALL.into_iter().filter(|other| *other != language);
            for other in others {
                assert_ne!(texts.emails.signature, other.texts().emails.signature, "{language:?} is {other:?}");
            }
        }
    }
}
