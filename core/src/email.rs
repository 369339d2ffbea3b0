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
            lang = language.code(),
            title = encode_text(&self.subject),
            signature = encode_text(self.signature),
        );
        OutgoingEmail { to: to.to_string(), subject: self.subject, text, html, language, attachments, request_id: None }
    }
}

fn signature(language: Language) -> &'static str {
    language.pick(
        "Servizio di assistenza - Accreditamento Utenti Esteri",
        "Assistance service - Foreign User accreditation",
    )
}

fn no_reply(language: Language) -> String {
    language
        .pick(
            "Questo è un messaggio automatico: non risponda a questa email.",
            "This is an automatic message: please do not reply to this email.",
        )
        .into()
}

fn greeting(language: Language, name: &str) -> String {
    match language {
        Language::It => format!("Gentile {name},"),
        Language::En => format!("Dear {name},"),
    }
}

fn full_name(request: &AccreditationRequest) -> String {
    format!("{} {}", request.applicant.name, request.applicant.surname)
}

/// A date and time as `2026-11-30 10:00 UTC`.
fn when(at: Timestamp) -> String {
    at.datetime().format(format_description!("[year]-[month]-[day] [hour]:[minute] UTC")).unwrap_or_default()
}

/// "We received your request": the reference and what happens next.
pub fn confirmation(request: &AccreditationRequest) -> OutgoingEmail {
    let language = request.applicant.language;
    let reference = request.reference.as_str();
    let paragraphs = match language {
        Language::It => vec![
            greeting(language, &full_name(request)),
            "abbiamo ricevuto la Sua richiesta di credenziali \"Utente Estero\" e il documento di identità allegato.".into(),
            format!("Numero di riferimento: {reference}\nLo indichi in ogni comunicazione con il servizio di assistenza."),
            "Cosa succede ora: il servizio di assistenza verifica i dati e il documento. Se la richiesta viene approvata, riceverà a questo indirizzo una email con il nome utente e una password temporanea; al primo accesso dovrà sceglierne una nuova. Se servono altri documenti, o se la richiesta non può essere accolta, riceverà una email con le indicazioni.".into(),
            "Può seguire lo stato della richiesta con il link privato ricevuto al momento dell'invio del modulo.".into(),
            no_reply(language),
        ],
        Language::En => vec![
            greeting(language, &full_name(request)),
            "we have received your request for \"Foreign User\" (Utente Estero) credentials and your identity document.".into(),
            format!("Reference number: {reference}\nPlease quote it whenever you contact the assistance service."),
            "What happens next: the assistance service checks your data and your document. If your request is approved, you will receive an email at this address with your username and a temporary password; at your first login you will have to choose a new password. If more documents are needed, or if the request cannot be accepted, you will receive an email explaining what to do.".into(),
            "You can follow your request with the private status link you received when you sent the form.".into(),
            no_reply(language),
        ],
    };
    let subject = language.pick(
        format!("Richiesta {reference} ricevuta - credenziali Utente Estero"),
        format!("Request {reference} received - Foreign User credentials"),
    );
    Letter { subject, paragraphs, signature: signature(language) }.into_email(
        request.applicant.email.as_str(),
        language,
        Vec::new(),
    )
}

/// Someone sent the form again with this active request's details (citizenship and
/// identification code, or email): the owner learns of it and what to do if it was not them.
pub fn duplicate_attempt(request: &AccreditationRequest) -> OutgoingEmail {
    let language = request.applicant.language;
    let reference = request.reference.as_str();
    let paragraphs = match language {
        Language::It => vec![
            greeting(language, &full_name(request)),
            format!("qualcuno ha appena inviato una nuova richiesta di credenziali \"Utente Estero\" con i Suoi dati, mentre la Sua richiesta {reference} è ancora in corso. La nuova richiesta non è stata accettata e a chi l'ha inviata non è stato comunicato nulla della Sua."),
            "Se è stato Lei, non deve fare nulla: segua la richiesta in corso con il link privato ricevuto al momento dell'invio del modulo.".into(),
            format!("Se non è stato Lei, contatti il servizio di assistenza indicando il numero di riferimento {reference}."),
            no_reply(language),
        ],
        Language::En => vec![
            greeting(language, &full_name(request)),
            format!("someone has just sent a new request for \"Foreign User\" credentials with your details while your request {reference} is still open. The new request was not accepted, and whoever sent it was told nothing about yours."),
            "If it was you, there is nothing to do: follow your open request with the private status link you received when you sent the form.".into(),
            format!("If it was not you, please contact the assistance service quoting the reference number {reference}."),
            no_reply(language),
        ],
    };
    let subject = language.pick(
        format!("Nuovo tentativo di richiesta con i Suoi dati ({reference}) - credenziali Utente Estero"),
        format!("A new request was attempted with your details ({reference}) - Foreign User credentials"),
    );
    Letter { subject, paragraphs, signature: signature(language) }.into_email(
        request.applicant.email.as_str(),
        language,
        Vec::new(),
    )
}

