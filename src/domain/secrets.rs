//! The sandbox's own secrets: the key that signs hosted-file URLs, and the PRF that mints API
//! keys. Without a control token the sandbox is a local tool and both derive from the seed alone,
//! so runs are reproducible. With `--control-token` the sandbox may be reachable by others, and
//! the seed is not secret (it can be recovered from request ids), so both derive from the token
//! with HMAC-SHA256: runs stay deterministic for the same seed and token, and nothing can be
//! predicted or forged without the token.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 of `parts` (joined by newlines) under `key`.
pub fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        return [0; 32];
    };
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            mac.update(b"\n");
        }
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Whether `tag` (lowercase hex) is the HMAC of `parts` under `key`, compared in constant time.
pub fn verify_hex(key: &[u8], parts: &[&[u8]], tag: &str) -> bool {
    let Ok(given) = hex::decode(tag) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        return false;
    };
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            mac.update(b"\n");
        }
        mac.update(part);
    }
    mac.verify_slice(&given).is_ok()
}

#[derive(Clone)]
pub struct Secrets {
    /// Signs presigned-style hosted-file URLs.
    pub file_key: [u8; 32],
    /// Keys the minting of API keys; `None` without a control token (seeded rng alone).
    pub key_prf: Option<[u8; 32]>,
    /// Signs keyset cursors (derived from the file key, so from the token when there is one).
    pub cursor_key: [u8; 32],
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets { .. }")
    }
}

impl Secrets {
    pub fn derive(seed: u64, control_token: Option<&str>) -> Secrets {
        let seed = seed.to_string();
        let (file_key, key_prf): ([u8; 32], Option<[u8; 32]>) = match control_token {
            None => (
                Sha256::digest(format!("pc-sandbox-files:{seed}")).into(),
                None,
            ),
            Some(token) => (
                hmac(token.as_bytes(), &[b"pc-sandbox-files", seed.as_bytes()]),
                Some(hmac(
                    token.as_bytes(),
                    &[b"pc-sandbox-keys", seed.as_bytes()],
                )),
            ),
        };
        Secrets {
            cursor_key: hmac(&file_key, &[b"pc-sandbox-cursors"]),
            file_key,
            key_prf,
        }
    }

    /// The 24 base62 characters of a minted key: the seeded rng's draw as it is, or, with a
    /// control token, that draw run through the token's PRF.
    pub fn mint(&self, drawn: &str) -> String {
        const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        match &self.key_prf {
            None => drawn.to_string(),
            Some(prf) => {
                let mac = hmac(prf, &[drawn.as_bytes()]);
                // 24 characters from 32 bytes: the bias of `% 62` on a byte is irrelevant here
                // (the key only has to be unpredictable, and each character carries ~5.9 bits).
                mac.iter()
                    .take(drawn.len())
                    .map(|b| BASE62[*b as usize % BASE62.len()] as char)
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_token_secrets_follow_the_seed_and_with_one_they_follow_the_token() {
        let plain = Secrets::derive(1, None);
        assert_eq!(plain.file_key, Secrets::derive(1, None).file_key);
        assert_ne!(plain.file_key, Secrets::derive(2, None).file_key);
        assert_eq!(plain.mint("abc"), "abc");
        let a = Secrets::derive(1, Some("token-aaaa"));
        let b = Secrets::derive(1, Some("token-bbbb"));
        assert_ne!(a.file_key, plain.file_key);
        assert_ne!(a.file_key, b.file_key);
        assert_eq!(a.file_key, Secrets::derive(1, Some("token-aaaa")).file_key);
        let drawn = "ABCDEFGHIJKLMNOPQRSTUVWX";
        assert_ne!(a.mint(drawn), drawn);
        assert_ne!(a.mint(drawn), b.mint(drawn));
        assert_eq!(a.mint(drawn), a.mint(drawn));
        assert_eq!(a.mint(drawn).len(), 24);
        assert!(a.mint(drawn).bytes().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn tags_verify_only_for_their_key_and_message() {
        let tag = hex::encode(hmac(b"k", &[b"a", b"b"]));
        assert!(verify_hex(b"k", &[b"a", b"b"], &tag));
        assert!(!verify_hex(b"k", &[b"a", b"c"], &tag));
        assert!(!verify_hex(b"j", &[b"a", b"b"], &tag));
        assert!(!verify_hex(b"k", &[b"ab"], &tag), "parts are separated");
        assert!(!verify_hex(b"k", &[b"a", b"b"], "zz"));
        assert!(!verify_hex(b"k", &[b"a", b"b"], &tag[..10]));
    }
}
