//! argon2 PHC strings made and checked in working memory kept between hashes: a fresh 19 MiB
//! per hash fragments the heap (measured: importing 2,000 fast legacy hashes peaked at 1.5 GB with
//! it, 81 MB when glibc was told to map such blocks, as reused memory does).

use std::sync::Mutex;

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Ident, PasswordHash},
};
use base64::{Engine, engine::general_purpose::STANDARD_NO_PAD};
use subtle::ConstantTimeEq;

use super::random_bytes;
use crate::ports::InfraError;

/// argon2's working memory, kept for the next hash (one block set per hash running at once).
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Runs `work` with at least `blocks` blocks of argon2 memory, taken from [`MEMORY`] and given
/// back after.
fn with_memory<R>(blocks: usize, work: impl FnOnce(&mut [Block]) -> R) -> R {
    let taken = MEMORY.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
    let mut memory = taken.filter(|m| m.len() >= blocks).unwrap_or_else(|| vec![Block::default(); blocks]);
    let result = work(&mut memory[..blocks]);
    MEMORY.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(memory);
    result
}

/// The PHC string of `password` under `argon2` (an argon2id, version 0x13 hasher: the string names
/// that algorithm), with a random salt.
pub fn hash_phc(argon2: &Argon2<'_>, password: &str) -> Result<String, InfraError> {
    let salt = random_bytes::<16>().map_err(|e| InfraError::unexpected("no randomness for a salt", e))?;
    let mut output = [0u8; 32];
    with_memory(argon2.params().block_count(), |memory| {
        argon2.hash_password_into_with_memory(password.as_bytes(), &salt, &mut output, memory)
    })
    .map_err(|e| InfraError::Unexpected(format!("argon2 hashing failed: {e}"), None))?;
    let params = argon2.params();
    let (m, t, p) = (params.m_cost(), params.t_cost(), params.p_cost());
    let encode = |bytes: &[u8]| STANDARD_NO_PAD.encode(bytes);
    Ok(format!("$argon2id$v=19$m={m},t={t},p={p}${}${}", encode(&salt), encode(&output)))
}

/// True when `password` is the one the argon2 PHC string `phc` was made from (any argon2
/// variant and parameters the string names; compared in constant time).
pub fn matches_phc(phc: &str, password: &[u8]) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else { return false };
    let algorithm = match hash.algorithm {
        a if a == Ident::new_unwrap("argon2id") => Algorithm::Argon2id,
        a if a == Ident::new_unwrap("argon2i") => Algorithm::Argon2i,
        a if a == Ident::new_unwrap("argon2d") => Algorithm::Argon2d,
        _ => return false,
    };
    let version = hash.version.and_then(|v| Version::try_from(v).ok()).unwrap_or(Version::V0x13);
    let (Ok(params), Some(salt), Some(expected)) = (Params::try_from(&hash), hash.salt, hash.hash) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params);
    let mut output = vec![0u8; expected.len()];
    let computed = with_memory(argon2.params().block_count(), |memory| {
        argon2.hash_password_into_with_memory(password, salt.as_ref(), &mut output, memory)
    });
    computed.is_ok() && bool::from(output.as_slice().ct_eq(expected.as_ref()))
}