/// The request was rejected: the operator's reason, and that a new request is possible.
pub fn rejection(request: &AccreditationRequest, reason: &str) -> OutgoingEmail {
    let language = request.applicant.language;
    let reference = request.reference.as_str();
    let paragraphs = match language {
        Language::It => vec![
            greeting(language, &full_name(request)),
            format!("la Sua richiesta di credenziali \"Utente Estero\" {reference} non può essere accolta."),
            format!("Motivo indicato dal servizio di assistenza:\n{reason}"),
            "Può presentare una nuova richiesta con il modulo online, correggendo quanto indicato.".into(),
            no_reply(language),
        ],
        Language::En => vec![
            greeting(language, &full_name(request)),
            format!("your request {reference} for \"Foreign User\" credentials cannot be accepted."),
            format!("Reason given by the assistance service:\n{reason}"),
            "You may send a new request with the online form, correcting what is indicated above.".into(),
            no_reply(language),
        ],
    };
    let subject = language.pick(
        format!("Richiesta {reference} non accolta - credenziali Utente Estero"),
        format!("Request {reference} not accepted - Foreign User credentials"),
    );
    Letter { subject, paragraphs, signature: signature(language) }.into_email(
        request.applicant.email.as_str(),
        language,
        Vec::new(),
    )
}

