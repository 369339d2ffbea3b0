//! The emails to applicants, in their language, as plain text and HTML.

use html_escape::encode_text;

use crate::{
    domain::{AccreditationRequest, Language},
    ports::{EmailKind, OutgoingEmail},
};

/// Renders the email of `kind` about `request`.
pub fn render(kind: EmailKind, request: &AccreditationRequest) -> OutgoingEmail {
    match kind {
        EmailKind::Confirmation => confirmation(request),
    }
}

/// A message as paragraphs, turned into both parts.
struct Letter {
    subject: String,
    greeting: String,
    paragraphs: Vec<String>,
    signature: &'static str,
}

impl Letter {
    fn into_email(self, to: &str, language: Language) -> OutgoingEmail {
        let text = std::iter::once(self.greeting.clone())
            .chain(self.paragraphs.iter().cloned())
            .chain(std::iter::once(self.signature.to_string()))
            .collect::<Vec<_>>()
            .join("\n\n");
        let body: String = std::iter::once(&self.greeting)
            .chain(&self.paragraphs)
            .map(|p| format!("<p>{}</p>", encode_text(p).replace('\n', "<br>")))
            .collect();
        let html = format!(
            "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body style=\"font-family:sans-serif;line-height:1.5\">{body}<p>{signature}</p></body></html>",
            lang = language.code(),
            title = encode_text(&self.subject),
            signature = encode_text(self.signature),
        );
        OutgoingEmail { to: to.to_string(), subject: self.subject, text, html, language }
    }
}

fn confirmation(request: &AccreditationRequest) -> OutgoingEmail {
    let applicant = &request.applicant;
    let full_name = format!("{} {}", applicant.name, applicant.surname);
    let reference = request.reference.as_str();
    let letter = match applicant.language {
        Language::It => Letter {
            subject: format!("Richiesta {reference} ricevuta - credenziali Utente Estero"),
            greeting: format!("Gentile {full_name},"),
            paragraphs: vec![
                "abbiamo ricevuto la Sua richiesta di credenziali \"Utente Estero\" e il documento di identità allegato.".into(),
                format!("Numero di riferimento: {reference}\nLo indichi in ogni comunicazione con il servizio di assistenza."),
                "Cosa succede ora: il servizio di assistenza verifica i dati e il documento. Se la richiesta viene approvata, riceverà a questo indirizzo una email con il nome utente e una password temporanea; al primo accesso dovrà sceglierne una nuova. Se servono altri documenti, o se la richiesta non può essere accolta, riceverà una email con le indicazioni.".into(),
                "Può seguire lo stato della richiesta con il link privato ricevuto al momento dell'invio del modulo.".into(),
                "Questo è un messaggio automatico: non risponda a questa email.".into(),
            ],
            signature: "Servizio di assistenza - Accreditamento Utenti Esteri",
        },
        Language::En => Letter {
            subject: format!("Request {reference} received - Foreign User credentials"),
            greeting: format!("Dear {full_name},"),
            paragraphs: vec![
                "we have received your request for \"Foreign User\" (Utente Estero) credentials and your identity document.".into(),
                format!("Reference number: {reference}\nPlease quote it whenever you contact the assistance service."),
                "What happens next: the assistance service checks your data and your document. If your request is approved, you will receive an email at this address with your username and a temporary password; at your first login you will have to choose a new password. If more documents are needed, or if the request cannot be accepted, you will receive an email explaining what to do.".into(),
                "You can follow your request with the private status link you received when you sent the form.".into(),
                "This is an automatic message: please do not reply to this email.".into(),
            ],
            signature: "Assistance service - Foreign User accreditation",
        },
    };
    letter.into_email(applicant.email.as_str(), applicant.language)
}
