//! Domain types: each parses its input and can then be trusted ("parse, don't validate").

/// Gives a text newtype with `parse(&str) -> Result<Self, FieldError>` and `as_str()` its serde
/// bridge (stored values are parsed again when read) and `Display`.
macro_rules! text_newtype {
    ($type:ident) => {
        impl TryFrom<String> for $type {
            type Error = String;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value).map_err(|e| format!("invalid stored {}: {e:?}", stringify!($type)))
            }
        }

        impl From<$type> for String {
            fn from(value: $type) -> Self {
                value.0
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod account;
pub mod application_form;
pub mod argon2_phc;
pub mod authentication;
pub mod birth_date;
pub mod country;
pub mod document;
pub mod email;
pub mod field_error;
pub mod field_reader;
pub mod gender;
pub mod grant;
pub mod identification_code;
pub mod language;
pub mod legacy_hash;
pub mod note;
pub mod oidc;
pub mod outbox;
pub mod password;
pub mod person_name;
pub mod phone;
pub mod relying_party;
pub mod request;
pub mod secret_token;
pub mod text_field;
pub mod timestamp;
pub mod username;

pub use account::{Account, AccountEvent, AdminAction, IssuedCredential, PasswordState, Role, SecondFactor};
pub use application_form::{Applicant, ApplicationForm, FormRules, InvalidForm};
pub use authentication::{ACR_PASSWORD, ACR_TWO_FACTORS, Authentication};
pub use birth_date::BirthDate;
pub use country::{CountryCode, EidasCountries};
pub use document::{DeclaredDocument, DocumentType, MAX_DOCUMENT_BYTES, SNIFF_BYTES, parse_document_size};
pub use email::Email;
pub use field_error::{Allowed, Expected, FieldError, FieldErrors};
pub use field_reader::{FieldReader, two_texts, typed};
pub use gender::Gender;
pub use grant::{ChangeGrant, GrantPurpose};
pub use identification_code::IdentificationCode;
pub use language::Language;
pub use legacy_hash::{LegacyHash, LegacyHashError};
pub use note::{MAX_NOTE, Note};
pub use outbox::{EmailKind, OutboxEmail, OutboxStatus};
pub use password::{NewPassword, PasswordContext, WeakReason, temporary_password};
pub use person_name::PersonName;
pub use phone::PhoneNumber;
pub use relying_party::RelyingParty;
pub use request::{
    AcceptedDocument, AccreditationRequest, Actor, AuditAction, AuditEntry, Consent, DeliveryProblem,
    DeliveryProblemKind, DocumentSlot, Event, Reference, RequestId,
};
pub use secret_token::{SecretToken, TokenHash, random_bytes};
pub use text_field::{Address, TextField};
pub use timestamp::Timestamp;
pub use username::{MAX_USERNAME, Username};
