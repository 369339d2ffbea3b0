//! The emails of the service, in the recipient's language, as plain text and HTML.

use html_escape::encode_text;
use time::macros::format_description;

use crate::{
    domain::{Account, AccreditationRequest, Language, Role, Timestamp},
    ports::{Attachment, OutgoingEmail},
};

/// A message as paragraphs, turned into both parts. A paragraph's lines stay lines in the HTML
/// source too (`white-space: pre-line`), so `Username: <u>` can be found by line in either part.
struct Letter {
    subject: String,
    paragraphs: Vec<String>,
    signature: &'static str,
}

impl Letter {
    fn into_email(self, to: &str, language: Language, attachments: Vec<Attachment>) -> OutgoingEmail {
        let text = self.paragraphs.iter().cloned().chain([self.signature.to_string()]).collect::<Vec<_>>().join("\n\n");
        let body: String = self
            .paragraphs
            .iter()
            .map(|p| format!("<p style=\"white-space:pre-line\">\n{}\n</p>\n", encode_text(p)))
            .collect();
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
             <body style=\"font-family:sans-serif;line-height:1.5\">\n{body}<p>{signature}</p>\n</body>\n</html>\n",
            lang = language.tag(),
            title = encode_text(&self.subject),
            signature = encode_text(self.signature),
        );
        OutgoingEmail { to: to.to_string(), subject: self.subject, text, html, language, attachments, request_id: None }
    }
}

/// The paragraphs of an email to `name`: the greeting, `middle`, and the no-reply note.
fn paragraphs(language: Language, name: &str, middle: impl IntoIterator<Item = String>) -> Vec<String> {
    let texts = &language.texts().emails;
    [(texts.greeting)(name)].into_iter().chain(middle).chain([texts.no_reply.to_string()]).collect()
}

fn full_name(request: &AccreditationRequest) -> String {
    format!("{} {}", request.applicant.name, request.applicant.surname)
}

/// A date and time as `2026-11-30 10:00 UTC`.
fn when(at: Timestamp) -> String {
    at.datetime().format(format_description!("[year]-[month]-[day] [hour]:[minute] UTC")).unwrap_or_default()
}

/// An email to the applicant of `request`.
fn to_applicant(request: &AccreditationRequest, subject: String, middle: Vec<String>) -> OutgoingEmail {
    to_applicant_with(request, subject, middle, Vec::new())
}

/// An email to the applicant of `request`, with attachments.
fn to_applicant_with(
    request: &AccreditationRequest,
    subject: String,
    middle: Vec<String>,
    attachments: Vec<Attachment>,
) -> OutgoingEmail {
    let language = request.applicant.language;
    let paragraphs = paragraphs(language, &full_name(request), middle);
    Letter { subject, paragraphs, signature: language.texts().emails.signature }.into_email(
        request.applicant.email.as_str(),
        language,
        attachments,
    )
}

/// "We received your request": the reference and what happens next.
pub fn confirmation(request: &AccreditationRequest) -> OutgoingEmail {
    let texts = &request.applicant.language.texts().emails.confirmation;
    let reference = request.reference.as_str();
    let middle = vec![texts.received.into(), (texts.reference)(reference), texts.next.into(), texts.follow.into()];
    to_applicant(request, (texts.subject)(reference), middle)
}

/// Someone sent the form again with this active request's details (citizenship and
/// identification code, or email): the owner learns of it and what to do if it was not them.
pub fn duplicate_attempt(request: &AccreditationRequest) -> OutgoingEmail {
    let texts = &request.applicant.language.texts().emails.duplicate_attempt;
    let reference = request.reference.as_str();
    let middle = vec![(texts.attempted)(reference), texts.if_you.into(), (texts.if_not_you)(reference)];
    to_applicant(request, (texts.subject)(reference), middle)
}

/// The request was rejected: the operator's reason, and that a new request is possible.
pub fn rejection(request: &AccreditationRequest, reason: &str) -> OutgoingEmail {
    let texts = &request.applicant.language.texts().emails.rejection;
    let reference = request.reference.as_str();
    let middle = vec![(texts.rejected)(reference), (texts.reason)(reason), texts.new_request.into()];
    to_applicant(request, (texts.subject)(reference), middle)
}

