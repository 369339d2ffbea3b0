//! The official request form, turned from JSON into domain types with every error at once.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::Date;

use super::{
    Address, BirthDate, CountryCode, DeclaredDocument, DocumentType, EidasCountries, Email, FieldError, FieldErrors,
    FieldReader, Gender, IdentificationCode, Language, PersonName, PhoneNumber, TextField,
    text_field::{MAX_CITY, MAX_HOUSE_NUMBER, MAX_STREET},
};

/// Longest CAPTCHA token accepted (reCAPTCHA tokens are about 2 KB).
const MAX_CAPTCHA_TOKEN: usize = 8192;

/// Who the applicant is, as they declared it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    /// Given name(s).
    pub name: PersonName,
    /// Surname(s).
    pub surname: PersonName,
    /// Where every email goes.
    pub email: Email,
    /// Mobile or landline, E.164.
    pub phone: PhoneNumber,
    /// Certified email (PEC), if they have one.
    pub pec: Option<Email>,
    /// A second phone number.
    pub other_phone: Option<PhoneNumber>,
    /// State of birth.
    pub birth_country: CountryCode,
    /// Date of birth.
    pub birth_date: BirthDate,
    /// Number of the identity document.
    pub identification_code: IdentificationCode,
    /// ICAO sex marker.
    pub gender: Gender,
    /// Citizenship.
    pub citizenship: CountryCode,
    /// State of residence.
    pub residence_country: CountryCode,
    /// Residence address.
    pub address: Address,
    /// Language of every message to the applicant.
    pub language: Language,
}

/// A valid form: the applicant, their CAPTCHA answer and the file they will upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationForm {
    /// The applicant's data.
    pub applicant: Applicant,
    /// The CAPTCHA response token to verify.
    pub captcha_token: String,
    /// The identity document they declared.
    pub document: DeclaredDocument,
}

/// Everything wrong with a refused form, with the language to explain it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidForm {
    /// The language the applicant chose, or English when that field is itself wrong.
    pub language: Language,
    /// One error per refused field.
    pub errors: FieldErrors,
}

/// What validation needs besides the form: the date and the eIDAS refusal list.
#[derive(Debug, Clone)]
pub struct FormRules<'a> {
    /// Today's date (UTC): birth dates must be before it.
    pub today: Date,
    /// Citizenships refused in favour of eIDAS.
    pub eidas: &'a EidasCountries,
}

const FIELDS: &[&str] = &[
    "name",
    "surname",
    "email",
    "phone",
    "pec",
    "other_phone",
    "birth_country",
    "birth_date",
    "identification_code",
    "gender",
    "citizenship",
    "residence_country",
    "address",
    "privacy_consent",
    "language",
    "captcha_token",
    "document",
];
const ADDRESS_FIELDS: &[&str] = &["city", "street", "number"];
const DOCUMENT_FIELDS: &[&str] = &["content_type", "size"];

impl ApplicationForm {
    /// Parses the JSON object of `POST /requests`, reporting every invalid, missing or unknown
    /// field together.
    pub fn parse(body: &Map<String, Value>, rules: &FormRules<'_>) -> Result<Self, InvalidForm> {
        let mut form = FieldReader::strict(body, "", FIELDS);
        let language = form.required("language", |s| Language::parse(s).ok_or(FieldError::InvalidLanguage));
        let name = form.required("name", PersonName::parse);
        let surname = form.required("surname", PersonName::parse);
        let email = form.required("email", Email::parse);
        let phone = form.required("phone", PhoneNumber::parse);
        let pec = form.optional("pec", Email::parse);
        let other_phone = form.optional("other_phone", PhoneNumber::parse);
        let birth_country = form.required("birth_country", CountryCode::parse);
        let birth_date = form.required("birth_date", |s| BirthDate::parse(s, rules.today));
        let identification_code = form.required("identification_code", IdentificationCode::parse);
        let gender = form.required("gender", |s| Gender::parse(s).ok_or(FieldError::InvalidGender));
        let citizenship = form.required("citizenship", |s| {
            let country = CountryCode::parse(s)?;
            if rules.eidas.contains(country) {
                return Err(FieldError::EidasCountry(country.name().to_string()));
            }
            Ok(country)
        });
        let residence_country = form.required("residence_country", CountryCode::parse);
        let address = form.object("address", ADDRESS_FIELDS, |address| {
            let city = address.required("city", |s| TextField::parse(s, MAX_CITY));
            let street = address.required("street", |s| TextField::parse(s, MAX_STREET));
            let number = address.required("number", |s| TextField::parse(s, MAX_HOUSE_NUMBER));
            Some(Address { city: city?, street: street?, number: number? })
        });
        form.consent("privacy_consent");
        let captcha_token = form.required("captcha_token", |s| match s.trim() {
            "" => Err(FieldError::Missing),
            t if t.len() > MAX_CAPTCHA_TOKEN => Err(FieldError::TooLong(MAX_CAPTCHA_TOKEN)),
            t => Ok(t.to_string()),
        });
        let document = form.object("document", DOCUMENT_FIELDS, |document| {
            let content_type = document.required("content_type", DocumentType::parse);
            let size = document.size("size");
            Some(DeclaredDocument { content_type: content_type?, size: size? })
        });

        let language_or_default = language.unwrap_or_default();
        let errors = form.into_errors();
        let parsed = (|| {
            Some(ApplicationForm {
                applicant: Applicant {
                    name: name?,
                    surname: surname?,
                    email: email?,
                    phone: phone?,
                    pec: pec?,
                    other_phone: other_phone?,
                    birth_country: birth_country?,
                    birth_date: birth_date?,
                    identification_code: identification_code?,
                    gender: gender?,
                    citizenship: citizenship?,
                    residence_country: residence_country?,
                    address: address?,
                    language: language?,
                },
                captcha_token: captcha_token?,
                document: document?,
            })
        })();
        match parsed {
            Some(form) if errors.is_empty() => Ok(form),
            _ => Err(InvalidForm { language: language_or_default, errors }),
        }
    }
}

