//! Why one form field was refused, told in the applicant's language.

use std::collections::BTreeMap;

use super::Language;

/// The reason a single field of the form cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    /// A mandatory field is absent, null or blank.
    Missing,
    /// The JSON value has the wrong type (e.g. a number where text is expected).
    WrongType(Expected),
    /// A field the form does not have.
    Unknown,
    /// Longer than allowed.
    TooLong(usize),
    /// Holds characters the field does not accept.
    InvalidCharacters(Allowed),
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
    /// Not the tag of one of the languages.
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

/// The JSON type a field expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// A string.
    Text,
    /// `true` or `false`.
    Boolean,
    /// An integer.
    WholeNumber,
    /// An object.
    Object,
}

/// What a text field allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// A person's name: letters, spaces, apostrophes and hyphens.
    Name,
    /// An identification code: letters and digits.
    LettersAndDigits,
    /// Free text: printable characters.
    Printable,
    /// The operators' status filter: one of the four statuses.
    Statuses,
    /// The operators' page size: 1 to 100.
    PageSize,
}

impl FieldError {
    /// A sentence for the applicant, in their language.
    pub fn message(&self, lang: Language) -> String {
        let texts = &lang.texts().fields;
        match self {
            Self::Missing => texts.missing.into(),
            Self::WrongType(expected) => {
                let expected = match expected {
                    Expected::Text => texts.expected.text,
                    Expected::Boolean => texts.expected.boolean,
                    Expected::WholeNumber => texts.expected.whole_number,
                    Expected::Object => texts.expected.object,
                };
                (texts.wrong_type)(expected)
            }
            Self::Unknown => texts.unknown.into(),
            Self::TooLong(max) => (texts.too_long)(*max),
            Self::InvalidCharacters(allowed) => {
                let allowed = match allowed {
                    Allowed::Name => texts.allowed.name,
                    Allowed::LettersAndDigits => texts.allowed.letters_and_digits,
                    Allowed::Printable => texts.allowed.printable,
                    Allowed::Statuses => texts.allowed.statuses,
                    Allowed::PageSize => texts.allowed.page_size,
                };
                (texts.invalid_characters)(allowed)
            }
            Self::InvalidEmail => texts.invalid_email.into(),
            Self::InvalidPhone => texts.invalid_phone.into(),
            Self::UnknownCountry => texts.unknown_country.into(),
            Self::InvalidDate => texts.invalid_date.into(),
            Self::DateNotInPast => texts.date_not_in_past.into(),
            Self::DateTooEarly => texts.date_too_early.into(),
            Self::InvalidGender => texts.invalid_gender.into(),
            Self::InvalidLanguage => texts.invalid_language.into(),
            Self::ItalianFiscalCode => texts.italian_fiscal_code.into(),
            Self::EidasCountry(country) => (texts.eidas_country)(country),
            Self::ConsentRequired => texts.consent_required.into(),
            Self::UnsupportedDocumentType => texts.unsupported_document_type.into(),
            Self::EmptyDocument => texts.empty_document.into(),
            Self::DocumentTooLarge(max) => (texts.document_too_large)(*max),
            Self::ExclusiveWith(other) => (texts.exclusive_with)(other),
        }
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
