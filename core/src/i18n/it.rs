//! Italiano.

use super::*;

/// Every text in Italian.
pub(crate) static TEXTS: Texts = Texts {
    service: "Accreditamento Utente Estero",
    api: ApiTexts {
        no_route: |path| format!("Nessuna risorsa in {path}."),
        method_not_allowed: |allowed| format!("Usare {} su questa risorsa.", allowed.join(" o ")),
        throttled: "Troppe richieste in questo momento: riprovare tra poco.",
        unavailable: "Il servizio non è momentaneamente disponibile: riprovare tra qualche secondo.",
        internal: "Si è verificato un errore da parte nostra. Nulla è andato perso: riprovare più tardi.",
        invalid_form: "Alcuni campi non sono validi.",
        rate_limited: |seconds| format!("Troppe richieste: riprovare tra {seconds} secondi."),
        captcha_failed: "La verifica CAPTCHA non è riuscita: riprovare.",
        captcha_refused: "La risposta al CAPTCHA non è stata accettata.",
        duplicate_request: "Questa persona (stessa cittadinanza e codice identificativo, o stessa email) ha già una richiesta in corso: \
                            chi l'ha presentata è stato avvisato per email.",
        invalid_idempotency_key: "Idempotency-Key deve avere da 16 a 255 caratteri ASCII visibili (va bene un UUID).",
        idempotency_key_reused: "Questa Idempotency-Key è già stata usata con un corpo diverso.",
        request_not_found: "Nessuna richiesta corrisponde a questo id e codice di accesso (le richieste senza documento scadono dopo 24 ore).",
        invalid_transition: |status| format!("Non possibile mentre la richiesta è {status}."),
        document_not_uploaded: "Nessun documento è stato ancora caricato: caricarlo prima con il modulo di caricamento.",
        document_empty: "Il file è vuoto.",
        document_too_large: |size| format!("Il file ha {size} byte; se ne accettano al massimo 3145728 (3 MiB)."),
        document_unsupported: "Il file non è un documento PDF, JPEG o PNG.",
        document_mismatch: |declared, actual| format!("Il file è {actual} ma è stato dichiarato {declared}."),
        document_refused: |problem| {
            format!("{problem} Il file è stato eliminato: caricare di nuovo il documento firmato, fronte e retro.")
        },
        invalid_credentials: "Nome utente o password errati.",
        temporary_password_expired: "La password temporanea è scaduta: chiedere nuove credenziali al servizio di assistenza.",
        account_locked: |seconds| format!("Troppi tentativi falliti: riprovare tra {seconds} secondi."),
        invalid_change_token: "Il codice di cambio non è valido, è già stato usato o è scaduto: accedere di nuovo.",
        reauthentication_required: "Accedere di nuovo per aggiungere un'app di autenticazione: l'ultimo accesso risale a più di 5 minuti fa.",
        already_enrolled: "Per questo account è già attivo un secondo fattore.",
        invalid_code: "Il codice è errato o già usato: digitare il codice che l'app di autenticazione mostra ora.",
        invalid_mfa_token: "Il tempo per il secondo fattore è scaduto: accedere di nuovo.",
        invalid_reset_token: "Il link di reimpostazione non è valido, è già stato usato, è stato sostituito da uno più recente o è scaduto: chiederne uno nuovo.",
        weak_password: |reasons| format!("La nuova password non è accettata. {reasons}"),
        weak: WeakPasswordTexts {
            too_short: "Usare almeno 12 caratteri.",
            too_long: "Usare al massimo 128 caratteri.",
            contains_username: "Non includere il nome utente.",
            contains_email: "Non includere l'indirizzo email.",
            too_guessable: "Troppo facile da indovinare: evitare parole comuni, nomi, date e sequenze; alcune parole senza relazione tra loro formano una password robusta.",
            same_as_current: "Scegliere una password diversa da quella attuale.",
        },
        unauthenticated: "Accedere prima: inviare Authorization: Bearer <codice di sessione>.",
        forbidden: "Solo gli operatori possono usare questa risorsa.",
        invalid_cursor: "Il cursore non è uno di quelli restituiti da questo elenco: ricominciare senza.",
        no_such_request: "Richiesta inesistente.",
        credentials_already_used: "Il richiedente ha già scelto una password: non ci sono credenziali da emettere di nuovo.",
        unsupported_media_type: "Inviare il corpo in JSON con Content-Type: application/json.",
        payload_too_large: |size, max| {
            format!("Il corpo ha {size} byte; se ne accettano al massimo {max} (il documento si carica a parte).")
        },
        not_an_object: "Il corpo deve essere un oggetto JSON.",
        invalid_json: |reason| format!("Il corpo non è JSON valido: {reason}."),
        login_expired: "Questo accesso non è più in corso: tornare al sito di provenienza e accedere di nuovo.",
        invalid_session: "L'accesso non si è concluso con una sessione valida: accedere di nuovo.",
    },
    fields: FieldTexts {
        missing: "Campo obbligatorio.",
        wrong_type: |expected| format!("Valore non valido: atteso {expected}."),
        expected: ExpectedTexts {
            text: "un testo",
            boolean: "vero o falso",
            whole_number: "un numero intero",
            object: "un oggetto",
        },
        unknown: "Campo sconosciuto: non fa parte del modulo.",
        too_long: |max| format!("Troppo lungo: al massimo {max} caratteri."),
        invalid_characters: |allowed| format!("Caratteri non ammessi: usare solo {allowed}."),
        allowed: AllowedTexts {
            name: "lettere, spazi, apostrofi e trattini",
            letters_and_digits: "lettere e cifre",
            printable: "caratteri stampabili",
            statuses: "submitted, info_requested, approved o rejected",
            page_size: "un numero intero da 1 a 100",
        },
        invalid_email: "Indirizzo email non valido.",
        invalid_phone: "Numero non valido: usare il formato internazionale con prefisso, ad esempio +16175550100.",
        unknown_country: "Stato non valido: usare il codice ISO 3166-1 di due lettere, ad esempio US.",
        invalid_date: "Data non valida: usare il formato AAAA-MM-GG.",
        date_not_in_past: "La data di nascita deve essere nel passato.",
        date_too_early: "La data di nascita non può essere precedente al 1900.",
        invalid_gender: "Valore non valido: usare F, M o X.",
        invalid_language: "Lingua non valida: usare it o en.",
        italian_fiscal_code: "Questo è un codice fiscale italiano: chi lo possiede accede con SPID, CIE o CNS e non ha bisogno delle credenziali Utente Estero. Indicare il numero del documento di identità estero.",
        eidas_country: |country| {
            format!(
                "I cittadini di {country} possono accedere con l'identità digitale del proprio Paese tramite eIDAS (\"Login with eIDAS\"): questa richiesta non è necessaria."
            )
        },
        consent_required: "È necessario accettare l'informativa sulla privacy.",
        unsupported_document_type: "Formato non ammesso: caricare un file PDF, JPEG o PNG.",
        empty_document: "Il file è vuoto.",
        document_too_large: |max| format!("File troppo grande: al massimo {max} byte (3 MiB)."),
        exclusive_with: |other| format!("Indicare questo campo oppure {other}, non entrambi."),
    },
    emails: EmailTexts {
        signature: "Servizio di assistenza - Accreditamento Utenti Esteri",
        no_reply: "Questo è un messaggio automatico: non risponda a questa email.",
        greeting: |name| format!("Gentile {name},"),
        confirmation: ConfirmationTexts {
            subject: |reference| format!("Richiesta {reference} ricevuta - credenziali Utente Estero"),
            received: "abbiamo ricevuto la Sua richiesta di credenziali \"Utente Estero\" e il documento di identità allegato.",
            reference: |reference| {
                format!(
                    "Numero di riferimento: {reference}\nLo indichi in ogni comunicazione con il servizio di assistenza."
                )
            },
            next: "Cosa succede ora: il servizio di assistenza verifica i dati e il documento. Se la richiesta viene approvata, riceverà a questo indirizzo una email con il nome utente e una password temporanea; al primo accesso dovrà sceglierne una nuova. Se servono altri documenti, o se la richiesta non può essere accolta, riceverà una email con le indicazioni.",
            follow: "Può seguire lo stato della richiesta con il link privato ricevuto al momento dell'invio del modulo.",
        },
        duplicate_attempt: DuplicateAttemptTexts {
            subject: |reference| {
                format!("Nuovo tentativo di richiesta con i Suoi dati ({reference}) - credenziali Utente Estero")
            },
            attempted: |reference| {
                format!(
                    "qualcuno ha appena inviato una nuova richiesta di credenziali \"Utente Estero\" con i Suoi dati, mentre la Sua richiesta {reference} è ancora in corso. La nuova richiesta non è stata accettata e a chi l'ha inviata non è stato comunicato nulla della Sua."
                )
            },
            if_you: "Se è stato Lei, non deve fare nulla: segua la richiesta in corso con il link privato ricevuto al momento dell'invio del modulo.",
            if_not_you: |reference| {
                format!(
                    "Se non è stato Lei, contatti il servizio di assistenza indicando il numero di riferimento {reference}."
                )
            },
        },
        rejection: RejectionTexts {
            subject: |reference| format!("Richiesta {reference} non accolta - credenziali Utente Estero"),
            rejected: |reference| {
                format!("la Sua richiesta di credenziali \"Utente Estero\" {reference} non può essere accolta.")
            },
            reason: |reason| format!("Motivo indicato dal servizio di assistenza:\n{reason}"),
            new_request: "Può presentare una nuova richiesta con il modulo online, correggendo quanto indicato.",
        },
        info_request: InfoRequestTexts {
            subject: |reference| format!("Richiesta {reference}: servono altre informazioni"),
            needed: |reference| {
                format!(
                    "per completare la Sua richiesta {reference} il servizio di assistenza ha bisogno di altre informazioni."
                )
            },
            message: |message| format!("Messaggio del servizio di assistenza:\n{message}"),
            upload: "Carichi il documento richiesto dalla pagina di stato della richiesta (il link privato ricevuto al momento dell'invio del modulo): un file PDF, JPEG o PNG di al massimo 3 MiB.",
            attached: "In allegato trova il modulo da compilare, firmare e caricare.",
        },
        credentials: CredentialsTexts {
            subject: "Le Sue credenziali Utente Estero",
            approved: |reference| {
                format!(
                    "la Sua richiesta {reference} è stata approvata: ecco le Sue credenziali \"Utente Estero\" per il portale."
                )
            },
            created: "è stato creato per Lei un account sul portale: ecco le Sue credenziali.",
            password: |username, password| format!("Nome utente: {username}\nPassword temporanea: {password}"),
            password_use: |login_url, until| {
                format!(
                    "Acceda da {login_url}: al primo accesso dovrà scegliere una nuova password. La password temporanea scade il {until}; dopo quella data chieda nuove credenziali al servizio di assistenza."
                )
            },
            link: |username, link| format!("Nome utente: {username}\nLink di attivazione: {link}"),
            link_use: |until, login_url| {
                format!(
                    "Apra il link per scegliere la Sua password: funziona una sola volta e scade il {until}. Poi acceda da {login_url}."
                )
            },
        },
        password_changed: PasswordChangedTexts {
            subject: "Password cambiata",
            changed: |username, at| format!("la password dell'account {username} è stata cambiata il {at}."),
            if_not_you: "Se non è stato Lei, contatti subito il servizio di assistenza.",
        },
        password_reset: PasswordResetTexts {
            subject: "Reimpostazione della password",
            asked: |username, until| {
                format!(
                    "è stato chiesto di reimpostare la password dell'account {username}. Per sceglierne una nuova apra questo collegamento (funziona una sola volta, fino al {until}):"
                )
            },
            if_not_you: "Se non l'ha chiesto Lei, ignori questo messaggio: la password non cambia.",
        },
    },
    provider: ProviderTexts {
        error_title: "Richiesta di accesso non valida",
        error_intro: "Il sito da cui arrivi ha chiesto l'accesso in un modo che questo servizio non accetta. Torna al sito e riprova; se l'errore si ripete, segnalalo al sito.",
        signed_out_title: "Sei uscito",
        signed_out: "La sessione di accesso con le credenziali Utente Estero è terminata.",
    },
    privacy: PrivacyTexts {
        title: "Informativa privacy",
        heading: "Informativa sul trattamento dei dati personali",
        legal_basis: "Ai sensi degli articoli 13 e 14 del Regolamento (UE) 2016/679 (GDPR).",
        purpose_heading: "Finalità",
        purpose: "I dati del modulo e il documento di identità sono trattati solo per verificare l’identità di chi chiede le credenziali di “Utente Estero”, rilasciarle e assistere il richiedente. La base giuridica è l’esecuzione di un compito di interesse pubblico e il consenso espresso nel modulo.",
        data_heading: "Dati trattati",
        data: "Nome, cognome, genere, data e Stato di nascita, cittadinanza, codice identificativo, recapiti (email, PEC, telefoni), residenza e la copia firmata del documento di identità.",
        retention_heading: "Conservazione",
        retention: |request_hours, document_days, rejected_days| {
            format!(
                "Una richiesta a cui non viene allegato il documento entro {request_hours} ore è cancellata automaticamente, con il file caricato. Il documento di identità è cancellato {document_days} giorni dopo la decisione sulla richiesta. I dati di una richiesta respinta sono cancellati {rejected_days} giorni dopo il rifiuto (il tempo per contestarlo); quelli di una richiesta approvata restano finché si usano le credenziali, o fino a quando ne chiedi la cancellazione. Resta solo il registro delle decisioni (numero di riferimento, esito, chi ha deciso e quando), come la legge richiede."
            )
        },
        rights_heading: "Diritti",
        rights: "Puoi chiedere l’accesso, la rettifica o la cancellazione dei tuoi dati e proporre reclamo al Garante per la protezione dei dati personali, rivolgendoti al servizio di assistenza indicato nelle email che ricevi.",
    },
};