impl DeclaredDocument {
    /// Parses `{"document": {"content_type", "size"}}`, the declaration of a further document.
    pub fn parse_request(body: &Map<String, Value>) -> Result<Self, InvalidForm> {
        let mut reader = FieldReader::strict(body, "", &["document"]);
        let declared = reader.object("document", DOCUMENT_FIELDS, read_declared_document);
        match declared {
            Some(declared) if reader.errors().is_empty() => Ok(declared),
            _ => Err(InvalidForm { language: Language::default(), errors: reader.into_errors() }),
        }
    }

    /// The error of a further upload requested without saying which file it will be.
    pub fn missing_declaration() -> InvalidForm {
        let mut errors = FieldErrors::default();
        errors.add("document", FieldError::Missing);
        InvalidForm { language: Language::default(), errors }
    }
}

fn read_declared_document(document: &mut FieldReader<'_>) -> Option<DeclaredDocument> {
    let content_type = document.required("content_type", DocumentType::parse);
    let size = document.size("size");
    Some(DeclaredDocument { content_type: content_type?, size: size? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::date;

    fn valid() -> Value {
        json!({
            "name": "Maria", "surname": "D'Angelo", "email": "maria@example.org", "phone": "+16175550100",
            "pec": null, "other_phone": null, "birth_country": "US", "birth_date": "1990-04-01",
            "identification_code": "X1234567", "gender": "F", "citizenship": "US", "residence_country": "US",
            "address": {"city": "Boston", "street": "Main Street", "number": "12"},
            "privacy_consent": true, "language": "en", "captcha_token": "token",
            "document": {"content_type": "application/pdf", "size": 123456}
        })
    }

    fn parse(value: Value) -> Result<ApplicationForm, InvalidForm> {
        let eidas = EidasCountries::shipped();
        let rules = FormRules { today: date!(2026 - 11 - 23), eidas: &eidas };
        ApplicationForm::parse(value.as_object().unwrap(), &rules)
    }

    #[test]
    fn the_documented_example_is_valid() {
        let form = parse(valid()).unwrap();
        assert_eq!(form.applicant.surname.as_str(), "D'Angelo");
        assert_eq!(form.applicant.pec, None);
        assert_eq!(form.document, DeclaredDocument { content_type: DocumentType::Pdf, size: 123456 });
    }

    #[test]
    fn optional_fields_are_parsed_when_given() {
        let mut body = valid();
        body["pec"] = json!("maria@pec.example.it");
        body["other_phone"] = json!("+39 06 1234 5678");
        let form = parse(body).unwrap();
        assert_eq!(form.applicant.pec.unwrap().as_str(), "maria@pec.example.it");
        assert_eq!(form.applicant.other_phone.unwrap().as_str(), "+390612345678");
    }

    #[test]
    fn every_wrong_field_is_reported_at_once() {
        let body = json!({
            "name": "M4ria", "surname": "", "email": "not-an-email", "phone": "12345", "pec": "bad",
            "other_phone": "+0", "birth_country": "XX", "birth_date": "1990-02-30",
            "identification_code": "RSSMRA85T10A562S", "gender": "Q", "citizenship": "DE",
            "residence_country": "usa", "address": {"city": "", "street": 5, "colour": "red"},
            "privacy_consent": false, "language": "it", "captcha_token": "",
            "document": {"content_type": "image/gif", "size": 4_000_000}, "extra": 1
        });
        let invalid = parse(body).unwrap_err();
        assert_eq!(invalid.language, Language::It);
        let fields: Vec<_> = invalid.errors.messages(Language::En).into_keys().collect();
        assert_eq!(
            fields,
            [
                "address.city",
                "address.colour",
                "address.number",
                "address.street",
                "birth_country",
                "birth_date",
                "captcha_token",
                "citizenship",
                "document.content_type",
                "document.size",
                "email",
                "extra",
                "gender",
                "identification_code",
                "name",
                "other_phone",
                "pec",
                "phone",
                "privacy_consent",
                "residence_country",
                "surname",
            ]
        );
        assert_eq!(invalid.errors.get("citizenship"), Some(&FieldError::EidasCountry("Germany".into())));
        assert_eq!(invalid.errors.get("identification_code"), Some(&FieldError::ItalianFiscalCode));
    }

    #[test]
    fn missing_consent_and_wrong_types() {
        let mut body = valid();
        body.as_object_mut().unwrap().remove("privacy_consent");
        body["document"]["size"] = json!("12");
        body["language"] = json!(1);
        let invalid = parse(body).unwrap_err();
        assert_eq!(invalid.language, Language::En);
        assert_eq!(invalid.errors.get("privacy_consent"), Some(&FieldError::ConsentRequired));
        assert_eq!(
            invalid.errors.get("document.size"),
            Some(&FieldError::WrongType(crate::domain::Expected::WholeNumber))
        );
        assert_eq!(invalid.errors.get("language"), Some(&FieldError::WrongType(crate::domain::Expected::Text)));
    }

    #[test]
    fn an_empty_object_lists_every_mandatory_field() {
        let invalid = parse(json!({})).unwrap_err();
        let messages = invalid.errors.messages(Language::En);
        assert_eq!(messages.len(), FIELDS.len() - 2, "all but pec and other_phone: {messages:?}");
    }
}
