//! English.

use super::*;

/// Every text in English.
pub(crate) static TEXTS: Texts = Texts {
    service: "Foreign User accreditation",
    api: ApiTexts {
        no_route: |path| format!("No resource at {path}."),
        method_not_allowed: |allowed| format!("Use {} on this resource.", allowed.join(" or ")),
        throttled: "Too many requests right now: retry in a moment.",
        unavailable: "The service is temporarily unavailable: retry in a few seconds.",
        internal: "Something went wrong on our side. Nothing was lost: please retry later.",
        invalid_form: "Some fields are not valid.",
        rate_limited: |seconds| format!("Too many requests: try again in {seconds} seconds."),
        captcha_failed: "The CAPTCHA check failed: please try again.",
        captcha_refused: "The CAPTCHA answer was not accepted.",
        duplicate_request: "This person (same citizenship and identification code, or same email) already has an active request: \
                            its owner has been told by email.",
        invalid_idempotency_key: "Idempotency-Key must be 16 to 255 visible ASCII characters (a UUID is fine).",
        idempotency_key_reused: "This Idempotency-Key was already used with a different body.",
        request_not_found: "No request matches this id and access token (requests without a document expire after 24 hours).",
        invalid_transition: |status| format!("Not possible while the request is {status}."),
        document_not_uploaded: "No document has been uploaded yet: upload it with the upload form first.",
        document_empty: "The file is empty.",
        document_too_large: |size| format!("The file has {size} bytes; at most 3145728 (3 MiB) are accepted."),
        document_unsupported: "The file is not a PDF, JPEG or PNG document.",
        document_mismatch: |declared, actual| format!("The file is {actual} but {declared} was declared."),
        document_refused: |problem| {
            format!("{problem} The file was deleted: upload the signed, double-sided document again.")
        },
        invalid_credentials: "Wrong username or password.",
        temporary_password_expired: "The temporary password has expired: ask the assistance service for new credentials.",
        account_locked: |seconds| format!("Too many failed attempts: try again in {seconds} seconds."),
        invalid_change_token: "The change token is invalid, used or expired: log in again.",
        reauthentication_required: "Log in again to add an authenticator: your last login was more than 5 minutes ago.",
        already_enrolled: "A second factor is already enrolled for this account.",
        invalid_code: "The code is wrong or was already used: type the code the authenticator shows now.",
        invalid_mfa_token: "The time to give the second factor ran out: log in again.",
        invalid_reset_token: "The reset link is invalid, used, replaced by a newer one or expired: ask for a new one.",
        weak_password: |reasons| format!("The new password is refused. {reasons}"),
        weak: WeakPasswordTexts {
            too_short: "Use at least 12 characters.",
            too_long: "Use at most 128 characters.",
            contains_username: "Do not include your username.",
            contains_email: "Do not include your email address.",
            too_guessable: "Too easy to guess: avoid common words, names, dates and sequences; a few unrelated words make a strong password.",
            same_as_current: "Choose a password different from the current one.",
        },
        unauthenticated: "Log in first: send Authorization: Bearer <session token>.",
        forbidden: "Only operators may use this resource.",
        invalid_cursor: "The cursor is not one this listing returned: start again without it.",
        no_such_request: "No such request.",
        credentials_already_used: "The applicant already chose a password: there are no credentials to re-issue.",
        unsupported_media_type: "Send the body as JSON with Content-Type: application/json.",
        payload_too_large: |size, max| {
            format!("The body has {size} bytes; at most {max} are accepted (the document is uploaded separately).")
        },
        not_an_object: "The body must be a JSON object.",
        invalid_json: |reason| format!("The body is not valid JSON: {reason}."),
        login_expired: "This login is no longer in progress: go back to the site you came from and sign in again.",
        invalid_session: "The login did not end with a valid session: log in again.",
    },
    fields: FieldTexts {
        missing: "This field is required.",
        wrong_type: |expected| format!("Invalid value: expected {expected}."),
        expected: ExpectedTexts {
            text: "text",
            boolean: "true or false",
            whole_number: "a whole number",
            object: "an object",
        },
        unknown: "Unknown field: not part of the form.",
        too_long: |max| format!("Too long: at most {max} characters."),
        invalid_characters: |allowed| format!("Invalid characters: use only {allowed}."),
        allowed: AllowedTexts {
            name: "letters, spaces, apostrophes and hyphens",
            letters_and_digits: "letters and digits",
            printable: "printable characters",
            statuses: "submitted, info_requested, approved or rejected",
            page_size: "a whole number from 1 to 100",
        },
        invalid_email: "Not a valid email address.",
        invalid_phone: "Not a valid phone number: use the international format with the prefix, e.g. +16175550100.",
        unknown_country: "Unknown country: use the two-letter ISO 3166-1 code, e.g. US.",
        invalid_date: "Not a valid date: use the YYYY-MM-DD format.",
        date_not_in_past: "The date of birth must be in the past.",
        date_too_early: "The date of birth cannot be before 1900.",
        invalid_gender: "Invalid value: use F, M or X.",
        invalid_language: "Invalid language: use it or en.",
        italian_fiscal_code: "This is an Italian fiscal code: its holders log in with SPID, CIE or CNS and do not need Foreign User credentials. Enter the number of your foreign identity document.",
        eidas_country: |country| {
            format!(
                "Citizens of {country} can log in with their national digital identity through eIDAS (\"Login with eIDAS\"): this request is not needed."
            )
        },
        consent_required: "You must accept the privacy notice.",
        unsupported_document_type: "Unsupported format: upload a PDF, JPEG or PNG file.",
        empty_document: "The file is empty.",
        document_too_large: |max| format!("File too large: at most {max} bytes (3 MiB)."),
        exclusive_with: |other| format!("Give this field or {other}, not both."),
    },
    emails: EmailTexts {
        signature: "Assistance service - Foreign User accreditation",
        no_reply: "This is an automatic message: please do not reply to this email.",
        greeting: |name| format!("Dear {name},"),
        confirmation: ConfirmationTexts {
            subject: |reference| format!("Request {reference} received - Foreign User credentials"),
            received: "we have received your request for \"Foreign User\" (Utente Estero) credentials and your identity document.",
            reference: |reference| {
                format!("Reference number: {reference}\nPlease quote it whenever you contact the assistance service.")
            },
            next: "What happens next: the assistance service checks your data and your document. If your request is approved, you will receive an email at this address with your username and a temporary password; at your first login you will have to choose a new password. If more documents are needed, or if the request cannot be accepted, you will receive an email explaining what to do.",
            follow: "You can follow your request with the private status link you received when you sent the form.",
        },
        duplicate_attempt: DuplicateAttemptTexts {
            subject: |reference| {
                format!("A new request was attempted with your details ({reference}) - Foreign User credentials")
            },
            attempted: |reference| {
                format!(
                    "someone has just sent a new request for \"Foreign User\" credentials with your details while your request {reference} is still open. The new request was not accepted, and whoever sent it was told nothing about yours."
                )
            },
            if_you: "If it was you, there is nothing to do: follow your open request with the private status link you received when you sent the form.",
            if_not_you: |reference| {
                format!(
                    "If it was not you, please contact the assistance service quoting the reference number {reference}."
                )
            },
        },
        rejection: RejectionTexts {
            subject: |reference| format!("Request {reference} not accepted - Foreign User credentials"),
            rejected: |reference| {
                format!("your request {reference} for \"Foreign User\" credentials cannot be accepted.")
            },
            reason: |reason| format!("Reason given by the assistance service:\n{reason}"),
            new_request: "You may send a new request with the online form, correcting what is indicated above.",
        },
        info_request: InfoRequestTexts {
            subject: |reference| format!("Request {reference}: more information needed"),
            needed: |reference| {
                format!("to complete your request {reference} the assistance service needs more information.")
            },
            message: |message| format!("Message from the assistance service:\n{message}"),
            upload: "Upload the requested document from your request's status page (the private link you received when you sent the form): a PDF, JPEG or PNG file of at most 3 MiB.",
            attached: "Attached is the form to fill in, sign and upload.",
        },
        credentials: CredentialsTexts {
            subject: "Your Foreign User credentials",
            approved: |reference| {
                format!(
                    "your request {reference} was approved: here are your \"Foreign User\" credentials for the portal."
                )
            },
            created: "an account was created for you on the portal: here are your credentials.",
            password: |username, password| format!("Username: {username}\nTemporary password: {password}"),
            password_use: |login_url, until| {
                format!(
                    "Log in at {login_url}: at your first access you must choose a new password. The temporary password expires on {until}; after that, ask the assistance service for new credentials."
                )
            },
            link: |username, link| format!("Username: {username}\nActivation link: {link}"),
            link_use: |until, login_url| {
                format!(
                    "Open the link to choose your password: it works once and expires on {until}. Then log in at {login_url}."
                )
            },
        },
        password_changed: PasswordChangedTexts {
            subject: "Your password was changed",
            changed: |username, at| format!("the password of the account {username} was changed on {at}."),
            if_not_you: "If this was not you, contact the assistance service at once.",
        },
        password_reset: PasswordResetTexts {
            subject: "Reset your password",
            asked: |username, until| {
                format!(
                    "a password reset was asked for the account {username}. To choose a new password, open this link (it works once, until {until}):"
                )
            },
            if_not_you: "If you did not ask for it, ignore this message: your password does not change.",
        },
    },
    provider: ProviderTexts {
        error_title: "Invalid sign-in request",
        error_intro: "The site you came from asked to sign you in in a way this service does not accept. Go back to it and try again; if the error persists, report it to that site.",
        signed_out_title: "You are signed out",
        signed_out: "Your session with the Foreign User credentials has ended.",
    },
    privacy: PrivacyTexts {
        title: "Privacy notice",
        heading: "Privacy notice",
        legal_basis: "Under articles 13 and 14 of Regulation (EU) 2016/679 (GDPR).",
        purpose_heading: "Purpose",
        purpose: "The data of the form and the identity document are processed only to verify the identity of whoever asks for “Foreign User” credentials, to issue them and to assist the applicant. The legal basis is the performance of a task in the public interest and the consent given in the form.",
        data_heading: "Data processed",
        data: "Name, surname, gender, date and state of birth, citizenship, identification code, contacts (email, PEC, phones), residence and the signed copy of the identity document.",
        retention_heading: "Retention",
        retention: |request_hours, document_days, rejected_days| {
            format!(
                "A request not given its document within {request_hours} hours is deleted automatically, with its upload. The identity document is deleted {document_days} days after the decision on the request. The data of a rejected request are erased {rejected_days} days after the rejection (the time to contest it); those of an approved request stay while the credentials are in use, or until you ask for their erasure. Only the record of decisions stays (reference number, outcome, who decided and when), as the law requires."
            )
        },
        rights_heading: "Rights",
        rights: "You may ask for access to, correction or erasure of your data, and lodge a complaint with the Italian data protection authority (Garante), through the assistance service named in the emails you receive.",
    },
};