/// An operator asks for more: their message, how to upload, and the configured form if any.
pub fn info_request(request: &AccreditationRequest, message: &str, form: Option<Attachment>) -> OutgoingEmail {
    let language = request.applicant.language;
    let reference = request.reference.as_str();
    let attached = form.is_some();
    let mut paragraphs = match language {
        Language::It => vec![
            greeting(language, &full_name(request)),
            format!("per completare la Sua richiesta {reference} il servizio di assistenza ha bisogno di altre informazioni."),
            format!("Messaggio del servizio di assistenza:\n{message}"),
            "Carichi il documento richiesto dalla pagina di stato della richiesta (il link privato ricevuto al momento dell'invio del modulo): un file PDF, JPEG o PNG di al massimo 3 MiB.".into(),
        ],
        Language::En => vec![
            greeting(language, &full_name(request)),
            format!("to complete your request {reference} the assistance service needs more information."),
            format!("Message from the assistance service:\n{message}"),
            "Upload the requested document from your request's status page (the private link you received when you sent the form): a PDF, JPEG or PNG file of at most 3 MiB.".into(),
        ],
    };
    if attached {
        paragraphs.push(
            language
                .pick(
                    "In allegato trova il modulo da compilare, firmare e caricare.",
                    "Attached is the form to fill in, sign and upload.",
                )
                .into(),
        );
    }
    paragraphs.push(no_reply(language));
    let subject = language.pick(
        format!("Richiesta {reference}: servono altre informazioni"),
        format!("Request {reference}: more information needed"),
    );
    Letter { subject, paragraphs, signature: signature(language) }.into_email(
        request.applicant.email.as_str(),
        language,
        form.into_iter().collect(),
    )
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
    let username = account.username().as_str();
    let until = when(expires_at);
    let opening = match (language, account.role(), reference) {
        (Language::It, Role::Applicant, Some(reference)) => format!(
            "la Sua richiesta {reference} è stata approvata: ecco le Sue credenziali \"Utente Estero\" per il portale."
        ),
        (Language::En, Role::Applicant, Some(reference)) => {
            format!("your request {reference} was approved: here are your \"Foreign User\" credentials for the portal.")
        }
        (Language::It, _, _) => "è stato creato per Lei un account sul portale: ecco le Sue credenziali.".into(),
        (Language::En, _, _) => "an account was created for you on the portal: here are your credentials.".into(),
    };
    let (lines, how) = match (language, credential) {
        (Language::It, Credential::Password(password)) => (
            format!("Nome utente: {username}\nPassword temporanea: {password}"),
            format!(
                "Acceda da {login_url}: al primo accesso dovrà scegliere una nuova password. La password temporanea scade il {until}; dopo quella data chieda nuove credenziali al servizio di assistenza."
            ),
        ),
        (Language::En, Credential::Password(password)) => (
            format!("Username: {username}\nTemporary password: {password}"),
            format!(
                "Log in at {login_url}: at your first access you must choose a new password. The temporary password expires on {until}; after that, ask the assistance service for new credentials."
            ),
        ),
        (Language::It, Credential::ActivationLink(link)) => (
            format!("Nome utente: {username}\nLink di attivazione: {link}"),
            format!(
                "Apra il link per scegliere la Sua password: funziona una sola volta e scade il {until}. Poi acceda da {login_url}."
            ),
        ),
        (Language::En, Credential::ActivationLink(link)) => (
            format!("Username: {username}\nActivation link: {link}"),
            format!(
                "Open the link to choose your password: it works once and expires on {until}. Then log in at {login_url}."
            ),
        ),
    };
    let paragraphs = vec![greeting(language, account.display_name()), opening, lines, how, no_reply(language)];
    let subject = language.pick("Le Sue credenziali Utente Estero", "Your Foreign User credentials").to_string();
    Letter { subject, paragraphs, signature: signature(language) }.into_email(
        account.email().as_str(),
        language,
        Vec::new(),
    )
}

/// "Your password was changed", with what to do if it was not them.
pub fn password_changed(account: &Account, at: Timestamp) -> OutgoingEmail {
    let language = account.language();
    let username = account.username().as_str();
    let at = when(at);
    let paragraphs = match language {
        Language::It => vec![
            greeting(language, account.display_name()),
            format!("la password dell'account {username} è stata cambiata il {at}."),
            "Se non è stato Lei, contatti subito il servizio di assistenza.".into(),
            no_reply(language),
        ],
        Language::En => vec![
            greeting(language, account.display_name()),
            format!("the password of the account {username} was changed on {at}."),
            "If this was not you, contact the assistance service at once.".into(),
            no_reply(language),
        ],
    };
    let subject = language.pick("Password cambiata", "Your password was changed").to_string();
    Letter { subject, paragraphs, signature: signature(language) }.into_email(
        account.email().as_str(),
        language,
        Vec::new(),
    )
}

/// The link that lets `account` choose a new password, valid until `expires_at`.
pub fn password_reset(account: &Account, link: &str, expires_at: Timestamp) -> OutgoingEmail {
    let language = account.language();
    let username = account.username().as_str();
    let until = when(expires_at);
    let paragraphs = match language {
        Language::It => vec![
            greeting(language, account.display_name()),
            format!(
                "è stato chiesto di reimpostare la password dell'account {username}. Per sceglierne una nuova apra questo collegamento (funziona una sola volta, fino al {until}):"
            ),
            link.to_string(),
            "Se non l'ha chiesto Lei, ignori questo messaggio: la password non cambia.".into(),
            no_reply(language),
        ],
        Language::En => vec![
            greeting(language, account.display_name()),
            format!(
                "a password reset was asked for the account {username}. To choose a new password, open this link (it works once, until {until}):"
            ),
            link.to_string(),
            "If you did not ask for it, ignore this message: your password does not change.".into(),
            no_reply(language),
        ],
    };
    let subject = language.pick("Reimpostazione della password", "Reset your password").to_string();
    Letter { subject, paragraphs, signature: signature(language) }.into_email(
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
