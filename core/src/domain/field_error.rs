//! Why one form field was refused, told in the applicant's language.

use std::collections::BTreeMap;

use super::Language;

/// The reason a single field of the form cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    /// A mandatory field is absent, null or blank.
    Missing,
    /// The JSON value has the wrong type (e.g. a number where text is expected).
    WrongType(&'static str),
    /// A field the form does not have.
    Unknown,
    /// Longer than allowed.
    TooLong(usize),
    /// Holds characters the field does not accept.
    InvalidCharacters(&'static str),
    /// Not an email address.
    InvalidEmail,
    /// Not an international phone number.
    InvalidPhone,
    /// Not an ISO 3166-1 alpha-2 country code.
    UnknownCountry,
    /// Not a calendar date in `YYYY-MM-DD` form.
    InvalidDate,
    /// A birth date today or later.
    DateNotInPast,
    /// A birth date before 1900.
    DateTooEarly,
    /// Not `F`, `M` or `X`.
    InvalidGender,
    /// Not `it` or `en`.
    InvalidLanguage,
    /// An Italian codice fiscale: its holder must log in with SPID, CIE or CNS instead.
    ItalianFiscalCode,
    /// A citizenship whose national eID works through eIDAS.
    EidasCountry(String),
    /// The privacy notice was not accepted.
    ConsentRequired,
    /// Not one of PDF, JPEG, PNG.
    UnsupportedDocumentType,
    /// A document of zero bytes.
    EmptyDocument,
    /// A document over the size limit.
    DocumentTooLarge(u64),
    /// Given with the named field, when only one of the two may be.
    ExclusiveWith(&'static str),
}

impl FieldError {
    /// A sentence for the applicant, in their language.
    pub fn message(&self, lang: Language) -> String {
        match self {
            Self::Missing => lang.pick("Campo obbligatorio.", "This field is required.").into(),
            Self::WrongType(expected) => match lang {
                Language::It => format!("Valore non valido: atteso {}.", italian_type(expected)),
                Language::En => format!("Invalid value: expected {expected}."),
            },
            Self::Unknown => lang
                .pick("Campo sconosciuto: non fa parte del modulo.", "Unknown field: not part of the form.")
                .into(),
            Self::TooLong(max) => match lang {
                Language::It => format!("Troppo lungo: al massimo {max} caratteri."),
                Language::En => format!("Too long: at most {max} characters."),
            },
            Self::InvalidCharacters(allowed) => match lang {
                Language::It => format!("Caratteri non ammessi: usare solo {}.", italian_allowed(allowed)),
                Language::En => format!("Invalid characters: use only {allowed}."),
            },
            Self::InvalidEmail => lang
                .pick("Indirizzo email non valido.", "Not a valid email address.")
                .into(),
            Self::InvalidPhone => lang
                .pick(
                    "Numero non valido: usare il formato internazionale con prefisso, ad esempio +16175550100.",
                    "Not a valid phone number: use the international format with the prefix, e.g. +16175550100.",
                )
                .into(),
            Self::UnknownCountry => lang
                .pick(
                    "Stato non valido: usare il codice ISO 3166-1 di due lettere, ad esempio US.",
                    "Unknown country: use the two-letter ISO 3166-1 code, e.g. US.",
                )
                .into(),
            Self::InvalidDate => lang
                .pick(
                    "Data non valida: usare il formato AAAA-MM-GG.",
                    "Not a valid date: use the YYYY-MM-DD format.",
                )
                .into(),
            Self::DateNotInPast => lang
                .pick("La data di nascita deve essere nel passato.", "The date of birth must be in the past.")
                .into(),
            Self::DateTooEarly => lang
                .pick(
                    "La data di nascita non può essere precedente al 1900.",
                    "The date of birth cannot be before 1900.",
                )
                .into(),
            Self::InvalidGender => lang
                .pick("Valore non valido: usare F, M o X.", "Invalid value: use F, M or X.")
                .into(),
            Self::InvalidLanguage => lang
                .pick("Lingua non valida: usare it o en.", "Invalid language: use it or en.")
                .into(),
            Self::ItalianFiscalCode => lang
                .pick(
                    "Questo è un codice fiscale italiano: chi lo possiede accede con SPID, CIE o CNS e non ha bisogno delle credenziali Utente Estero. Indicare il numero del documento di identità estero.",
                    "This is an Italian fiscal code: its holders log in with SPID, CIE or CNS and do not need Foreign User credentials. Enter the number of your foreign identity document.",
                )
                .into(),
            Self::EidasCountry(country) => match lang {
                Language::It => format!(
                    "I cittadini di {country} possono accedere con l'identità digitale del proprio Paese tramite eIDAS (\"Login with eIDAS\"): questa richiesta non è necessaria."
                ),
                Language::En => format!(
                    "Citizens of {country} can log in with their national digital identity through eIDAS (\"Login with eIDAS\"): this request is not needed."
                ),
            },
            Self::ConsentRequired => lang
                .pick(
                    "È necessario accettare l'informativa sulla privacy.",
                    "You must accept the privacy notice.",
                )
                .into(),
            Self::UnsupportedDocumentType => lang
                .pick(
                    "Formato non ammesso: caricare un file PDF, JPEG o PNG.",
                    "Unsupported format: upload a PDF, JPEG or PNG file.",
                )
                .into(),
            Self::EmptyDocument => lang.pick("Il file è vuoto.", "The file is empty.").into(),
            Self::DocumentTooLarge(max) => match lang {
                Language::It => format!("File troppo grande: al massimo {max} byte (3 MiB)."),
                Language::En => format!("File too large: at most {max} bytes (3 MiB)."),
            },
            Self::ExclusiveWith(other) => match lang {
                Language::It => format!("Indicare questo campo oppure {other}, non entrambi."),
                Language::En => format!("Give this field or {other}, not both."),
            },
        }
    }
}

fn italian_type(expected: &str) -> &str {
    match expected {
        "text" => "un testo",
        "true or false" => "vero o falso",
        "a whole number" => "un numero intero",
        "an object" => "un oggetto",
        other => other,
    }
}

fn italian_allowed(allowed: &str) -> &str {
    match allowed {
        "letters, spaces, apostrophes and hyphens" => "lettere, spazi, apostrofi e trattini",
        "letters and digits" => "lettere e cifre",
        "printable characters" => "caratteri stampabili",
        "submitted, info_requested, approved or rejected" => "submitted, info_requested, approved o rejected",
        "a whole number from 1 to 100" => "un numero intero da 1 a 100",
        other => other,
    }
}

/// Every refused field of one form, keyed by its JSON name (nested fields as `address.city`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, FieldError>);

impl FieldErrors {
    /// Records the error of one field (the first error of a field wins).
    pub fn add(&mut self, field: impl Into<String>, error: FieldError) {
        self.0.entry(field.into()).or_insert(error);
    }

    /// True when no field was refused.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The error recorded for `field`, if any.
    pub fn get(&self, field: &str) -> Option<&FieldError> {
        self.0.get(field)
    }

    /// The messages for the applicant, by field, in their language.
    pub fn messages(&self, lang: Language) -> BTreeMap<String, String> {
        self.0.iter().map(|(field, error)| (field.clone(), error.message(lang))).collect()
    }
}

impl IntoIterator for FieldErrors {
    type Item = (String, FieldError);
    type IntoIter = std::collections::btree_map::IntoIter<String, FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_error_of_a_field_wins_and_all_fields_are_kept() {
        let mut errors = FieldErrors::default();
        errors.add("email", FieldError::InvalidEmail);
        errors.add("email", FieldError::Missing);
        errors.add("phone", FieldError::InvalidPhone);
        assert_eq!(errors.get("email"), Some(&FieldError::InvalidEmail));
        assert_eq!(errors.messages(Language::En).len(), 2);
    }

    #[test]
    fn messages_follow_the_language() {
        let error = FieldError::EidasCountry("Germany".into());
        assert!(error.message(Language::En).contains("eIDAS"));
        assert!(error.message(Language::It).starts_with("I cittadini di Germany"));
    }
}