/// An operator asks for more: their message, how to upload, and the configured form if any.
pub fn info_request(request: &AccreditationRequest, message: &str, form: Option<Attachment>) -> OutgoingEmail {
    let texts = &request.applicant.language.texts().emails.info_request;
    let reference = request.reference.as_str();
    let mut middle = vec![(texts.needed)(reference), (texts.message)(message), texts.upload.into()];
    if form.is_some() {
        middle.push(texts.attached.into());
    }
    to_applicant_with(request, (texts.subject)(reference), middle, form.into_iter().collect())
}

/// How the first access is granted.
pub enum Credential<'a> {
    /// A temporary password, to change at first login.
    Password(&'a str),
    /// A single-use link to choose the password (OWASP ASVS 2.5.1 delivery).
    ActivationLink(&'a str),
}

/// Username and temporary password (or activation link) of a new account.
pub fn credentials(
    account: &Account,
    reference: Option<&str>,
    credential: Credential<'_>,
    expires_at: Timestamp,
    login_url: &str,
) -> OutgoingEmail {
    let language = account.language();
    let texts = &language.texts().emails.credentials;
    let username = account.username().as_str();
    let until = when(expires_at);
    let opening = match (account.role(), reference) {
        (Role::Applicant, Some(reference)) => (texts.approved)(reference),
        _ => texts.created.into(),
    };
    let (lines, how) = match credential {
        Credential::Password(password) => {
            ((texts.password)(username, password), (texts.password_use)(login_url, &until))
        }
        Credential::ActivationLink(link) => ((texts.link)(username, link), (texts.link_use)(&until, login_url)),
    };
    let paragraphs = paragraphs(language, account.display_name(), [opening, lines, how]);
    to_account(account, texts.subject.into(), paragraphs)
}

/// "Your password was changed", with what to do if it was not them.
pub fn password_changed(account: &Account, at: Timestamp) -> OutgoingEmail {
    let language = account.language();
    let texts = &language.texts().emails.password_changed;
    let username = account.username().as_str();
    let middle = [(texts.changed)(username, &when(at)), texts.if_not_you.into()];
    let paragraphs = paragraphs(language, account.display_name(), middle);
    to_account(account, texts.subject.into(), paragraphs)
}

/// The link that lets `account` choose a new password, valid until `expires_at`.
pub fn password_reset(account: &Account, link: &str, expires_at: Timestamp) -> OutgoingEmail {
    let language = account.language();
    let texts = &language.texts().emails.password_reset;
    let username = account.username().as_str();
    let middle = [(texts.asked)(username, &when(expires_at)), link.to_string(), texts.if_not_you.into()];
    let paragraphs = paragraphs(language, account.display_name(), middle);
    to_account(account, texts.subject.into(), paragraphs)
}

/// An email of `paragraphs` to the holder of `account`.
fn to_account(account: &Account, subject: String, paragraphs: Vec<String>) -> OutgoingEmail {
    let language = account.language();
    Letter { subject, paragraphs, signature: language.texts().emails.signature }.into_email(
        account.email().as_str(),
        language,
        Vec::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Email, Username};

    fn account(language: Language) -> Account {
        Account::pending(
            Username::parse("maria.dangelo").unwrap(),
            Role::Applicant,
            Email::parse("maria@example.org").unwrap(),
            "Maria D'Angelo".into(),
            language,
            None,
            Timestamp::now(),
        )
    }

    #[test]
    fn credentials_stand_each_on_a_line_of_their_own_in_both_parts() {
        let at = Timestamp::now();
        let email = credentials(
            &account(Language::En),
            Some("UE-2026-000001"),
            Credential::Password("Ab3dEf"),
            at,
            "https://x/login",
        );
        for part in [&email.text, &email.html] {
            let lines: Vec<&str> = part.lines().collect();
            assert!(
                lines.contains(&"Username: maria.dangelo") || lines.contains(&"Username: maria.dangelo<br>"),
                "{part}"
            );
            assert!(lines.contains(&"Temporary password: Ab3dEf"), "{part}");
        }
        let italian = credentials(&account(Language::It), None, Credential::Password("Ab3dEf"), at, "https://x/login");
        assert!(italian.text.lines().any(|l| l == "Nome utente: maria.dangelo"));
        assert!(italian.text.lines().any(|l| l == "Password temporanea: Ab3dEf"));
    }

    #[test]
    fn the_debug_form_never_shows_the_content() {
        let email = credentials(&account(Language::En), None, Credential::Password("Secret123"), Timestamp::now(), "u");
        assert!(!format!("{email:?}").contains("Secret123"));
    }
}
